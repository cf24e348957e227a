"""A weight average of two checkpoints of one network (a "model soup"), for choosing on validation.

``OUT = w * A + (1 - w) * B`` for every weight and BatchNorm statistic (in fp32; integer counters from A), with A's
configs and split; A's calibration is dropped, so calibrate the result (``benchmarks/calibrate_checkpoint.py``)
before scoring it. Averaging works for a fine-tune and its start (round 6's ``soupDF``; round 18), whose weights
lie in one basin; it is meaningless for unrelated networks, so the two must share a model config.

Usage: python benchmarks/soup.py --a runs/v7Q/best.pt --b runs/v62_default_fp16.pt --weight 0.5 --output runs/soup.pt
"""

from __future__ import annotations

import argparse

import torch

from lungseg.model.checkpoint import load_model, save_checkpoint

CALIBRATION = ("threshold", "smooth", "threshold_val_dice", "heart_threshold", "heart_smooth",
               "heart_threshold_val_dice", "train_state")  # fmt: skip


def soup(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor], weight: float) -> dict[str, torch.Tensor]:
    """``weight * a + (1 - weight) * b`` per floating-point tensor (fp32); other tensors (counters) from ``a``."""
    if a.keys() != b.keys():
        raise ValueError("the checkpoints hold different layers: average two checkpoints of one network")
    return {k: weight * v.float() + (1 - weight) * b[k].float() if v.is_floating_point() else v for k, v in a.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--a", required=True)
    parser.add_argument("--b", required=True)
    parser.add_argument("--weight", type=float, required=True, help="A's share, in [0, 1]")
    parser.add_argument("--output", required=True)
    args = parser.parse_args()
    if not 0.0 <= args.weight <= 1.0:
        raise SystemExit(f"--weight {args.weight}: give A's share between 0 and 1")
    (model_a, payload), (model_b, payload_b) = load_model(args.a), load_model(args.b)
    if payload["model_config"] != payload_b["model_config"]:
        raise SystemExit(f"{args.a} and {args.b} are different networks; average checkpoints of one network")
    model_a.float().load_state_dict(soup(model_a.state_dict(), model_b.state_dict(), args.weight))
    keep = {k: v for k, v in payload.items() if k not in ("format", "lungseg_version", "model_config", "state_dict")}
    keep = {k: v for k, v in keep.items() if k not in CALIBRATION}
    save_checkpoint(args.output, model_a, soup_of=[args.a, args.b], soup_weight=args.weight, **keep)
    print(f"{args.output}: {args.weight} x {args.a} + {1 - args.weight:.2f} x {args.b}; calibrate it before scoring")


if __name__ == "__main__":
    main()
