#!/usr/bin/env bash
# Creates (or refreshes) the project's virtual environment in .venv:
#   1. Debian packages the library calls at run time (espeak-ng and its shared library), when missing,
#      and, for the widget test only, Debian's chromium and chromedriver (that test skips without them);
#   2. PyTorch 2.13.0 (the CPU build when no CUDA GPU is present);
#   3. this package in editable mode with its development extras (nbdev, pytest, librosa);
#   4. mediapipe 0.10.21 without its declared dependencies (face landmarks on real images).
# The Makefile runs it only when .venv is missing or older than settings.ini, setup.py or this file.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
log() { printf '[setup] %s\n' "$*"; }

need=()
command -v espeak-ng >/dev/null 2>&1 || need+=(espeak-ng)
if ! { ldconfig -p 2>/dev/null || true; } | grep -q 'libespeak-ng\.so'; then need+=(libespeak-ng1); fi
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  log "installing Debian packages: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null 2>&1 \
    || { $SUDO apt-get update -q >/dev/null && $SUDO apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null; }
fi

# optional: the ray-deformation widget test drives a real JupyterLab in headless chromium (skipped without it)
if ! command -v chromedriver >/dev/null 2>&1 && [ -z "${TALKING_HEADS_NO_BROWSER:-}" ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  log "installing Debian packages for the widget test: chromium chromium-driver"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get install -y -q --no-install-recommends chromium chromium-driver >/dev/null 2>&1 \
    || { $SUDO apt-get update -q >/dev/null 2>&1 && $SUDO apt-get install -y -q --no-install-recommends chromium chromium-driver >/dev/null 2>&1; } \
    || log "chromium could not be installed: the widget test will be skipped"
fi

if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import sys' >/dev/null 2>&1; then
  log "creating .venv with $($PY --version 2>&1)"
  rm -rf .venv
  $PY -m venv .venv
fi
PIP=".venv/bin/python -m pip"
export PIP_DISABLE_PIP_VERSION_CHECK=1
if ! .venv/bin/python -c 'import torch, sys; sys.exit(torch.__version__.split("+")[0] != "2.13.0")' >/dev/null 2>&1; then
  if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
    log "CUDA GPU found: installing torch 2.13.0 (CUDA build)"
  else
    log "no CUDA GPU: installing torch 2.13.0 (CPU build)"
  fi
  $PIP install -q torch==2.13.0 2>&1 | { grep -v "is ignored: it is neither" || true; }
fi
log "installing talking-heads (editable) with its development extras"
$PIP install -q -e ".[dev]" 2>&1 | { grep -v "is ignored: it is neither" || true; }
# mediapipe 0.10.21 is the last release whose wheel ships its face models; its declared pins
# (numpy<2, jax, opencv-contrib, sounddevice) are not needed for face detection and landmarks, so it is
# installed without them (absl-py, flatbuffers, protobuf<5 and opencv-python-headless come from settings.ini).
if ! .venv/bin/python -c 'import importlib.metadata as m, sys; sys.exit(m.version("mediapipe") != "0.10.21")' >/dev/null 2>&1; then
  log "installing mediapipe 0.10.21 (without its declared dependencies)"
  $PIP install -q --no-deps mediapipe==0.10.21 2>&1 | { grep -v "is ignored: it is neither" || true; }
fi
log "done: $(.venv/bin/python -c 'import torch; print("torch", torch.__version__, "cuda" if torch.cuda.is_available() else "cpu")')"
