"""Data for the learned-anatomical-convention experiment (``configs/anatomical_learned.yaml``).

Writes ``runs/anat_data`` (images/, masks/, masks_heart/: links to ../shared/data where the file is used as
it is) and ``runs/anat_split.json``: the v7 pediatric films with their own anatomical masks (train / val /
test of ``splits/v7_pediatric.json``), and the adult training films of the combined split (Montgomery,
Shenzhen, Wingspan) with pseudo-anatomical masks: ``lungseg/inference/convention.py`` applied to their
manual visible-field masks and to the heart (Wingspan's manual heart masks, the shipped model's elsewhere).
Validation and test are v7 films only: the only real anatomical masks here. Nothing is copied into the repo.

Usage: python benchmarks/anatomical_data.py [--split splits/pathology.json]
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import numpy as np
from PIL import Image

from lungseg.data.layouts import discover, select
from lungseg.evaluation.evaluate import read_labelled
from lungseg.inference.convention import anatomical_labels
from lungseg.inference.postprocess import lung_labels
from lungseg.inference.segmenter import Segmenter
from lungseg.io.reader import XRay, read_mask

HERE = Path(__file__).resolve().parent
DATA = HERE.parent.parent / "shared" / "data"


def link(source: Path, target: Path) -> None:
    if not target.exists():
        os.symlink(source.resolve(), target)


def v7_films(out: Path) -> dict:
    split = json.loads((HERE.parent / "splits" / "v7_pediatric.json").read_text())
    films = {s.name: s for s in discover(DATA / "v7_pediatric")[1]}
    for part in ("train", "val", "test"):
        for name in split[part]:
            link(films[name].image, out / "images" / f"{name}{films[name].image.suffix}")
            link(films[name].mask, out / "masks" / f"{name}.png")
    return split


def adult_films(out: Path, names: list[str]) -> None:
    """Pseudo-anatomical masks of the adult training films (the rule on manual masks)."""
    seg = Segmenter.from_pretrained()
    for s in select(discover([DATA / "Lung Segmentation", DATA / "wingspan"])[1], names):
        image, mask = read_labelled(s)
        if s.heart is not None:
            heart = read_mask(s.heart) > 0
            link(s.heart, out / "masks_heart" / f"{s.name}.png")
        else:
            heart = seg(XRay(np.asarray(image, np.float32))).heart
        anatomical = anatomical_labels(lung_labels(mask), heart) > 0
        Image.fromarray(anatomical.astype(np.uint8) * 255).save(out / "masks" / f"{s.name}.png")
        link(s.image, out / "images" / f"{s.name}{s.image.suffix}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--split", default="splits/pathology.json", help="the shipped model's split (its train list)")
    parser.add_argument("--output", default="runs/anat_data")
    args = parser.parse_args()
    out = Path(args.output)
    for folder in ("images", "masks", "masks_heart"):
        (out / folder).mkdir(parents=True, exist_ok=True)
    v7 = v7_films(out)
    adults = json.loads(Path(args.split).read_text())["train"]
    adult_films(out, adults)
    split = {"protocol": "file", "train": sorted(v7["train"] + adults), "val": v7["val"], "test": v7["test"]}
    out.with_name("anat_split.json").write_text(json.dumps(split, indent=1) + "\n")  # beside runs/anat_data
    print(len(split["train"]), "train,", len(split["val"]), "val,", len(split["test"]), "test")


if __name__ == "__main__":
    main()
