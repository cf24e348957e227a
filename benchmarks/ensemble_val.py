"""Validation Dice of one model, of scale test-time augmentation, or of an ensemble of models.

Probabilities are averaged at the masks' own resolution and thresholded on a grid; the images are the
validation list stored in the first checkpoint (never a test set). Used to decide whether TTA or an
ensemble is worth shipping (benchmarks/accuracy.md):

    python benchmarks/ensemble_val.py --models runs/default/best.pt runs/default384/best.pt
    python benchmarks/ensemble_val.py --models runs/default/best.pt --sizes 224 256 288
"""

from __future__ import annotations

import argparse

import numpy as np

from lungseg.data.layouts import discover
from lungseg.evaluation.calibrate import THRESHOLDS
from lungseg.evaluation.evaluate import read_labelled
from lungseg.evaluation.metrics import overlap_metrics
from lungseg.inference.segmenter import Segmenter
from lungseg.io.reader import XRay
from lungseg.model.checkpoint import load_model


def segmenters(models: list[str], sizes: list[int] | None) -> tuple[list[Segmenter], list[str]]:
    """One raw-mask segmenter per (model, working size); the validation names of the first model."""
    out, names = [], None
    for path in models:
        model, payload = load_model(path)
        names = names or payload["split"]["val"]
        cfg = payload["train_config"]
        for size in sizes or [cfg["image_size"]]:
            out.append(Segmenter(model, size, cfg["intensity"], threshold=0.5, postprocess=False))
    return out, names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", required=True, help="checkpoints from lungseg train")
    parser.add_argument("--sizes", nargs="*", type=int, help="working sizes to average (default: each model's)")
    parser.add_argument("--data", default="../shared/data/Lung Segmentation")
    args = parser.parse_args()
    segs, names = segmenters(args.models, args.sizes)
    samples = {s.name: s for s in discover(args.data)[1]}
    first, mean = {t: [] for t in THRESHOLDS}, {t: [] for t in THRESHOLDS}
    for name in names:
        image, mask = read_labelled(samples[name])
        probs = [seg(XRay(image)).probabilities for seg in segs]
        for t in THRESHOLDS:
            first[t].append(overlap_metrics(probs[0] >= t, mask)["dice"])
            mean[t].append(overlap_metrics(np.mean(probs, axis=0) >= t, mask)["dice"])
    for label, table in (("first alone", first), ("averaged", mean)):
        best = max(table, key=lambda t: np.mean(table[t]))
        print(f"{label:12s} best threshold {best:.2f}: val Dice {np.mean(table[best]):.4f} ({len(names)} images)")


if __name__ == "__main__":
    main()
