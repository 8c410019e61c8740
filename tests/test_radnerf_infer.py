"RAD-NeRF inference from the installed library: export round trip, the mp4 with its audio, and bad input."
import shutil

import numpy as np
import pytest
import torch

from talking_heads.audio import SAMPLE_RATE, load_audio
from talking_heads.core import InputError, load_checkpoint, save_checkpoint
from talking_heads.person_data import load_person_dataset, make_person_video
from talking_heads.radnerf.inference import (TRAINER_FILE, drive, export_workspace, infer, load_workspace,
                                             render_frames)
from talking_heads.radnerf.network import RadNeRFConfig
from talking_heads.radnerf.renderer import RadNeRFRenderConfig
from talking_heads.radnerf.training import RadNeRFTrainConfig, Trainer


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    "A 0.6-second 32x32 studio person trained for a few smoke steps of each stage; (workspace, dataset root, 8 frames of audio)."
    tmp = tmp_path_factory.mktemp("radnerf_infer")
    root = make_person_video(tmp/"person", seconds=0.6, size=32, progress=False)
    ds = load_person_dataset(root, "train", preload="cpu")
    cfg = RadNeRFTrainConfig.preset("smoke", head_iters=6, lips_iters=2, torso_iters=4, ckpt_every=100)
    Trainer(ds, None, tmp/"ws", cfg, RadNeRFConfig.preset("smoke"), RadNeRFRenderConfig.preset("smoke"),
            device="cpu", progress=False).train()
    wav = load_audio(root/"aud.wav", allow_silent=True)[: SAMPLE_RATE * 8 // 25]
    return tmp/"ws", root, wav


def _frame(model, wav):
    return next(render_frames(model, drive(model, wav))).astype(float)


def test_export_round_trip(trained, tmp_path):
    ws, root, wav = trained
    m = load_workspace(ws, "cpu")
    assert m.torso_trained and m.step == 12
    half = export_workspace(ws, tmp_path/"half")
    full = export_workspace(m, tmp_path/"full", half=False)
    assert half.stat().st_size < full.stat().st_size < 5e6
    mh, mf = load_workspace(tmp_path/"half", "cpu"), load_workspace(full, "cpu")
    for model in (m, mh, mf): model.renderer.grid.occupied.fill_(True)   # exercise the head on every sample
    ref = _frame(m, wav)
    assert np.array_equal(_frame(mf, wav), ref)
    diff = np.abs(_frame(mh, wav) - ref)
    assert diff.max() <= 4 and diff.mean() < 0.5, (diff.max(), diff.mean())
    assert torch.equal(mh.background, m.background) and torch.allclose(mh.poses, m.poses)


def test_infer_writes_mp4_with_audio(trained, tmp_path):
    from talking_heads.video import read_video, video_info
    ws, root, wav = trained
    stats = infer(ws, wav, tmp_path/"out.mp4", eye="blink:0.1", bg="white", yaw=5.0, size=16, device="cpu", progress=False)
    frames, fps = read_video(tmp_path/"out.mp4")
    assert stats["frames"] == 8 and frames.shape == (8, 16, 16, 3) and fps == 25 and stats["size"] == (16, 16)
    assert video_info(tmp_path/"out.mp4").has_audio


def test_short_audio(trained, tmp_path):
    ws, root, wav = trained
    with pytest.raises(InputError, match="shorter than one video frame"):
        infer(ws, wav[:600], tmp_path/"short.mp4", device="cpu", progress=False)
    assert not (tmp_path/"short.mp4").exists()


def test_features_of_another_width(trained, tmp_path):
    ws, root, wav = trained
    np.save(tmp_path/"ds.npy", np.zeros((8, 16, 29), np.float32))
    with pytest.raises(InputError, match=r"\[N, 16, 80\]"):
        drive(load_workspace(ws, "cpu"), None, features=tmp_path/"ds.npy")


def test_workspace_of_another_configuration(trained, tmp_path):
    ws, root, wav = trained
    st, tc, meta = load_checkpoint(ws/TRAINER_FILE)
    save_checkpoint(tmp_path/"other"/TRAINER_FILE, st, tc, meta={**meta, "model": {**meta["model"], "audio_coord_dim": 3}})
    with pytest.raises(InputError, match="misshaped keys"):
        load_workspace(tmp_path/"other", "cpu")
    save_checkpoint(tmp_path/"newer"/TRAINER_FILE, st, tc, meta={**meta, "model": {**meta["model"], "new_option": 1}})
    with pytest.raises(InputError, match="unknown configuration keys"):
        load_workspace(tmp_path/"newer", "cpu")
    (tmp_path/"empty").mkdir()
    with pytest.raises(InputError, match="neither model.safetensors"):
        load_workspace(tmp_path/"empty", "cpu")


def test_dataset_missing_files(trained, tmp_path):
    ws, root, wav = trained
    broken = tmp_path/"person"; shutil.copytree(root, broken)
    (broken/"torso_imgs"/"2.png").unlink()
    st, tc, meta = load_checkpoint(ws/TRAINER_FILE)
    save_checkpoint(tmp_path/"ws"/TRAINER_FILE, st, tc, meta={**meta, "data": str(broken)})
    with pytest.raises(InputError, match="torso_imgs/2.png"):
        load_workspace(tmp_path/"ws", "cpu")
    shutil.rmtree(broken)
    with pytest.raises(InputError, match="is gone"):
        load_workspace(tmp_path/"ws", "cpu")
