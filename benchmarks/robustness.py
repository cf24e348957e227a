"""How a model holds up on X-rays unlike its training data: the test images, perturbed.

We have no X-rays from other hospitals, so this simulates what differs there: exposure (gamma),
washed-out digitised film (low contrast), soft detectors (blur), noise, a wider field of view
(zoom out), another aspect ratio (side crop) and a tilted patient (rotation). Each perturbation
is applied to the image (and the geometric ones to the mask too); Dice is at the mask's resolution.

Usage: python benchmarks/robustness.py --model CKPT [--data PATH] [--split test] [--limit N]
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

import numpy as np
from scipy import ndimage

from lungseg.data.layouts import discover, load_split, select
from lungseg.evaluation.evaluate import read_labelled
from lungseg.evaluation.metrics import overlap_metrics
from lungseg.inference.preprocess import resize_float, resize_mask
from lungseg.inference.segmenter import Segmenter
from lungseg.io.reader import XRay

Pair = tuple[np.ndarray, np.ndarray]


def zoom_out(image: np.ndarray, mask: np.ndarray, border: float = 0.1) -> Pair:
    """Black border on every side, resized back: the lungs fill less of the image."""
    h, w = image.shape
    ph, pw = int(h * border), int(w * border)
    img = np.pad(image, ((ph, ph), (pw, pw)))
    msk = np.pad(mask, ((ph, ph), (pw, pw)))
    return resize_float(img, h, w), resize_mask(msk, h, w)


def side_crop(image: np.ndarray, mask: np.ndarray, frac: float = 0.08) -> Pair:
    """Cut the outer 8% of the width on both sides: a narrower, portrait-like field."""
    c = int(image.shape[1] * frac)
    return image[:, c:-c], mask[:, c:-c]


def rotate(image: np.ndarray, mask: np.ndarray, degrees: float = 8.0) -> Pair:
    img = ndimage.rotate(image, degrees, reshape=False, order=1, mode="constant")
    msk = ndimage.rotate(mask.astype(np.float32), degrees, reshape=False, order=1) > 0.5
    return img, msk


def intensity_only(fn: Callable[[np.ndarray], np.ndarray]) -> Callable[[np.ndarray, np.ndarray], Pair]:
    return lambda image, mask: (np.clip(fn(image), 0, 1).astype(np.float32), mask)


RNG = np.random.default_rng(0)
PERTURBATIONS: dict[str, Callable[[np.ndarray, np.ndarray], Pair]] = {
    "none": lambda image, mask: (image, mask),
    "gamma 0.5 (over-exposed)": intensity_only(lambda x: x**0.5),
    "gamma 2.0 (under-exposed)": intensity_only(lambda x: x**2.0),
    "low contrast (film), 0.3 + 0.4x": intensity_only(lambda x: 0.3 + 0.4 * x),
    "blur sigma 2 px": intensity_only(lambda x: ndimage.gaussian_filter(x, 2.0)),
    "noise sigma 0.05": intensity_only(lambda x: x + RNG.normal(0, 0.05, x.shape)),
    "zoom out 20% (wider field)": zoom_out,
    "side crop 16% (narrower field)": side_crop,
    "rotate 8 degrees": rotate,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True)
    parser.add_argument("--data", default="../shared/data/Lung Segmentation")
    parser.add_argument("--split", default="test", help="test/val of the checkpoint, or a split file")
    parser.add_argument("--limit", type=int, default=0)
    args = parser.parse_args()
    segmenter = Segmenter.from_pretrained(args.model)
    samples = discover(args.data)[1]
    names = segmenter.payload["split"][args.split] if args.split in ("test", "val") else load_split(args.split)["test"]
    chosen = select(samples, names)[: args.limit or None]
    pairs = [read_labelled(s) for s in chosen]
    print(f"{args.model}: {len(pairs)} images ({args.split}), threshold {segmenter.threshold:.2f}")
    print("| perturbation | Dice mean | Dice min |\n|---|---|---|")
    for name, fn in PERTURBATIONS.items():
        dice = [overlap_metrics(segmenter(XRay(img)).mask, msk)["dice"] for img, msk in (fn(i, m) for i, m in pairs)]
        print(f"| {name} | {np.mean(dice):.4f} | {np.min(dice):.4f} |")


if __name__ == "__main__":
    main()
