"""Lung fraction of the image, and the gap between the two lungs' bases, on the manual masks of every shared
data set -> benchmarks/mask_stats.json.

The quality flag ``fraction_out_of_range`` (lungseg.inference.measure.FRACTION_RANGE) is set from the fractions;
the base gap (how far one lung's lowest row lies above the other's, over the lower lung's height) is what the
lost-base completion of ``lungseg.inference.shape_prior`` would have to leave alone on healthy pairs.
Usage: python benchmarks/mask_stats.py [--data PATH]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from lungseg.data.layouts import discover, labelled
from lungseg.inference.postprocess import LEFT_LUNG, RIGHT_LUNG, clean_lung_labels
from lungseg.io.reader import read_mask

HERE = Path(__file__).resolve().parent


def base_gap(mask: np.ndarray) -> float | None:
    """(lower base row - higher base row) / the lower lung's height; None unless the mask has two lungs."""
    labels = clean_lung_labels(mask > 0)
    rows = [np.flatnonzero((labels == side).any(axis=1)) for side in (RIGHT_LUNG, LEFT_LUNG)]
    if any(len(r) == 0 for r in rows):
        return None
    low, high = sorted(rows, key=lambda r: -r[-1])
    return float((low[-1] - high[-1]) / (low[-1] - low[0] + 1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=str(HERE.parent.parent / "shared" / "data"))
    args = parser.parse_args()
    out = {"command": "python benchmarks/mask_stats.py"}
    for name in ("Lung Segmentation", "wingspan", "v7_pediatric"):
        samples = labelled(discover(Path(args.data) / name)[1])
        masks = [read_mask(s.mask) for s in samples]
        fractions = np.array([m.mean() for m in masks])
        gaps = np.array([g for g in map(base_gap, masks) if g is not None])
        out[name] = {
            "masks": len(samples),
            "min": round(float(fractions.min()), 3), "p1": round(float(np.percentile(fractions, 1)), 3),
            "p99": round(float(np.percentile(fractions, 99)), 3), "max": round(float(fractions.max()), 3),
            "base_gap": {"pairs": len(gaps), "median": round(float(np.median(gaps)), 3),
                         "p99": round(float(np.percentile(gaps, 99)), 3), "above_0.35": int((gaps > 0.35).sum())},
        }  # fmt: skip
        print(name, out[name], flush=True)
    (HERE / "mask_stats.json").write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
