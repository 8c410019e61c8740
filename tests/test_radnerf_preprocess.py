"RAD-NeRF preprocessing of videos, from the installed library: studio truth, other frame rates and sizes, frames without a face, short audio, missing files, BiSeNet weights."
import json
import shutil
import warnings

import numpy as np
import pytest
import torch

from talking_heads.audio import write_wav
from talking_heads.core import InputError
from talking_heads.person_data import load_person_dataset, read_image
from talking_heads.radnerf.preprocess import BiSeNet, STEPS, preprocess_video, read_stamps, resample_indices, studio_video
from talking_heads.video import write_video


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    "A 1.2 s studio clip at 25 fps, 128x128, preprocessed once."
    d = tmp_path_factory.mktemp("clip")
    truth = studio_video(d/"clip.mp4", seconds=1.2, size=128, seed=1)
    root = preprocess_video(d/"clip.mp4", d/"person", progress=False)
    return d, truth, root


def test_studio_truth(clip):
    d, truth, root = clip
    tr, va = load_person_dataset(root, "train"), load_person_dataset(root, "val")
    assert (len(tr), len(va)) == (27, 3)                                  # int(30 * 10 / 11) = 27
    assert tr.img_ids.tolist() == list(range(27)) and tr.height == tr.width == 128
    torch.testing.assert_close(tr.intrinsics[2:], torch.tensor([64.0, 64.0]))
    Rf, Rg = tr.poses[:, :3, :3].double(), truth["poses"][:27, :3, :3].double()
    from talking_heads.geometry import mean_rotation, rotation_angle
    D = mean_rotation(Rg @ Rf.transpose(-1, -2))
    assert torch.rad2deg(rotation_angle(D @ Rf, Rg)).mean() < 2.0          # poses agree up to one rotation of the head frame
    head = tr.parsing_map(0).numpy() == 1
    assert (head & (truth["codes"][0] == 1)).sum() / (head | (truth["codes"][0] == 1)).sum() > 0.85
    item = tr[5]
    assert item["aud"].shape == (16, 80) and item["torso"].shape == (128, 128, 4)
    assert np.abs(tr.background.numpy().astype(float) - truth["background"]).mean() < 8


def test_rerun_skips_and_missing_files_are_remade(clip, tmp_path):
    d, _, root = clip
    root = shutil.copytree(root, tmp_path/"p")
    before = read_stamps(root)
    preprocess_video(d/"clip.mp4", root, progress=False)
    assert read_stamps(root) == before
    (root/"gt_imgs"/"3.jpg").unlink()
    with pytest.raises(InputError, match=r"gt_imgs/3\.jpg"):
        load_person_dataset(root)
    preprocess_video(d/"clip.mp4", root, progress=False)
    after = read_stamps(root)
    assert [s for s in STEPS if after[s]["finished"] != before[s]["finished"] or after[s]["seconds"] != before[s]["seconds"]] \
        == ["torso", "tracking", "transforms"]
    assert len(load_person_dataset(root)) == 27


def test_other_frame_rate_and_size(tmp_path):
    truth = studio_video(tmp_path/"s.mp4", seconds=1.2, size=160, fps=30.0, seed=2)     # 36 frames at 30 fps
    frames = truth["frames"][:, 20:140]                                                 # 120 x 160, not square
    from talking_heads.audio import load_audio
    write_video(tmp_path/"wide.mp4", frames, fps=30.0, audio=load_audio(tmp_path/"s.mp4"))
    root = preprocess_video(tmp_path/"wide.mp4", tmp_path/"p", progress=False)
    t = json.loads((root/"transforms_train.json").read_text())
    assert (t["h"], t["w"], t["cx"], t["cy"]) == (120, 160, 80.0, 60.0)
    n = len(list((root/"ori_imgs").glob("*.jpg")))
    assert n == len(resample_indices(36, 30.0)) == 30
    src = resample_indices(36, 30.0)
    for k in (2, 3, 17):                                                 # each 25 fps frame is its nearest 30 fps frame
        img = read_image(root/"ori_imgs"/f"{k}.jpg").astype(float)
        err = [np.abs(img - f).mean() for f in frames.astype(float)]
        assert int(np.argmin(err)) == src[k]
    assert len(load_person_dataset(root, "trainval")) == 30
    sq = preprocess_video(tmp_path/"wide.mp4", tmp_path/"sq", size=96, steps=["frames"], progress=False)
    assert read_image(sq/"ori_imgs"/"0.jpg").shape == (96, 96, 3)


def test_frames_without_a_face(tmp_path):
    studio_video(tmp_path/"gaps.mp4", seconds=1.6, size=128, seed=1, blank=[10, 11] + list(range(25, 35)))
    with pytest.raises(InputError, match=r"landmarks: no face in frames 25-34 \(of 40\)"):
        preprocess_video(tmp_path/"gaps.mp4", tmp_path/"err", no_face="error", progress=False)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        root = preprocess_video(tmp_path/"gaps.mp4", tmp_path/"drop", progress=False)
    assert any("25-34" in str(x.message) for x in w)
    st = read_stamps(root)
    assert st["landmarks"]["result"]["dropped"] == list(range(25, 35))
    assert set(st["landmarks"]["result"]["interpolated"]) == {10, 11}
    assert st["parsing"]["result"]["dropped"] == [10, 11]              # interpolated, but no one there: left out
    ids = load_person_dataset(root, "trainval").img_ids.tolist()
    assert ids == [i for i in range(40) if i not in (10, 11, *range(25, 35))]


