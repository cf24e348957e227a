"""How much Dice a working size alone costs: each manual mask taken to the working size and back (as inference does).

A model at 256 px cannot score above what the round trip of the true mask scores against itself; this bounds the gain a
larger working size can bring (#9 round 23).

    python benchmarks/resolution_ceiling.py --output benchmarks/resolution_ceiling.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from lungseg.data.layouts import discover
from lungseg.evaluation.metrics import overlap_metrics
from lungseg.inference.preprocess import resize_mask, upsample_mask
from lungseg.io.reader import read_mask

SIZES = (256, 384, 512)


def round_trip_dice(mask: np.ndarray, size: int) -> float:
    """Dice of a (H, W) bool mask against itself resized to (size, size) and upsampled back."""
    return overlap_metrics(upsample_mask(resize_mask(mask, size, size), *mask.shape), mask)["dice"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default="../shared/data/Lung Segmentation")
    parser.add_argument("--output", type=Path, required=True)
    args = parser.parse_args()
    samples = [s for s in discover(args.data)[1] if s.mask is not None]
    result = {}
    for source in ("montgomery", "shenzhen"):
        masks = [read_mask(s.mask) for s in samples if s.source == source]
        result[source] = {"images": len(masks)}
        for size in SIZES:
            scores = [round_trip_dice(m, size) for m in masks]
            result[source][str(size)] = {"mean": round(float(np.mean(scores)), 4), "min": round(min(scores), 4)}
        print(source, result[source])
    args.output.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
