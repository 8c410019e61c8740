"`talking-heads evaluate` end to end, and the metrics' answers to bad input."
import json, os

import numpy as np
import pytest
import torch
from PIL import Image

from conftest import run_cli

WEIGHT_VARS = ("TALKING_HEADS_FID_WEIGHTS", "TALKING_HEADS_LPIPS_WEIGHTS", "TALKING_HEADS_LPIPS_BACKBONE",
               "TALKING_HEADS_ARCFACE_WEIGHTS", "TALKING_HEADS_SYNCNET_WEIGHTS")


@pytest.fixture(autouse=True)
def empty_cache(tmp_path, monkeypatch):
    "Every test starts from an empty weights cache and no weight variables, whatever the machine holds."
    monkeypatch.setenv("TALKING_HEADS_CACHE", str(tmp_path / "cache"))
    for v in WEIGHT_VARS: monkeypatch.delenv(v, raising=False)


def clip(n=6, h=64, w=64, seed=0):
    rng = np.random.default_rng(seed)
    base = np.clip(rng.random((n, h, w, 3)) * 0.5 + np.linspace(0, 0.5, w)[None, None, :, None], 0, 1)
    return (base * 255).astype(np.uint8)


def write_frames(folder, frames):
    folder.mkdir(parents=True, exist_ok=True)
    for i, f in enumerate(frames): Image.fromarray(f).save(folder / f"frame_{i}.png")
    return folder


def noisy(frames, amount=20, seed=1):
    rng = np.random.default_rng(seed)
    return np.clip(frames.astype(int) + rng.integers(-amount, amount + 1, frames.shape), 0, 255).astype(np.uint8)


def test_folders_of_clips_to_json(tmp_path):
    from talking_heads.video import write_video
    ref = clip()
    write_frames(tmp_path / "gen" / "a", noisy(ref)); write_frames(tmp_path / "ref" / "a", ref)
    write_video(tmp_path / "gen" / "b.mp4", noisy(ref, 40), fps=25); write_video(tmp_path / "ref" / "b.mp4", ref, fps=25)
    r = run_cli("evaluate", tmp_path / "gen", tmp_path / "ref", "--metrics", "psnr", "ssim", "cpbd", "--json", tmp_path / "m.json")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("| clip | frames | psnr | ssim | cpbd |")
    out = json.loads((tmp_path / "m.json").read_text())
    assert list(out["mean"]) == ["psnr", "ssim", "cpbd"] and out["unavailable"] == {}
    assert [c["clip"] for c in out["clips"]] == ["a", "b"] and [c["frames"] for c in out["clips"]] == [6, 6]
    a, b = out["clips"]
    assert a["psnr"] > b["psnr"] and a["ssim"] > b["ssim"]            # more noise, lower scores
    assert out["mean"]["psnr"] == pytest.approx((a["psnr"] + b["psnr"]) / 2)


def test_missing_weights_are_reported_with_path_and_variable(tmp_path):
    ref = clip()
    write_frames(tmp_path / "g", noisy(ref)); write_frames(tmp_path / "r", ref)
    r = run_cli("evaluate", tmp_path / "g", tmp_path / "r", "--metrics", "psnr", "fid", "lpips", "csim", "lse_d", "--json", tmp_path / "m.json")
    assert r.returncode == 0, r.stderr
    out = json.loads((tmp_path / "m.json").read_text())
    assert list(out["mean"]) == ["psnr"]
    weights = tmp_path / "cache" / "weights"
    for metric, file, var in (("fid", "pt_inception-2015-12-05-6726825d.pth", "TALKING_HEADS_FID_WEIGHTS"),
                              ("lpips", "lpips/alex.pth", "TALKING_HEADS_LPIPS_WEIGHTS"),
                              ("csim", "arcface_backbone.pth", "TALKING_HEADS_ARCFACE_WEIGHTS"),
                              ("lse", "syncnet_v2.model", "TALKING_HEADS_SYNCNET_WEIGHTS")):
        assert str(weights / file) in out["unavailable"][metric] and var in out["unavailable"][metric]
        assert f"- {metric} unavailable:" in r.stdout


