"""Heart and CTR on the held-out Wingspan test part -> benchmarks/heart.json and benchmarks/heart_bland_altman.png.

Scores the heart model beside a lung model with ``lungseg evaluate`` (heart Dice and HD95 against the heart
masks, absolute CTR error against the source's CTRs), and the lung model alone and with the heart beside it
on the Montgomery and Shenzhen test sets (the lung masks must not change).

Usage: python benchmarks/heart.py [--lungs MODEL] [--heart MODEL|auto] [--before MODEL] [--data PATH] [--output F]

``--heart auto`` (the default) is what ``lungseg segment`` runs: a lungs + heart model's own heart output,
else the bundled heart model. ``--before`` adds the lung Dice of a previous lung model (before/after).
"""

from __future__ import annotations

import argparse
import csv
import functools
import json
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from lungseg.evaluation.evaluate import evaluate

HERE = Path(__file__).resolve().parent
SPLITS = HERE.parent / "splits"


def bland_altman(reference: np.ndarray, predicted: np.ndarray, path: Path) -> dict:
    """Difference (predicted - reference) against the mean of both; bias and 95% limits of agreement."""
    mean, diff = (reference + predicted) / 2, predicted - reference
    bias, sd = float(diff.mean()), float(diff.std(ddof=1))
    stats = {"n": len(diff), "bias": bias, "loa_low": bias - 1.96 * sd, "loa_high": bias + 1.96 * sd,
             "mae": float(np.abs(diff).mean())}  # fmt: skip
    w, h, m = 640, 420, 60
    img = Image.new("RGB", (w, h), "white")
    d = ImageDraw.Draw(img)
    x0, x1, y0, y1 = 0.35, 0.80, -0.15, 0.15

    def xy(x: float, y: float) -> tuple[float, float]:
        return m + (x - x0) / (x1 - x0) * (w - 2 * m), h - m - (y - y0) / (y1 - y0) * (h - 2 * m)

    d.rectangle((m, m, w - m, h - m), outline="black")
    for y, colour in ((0.0, (180, 180, 180)), (stats["bias"], (0, 90, 200)),
                      (stats["loa_low"], (200, 60, 60)), (stats["loa_high"], (200, 60, 60))):  # fmt: skip
        d.line((*xy(x0, y), *xy(x1, y)), fill=colour, width=2)
    for a, b in zip(mean, diff, strict=True):
        cx, cy = xy(float(a), float(np.clip(b, y0, y1)))
        d.ellipse((cx - 3, cy - 3, cx + 3, cy + 3), fill=(30, 30, 30))
    for v in (0.4, 0.5, 0.6, 0.7, 0.8):
        d.text((xy(v, y0)[0] - 8, h - m + 6), f"{v:.1f}", fill="black")
    for v in (-0.1, 0.0, 0.1):
        d.text((8, xy(x0, v)[1] - 6), f"{v:+.1f}", fill="black")
    d.text((m, 12), f"CTR, Wingspan test (n={stats['n']}): predicted - reference vs mean", fill="black")
    d.text((m, 28), f"bias {bias:+.3f}, limits of agreement {stats['loa_low']:+.3f} to {stats['loa_high']:+.3f}",
           fill="black")  # fmt: skip
    img.save(path)
    return stats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lungs", default="lungseg-unet-default")
    parser.add_argument("--heart", default="auto")
    parser.add_argument("--before", help="a previous lung model: its lung Dice on the same test sets")
    parser.add_argument("--data", default=str(HERE.parent.parent / "shared" / "data"))
    parser.add_argument("--output", default="heart.json", help="file name in benchmarks/ (another model's figures)")
    parser.add_argument("--precision", default="fp32", choices=["fp32", "bf16", "auto"],
                        help="torch's precision (fp32: as every committed figure; a CPU with native bf16 moves "
                        "figures by up to 0.0003)")  # fmt: skip
    args = parser.parse_args()
    data = Path(args.data)
    before = (f" --before {args.before}" if args.before else "") + (
        f" --precision {args.precision}" if args.precision != "fp32" else "")
    before += f" --output {args.output}" if args.output != "heart.json" else ""
    out: dict = {"command": f"python benchmarks/heart.py --lungs {args.lungs} --heart {args.heart}{before}"}
    with tempfile.TemporaryDirectory() as tmp:
        scored = functools.partial(evaluate, device="cpu", precision=args.precision)
        wing = scored(args.lungs, data / "wingspan", str(SPLITS / "wingspan_test.txt"), tmp, heart=args.heart)
        with (Path(tmp) / "per_image.csv").open() as f:
            rows = [r for r in csv.DictReader(f) if r.get("ctr_reference")]
        keys = ("n_images", "dice_mean", "heart_dice_mean", "heart_dice_median", "heart_hd95_median",
                "ctr_error_mean", "ctr_error_median", "ctr_error_n")  # fmt: skip
        out["wingspan_test"] = {k: wing.get(k) for k in keys}
        reference = np.array([float(r["ctr_reference"]) for r in rows])
        predicted = np.array([float(r["ctr"]) for r in rows])
        figure = HERE / ("heart_bland_altman.png" if args.output == "heart.json" else f"{Path(args.output).stem}.png")
        out["bland_altman"] = bland_altman(reference, predicted, figure)
        for name in ("montgomery", "shenzhen"):
            split = str(SPLITS / f"{name}_test.txt")
            alone = scored(args.lungs, data / "Lung Segmentation", split, tmp, heart=None)
            beside = scored(args.lungs, data / "Lung Segmentation", split, tmp, heart=args.heart)
            out[f"{name}_test_lung_dice"] = {"alone": alone["dice_mean"], "with_heart": beside["dice_mean"]}
            if args.before:
                previous = scored(args.before, data / "Lung Segmentation", split, tmp, heart=None)
                out[f"{name}_test_lung_dice"]["before"] = previous["dice_mean"]
    (HERE / args.output).write_text(json.dumps(out, indent=1) + "\n")
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
