"""NeRFFaceSpeech end to end: `talk` and the `nerffacespeech` command on a real photo, novel views, cached inversion, bad input."""
import argparse, json

import numpy as np
import pytest
import torch

from talking_heads.audio import write_wav
from talking_heads.core import InputError, save_checkpoint
from talking_heads.nerffacespeech import pipeline
from talking_heads.nerffacespeech.pipeline import add_parser, clip_frames, setup_clip, talk
from talking_heads.nerffacespeech.stylenerf import StyleNeRFGenerator
from talking_heads.video import read_video, video_info

from conftest import ROOT


@pytest.fixture(scope="module")
def G():
    torch.manual_seed(0)
    return StyleNeRFGenerator("smoke").eval()


@pytest.fixture(scope="module")
def astronaut():
    from skimage import data
    return data.astronaut()


def _speech(seconds: float) -> np.ndarray:
    "A voiced, amplitude-modulated tone (Audio2Exp sees syllables)."
    t = np.arange(int(seconds * 16000)) / 16000
    return (0.4 * np.sin(2 * np.pi * 180 * t) * (0.5 + 0.5 * np.sin(2 * np.pi * 3 * t))).astype(np.float32)


@pytest.fixture(scope="module")
def wav_path(tmp_path_factory):
    p = tmp_path_factory.mktemp("audio") / "speech.wav"
    write_wav(p, _speech(0.6))
    return p


def _no_inversion(monkeypatch):
    "Bad input must be refused before the inversion starts."
    from talking_heads.nerffacespeech import inversion
    def fail(*a, **k): raise AssertionError("the inversion started although the input is bad")
    monkeypatch.setattr(inversion, "invert", fail)


def test_astronaut_to_mp4_with_audio_and_cached_inversion(G, astronaut, wav_path, tmp_path):
    from talking_heads.nerffacespeech.lipaintnet import LipaintNet
    kw = dict(preset="smoke", checkpoint=G, device="cpu", progress=False, cache=tmp_path / "pti")
    s1 = talk(astronaut, wav_path, tmp_path / "a.mp4", lipaintnet=LipaintNet(w_dim=G.cfg.w_dim), **kw)
    assert s1["frames"] == 15 and not s1["inversion_cached"] and s1["lipaintnet"]
    info = video_info(tmp_path / "a.mp4")
    assert info.has_audio and (info.width, info.height) == (16, 16) and abs(info.duration - 0.6) < 0.1
    frames, fps = read_video(tmp_path / "a.mp4")
    assert len(frames) == 15 and fps == 25
    s2 = talk(astronaut, wav_path, tmp_path / "b.mp4", yaw=20, pitch=-10, lipaintnet=False, **kw)
    assert s2["inversion_cached"] and s2["inversion_key"] == s1["inversion_key"]
    assert s2["inversion_s"] < s1["inversion_s"] + 1.0
    novel, _ = read_video(tmp_path / "b.mp4")
    assert np.abs(novel.astype(int) - frames.astype(int)).mean() > 1.0      # another viewpoint, another image


def test_expressions_move_the_frames(G, astronaut, tmp_path):
    "Constant expressions give identical frames; an opening jaw changes them (ray deformation on a dense field)."
    import copy
    from talking_heads.face import embedded_face_model
    from talking_heads.fitting import FitConfig
    from talking_heads.nerffacespeech.inversion import InversionConfig, invert, prepare_photo
    G = copy.deepcopy(G)
    with torch.no_grad(): G.synthesis.fg_nerf.sigma_out.bias += 2.0   # the random field made opaque: moved samples count
    model = embedded_face_model()
    photo = prepare_photo(astronaut, G.cfg.img_resolution, model, FitConfig.preset("smoke"))
    inv = invert(G, photo.target, photo.cam2world, photo.sha256, InversionConfig.preset("smoke"), cache=False, progress=False)
    betas = torch.zeros(6, 64)
    betas[:, 0] = torch.linspace(0, 3, 6)                       # the strongest expression component, growing
    still = torch.stack(list(clip_frames(setup_clip(inv, photo, betas * 0 + torch.as_tensor(photo.fit.beta), model), chunk=4)))
    moving = torch.stack(list(clip_frames(setup_clip(inv, photo, betas, model), chunk=4)))
    assert (still - still[:1]).abs().max() < 1e-5
    assert (moving[-1] - moving[0]).abs().max() > 1e-3
    # relative motion: Audio2Exp's answer to silence from the photo's fit is the rest, so a clip held at it does not move
    from talking_heads.audio2exp import load_embedded_audio2exp
    from talking_heads.nerffacespeech.deformation import DeformConfig, rest_expression
    rel = DeformConfig(motion="relative")
    rest = rest_expression(load_embedded_audio2exp(), photo.fit.beta, rel)
    held = torch.stack(list(clip_frames(setup_clip(inv, photo, rest.expand(3, -1), model, deform_cfg=rel), chunk=4)))
    assert (held - still[:3]).abs().max() < 1e-5
    opening = torch.stack(list(clip_frames(setup_clip(inv, photo, rest + betas, model, deform_cfg=rel), chunk=4)))
    assert (opening[-1] - opening[0]).abs().max() > 1e-3