def lpips_files(folder):
    "torchvision AlexNet `features` and the lpips wheel's `alex.pth`, released key names and shapes, random values."
    trunk = {}
    for i, (cin, cout, k) in zip((0, 3, 6, 8, 10), ((3, 64, 11), (64, 192, 5), (192, 384, 3), (384, 256, 3), (256, 256, 3))):
        trunk[f"features.{i}.weight"] = torch.randn(cout, cin, k, k) * (2 / (cin * k * k)) ** 0.5
        trunk[f"features.{i}.bias"] = torch.zeros(cout)
    folder.mkdir(parents=True, exist_ok=True)
    torch.save(trunk, folder / "alexnet-owt-7be5be79.pth")
    torch.save({f"lin{i}.model.1.weight": torch.rand(1, c, 1, 1) for i, c in enumerate((64, 192, 384, 256, 256))}, folder / "alex.pth")
    return folder / "alex.pth", folder / "alexnet-owt-7be5be79.pth"


def test_weights_found_through_variables_and_flags(tmp_path, monkeypatch):
    lin, trunk = lpips_files(tmp_path / "w")
    ref = clip()
    write_frames(tmp_path / "g", noisy(ref)); write_frames(tmp_path / "r", ref)
    monkeypatch.setenv("TALKING_HEADS_LPIPS_WEIGHTS", str(lin))
    r = run_cli("evaluate", tmp_path / "g", tmp_path / "r", "--metrics", "lpips", "--lpips-backbone", trunk, "--json", tmp_path / "m.json")
    assert r.returncode == 0, r.stderr
    out = json.loads((tmp_path / "m.json").read_text())
    assert out["unavailable"] == {} and out["mean"]["lpips"] > 0


def test_bad_clips_are_named(tmp_path):
    ref = clip()
    write_frames(tmp_path / "ref", ref)
    write_frames(tmp_path / "short", ref[:4])
    write_frames(tmp_path / "small", ref[:, :48])
    (tmp_path / "empty").mkdir()
    r = run_cli("evaluate", tmp_path / "short", tmp_path / "ref")
    assert r.returncode == 2 and "different lengths" in r.stderr and "has 4 frames" in r.stderr and "has 6" in r.stderr
    r = run_cli("evaluate", tmp_path / "small", tmp_path / "ref")
    assert r.returncode == 2 and "different frame sizes" in r.stderr and "is 64x48" in r.stderr and "is 64x64" in r.stderr
    r = run_cli("evaluate", tmp_path / "empty", tmp_path / "ref")
    assert r.returncode == 2 and "empty" in r.stderr and str(tmp_path / "empty") in r.stderr
    r = run_cli("evaluate", tmp_path / "ref", tmp_path / "ref", "--metrics", "psnr", "sharpness")
    assert r.returncode == 2 and "metric 'sharpness': unknown" in r.stderr


def test_wrong_architecture_lists_keys(tmp_path, monkeypatch):
    ref = clip()
    write_frames(tmp_path / "ref", ref)
    lin, trunk = lpips_files(tmp_path / "w")
    monkeypatch.setenv("TALKING_HEADS_FID_WEIGHTS", str(trunk))          # an AlexNet where the Inception belongs
    r = run_cli("evaluate", tmp_path / "ref", tmp_path / "ref", "--metrics", "psnr", "fid")
    assert r.returncode == 2, r.stdout
    assert "does not match FIDInceptionV3" in r.stderr and "unexpected keys ['features.0.bias'" in r.stderr
    assert "Conv2d_1a_3x3.conv.weight" in r.stderr                       # among the missing keys


def test_bad_input_in_process(tmp_path):
    "The same rules through the Python API: mismatched clips, unmatched names, bad arrays, bad weight files."
    from talking_heads.core import InputError
    from talking_heads import metrics as M
    ref = clip()
    write_frames(tmp_path / "g" / "x", ref); write_frames(tmp_path / "r" / "y", ref)
    with pytest.raises(InputError, match=r"no reference for \['x'\]; no generated clip for \['y'\]"):
        M.evaluate(tmp_path / "g", tmp_path / "r", metrics=["psnr"])
    with pytest.raises(InputError, match="shapes differ"):
        M.psnr(ref, ref[:3])
    with pytest.raises(InputError, match=r"must lie in \[0, 1\]"):
        M.ssim(ref.astype(float), ref.astype(float))
    with pytest.raises(InputError, match="unknown keys"):
        M.Evaluator(["psnr"], weights={"inception": tmp_path / "x.pth"})
    with pytest.raises(InputError, match="does not exist"):
        M.Evaluator(["fid"], weights={"fid": tmp_path / "missing.pth"})
    (tmp_path / "x.model").write_bytes(os.urandom(64))
    with pytest.raises(InputError, match="weights_only=True"):
        M.load_syncnet(tmp_path / "x.model")
