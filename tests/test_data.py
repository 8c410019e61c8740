"data/ holds small files, each listed in data/MANIFEST; the shipped clips meet their description."
import json

from talking_heads.audio import speech_clips
from talking_heads.core import data_dir, manifest_problems


def test_manifest_lists_every_file_correctly():
    assert manifest_problems() == []


def test_shipped_clips():
    clips = speech_clips()
    assert len(clips) >= 8
    assert len(speech_clips(held_out=True)) >= 2
    en = [c for c in clips if c.language == "en"]
    assert len({c.voice for c in en}) >= 2 and len({c.rate for c in en}) >= 2
    assert any(c.language != "en" for c in clips)
    for c in clips:
        meta = json.loads(c.events.read_text())
        assert 3.0 <= meta["duration"] <= 12.0
        assert meta["held_out"] == c.held_out
        ph = meta["phonemes"]
        assert ph and all(p["start"] <= p["end"] <= meta["duration"] + 1e-6 for p in ph)
        assert all(a["end"] <= b["start"] + 1e-6 for a, b in zip(ph, ph[1:]))


def test_make_clips_reproduces_the_shipped_files(tmp_path):
    "The MANIFEST's command remakes every shipped clip byte for byte (a fresh process, the same order)."
    import shutil, subprocess, sys
    shutil.copy(data_dir() / "audio" / "clips.json", tmp_path)
    exe = __import__("pathlib").Path(sys.executable).parent / "talking-heads"
    subprocess.run([str(exe), "audio", "make-clips", "--audio-dir", str(tmp_path)], check=True, capture_output=True)
    for c in speech_clips():
        assert (tmp_path / c.wav.name).read_bytes() == c.wav.read_bytes(), c.name
        assert (tmp_path / c.events.name).read_bytes() == c.events.read_bytes(), c.name
