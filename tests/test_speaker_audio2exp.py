"The studio speaker and the embedded Audio2Exp from outside the notebooks: the command, the shipped weights, determinism."
import json, subprocess, sys

import numpy as np

from talking_heads.audio import speech_clips
from talking_heads.core import data_dir, read_manifest


def test_audio2exp_command_help():
    r = subprocess.run([sys.executable, "-m", "talking_heads.audio2exp", "--help"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "--train" in r.stdout


def test_shipped_embedded_audio2exp():
    from talking_heads.audio2exp import EMBEDDED_FILE, RETRAIN_COMMAND, load_embedded_audio2exp, predict_expressions
    entry = read_manifest()[EMBEDDED_FILE]
    assert entry["command"] == RETRAIN_COMMAND and entry["size"] < 20 * 2**20
    meta = json.loads((data_dir()/EMBEDDED_FILE).with_suffix(".json").read_text())["meta"]
    assert meta["heldout_r"]["jaw_open"] >= 0.8
    clip = speech_clips(held_out=True)[0]
    y = predict_expressions(clip.wav, model=load_embedded_audio2exp())
    assert y.shape[1] == 64 and np.isfinite(y).all() and y[:, 0].std() > 0.05


def test_speaker_is_deterministic_for_a_seed():
    from talking_heads.speaker import speaker_track
    clip = speech_clips(held_out=False)[0]
    wav, ev = clip.load(), clip.phonemes()
    a, b, c = (speaker_track(ev, wav=wav, seed=s) for s in (7, 7, 8))
    assert np.array_equal(a.expressions, b.expressions) and np.array_equal(a.head_poses, b.head_poses)
    assert not np.array_equal(a.head_poses, c.head_poses)


def test_short_tracks():
    "Tracks of any length, including a few frames shorter than the torso's lag, have one row per frame."
    from talking_heads.audio import PhonemeEvent
    from talking_heads.speaker import speaker_track
    ev = [PhonemeEvent("h", 0.0, 0.05, 0), PhonemeEvent("@", 0.05, 0.12, 0)]
    for n in (1, 2, 3, 4, 5, 8):
        t = speaker_track(ev, n_frames=n)
        assert t.expressions.shape == (n, 64) and t.head_poses.shape == (n, 4, 4) and len(t.torso) == n
