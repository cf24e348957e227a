"""docs/pathology_kinds.png: one Montgomery training image with each kind of the training simulator.

Usage: python benchmarks/pathology_figure.py [--data PATH] [--image MCUCXR_0002_0]
Each panel is what training sees after intensity normalisation; the outline is the unchanged mask.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from lungseg.data.layouts import discover, select
from lungseg.inference.preprocess import normalize_intensity
from lungseg.inference.render import overlay
from lungseg.training import drawing, pathology
from lungseg.training.basal_fill import basal_fill
from lungseg.training.dataset import load_pair

HERE = Path(__file__).resolve().parent
KINDS = {
    "consolidation": lambda im, m, r: (pathology.consolidation(im, m, r), m),
    "ground glass": lambda im, m, r: (pathology.ground_glass(im, m, r), m),
    "effusion": lambda im, m, r: (pathology.effusion(im, m, r, (0.3, 0.5)), m),
    "white-out": lambda im, m, r: (pathology.whiteout(im, m, r), m),
    "gastric bubble": lambda im, m, r: (pathology.gastric_bubble(im, m, r), m),
    "lines, tubes, leads": lambda im, m, r: (drawing.devices(im, r), m),
    "burned-in text": lambda im, m, r: (drawing.burned_text(im, r), m),
    "collimation": lambda im, m, r: (pathology.collimation(im, r), m),
    "low contrast + noise": lambda im, m, r: (pathology.low_contrast(im, r), m),
    "low inspiration": lambda im, m, r: pathology.squash(im, m, r, (0.8, 0.85)),
    "off-centre": lambda im, m, r: pathology.offcentre(im, m, r, 0.4),
    "whole portable film": lambda im, m, r: pathology.portable_film(im, m, r, pathology.PathologyConfig(enabled=True)),
    "basal fill": lambda im, m, r: (basal_fill(im, m, r), m),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=str(HERE.parent.parent / "shared" / "data" / "Lung Segmentation"))
    parser.add_argument("--image", default="MCUCXR_0002_0")
    args = parser.parse_args()
    image, mask = load_pair(select(discover(args.data)[1], [args.image])[0], 256)
    cells = [("original", image, mask)]
    for k, (name, fn) in enumerate(KINDS.items()):
        seed = k + 3
        out, out_mask = fn(image.copy(), mask, np.random.default_rng(seed))
        while np.array_equal(out, image) and seed < k + 100:  # a draw that happened to change nothing
            seed += 100
            out, out_mask = fn(image.copy(), mask, np.random.default_rng(seed))
        cells.append((name, np.clip(out, 0, 1), out_mask))
    tiles = []
    for name, im, m in cells:
        outline = m & ~np.pad(m[1:-1, 1:-1] & m[:-2, 1:-1] & m[2:, 1:-1] & m[1:-1, :-2] & m[1:-1, 2:], 1)
        tile = Image.fromarray(overlay(normalize_intensity(im, "equalize"), outline.astype(np.uint8)))
        ImageDraw.Draw(tile).text((4, 4), name, fill=(0, 255, 0))
        tiles.append(np.asarray(tile))
    rows = [np.concatenate(tiles[i : i + 4] + [np.zeros_like(tiles[0])] * (4 - len(tiles[i : i + 4])), axis=1)
            for i in range(0, len(tiles), 4)]  # fmt: skip
    Image.fromarray(np.concatenate(rows, axis=0)).save(HERE.parent / "docs" / "pathology_kinds.png", optimize=True)


if __name__ == "__main__":
    main()
