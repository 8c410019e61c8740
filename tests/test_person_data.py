"Person datasets in RAD-NeRF's layout, from the installed library: writer -> loader round trip, missing files, feature length."
import shutil

import numpy as np
import pytest
import torch
from conftest import run_cli

from talking_heads.core import InputError
from talking_heads.geometry import intrinsics, look_at
from talking_heads.person_data import (FEATURE_KINDS, audio_features, load_person_dataset, parsing_codes, parsing_rgb,
                                       write_person_dataset)

N, S = 6, 48


@pytest.fixture(scope="module")
def person(tmp_path_factory, tone):
    "A 6-frame 48x48 person: a square head over a neck over a torso, cameras on a small arc."
    yy, xx = np.mgrid[0:S, 0:S]
    codes = np.zeros((N, S, S), np.uint8)
    codes[:, 26:, 20:28] = 2
    codes[:, 36:, 8:40] = 3
    for k in range(N): codes[k, 8 + k:30 + k, 14:34] = 1
    colour = np.array([[40, 60, 90], [210, 160, 130], [190, 140, 110], [50, 80, 150]], np.uint8)
    images = colour[codes]
    poses = look_at(torch.stack([torch.tensor([0.03 * k, 0.0, 0.6]) for k in range(N)]))
    lms = np.random.default_rng(0).uniform(10, 38, (N, 68, 2))
    root = tmp_path_factory.mktemp("person")/"p"
    wav = np.tile(tone, 2)[: 640 * N]
    write_person_dataset(root, images, codes, lms, poses, intrinsics(60.0, S, S), wav, colour[codes[0] * 0],
                         blink=np.linspace(0, 1, N))
    return root, images, codes, lms, poses


@pytest.fixture(scope="module")
def tone():
    t = np.arange(16000) / 16000
    return (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)


def test_round_trip(person):
    root, images, codes, lms, poses = person
    tr, va = load_person_dataset(root, "train"), load_person_dataset(root, "val")
    assert (len(tr), len(va)) == (5, 1)                                     # int(6 * 10 / 11) = 5 train frames
    torch.testing.assert_close(tr.poses, poses[:5].float(), atol=1e-5, rtol=0)
    torch.testing.assert_close(tr.intrinsics, torch.tensor([60.0, 60.0, 24.0, 24.0]))
    np.testing.assert_allclose(tr.landmarks.numpy(), lms[:5], atol=1e-5)
    item = va[0]
    assert item["img_id"] == 5 and item["aud"].shape == (16, 80) and item["torso"].shape == (S, S, 4)
    np.testing.assert_array_equal(item["parsing"].numpy(), codes[5])
    assert np.abs(item["image"].numpy() * 255 - images[5]).mean() < 2
    torch.testing.assert_close(va.au_blink, torch.tensor([1.0]))


def test_preload_modes_agree(person):
    root = person[0]
    lazy, pre = load_person_dataset(root, preload="none"), load_person_dataset(root, preload=1)
    assert lazy.images is None and pre.images.dtype == torch.uint8
    for k, v in lazy[3].items():
        assert torch.equal(torch.as_tensor(v), torch.as_tensor(pre[3][k])), k
    if not torch.cuda.is_available():
        with pytest.raises(InputError, match="CUDA is not available"):
            load_person_dataset(root, preload="cuda")


def test_missing_files_are_named(person, tmp_path):
    bad = tmp_path/"bad"
    shutil.copytree(person[0], bad)
    (bad/"torso_imgs"/"2.png").unlink()
    (bad/"ori_imgs"/"4.lms").unlink()
    with pytest.raises(InputError, match=r"missing 2 files: torso_imgs/2.png, ori_imgs/4.lms$"):
        load_person_dataset(bad)
    (bad/"aud_mel.npy").unlink(); (bad/"aud.wav").unlink()
    with pytest.raises(InputError, match=r"aud.wav \(or aud_mel.npy\)"):
        load_person_dataset(bad)
    with pytest.raises(InputError, match="aud_eo.npy .*nerf/asr.py"):
        load_person_dataset(bad, features="esperanto")


def test_features_cover_the_video_frames(tone):
    for n in (1, 7, 25):
        assert audio_features(np.tile(tone, 2)[: 640 * n]).shape == (n, 16, 80)
    assert {"mel", "deepspeech", "esperanto", "wav2vec", "hubert"} <= set(FEATURE_KINDS)


def test_parsing_colours_are_radnerfs():
    codes = np.array([[0, 1, 2, 3]])
    np.testing.assert_array_equal(parsing_rgb(codes)[0], [[255, 255, 255], [0, 0, 255], [0, 255, 0], [255, 0, 0]])
    np.testing.assert_array_equal(parsing_codes(parsing_rgb(codes)), codes)


def test_studio_person_command(tmp_path):
    out = tmp_path/"person"
    r = run_cli("studio", "person", "--out", out, "--seconds", "0.2", "--size", "32", "--seed", "4", "--clips", "us_f_mid_pie")
    assert r.returncode == 0, r.stderr
    tr, va = load_person_dataset(out, "train", preload="cpu"), load_person_dataset(out, "val")
    assert (len(tr), len(va)) == (4, 1) and tr.images.shape == (4, 32, 32, 3) and va.aud_features.shape == (5, 16, 80)
    r = run_cli("studio", "person", "--out", out, "--seconds", "0.2", "--size", "32")
    assert r.returncode == 2 and "exists and is not empty" in r.stderr
    r = run_cli("studio", "person", "--out", tmp_path/"p2", "--clips", "heldout_us_f_window")
    assert r.returncode == 2 and "is held out" in r.stderr
