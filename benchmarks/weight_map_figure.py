"""Draw the U-Net weight map of one real mask: docs/weight_map.png.

Usage: python benchmarks/weight_map_figure.py [--data "../shared/data/Lung Segmentation"] [--image MCUCXR_0001_0]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from lungseg.data.layouts import discover
from lungseg.inference.preprocess import normalize_intensity
from lungseg.training.dataset import load_pair
from lungseg.training.weightmap import unet_weight_map


def hot(values: np.ndarray) -> np.ndarray:
    """Black -> red -> yellow -> white colour ramp for values in [0, 1]."""
    v = np.clip(values, 0, 1)[..., None]
    return (np.clip(np.concatenate([3 * v, 3 * v - 1, 3 * v - 2], axis=-1), 0, 1) * 255).astype(np.uint8)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", default="../shared/data/Lung Segmentation")
    parser.add_argument("--image", default="MCUCXR_0001_0")
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--output", default="docs/weight_map.png")
    args = parser.parse_args()
    sample = next(s for s in discover(args.data)[1] if s.name == args.image)
    image, mask = load_pair(sample, args.size)
    image = normalize_intensity(image, "equalize")
    weight = unet_weight_map(mask, w0=10.0, sigma=5.0)
    gray = np.stack([(image * 255).astype(np.uint8)] * 3, axis=-1)
    panel = np.concatenate([gray, hot(weight / weight.max())], axis=1)
    figure = Image.fromarray(panel)
    ImageDraw.Draw(figure).text(
        (args.size + 4, 4), f"w(x), max {weight.max():.1f}, min {weight.min():.2f}", fill=(0, 255, 0)
    )
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    figure.save(args.output)
    print(f"{args.output}: weights from {weight.min():.2f} to {weight.max():.2f} for {args.image}")


if __name__ == "__main__":
    main()
