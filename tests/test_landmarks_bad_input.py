"Landmark detection on bad input: clear errors or the documented behaviour (the library, not the notebook's namespace)."
import numpy as np
import pytest
import torch

skimage_data = pytest.importorskip("skimage.data")
pytest.importorskip("mediapipe")
import cv2

from talking_heads.core import InputError
from talking_heads.landmarks import (IBUG_MIRROR, detect_landmarks, detect_landmarks_478, detect_landmarks_video,
                                     hflip_landmarks, mediapipe_to_ibug, read_rgb_image)

ASTRONAUT = skimage_data.astronaut()


def test_no_face():
    with pytest.raises(InputError, match="^image: no face found"):
        detect_landmarks(skimage_data.coffee())


def test_tiny_face_and_tiny_image():
    tiny = cv2.resize(ASTRONAUT, (96, 96), interpolation=cv2.INTER_AREA)
    with pytest.raises(InputError, match=r"too small: \d+ pixels across, below min_face_size=40"):
        detect_landmarks(tiny)
    assert detect_landmarks(tiny, min_face_size=0).shape == (68, 2)
    with pytest.raises(InputError, match="is 24x20 pixels, too small"):
        detect_landmarks(ASTRONAUT[:20, :24])


def test_two_faces_largest_or_all():
    crop = ASTRONAUT[20:260, 100:340]
    two = np.zeros((240, 420, 3), np.uint8)
    two[:, :240] = crop
    two[30:210, 240:420] = cv2.resize(crop, (180, 180), interpolation=cv2.INTER_AREA)
    both = detect_landmarks(two, faces="all")
    assert both.shape == (2, 68, 2) and both[0, :, 0].mean() < 240 < both[1, :, 0].mean()
    np.testing.assert_allclose(detect_landmarks(two), both[0])
    with pytest.raises(InputError, match="faces: must be 'largest' or 'all'"):
        detect_landmarks(two, faces=2)


def test_gray_rgba_float_and_files(tmp_path):
    ref = detect_landmarks(ASTRONAUT)
    np.testing.assert_allclose(detect_landmarks(np.dstack([ASTRONAUT, ASTRONAUT[..., :1]])), ref, atol=1e-4)
    np.testing.assert_allclose(detect_landmarks(ASTRONAUT.astype(np.float32) / 255), ref, atol=1e-4)
    gray = cv2.cvtColor(ASTRONAUT, cv2.COLOR_RGB2GRAY)
    assert np.linalg.norm(detect_landmarks(gray[..., None]) - ref, axis=1).mean() < 3
    cv2.imwrite(str(tmp_path / "face.jpg"), ASTRONAUT[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 95])
    assert np.linalg.norm(detect_landmarks(tmp_path / "face.jpg") - ref, axis=1).mean() < 2
    (tmp_path / "clip.wav").write_bytes(b"RIFF\0\0\0\0WAVEfmt ")
    with pytest.raises(InputError, match="clip.wav: could not be read as an image"):
        detect_landmarks(tmp_path / "clip.wav")
    with pytest.raises(InputError, match="does not exist"):
        detect_landmarks(tmp_path / "nope.png")


@pytest.mark.parametrize("bad,message", [
    (ASTRONAUT.astype(np.float32), r"float values must lie in \[0, 1\]"),
    (np.full((64, 64, 3), np.nan), "NaN"),
    (np.zeros((2, 64, 64, 3), np.uint8), "detect_landmarks_video"),
    (np.zeros((64, 64, 5), np.uint8), "got shape"),
    (np.zeros((64, 0, 3), np.uint8), "is empty"),
    (np.full((64, 64), -1), "0..255"),
])
def test_bad_arrays(bad, message):
    with pytest.raises(InputError, match=message):
        detect_landmarks(bad)


def test_video_bad_input():
    blank = np.zeros((3, 64, 64, 3), np.uint8)
    with pytest.raises(InputError, match="no face found in any of its 3 frames"):
        detect_landmarks_video(blank)
    with pytest.raises(InputError, match="contains no frames"):
        detect_landmarks_video(np.zeros((0, 64, 64, 3), np.uint8))
    with pytest.raises(InputError, match="looks like one image"):
        detect_landmarks_video(ASTRONAUT)
    frames = np.stack([ASTRONAUT, ASTRONAUT * 0, ASTRONAUT])
    lm, found = detect_landmarks_video(frames)
    assert found.tolist() == [True, False, True] and np.isnan(lm[1]).all()
    with pytest.raises(InputError, match="no face found in 1 of 3 frames: 1"):
        detect_landmarks_video(frames, require_all=True)
    with pytest.raises(InputError, match="frames frame 0: float values"):
        detect_landmarks_video(frames.astype(np.float32))


def test_torch_inputs_and_shapes():
    lm478 = torch.from_numpy(detect_landmarks_478(ASTRONAUT))
    lm68 = mediapipe_to_ibug(lm478[:, :2])
    assert isinstance(lm68, torch.Tensor) and lm68.shape == (68, 2)
    flipped = hflip_landmarks(lm68, 512)
    assert isinstance(flipped, torch.Tensor) and torch.allclose(flipped[IBUG_MIRROR[36], 0], 512 - lm68[36, 0])
    with pytest.raises(InputError, match="lm68: expected"):
        hflip_landmarks(lm478, 512)
    assert read_rgb_image(torch.zeros(3, 8, 8)).shape == (8, 8, 3)
