"The trained studio person shipped in data/radnerf/studio_person renders on a fresh machine, without training."
import numpy as np

from conftest import ROOT, run_cli

PERSON = ROOT / "data" / "radnerf" / "studio_person"


def test_shipped_person_is_listed_and_small():
    from talking_heads.core import manifest_problems, read_manifest
    files = sorted(p for p in PERSON.iterdir() if p.is_file())
    assert files, f"{PERSON} is empty"
    listed = read_manifest()
    for p in files:
        rel = str(p.relative_to(ROOT / "data"))
        assert rel in listed, f"{rel} is not in data/MANIFEST"
        assert p.stat().st_size < 20 * 2**20
    assert not manifest_problems(files=[str(p.relative_to(ROOT / "data")) for p in files])


def test_shipped_person_speaks_held_out_audio(tmp_path):
    from talking_heads.audio import load_audio, write_wav
    from talking_heads.radnerf.inference import load_workspace
    from talking_heads.video import read_video, video_info
    m = load_workspace(PERSON, "cpu")
    assert m.torso_trained and m.step > 0
    wav = load_audio(ROOT / "data" / "audio" / "heldout_us_f_window.wav")[:8000]   # half a second: 12 frames
    write_wav(tmp_path / "a.wav", wav)
    r = run_cli("radnerf", "infer", "--workspace", PERSON, "--audio", tmp_path / "a.wav", "--out", tmp_path / "o.mp4",
                "--device", "cpu", "--eye", "blink:0.2")
    assert r.returncode == 0, r.stdout + r.stderr
    info = video_info(tmp_path / "o.mp4")
    assert info.has_audio and (info.width, info.height) == (m.width, m.height)
    frames, fps = read_video(tmp_path / "o.mp4")
    assert len(frames) == 12
    bg = m.background.numpy().astype(float)
    # the person is there: the frame differs from the empty background where the head and torso are
    assert np.abs(frames[0].astype(float) - bg).mean() > 5
