#!/usr/bin/env bash
# One call on a lent GPU machine: train the NeRFFaceSpeech prior and MGGTalk's networks (gpu presets) side by side, while the
# CUDA test cells, the gsplat-vs-PyTorch parity check and the frame-rate benchmarks run. Results come back as two tar files.
# Usage (device tool, carrying .whl with gsplat and fastcore wheels): bash tools/device/batch1.sh PRIOR_MIN MGG_MIN
set -u
PRIOR_MIN=${1:-7}; MGG_MIN=${2:-7.3}
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT" runs logs
export PYTHONUNBUFFERED=1 PYTHONPATH=$PWD TQDM_MININTERVAL=20
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/site .whl/*.whl > logs/pip.log 2>&1
nvidia-smi -L > logs/gpu.txt 2>&1; python3 -c "import torch; print(torch.__version__, torch.cuda.get_device_name())" >> logs/gpu.txt 2>&1
for f in runs/prior_gpu/checkpoint.safetensors runs/mggtalk_gpu/last.safetensors; do [ -f "$f" ] && echo "resuming $f" >> logs/gpu.txt; done

OMP_NUM_THREADS=4 python3 -m talking_heads.nerffacespeech.prior --preset gpu --out runs/prior_gpu --device cuda --workers 10 \
    --minutes "$PRIOR_MIN" --export runs/prior_gpu/prior_tiny.safetensors > logs/prior.log 2>&1 &
OMP_NUM_THREADS=3 python3 -m talking_heads.mggtalk.training --preset gpu --out runs/mggtalk_gpu --device cuda \
    --minutes "$MGG_MIN" --export runs/mggtalk_gpu/mggtalk.safetensors > logs/mggtalk.log 2>&1 &

(
  export OMP_NUM_THREADS=2 TORCH_CUDA_ARCH_LIST=9.0 MAX_JOBS=6
  # frame rates with the PyTorch twins first (gsplat not importable), then everything with gsplat
  python3 - > logs/bench_torch.json 2> logs/bench_torch.err <<'PY'
import json, torch
from talking_heads.mggtalk.decoders import benchmark_renderer
from talking_heads.radnerf.inference import benchmark, load_workspace
res = {"mggtalk": [benchmark_renderer(size=s, frames=50, warmup=10, device="cuda") for s in (256, 512)]}
m = load_workspace("data/radnerf/studio_person", "cuda")
res["radnerf"] = [benchmark(m, n_frames=50, warmup=5, size=s) | {"size": s} for s in (128, 512)]
print(json.dumps(res, indent=1, default=str))
PY
  export PYTHONPATH=$PWD:/tmp/site
  python3 tools/device/run_cells.py --flags cuda nbs/06_gaussians.ipynb > logs/cells_gsplat.log 2>&1
  python3 - > logs/bench_gsplat.json 2> logs/bench_gsplat.err <<'PY'
import json
from talking_heads.mggtalk.decoders import benchmark_renderer
print(json.dumps([benchmark_renderer(size=s, frames=100, warmup=10, device="cuda") for s in (256, 512)], indent=1, default=str))
PY
  python3 tools/device/run_cells.py --flags cuda nbs/05_encodings.ipynb nbs/15_speech_features.ipynb nbs/radnerf/25_inference.ipynb \
      nbs/mggtalk/44_decoders.ipynb > logs/cells_cuda.log 2>&1
) &
wait
nvidia-smi --query-gpu=name,memory.used,memory.total --format=csv >> logs/gpu.txt 2>&1
tar cf "$OUT/prior_gpu.tar" --exclude=studio_set.npz logs runs/prior_gpu
tar cf "$OUT/mggtalk_gpu.tar" runs/mggtalk_gpu
ls -la "$OUT"; tail -3 logs/*.log logs/*.err; cat logs/bench_*.json logs/gpu.txt