def test_no_face_at_all(tmp_path):
    write_video(tmp_path/"empty.mp4", np.full((10, 64, 64, 3), 90, np.uint8), audio=np.random.default_rng(0).normal(0, 0.1, 8000))
    with pytest.raises(InputError, match="landmarks: .*no face found in any"):
        preprocess_video(tmp_path/"empty.mp4", tmp_path/"p", progress=False)


def test_audio_problems(clip, tmp_path):
    d = clip[0]
    write_wav(tmp_path/"short.wav", 0.3 * np.sin(np.arange(320) / 5.0))         # 0.02 s
    with pytest.raises(InputError, match="audio: .*shorter than one video frame"):
        preprocess_video(d/"clip.mp4", tmp_path/"a", audio=tmp_path/"short.wav", progress=False)
    write_video(tmp_path/"mute.mp4", np.full((5, 32, 32, 3), 90, np.uint8))
    with pytest.raises(InputError, match="has no audio track"):
        preprocess_video(tmp_path/"mute.mp4", tmp_path/"b", progress=False)
    write_wav(tmp_path/"half.wav", 0.3 * np.sin(np.arange(16000 * 8 // 25) / 5.0))   # 8 frames of audio for 30 of video
    with pytest.warns(UserWarning, match="frames 8-29 are left out"):
        root = preprocess_video(d/"clip.mp4", tmp_path/"c", audio=tmp_path/"half.wav", steps=["frames", "audio"], progress=False)
    assert read_stamps(root)["audio"]["result"]["frames"] == 8


def test_steps_and_options(clip, tmp_path):
    d = clip[0]
    with pytest.raises(InputError, match="step 'frames' must run first"):
        preprocess_video(d/"clip.mp4", tmp_path/"p", steps=["audio"], progress=False)
    root = preprocess_video(d/"clip.mp4", tmp_path/"p", steps="frames", progress=False)
    assert set(read_stamps(root)) == {"frames"}
    first = read_stamps(root)["frames"]["finished"], read_stamps(root)["frames"]["seconds"]
    preprocess_video(d/"clip.mp4", root, steps=["frames", "audio"], force=True, progress=False)
    st = read_stamps(root)
    assert set(st) == {"frames", "audio"} and (st["frames"]["finished"], st["frames"]["seconds"]) != first
    for kw, msg in ((dict(fps=30), "25 fps"), (dict(parsing="face"), "parsing="), (dict(val_frames=0), "val_frames"),
                    (dict(no_face="skip"), "no_face"), (dict(fit_preset="huge"), "fit_preset"), (dict(focal=-1.0), "focal"),
                    (dict(max_gap=-1), "max_gap"), (dict(size=8), "size=8"), (dict(steps=["torso", "nope"]), "unknown step"),
                    (dict(features="hubert", steps=["frames", "audio", "features"]), "aud_hu.npy")):
        with pytest.raises(InputError, match=msg):
            preprocess_video(d/"clip.mp4", tmp_path/"q", progress=False, **kw)


def test_bisenet_weights(tmp_path):
    d = tmp_path
    studio_video(d/"clip.mp4", seconds=0.08, size=128, seed=1)           # 2 frames: BiSeNet runs at 512x512
    with pytest.raises(InputError, match="missing.pth.*parsing='landmarks'"):
        preprocess_video(d/"clip.mp4", tmp_path/"p", parsing="bisenet", bisenet_weights=tmp_path/"missing.pth", progress=False)
    torch.manual_seed(0)
    net = BiSeNet()
    sd = net.state_dict()
    sd["conv_out.conv_out.weight"].zero_()
    sd["conv_out.conv_out.weight"][17] = 1.0                              # 'hair' wherever the fused features are non-zero
    torch.save(sd, tmp_path/"79999_iter.pth")
    root = preprocess_video(d/"clip.mp4", tmp_path/"p", bisenet_weights=tmp_path/"79999_iter.pth",   # parsing="auto" picks it
                            steps=["frames", "audio", "features", "landmarks", "parsing"], progress=False)
    st = read_stamps(root)["parsing"]
    assert st["result"]["mode"] == "bisenet" and st["result"]["kept"] == [0, 1]
    assert (read_image(root/"parsing"/"0.png") == [0, 0, 255]).all(-1).mean() > 0.9    # head is blue
    torch.save({"net": BiSeNet}, tmp_path/"code.pth")                     # a pickled class: refused by weights_only
    with pytest.raises(InputError, match="weights_only"):
        preprocess_video(d/"clip.mp4", tmp_path/"q", parsing="bisenet", bisenet_weights=tmp_path/"code.pth", progress=False)
