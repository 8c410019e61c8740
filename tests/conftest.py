import os, subprocess, sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def run_cli(*args, cwd=None, timeout=600):
    "Run the installed `talking-heads` console script; returns the CompletedProcess."
    exe = BIN / "talking-heads"
    return subprocess.run([str(exe), *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=timeout,
                          env={**os.environ, "MPLBACKEND": "Agg"})


@pytest.fixture
def tone():
    "One second of a 440 Hz tone at 16 kHz, amplitude 0.5."
    t = np.arange(16000) / 16000
    return (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)


def ffmpeg(*args):
    from talking_heads.audio import ffmpeg_exe
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", *map(str, args)], check=True)
