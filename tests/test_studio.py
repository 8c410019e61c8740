"The studio from the command line and from Python: deterministic one-shot sets, renders, bad input."
import hashlib, json

import numpy as np
import pytest
import torch

from conftest import run_cli


def _digest(folder):
    "sha256 of every file under `folder`, by relative path."
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_oneshot_command_is_deterministic(tmp_path):
    args = ["--identities", "1", "--clips", "1", "--size", "48", "--yaws", "-20", "--max-frames", "5", "--seed", "3"]
    for name in ("a", "b"):
        r = run_cli("studio", "oneshot", "--out", tmp_path / name, *args)
        assert r.returncode == 0, r.stdout + r.stderr
    a, b = _digest(tmp_path / "a"), _digest(tmp_path / "b")
    assert a == b
    index = json.loads((tmp_path / "a" / "index.json").read_text())
    assert set(index["views"]) == {"yaw+00", "yaw-20"} and index["format"].startswith("talking-heads studio oneshot")
    files = index["clips"][0]["files"]
    assert {"audio", "clip", "yaw+00", "yaw-20", "hflip"} <= set(files)
    assert all((tmp_path / "a" / f).exists() for f in files.values())
    c = run_cli("studio", "oneshot", "--out", tmp_path / "c", *args[:-1], "4")
    assert c.returncode == 0 and _digest(tmp_path / "c")["index.json"] != a["index.json"]   # another seed, another set


@pytest.mark.parametrize("args, message", [(["--identities", "0"], "identities=0"), (["--size", "8"], "size=8"),
                                           (["--clips", "50"], "speech clips ship"), (["--yaws", "120"], "90 degrees")])
def test_oneshot_bad_input(tmp_path, args, message):
    r = run_cli("studio", "oneshot", "--out", tmp_path / "x", *args)
    assert r.returncode == 2 and r.stderr.startswith("error: ") and message in r.stderr, r.stderr


def test_render_is_byte_identical_for_a_seed():
    from talking_heads.studio import random_expression, random_head_pose, random_subject, render, studio_camera
    outs = []
    for _ in range(2):
        rng = np.random.default_rng(9)
        outs.append(render(random_subject(9, "photo"), random_expression(rng), random_head_pose(rng), studio_camera(80, "face", yaw_deg=10)))
    for k, v in outs[0].items():
        if isinstance(v, torch.Tensor): assert v.numpy().tobytes() == outs[1][k].numpy().tobytes(), k
