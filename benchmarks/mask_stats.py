"""Lung fraction of the image on the manual masks of every shared data set -> benchmarks/mask_stats.json.

The quality flag ``fraction_out_of_range`` (lungseg.inference.measure.FRACTION_RANGE) is set from these.
Usage: python benchmarks/mask_stats.py [--data PATH]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from lungseg.data.layouts import discover, labelled
from lungseg.io.reader import read_mask

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=str(HERE.parent.parent / "shared" / "data"))
    args = parser.parse_args()
    out = {"command": "python benchmarks/mask_stats.py"}
    for name in ("Lung Segmentation", "wingspan", "v7_pediatric"):
        samples = labelled(discover(Path(args.data) / name)[1])
        fractions = np.array([read_mask(s.mask).mean() for s in samples])
        out[name] = {
            "masks": len(samples),
            "min": round(float(fractions.min()), 3), "p1": round(float(np.percentile(fractions, 1)), 3),
            "p99": round(float(np.percentile(fractions, 99)), 3), "max": round(float(fractions.max()), 3),
        }  # fmt: skip
        print(name, out[name], flush=True)
    (HERE / "mask_stats.json").write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
