"MGGTalk's pipeline end to end: real and studio photos to an mp4 with sound, driven by audio or by a video with faceless frames, the command's parser, and bad input."
import argparse

import numpy as np
import pytest
import torch

from talking_heads import studio
from talking_heads.audio import load_audio
from talking_heads.core import InputError, data_dir
from talking_heads.mggtalk.geometry import GeometryEstimate
from talking_heads.mggtalk.pipeline import MGGPreset, add_parser, animate, prepare_source
from talking_heads.video import read_video, video_info, write_video

CLIP = data_dir() / "audio" / "gb_m_mid_fox.wav"


def _studio_photo(yaw: float = 0.0, seed: int = 3, size: int = 256, beta=None) -> np.ndarray:
    subj = studio.random_subject(seed)
    out = studio.render(subj, studio.source_expression(subj) if beta is None else beta, camera=studio.studio_camera(size, "face", yaw_deg=yaw))
    return (out["rgb"].numpy() * 255).round().astype(np.uint8)


def test_real_photo_with_audio_to_mp4(tmp_path):
    from skimage.data import astronaut
    wav = load_audio(CLIP)[:12000]                                           # 0.75 s
    st = animate(astronaut(), tmp_path / "a.mp4", audio=wav, yaw=20.0, preset="smoke", weights="random", device="cpu", progress=False)
    frames, fps = read_video(tmp_path / "a.mp4")
    assert st["frames"] == len(frames) and 18 <= len(frames) <= 19 and fps == 25 and frames.shape[1:] == (32, 32, 3)
    assert video_info(tmp_path / "a.mp4").has_audio
    sound = load_audio(tmp_path / "a.mp4", allow_silent=True)
    assert abs(len(sound) - len(wav)) < 1600                                  # the audio track is the speech
    assert st["decoders"] == "random (untrained)" and st["mirrored_points"] >= 0 and st["points"] > 100
    assert frames.std() > 5                                                   # not a blank video


def test_driving_video_with_faceless_frames(tmp_path):
    subj = studio.random_subject(11)
    cam = studio.studio_camera(192, "face")
    rng = np.random.default_rng(0)
    frames = [(studio.render(subj, studio.random_expression(rng), camera=cam)["rgb"].numpy() * 255).astype(np.uint8) for _ in range(5)]
    frames[2] = np.full_like(frames[2], 128)                                  # a frame without a face
    write_video(tmp_path / "drive.mp4", frames, 25, audio=load_audio(CLIP)[:3200])
    st = animate(_studio_photo(15.0), tmp_path / "o.mp4", driving_video=tmp_path / "drive.mp4", preset="smoke", weights="random",
                 device="cpu", progress=False)
    assert st["frames"] == 5 and 2 in st["faceless_frames_filled"] and st["audio"]
    assert len(read_video(tmp_path / "o.mp4")[0]) == 5
    blank = [np.full((192, 192, 3), 128, np.uint8)] * 3
    write_video(tmp_path / "none.mp4", blank, 25)
    with pytest.raises(InputError, match="no face"):
        animate(_studio_photo(), tmp_path / "o2.mp4", driving_video=tmp_path / "none.mp4", preset="smoke", weights="random", progress=False)


def test_photo_without_a_face(tmp_path):
    with pytest.raises(InputError, match="face"):
        animate(np.full((256, 256, 3), 200, np.uint8), tmp_path / "o.mp4", audio=CLIP, preset="smoke", weights="random", progress=False)


def test_far_turned_face_is_refused(tmp_path):
    with pytest.raises(InputError, match="face|turned"):
        animate(_studio_photo(80.0), tmp_path / "o.mp4", audio=CLIP, preset="smoke", weights="random", progress=False)


class _EmptyEstimator:
    def __call__(self, image):
        H, W = image.shape[:2]
        return GeometryEstimate(torch.full((H, W), float("nan")), torch.zeros(H, W, 3), torch.zeros(H, W, dtype=torch.bool))


class _NaNEstimator:
    def __call__(self, image):
        H, W = image.shape[:2]
        n = torch.zeros(H, W, 3); n[..., 2] = -1
        m = torch.zeros(H, W, dtype=torch.bool); m[8:24, 8:24] = True
        return GeometryEstimate(torch.full((H, W), float("nan")), n, m)


def test_empty_point_cloud(tmp_path):
    p = MGGPreset.preset("smoke", refine=False)
    with pytest.raises(InputError, match="no head surface"):
        prepare_source(_studio_photo(), p, _EmptyEstimator())
    with pytest.raises(InputError):                                           # a surface that gives no finite point
        prepare_source(_studio_photo(), p, _NaNEstimator())


def test_missing_weights_and_bad_arguments(tmp_path):
    with pytest.raises(InputError, match="missing.safetensors.*mggtalk.training"):
        animate(_studio_photo(), tmp_path / "o.mp4", audio=CLIP, preset="smoke", weights=tmp_path / "missing.safetensors", progress=False)
    with pytest.raises(InputError, match="exactly one"):
        animate(_studio_photo(), tmp_path / "o.mp4", preset="smoke", weights="random")
    with pytest.raises(InputError, match="mp4"):
        animate(_studio_photo(), tmp_path / "o.avi", audio=CLIP, preset="smoke", weights="random")
    with pytest.raises(InputError, match="yaw"):
        animate(_studio_photo(), tmp_path / "o.mp4", audio=CLIP, yaw=120, preset="smoke", weights="random")


def test_command(tmp_path, capsys):
    import json
    from PIL import Image
    ap = argparse.ArgumentParser()
    add_parser(ap.add_subparsers())
    a = ap.parse_args(["mggtalk", "--image", "i.png", "--driving-video", "v.mp4", "--out", "o.mp4", "--weights", "random", "--device", "cpu"])
    assert (a.driving_video, a.audio, a.weights, a.device, a.yaw) == ("v.mp4", None, "random", "cpu", 0.0) and callable(a.func)
    Image.fromarray(_studio_photo(10.0)).save(tmp_path / "i.png")
    a = ap.parse_args(["mggtalk", "--image", str(tmp_path / "i.png"), "--audio", str(CLIP), "--out", str(tmp_path / "o.mp4"),
                       "--yaw", "-30", "--preset", "smoke", "--weights", "random", "--device", "cpu", "--quiet"])
    assert a.func(a) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["yaw"] == -30 and stats["audio"] and stats["frames"] == len(read_video(tmp_path / "o.mp4")[0]) > 25
