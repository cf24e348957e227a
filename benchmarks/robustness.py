"""How a model holds up on X-rays unlike its training data: the test images, perturbed.

We have no X-rays from other hospitals, so this simulates what differs there: exposure (gamma),
washed-out digitised film (low contrast), soft detectors (blur), noise, a wider field of view
(zoom out), another aspect ratio (side crop), a tilted patient (rotation) and a small patient on a large, noisy
detector (a corner of a black field). Each perturbation
is applied to the image (and the geometric ones to the mask too); Dice is at the mask's resolution. A report on
the test films (never used to choose anything; `--split val` for the validation films), as the shipped pipeline runs.

Usage: python benchmarks/robustness.py [--model NAME_OR_CKPT] [--data PATH] [--split test] [--limit N]
  [--output NAME] [--no-completion]  -> benchmarks/<NAME>.json and .md (default robustness)
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

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
    """The patient tilted by ``degrees`` (the corners filled black)."""
    img = ndimage.rotate(image, degrees, reshape=False, order=1, mode="constant")
    msk = ndimage.rotate(mask.astype(np.float32), degrees, reshape=False, order=1) > 0.5
    return img, msk


def corner_noisy(image: np.ndarray, mask: np.ndarray, scale: float = 0.7, sigma: float = 0.01) -> Pair:
    """The chest shrunk to ``scale`` of each side in the top-left corner of a black field, with noise of ``sigma``
    (clipped at black) over the whole film: a small patient on a large detector (rounds 59 and 60)."""
    h, w = image.shape
    sh, sw = int(h * scale), int(w * scale)
    img, msk = np.zeros_like(image, dtype=np.float32), np.zeros_like(mask)
    img[:sh, :sw], msk[:sh, :sw] = resize_float(image, sh, sw), resize_mask(mask, sh, sw)
    return np.clip(img + FIELD_RNG.normal(0, sigma, img.shape), 0, 1).astype(np.float32), msk


def intensity_only(fn: Callable[[np.ndarray], np.ndarray]) -> Callable[[np.ndarray, np.ndarray], Pair]:
    return lambda image, mask: (np.clip(fn(image), 0, 1).astype(np.float32), mask)


RNG = np.random.default_rng(0)
FIELD_RNG = np.random.default_rng(1)  # its own, so the other perturbations draw what they drew before it
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
    "rotate 15 degrees (a portable film)": lambda image, mask: rotate(image, mask, 15.0),
    "small in a corner of a noisy black field (70%, sigma 0.01)": corner_noisy,
}


def scores(segmenter: Segmenter, samples: list) -> dict[str, list[tuple[str, float]]]:
    """Per perturbation: (image name, Dice) of each sample, read once and perturbed in turn (one film in memory)."""
    out: dict[str, list[tuple[str, float]]] = {name: [] for name in PERTURBATIONS}
    for sample in samples:
        image, mask = read_labelled(sample)
        for name, fn in PERTURBATIONS.items():
            img, msk = fn(image, mask)
            out[name].append((sample.name, round(overlap_metrics(segmenter(XRay(img)).mask, msk)["dice"], 4)))
    return out


def render(result: dict) -> str:
    """The Markdown table of a result (``benchmarks/<NAME>.md``)."""
    title = f"# Robustness: the {result['split']} films perturbed ({result['model']})"
    lines = [title, "", f"`{result['command']}`", "",
             f"{result['n_images']} images ({result['split']}); Dice of the shipped pipeline's lung mask against the "
             "manual mask (moved with the geometric perturbations).", "",
             "| perturbation | Dice mean | Dice min | worst image |", "|---|---|---|---|"]  # fmt: skip
    for name, row in result["perturbations"].items():
        lines.append(f"| {name} | {row['mean']:.4f} | {row['min']:.4f} | {row['worst']} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="lungseg-unet-default")
    parser.add_argument("--data", type=Path, default=Path("../shared/data"), help="holds Lung Segmentation/, wingspan/")
    parser.add_argument("--split", default="test", help="test/val of the checkpoint, or a split file")
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--output", default="robustness")
    parser.add_argument("--no-completion", action="store_true", help="the lung model alone: no shape model, no mirror")
    args = parser.parse_args(argv)
    segmenter = Segmenter.from_pretrained(args.model, complete_lungs=not args.no_completion)
    samples = discover([str(args.data / "Lung Segmentation"), str(args.data / "wingspan")])[1]
    names = segmenter.payload["split"][args.split] if args.split in ("test", "val") else load_split(args.split)["test"]
    rows = scores(segmenter, select(samples, names)[: args.limit or None])
    model = args.model + (" (no completion)" if args.no_completion else "")
    result = {"command": " ".join(["python benchmarks/robustness.py", *(argv if argv is not None else sys.argv[1:])]),
              "model": model, "split": args.split, "n_images": len(rows["none"]), "perturbations": {
                  name: {"mean": round(float(np.mean([d for _, d in r])), 4), "min": min(d for _, d in r),
                         "worst": min(r, key=lambda x: x[1])[0], "dice": r} for name, r in rows.items()}}  # fmt: skip
    here = Path(__file__).resolve().parent
    (here / f"{args.output}.json").write_text(json.dumps(result, indent=1) + "\n")
    (here / f"{args.output}.md").write_text(render(result))
    print(render(result))


if __name__ == "__main__":
    main()
