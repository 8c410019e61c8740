"mp4 writing with audio, reading back, bad input."
import numpy as np
import pytest

from talking_heads.audio import load_audio, write_wav
from talking_heads.core import InputError
from talking_heads.video import read_video, video_info, write_video


@pytest.mark.parametrize("fps,n,audio_s", [(25, 30, 3.0), (30, 45, 1.0), (24, 24, 1.0)])
def test_audio_and_video_durations_agree(tmp_path, fps, n, audio_s):
    frames = [np.full((48, 64, 3), (i * 5) % 255, np.uint8) for i in range(n)]
    t = np.arange(int(audio_s * 16000)) / 16000
    path = write_video(tmp_path / "o.mp4", frames, fps=fps, audio=0.3 * np.sin(2 * np.pi * 300 * t))
    info = video_info(path)
    assert info.fps == fps and info.has_audio
    video_s = len(read_video(path)[0]) / fps
    assert video_s == n / fps
    assert abs(len(load_audio(path, allow_silent=True)) / 16000 - video_s) < 1 / fps


def test_failed_write_leaves_nothing(tmp_path):
    def frames():
        yield np.zeros((8, 8, 3), np.uint8)
        raise RuntimeError("renderer crashed")
    with pytest.raises(RuntimeError): write_video(tmp_path / "x.mp4", frames())
    assert list(tmp_path.iterdir()) == []


def test_bad_audio_for_video(tmp_path):
    write_wav(tmp_path / "silent.wav", np.zeros(16000))
    with pytest.raises(InputError, match="is silent"):
        write_video(tmp_path / "y.mp4", [np.zeros((8, 8, 3), np.uint8)], audio=tmp_path / "silent.wav")
