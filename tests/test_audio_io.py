"Audio decoding: every format, conversions, and bad input (DESIGN section 8)."
import numpy as np
import pytest

from conftest import ffmpeg
from talking_heads.audio import load_audio, melspectrogram, write_wav
from talking_heads.core import InputError


@pytest.mark.parametrize("ext,codec", [(".wav", "pcm_s16le"), (".flac", "flac"), (".ogg", "libvorbis"),
                                       (".mp3", "libmp3lame"), (".m4a", "aac"), (".mp4", "aac")])
def test_formats_decode_to_16k_mono(tmp_path, tone, ext, codec):
    src = write_wav(tmp_path / "src.wav", tone)
    dst = tmp_path / f"clip{ext}"
    extra = ["-f", "lavfi", "-i", "color=c=black:s=32x32:d=1", "-shortest", "-c:v", "libx264"] if ext == ".mp4" else []
    try: ffmpeg("-i", src, *extra, "-c:a", codec, "-ar", "44100", "-ac", "2", dst)
    except Exception as e: pytest.skip(f"this ffmpeg build cannot encode {codec}: {e}")
    wav = load_audio(dst)
    assert wav.dtype == np.float32 and wav.ndim == 1
    assert abs(len(wav) - 16000) < 0.08 * 16000          # lossy codecs add a little padding
    n = min(len(wav), 16000) - 2000                      # the tone survives: high correlation after alignment
    lag = int(np.argmax(np.correlate(wav[1000:1000 + 2000], tone[1000:1000 + 800], "valid")))
    a, b = wav[1000 + lag:1000 + lag + n // 2], tone[1000:1000 + n // 2]
    assert np.corrcoef(a, b)[0, 1] > 0.95


def test_resample_and_downmix(tmp_path):
    dst = tmp_path / "stereo48k.wav"
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=48000:duration=2", "-ac", "2", dst)
    wav = load_audio(dst)
    assert len(wav) == 32000
    spec = np.abs(np.fft.rfft(wav))
    assert abs(np.argmax(spec) * 16000 / len(wav) - 1000) < 2


@pytest.mark.parametrize("name", ["with space.wav", "non-ascii é ü 音.wav"])
def test_unusual_paths(tmp_path, tone, name):
    write_wav(tmp_path / name, tone)
    assert len(load_audio(tmp_path / name)) == 16000
    assert melspectrogram(tmp_path / name).shape == (80, 81)


def test_bad_input_messages(tmp_path, tone):
    cases = {}
    cases["missing"] = (tmp_path / "missing.wav", "does not exist")
    (tmp_path / "empty.wav").write_bytes(b""); cases["empty"] = (tmp_path / "empty.wav", "is empty")
    (tmp_path / "corrupt.flac").write_bytes(b"fLaC" + bytes(range(256)) * 20); cases["corrupt"] = (tmp_path / "corrupt.flac", "could not be decoded")
    (tmp_path / "a.xyz").write_bytes(b"1234"); cases["unsupported"] = (tmp_path / "a.xyz", "unsupported audio format")
    write_wav(tmp_path / "zero.wav", np.zeros(0)); cases["zero-length"] = (tmp_path / "zero.wav", "zero-length")
    write_wav(tmp_path / "silent.wav", np.zeros(16000)); cases["silent"] = (tmp_path / "silent.wav", "is silent")
    ffmpeg("-f", "lavfi", "-i", "color=c=red:s=32x32:d=1", "-c:v", "libx264", tmp_path / "video_only.mp4")
    cases["no audio stream"] = (tmp_path / "video_only.mp4", "no audio stream")
    (tmp_path / "dir.wav").mkdir(); cases["directory"] = (tmp_path / "dir.wav", "is a directory")
    for what, (path, msg) in cases.items():
        with pytest.raises(InputError) as e: load_audio(path)
        assert msg in str(e.value), (what, str(e.value))
        assert str(path) in str(e.value), (what, str(e.value))
