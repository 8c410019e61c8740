#!/usr/bin/env bash
# Second GPU call: frame rates on an otherwise idle GPU, the prior and MGGTalk resumed from the first call's checkpoints
# (carried under runs/), LipaintNet (paper preset) against the resulting prior, the CUDA test cells and gsplat parity,
# and the gsplat frame rate once training has finished. Usage: bash tools/device/batch2.sh PRIOR_MIN LIPAINT_MIN MGG_MIN
set -u
PRIOR_MIN=${1:-5.2}; LIP_MIN=${2:-2.0}; MGG_MIN=${3:-7.0}
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT" runs logs
export PYTHONUNBUFFERED=1 PYTHONPATH=$PWD TQDM_MININTERVAL=20
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/site .whl/*.whl > logs/pip.log 2>&1
nvidia-smi -L > logs/gpu.txt 2>&1
ls -la runs/* >> logs/gpu.txt

OMP_NUM_THREADS=2 python3 - > logs/bench_torch.json 2> logs/bench_torch.err <<'PY'
import json
from talking_heads.mggtalk.decoders import benchmark_renderer
from talking_heads.radnerf.inference import benchmark, load_workspace
res = {"mggtalk": [benchmark_renderer(size=s, frames=100, warmup=10, device="cuda") for s in (256, 512)]}
m = load_workspace("data/radnerf/studio_person", "cuda")
res["radnerf"] = [benchmark(m, n_frames=100, warmup=10, size=s) | {"size": s} for s in (128, 256, 512)]
print(json.dumps(res, indent=1, default=str))
PY

( OMP_NUM_THREADS=4 python3 -m talking_heads.nerffacespeech.prior --preset gpu --out runs/prior_gpu --device cuda --workers 10 \
      --minutes "$PRIOR_MIN" --export runs/prior_gpu/prior_tiny.safetensors > logs/prior.log 2>&1
  OMP_NUM_THREADS=4 python3 -m talking_heads.nerffacespeech.lipaintnet --preset paper --prior runs/prior_gpu/prior_tiny.safetensors \
      --out runs/lipaint_gpu --minutes "$LIP_MIN" --device cuda --export runs/lipaint_gpu/export > logs/lipaint.log 2>&1 ) &
P1=$!
OMP_NUM_THREADS=3 python3 -m talking_heads.mggtalk.training --preset gpu --out runs/mggtalk_gpu --device cuda \
    --minutes "$MGG_MIN" --export runs/mggtalk_gpu/mggtalk.safetensors > logs/mggtalk.log 2>&1 &
P2=$!

export PYTHONPATH=$PWD:/tmp/site
( export OMP_NUM_THREADS=2 TORCH_CUDA_ARCH_LIST=9.0 MAX_JOBS=6
  python3 -c "import gsplat.cuda._backend as b; print('gsplat extension:', b._C is not None)" > logs/gsplat_build.log 2>&1
  python3 tools/device/run_cells.py --flags cuda nbs/06_gaussians.ipynb nbs/05_encodings.ipynb nbs/15_speech_features.ipynb \
      nbs/radnerf/25_inference.ipynb > logs/cells_cuda.log 2>&1 ) &
P3=$!
wait $P1 $P2 $P3
OMP_NUM_THREADS=2 python3 - > logs/bench_gsplat.json 2> logs/bench_gsplat.err <<'PY'
import json
from talking_heads.mggtalk.decoders import benchmark_renderer
print(json.dumps([benchmark_renderer(size=s, frames=100, warmup=10, device="cuda") for s in (256, 512)], indent=1, default=str))
PY
tar cf "$OUT/prior_gpu.tar" --exclude=studio_set.npz logs runs/prior_gpu runs/lipaint_gpu
tar cf "$OUT/mggtalk_gpu.tar" runs/mggtalk_gpu
ls -la "$OUT"; for f in logs/*.log logs/*.err; do echo "== $f"; tail -c 600 "$f"; echo; done; cat logs/bench_*.json
