"""Run by torchrun from tests/test_distributed.py: train a tiny model, then save this rank's parameters.

Usage: torchrun --standalone --nproc_per_node=2 tests/ddp_worker.py DATA RUN_DIR DUMP_DIR
"""

import os
import sys

import torch

from lungseg.model.unet import ModelConfig
from lungseg.training.config import TrainConfig
from lungseg.training.loop import fit

if __name__ == "__main__":
    data, run_dir, dump = sys.argv[1:4]
    config = TrainConfig(
        data=data, output=run_dir, model=ModelConfig(base_channels=4, depth=2), image_size=32, epochs=2,
        batch_size=2, split_protocol="random", split_fractions=(0.7, 0.3, 0.0), calibrate_threshold=False,
    )  # fmt: skip
    model = fit(config)
    parameters = {name: p.detach().clone() for name, p in model.named_parameters()}
    torch.save(parameters, os.path.join(dump, f"rank{os.environ['RANK']}.pt"))
