"""Calibrate any checkpoint of a training run (e.g. its last.pt) on that run's validation films.

``lungseg train`` calibrates the threshold (and, for a lungs + heart model, the heart's) of ``best.pt`` only;
the shipped v4 weights are the run's last epoch, chosen over best.pt on validation
(``benchmarks/validation_choice.json``), so they are calibrated the same way with this script.

Usage: python benchmarks/calibrate_checkpoint.py --run runs/joint --checkpoint runs/joint/last.pt \
    --output runs/joint_last.pt
"""

from __future__ import annotations

import argparse
import logging
import shutil
from pathlib import Path

from lungseg.evaluation.calibrate import calibrate_checkpoint
from lungseg.training.loop import prepare_split, resume_config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--run", required=True, help="the training run folder (its config and split)")
    parser.add_argument("--checkpoint", required=True, help="a checkpoint of that run")
    parser.add_argument("--output", required=True, help="where the calibrated copy goes (the input is kept)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    config = resume_config(args.run)
    val = prepare_split(config, Path(args.run), write=False)[2]
    shutil.copyfile(args.checkpoint, args.output)
    print(calibrate_checkpoint(Path(args.output), val, "cpu"))


if __name__ == "__main__":
    main()
