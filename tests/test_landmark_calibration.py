"""The landmark calibration's command line, its bad input, and its effect on the photo fit that NeRFFaceSpeech uses."""
import subprocess, sys

import numpy as np
import pytest

from talking_heads.face import EXP, embedded_face_model
from talking_heads.fitting import FitConfig
from talking_heads.landmark_calibration import calibration_errors, load_landmark_calibration

MOUTH = [EXP[k] for k in ("jaw_open", "lip_spread", "lip_round", "lip_press", "lip_funnel", "lower_lip_tuck", "mouth_shift")]


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "talking_heads.landmark_calibration", *args], capture_output=True, text=True, timeout=600)


def test_cli_makes_resumes_and_exports(tmp_path):
    work, exp = tmp_path/"work", tmp_path/"export"
    r = _cli("--frames", "16", "--chunk", "8", "--held-out", "0.5", "--work", str(work), "--export", str(exp), "--quiet")
    assert r.returncode == 0, r.stderr
    assert "held out" in r.stdout and "inner_lips" in r.stdout
    cal = load_landmark_calibration(exp/"mediapipe_calibration.safetensors")
    assert cal.meta["frames"] == 16 and cal.meta["held_out"]["subjects"] == 1 and cal.meta["model"] == "embedded-0"
    chunks = sorted(work.glob("chunk_*.npz"))
    assert len(chunks) == 2
    stamps = [p.stat().st_mtime_ns for p in chunks]
    r = _cli("--frames", "16", "--chunk", "8", "--held-out", "0.5", "--work", str(work), "--quiet")   # resumes: renders nothing
    assert r.returncode == 0, r.stderr
    assert [p.stat().st_mtime_ns for p in chunks] == stamps


def test_cli_bad_input(tmp_path):
    r = _cli("--frames", "0", "--work", str(tmp_path/"w"), "--quiet")
    assert r.returncode == 2 and "frames=0" in r.stderr and "Traceback" not in r.stderr
    assert _cli("--frames", "8", "--chunk", "8", "--held-out", "0.5", "--work", str(tmp_path/"w2"), "--quiet").returncode == 2  # one subject: nothing to hold out
    r = _cli("--frames", "8", "--chunk", "8", "--seed", "3", "--held-out", "0.5", "--work", str(tmp_path/"w2"), "--quiet")
    assert r.returncode == 2 and "other settings" in r.stderr


def test_shipped_calibration_is_listed_and_measured():
    from talking_heads.core import read_manifest
    assert "landmarks/mediapipe_calibration.safetensors" in read_manifest()
    h = load_landmark_calibration().meta["held_out"]
    assert h["subjects"] >= 100 and h["after"]["px"] < 0.5 * h["before"]["px"]


@pytest.mark.parametrize("sid", [0, 1])
def test_photo_fit_of_a_resting_studio_face_keeps_its_mouth_in_range(sid):
    "prepare_photo (NeRFFaceSpeech's preprocessing) on a one-shot source photo: calibrated, the mouth coefficients stay in the face world's range."
    from talking_heads.nerffacespeech.inversion import prepare_photo, to_crop
    from talking_heads.studio import random_subject, render, source_expression, studio_camera, to_uint8
    subj, cam = random_subject(sid), studio_camera(256, "face")
    out = render(subj, source_expression(subj), camera=cam)
    img, model = to_uint8(out["rgb"]), embedded_face_model()
    cal = prepare_photo(img, 64, model, FitConfig.preset("quick"))
    raw = prepare_photo(img, 64, model, FitConfig.preset("quick"), calibration=None)
    truth = to_crop(out["landmarks2d"].numpy(), cal.quad, 64)
    assert calibration_errors(None, np.asarray(cal.fit.landmarks), truth)["px"] < 0.6 * calibration_errors(None, raw.landmarks, truth)["px"]
    assert float(cal.fit.beta[MOUTH].abs().max()) < 1.0 < float(raw.fit.beta[MOUTH].abs().max())
