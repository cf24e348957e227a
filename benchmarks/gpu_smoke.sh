#!/bin/bash
# CUDA paths CI cannot run, for a session lent a GPU (device tool): training launched by torchrun on CUDA, then
# segmenting on CUDA with its checkpoint. One process: NCCL across ranks and SyncBatchNorm need two GPUs.
# Usage there: OUT=/some/folder bash benchmarks/gpu_smoke.sh
export PYTHONPATH=src:. PYTHONUNBUFFERED=1
python3 -c "
from pathlib import Path
from tests.conftest import write_kaggle_tree
write_kaggle_tree(Path('/tmp/tree'), n_shenzhen=12, n_montgomery=8, size=64)"
timeout 120 torchrun --nproc_per_node=1 -m lungseg train --data /tmp/tree --epochs 2 --image-size 64 --batch-size 4 --device cuda --workers 2 --output /tmp/run > $OUT/train.log 2>&1; echo "train rc $?"
tail -5 $OUT/train.log
timeout 60 python3 -m lungseg segment /tmp/tree/CXR_png -o /tmp/seg --model /tmp/run/best.pt --device cuda --no-heart > $OUT/segment.log 2>&1; echo "segment rc $?"
tail -3 $OUT/segment.log; ls /tmp/seg | head -5
