#!/usr/bin/env bash
# One GPU call: retrain the StyleNeRF prior with the pose-conditioned discriminator (gpu_pose preset), check its relief
# (convex faces have a negative one) and train LipaintNet against it. Every job is bounded by `timeout`, so the results
# are packed into $OUT even when a job overruns. Usage (device tool, nothing to carry):
#   bash tools/device/prior_pose.sh PRIOR_MIN LIPAINT_MIN      (for example 6.5 1.5 inside a 10-minute call)
set -u
PRIOR_MIN=${1:-6.5}; LIP_MIN=${2:-1.5}; PRESET=${PRESET:-gpu_pose}; DEVICE=${DEVICE:-cuda}   # PRESET=smoke DEVICE=cpu: a dry run
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT" runs/lipaint_gpu_pose/export
export PYTHONUNBUFFERED=1 PYTHONPATH=$PWD TQDM_MININTERVAL=30
cp data/nerffacespeech/face_regressor.* runs/lipaint_gpu_pose/
timeout $(python3 -c "print(int(60 * ($PRIOR_MIN + 1.5)))") env OMP_NUM_THREADS=4 python3 -m talking_heads.nerffacespeech.prior \
    --preset "$PRESET" --out runs/prior_gpu_pose --device "$DEVICE" --workers 12 --minutes "$PRIOR_MIN" \
    --export runs/prior_gpu_pose/prior_tiny.safetensors > "$OUT/prior.log" 2>&1
DEVICE=$DEVICE python3 - > "$OUT/relief.txt" 2>&1 <<'PY'
import math, os, torch
from talking_heads.nerffacespeech.prior import load_prior, reprojection_error, sample_reliefs
from talking_heads.nerffacespeech.stylenerf import camera_pose
dev = os.environ.get("DEVICE", "cuda")
G = load_prior("runs/prior_gpu_pose/prior_tiny.safetensors", dev)
print("kimg", G.meta.get("kimg"), "relief (negative = convex):", [round(r, 3) for r in sample_reliefs(G, 16)])
ws = G.mapping(torch.randn(16, G.cfg.z_dim, generator=torch.Generator().manual_seed(0)).to(dev), 0.7)
bz = torch.randn(16, G.cfg.bg_z_dim, generator=torch.Generator().manual_seed(1)).to(dev)
cam = lambda y: camera_pose(torch.full((16,), y), torch.full((16,), math.pi / 2)).to(dev)
print("reprojection 0 -> +0.2:", float(reprojection_error(G, ws, cam(0.0), cam(0.2), bz).mean()))
PY
timeout $(python3 -c "print(int(60 * ($LIP_MIN + 1)))") env OMP_NUM_THREADS=4 python3 -m talking_heads.nerffacespeech.lipaintnet \
    --preset paper --prior runs/prior_gpu_pose/prior_tiny.safetensors --out runs/lipaint_gpu_pose --minutes "$LIP_MIN" \
    --device "$DEVICE" --export runs/lipaint_gpu_pose/export > "$OUT/lipaint.log" 2>&1
tar cf "$OUT/prior_gpu_pose.tar" --exclude=studio_set.npz runs/prior_gpu_pose
tar cf "$OUT/lipaint_gpu_pose.tar" runs/lipaint_gpu_pose/export runs/lipaint_gpu_pose/evaluation.json
ls -la "$OUT"; cat "$OUT/relief.txt"; tail -c 400 "$OUT/prior.log"; tail -c 300 "$OUT/lipaint.log"