def test_command(G, astronaut, wav_path, tmp_path, capsys):
    "The parser the CLI mounts: a prior .safetensors from --checkpoint, the astronaut, json figures on stdout."
    from PIL import Image
    Image.fromarray(astronaut).save(tmp_path / "astronaut.png")
    save_checkpoint(tmp_path / "prior.safetensors", {"G_ema": G.state_dict()}, G.cfg)
    ap = argparse.ArgumentParser()
    add_parser(ap.add_subparsers())
    args = ap.parse_args(["nerffacespeech", "--image", str(tmp_path / "astronaut.png"), "--audio", str(wav_path),
                          "--out", str(tmp_path / "o.mp4"), "--preset", "smoke", "--checkpoint", str(tmp_path / "prior.safetensors"),
                          "--no-lipaintnet", "--device", "cpu", "--quiet", "--yaw", "10", "--motion", "relative"])
    assert args.func(args) == 0
    assert video_info(tmp_path / "o.mp4").has_audio
    assert '"motion": "relative"' in capsys.readouterr().out
    with pytest.raises(SystemExit):
        ap.parse_args(["nerffacespeech", "--image", "a.png", "--audio", "a.wav", "--out", "o.mp4", "--motion", "both"])


def test_missing_prior_names_the_file_and_command(monkeypatch, tmp_path):
    monkeypatch.setattr(pipeline, "data_dir", lambda: tmp_path)
    with pytest.raises(InputError, match=r"prior_tiny\.safetensors.*python -m talking_heads\.nerffacespeech\.prior"):
        pipeline.load_generator(None)


def test_bad_input(G, astronaut, wav_path, tmp_path, monkeypatch):
    from PIL import Image
    _no_inversion(monkeypatch)
    kw = dict(preset="smoke", checkpoint=G, lipaintnet=False, device="cpu", progress=False, cache=False)
    out = tmp_path / "o.mp4"
    one_frame = tmp_path / "one.wav"
    write_wav(one_frame, _speech(0.04))
    with pytest.raises(InputError, match="1 frame"): talk(astronaut, one_frame, out, **kw)
    with pytest.raises(InputError, match="no face"): talk(np.full((256, 256, 3), 200, np.uint8), wav_path, out, **kw)
    two = np.concatenate([astronaut, astronaut], 1)
    with pytest.raises(InputError, match="shows 2 faces"): talk(two, wav_path, out, faces="single", **kw)
    with pytest.warns(UserWarning, match="2 faces: the largest"), pytest.raises(AssertionError, match="inversion started"):
        talk(two, wav_path, out, **kw)                           # by default the largest face goes on to the inversion
    small = np.asarray(Image.fromarray(astronaut).resize((40, 40)))
    with pytest.raises(InputError, match="face"): talk(small, wav_path, out, **kw)
    huge = np.broadcast_to(np.zeros(3, np.uint8), (9000, 9000, 3))         # 81 megapixels, never allocated
    with pytest.raises(InputError, match="downscale"): talk(huge, wav_path, out, **kw)
    with pytest.raises(InputError, match=r"\.mp4"): talk(astronaut, wav_path, tmp_path / "o.avi", **kw)
    with pytest.raises(InputError, match="yaw"): talk(astronaut, wav_path, out, yaw=80, **kw)
    assert not out.exists()


def test_profile_view_is_refused(G, wav_path, tmp_path, monkeypatch):
    "A studio head seen from 80 degrees: refused as a profile before any inversion."
    from talking_heads.studio import default_subject, render, studio_camera
    _no_inversion(monkeypatch)
    img = render(default_subject(), camera=studio_camera(256, "face", yaw_deg=80.0))["rgb"]
    img = np.asarray(img)
    img = (img * 255).round().astype(np.uint8) if img.dtype != np.uint8 else img
    with pytest.raises(InputError, match="profile view"):
        talk(img, wav_path, tmp_path / "o.mp4", preset="smoke", checkpoint=G, lipaintnet=False, device="cpu", progress=False)


def test_official_checkpoint_of_another_resolution(wav_path, astronaut, tmp_path, monkeypatch):
    from talking_heads.nerffacespeech.official import write_synthetic_official_pickle
    _no_inversion(monkeypatch)
    pkl = write_synthetic_official_pickle(tmp_path / "stylenerf_16.pkl", StyleNeRFGenerator("smoke"))
    with pytest.raises(InputError, match="resolution 16.*ffhq_256"):
        talk(astronaut, wav_path, tmp_path / "o.mp4", preset="smoke", checkpoint=pkl, lipaintnet=False, device="cpu", progress=False)


def test_ablation_reads_the_sync_ceiling_and_the_edit(tmp_path):
    "nffs_ablation with enough frames for the sync score: the resolution ceiling and LipaintNet's edit before/after tuning."
    import papermill as pm
    out = tmp_path / "out"
    pm.execute_notebook(str(ROOT / "nbs/experiments/nffs_ablation.ipynb"), str(tmp_path / "run.ipynb"), progress_bar=False,
                        parameters=dict(max_frames=10, n_identities=1, inversion="smoke", fit="smoke", ceiling_sides=[128],
                                        metrics=["psnr"], out_dir=str(out)), cwd=str(tmp_path))
    m = json.loads((out / "metrics.json").read_text())
    assert sorted(m["sync_ceiling"], key=int) == ["64", "128"]
    for side, row in m["sync_ceiling"].items():
        for who in ("truth", "reference"):
            assert row[who] is None or -1 <= row[who] <= 1, (side, who, row)
    assert m["sync_ceiling"]["128"]["truth"] is not None        # mediapipe reads the studio's truth at 128 px
    assert m["sync_ceiling"]["64"]["truth"] == m["ablation"]["full"]["sync_truth"]
    edit = m["lipaint_edit"]
    assert list(edit) == ["the prior, before PTI's tuning", "the PTI-tuned generator"]
    assert all(r["identities"] <= 1 for r in edit.values())
    assert (out / "sync_ceiling.md").exists() and (out / "lipaint_edit.md").exists()
