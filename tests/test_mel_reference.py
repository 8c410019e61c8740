"The mel spectrogram of every shipped clip against an independent implementation of Wav2Lip's formulas."
import numpy as np
import pytest
import scipy.signal

from talking_heads.audio import mel_windows, melspectrogram, n_video_frames, speech_clips

librosa = pytest.importorskip("librosa")


def wav2lip_mel_librosa(x):
    "Wav2Lip's audio.melspectrogram, written with librosa/scipy as its hparams define it."
    y = scipy.signal.lfilter([1, -0.97], [1], x)
    D = librosa.stft(y=y, n_fft=800, hop_length=200, win_length=800, window="hann", center=True, pad_mode="reflect")
    mel_basis = librosa.filters.mel(sr=16000, n_fft=800, n_mels=80, fmin=55, fmax=7600)
    S = 20 * np.log10(np.maximum(1e-5, mel_basis @ np.abs(D))) - 20
    return np.clip((2 * 4.0) * ((S + 100) / 100) - 4.0, -4.0, 4.0)


@pytest.mark.parametrize("clip", speech_clips(), ids=lambda c: c.name)
def test_shipped_clip_matches_reference(clip):
    wav = clip.load()
    ours = melspectrogram(wav)
    ref = wav2lip_mel_librosa(wav.astype(np.float64))
    assert ours.shape == ref.shape == (80, 1 + len(wav) // 200)
    assert np.abs(ours - ref).max() < 1e-4
    # streaming from the file in small blocks gives the same numbers
    assert np.abs(melspectrogram(clip.wav, block_samples=3333) - ours).max() < 1e-6


def test_mel_windows_sadtalker_slicing():
    wav = speech_clips()[0].load()
    mel = melspectrogram(wav)
    n = n_video_frames(len(wav))
    win = mel_windows(mel, n)
    for i in (0, 1, 2, 7, n - 1):
        start = int(80. * ((i - 2) / 25.0))
        idx = [min(max(k, 0), mel.shape[1] - 1) for k in range(start, start + 16)]
        np.testing.assert_array_equal(win[i], mel[:, idx])
