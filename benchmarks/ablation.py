"""Ablation of the U-Net paper's training recipe: losses, then augmentation, under one budget.

Every variant trains with the same epochs, image size and seed on the original protocol (train on
Shenzhen, select on the Montgomery validation half) and is scored on the Montgomery test half.
Phase 1 compares the losses with full augmentation; phase 2 takes the loss with the best
*validation* Dice (the test half is never used to choose) and removes augmentation step by step.

Resumable: each variant is a run folder under --runs; finished ones are skipped, interrupted ones
continue from last.pt. Usage (about 70 minutes on 2 CPU cores):

    nohup python benchmarks/ablation.py > runs/ablation.log 2>&1 &
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path

from lungseg.evaluation.evaluate import evaluate
from lungseg.model.checkpoint import read_checkpoint
from lungseg.training.augment import PRESETS
from lungseg.training.config import TrainConfig
from lungseg.training.loop import resume_config, train

log = logging.getLogger("ablation")
LOSSES = ("bce", "dice", "dice_bce", "weighted_ce")


def run_variant(name: str, config: TrainConfig, runs: Path, data: str) -> dict:
    """Train (or resume, or skip) one variant, evaluate it on the test half, return its row."""
    run_dir = runs / name
    done = run_dir / "done.json"
    if not done.exists():
        if (run_dir / "last.pt").exists():
            train(resume_config(run_dir), resume=True)
        else:
            train(config.replace(output=str(run_dir)))
        state = read_checkpoint(run_dir / "last.pt")["train_state"]
        seconds = sum(row["seconds"] for row in state["history"])
        done.write_text(json.dumps({"seconds": seconds, "best_val_dice": state["best_dice"]}))
    info = json.loads(done.read_text())
    summary_path = run_dir / "eval" / "summary.json"
    if not summary_path.exists():
        # the raw masks at threshold 0.5: the ablation compares training recipes, nothing after them
        evaluate(run_dir / "best.pt", data, "test", run_dir / "eval", threshold=0.5, postprocess=False)
    summary = json.loads(summary_path.read_text())
    payload = read_checkpoint(run_dir / "best.pt")
    return {"name": name, **info, "epochs_run": payload["epoch"], **summary}


def table(rows: list[dict], loss_rows: int) -> str:
    head = (
        "| variant | loss | augmentation | best val Dice | test Dice mean | median | min | test IoU mean"
        " | HD95 median (px) | ASSD median (px) | train s |\n|---|---|---|---|---|---|---|---|---|---|---|\n"
    )
    lines = []
    for i, r in enumerate(rows):
        loss, aug = r["name"].split("+")
        phase = "loss" if i < loss_rows else "augmentation"
        lines.append(
            f"| {phase}: {r['name']} | {loss} | {aug} | {r['best_val_dice']:.4f} | {r['dice_mean']:.4f} "
            f"| {r['dice_median']:.4f} | {r['dice_min']:.4f} | {r['iou_mean']:.4f} | {r['hd95_median']:.2f} "
            f"| {r['assd_median']:.2f} | {r['seconds']:.0f} |"
        )
    return head + "\n".join(lines) + "\n"


def report(rows: list[dict], args: argparse.Namespace, best: str) -> str:
    """The markdown page: budget, command, table and which variant the default config uses."""
    command = "python benchmarks/ablation.py " + " ".join(
        f"--{k.replace('_', '-')} {v!r}" if " " in str(v) else f"--{k.replace('_', '-')} {v}"
        for k, v in vars(args).items()
    )
    return (
        "# Ablation of the training recipe\n\n"
        f"Budget per variant: {args.epochs} epochs at {args.image_size} px, batch 8, seed {args.seed}, AdamW "
        "(lr 2e-3, warmup 1 epoch, cosine), U-Net width 16, depth 4, padded convolutions, no early stopping. "
        "Protocol: train on the 566 Shenzhen images with masks, keep the epoch with the best Dice on the "
        "Montgomery validation half (69), test on the Montgomery test half (69). Test metrics are on the raw "
        "masks at threshold 0.5 (no post-processing, no calibration), at the masks' 512x512 resolution. "
        "`train s` is the sum of the epochs' wall time on 2 CPU cores.\n\n"
        f"Command: `{command}`\n\n"
        + table(rows, len(LOSSES))
        + f"\nThe default config (`lungseg.training.config.TrainConfig`, `configs/default.yaml`) uses **{best}**: the "
        "highest validation Dice. Choices are made on validation Dice only; the test column is reported, "
        "never used to choose.\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default="../shared/data/Lung Segmentation")
    parser.add_argument("--runs", default="runs/ablation")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--image-size", type=int, default=256)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", default="benchmarks/ablation.md")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    base = TrainConfig(
        data=args.data, epochs=args.epochs, image_size=args.image_size, seed=args.seed, patience=1000,
        calibrate_threshold=False,
    )  # fmt: skip
    runs, start = Path(args.runs), time.time()
    rows = [
        run_variant(f"{loss}+full", base.replace(loss=loss, augment=PRESETS["full"]), runs, args.data)
        for loss in LOSSES
    ]
    best_loss = max(rows, key=lambda r: r["best_val_dice"])["name"].split("+")[0]
    log.info("best loss by validation Dice: %s", best_loss)
    for preset in ("none", "geometric", "elastic"):
        config = base.replace(loss=best_loss, augment=PRESETS[preset])
        rows.append(run_variant(f"{best_loss}+{preset}", config, runs, args.data))
    best = max(rows, key=lambda r: r["best_val_dice"])
    text = report(rows, args, best["name"])
    Path(args.output).write_text(text)
    Path(args.output).with_suffix(".json").write_text(json.dumps(rows, indent=1) + "\n")
    print(text)
    log.info("ablation finished in %.0f s (this invocation)", time.time() - start)


if __name__ == "__main__":
    main()
