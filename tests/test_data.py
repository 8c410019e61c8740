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
