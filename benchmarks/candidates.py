"""Model candidates for the shipped default: working size, width, padding, measured, not guessed.

Each candidate trains with the same recipe and budget on the original protocol (train on Shenzhen,
select on the Montgomery validation half) and is scored on the Montgomery test half at threshold 0.5
without post-processing, like the ablation, plus the CPU time of one forward pass. Resumable like
ablation.py (it reuses its runner):

    nohup python benchmarks/candidates.py > runs/candidates.log 2>&1 &

The 384 px candidate costs 2.3x the training time of 256 px; it was measured at the full budget on the
combined protocol instead (the shipped model's recipe at 384 px, benchmarks/accuracy.md).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

import torch
from ablation import run_variant  # benchmarks/ is on sys.path when this script runs
from inference_speed import median_ms

from lungseg.inference.predict import autocast, predict_logits
from lungseg.model.unet import UNet, count_parameters
from lungseg.training.augment import PRESETS
from lungseg.training.config import TrainConfig

# name -> (image size, base channels, depth, padding). Width 16 at depth 5 has 7.8 M parameters (15.6 MB
# in fp16, over the 10 MB budget), so depth 5 runs at width 12: the same size as width 24 at depth 4.
CANDIDATES = {
    "s256-w16-same": (256, 16, 4, "same"),
    "s256-w16-valid": (256, 16, 4, "valid"),
    "s256-w24-same": (256, 24, 4, "same"),
    "s256-w12-depth5": (256, 12, 5, "same"),
}


def forward_ms(size: int, base: int, depth: int, padding: str) -> float:
    model = UNet(base_channels=base, depth=depth, padding=padding).eval().to(memory_format=torch.channels_last)
    x = torch.rand(1, 1, size, size).contiguous(memory_format=torch.channels_last)

    def run() -> None:
        with torch.inference_mode(), autocast(torch.device("cpu")):
            predict_logits(model, x)

    return median_ms(run, 10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default="../shared/data/Lung Segmentation")
    parser.add_argument("--runs", default="runs/candidates")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--loss", default="weighted_ce")
    parser.add_argument("--only", nargs="*", help="names of candidates to run (default: all)")
    parser.add_argument("--output", default="benchmarks/candidates_results.json")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    rows = []
    for name, (size, base, depth, padding) in CANDIDATES.items():
        if args.only and name not in args.only:
            continue
        config = TrainConfig(
            data=args.data, epochs=args.epochs, image_size=size, loss=args.loss, augment=PRESETS["full"],
            model={"base_channels": base, "depth": depth, "padding": padding}, patience=1000,
            calibrate_threshold=False,
        )  # fmt: skip
        row = run_variant(name, config, Path(args.runs), args.data)
        model = UNet(base_channels=base, depth=depth, padding=padding)
        row.update(forward_ms=forward_ms(size, base, depth, padding), parameters=count_parameters(model))
        rows.append(row)
        Path(args.output).write_text(json.dumps({"command": " ".join(["python", *sys.argv]), "rows": rows}, indent=1))
    for r in rows:
        print(
            f"| {r['name']} | {r['parameters']:,} | {r['forward_ms']:.0f} | {r['best_val_dice']:.4f} "
            f"| {r['dice_mean']:.4f} | {r['dice_median']:.4f} | {r['hd95_median']:.2f} | {r['seconds']:.0f} |"
        )


if __name__ == "__main__":
    main()
