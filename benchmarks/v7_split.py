"""Split v7_pediatric into train / val / test by patient, writing ``splits/v7_pediatric.json``.

test: the pathology benchmark's fixed sample (150 pneumonia, 50 normal; ``pathology.v7_sample``).
val: 100 further films (75 pneumonia, 25 normal) that choose between models on the agreement zone.
train: the rest, pneumonia first in a seeded order (a config's ``anatomical_limit`` takes the first N).
No patient (Kermany's ``personN`` / ``IM-NNNN``) appears in two parts.

Usage: python benchmarks/v7_split.py [--data ../shared/data/v7_pediatric]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
from pathlib import Path

from pathology import v7_groups, v7_sample

from lungseg.io.atomic import write_text_atomic

HERE = Path(__file__).resolve().parent


def patient(kermany_file: str) -> str:
    """Kermany's patient id: ``person88_virus_164.jpeg`` -> person88, ``NORMAL2-IM-1333-0001.jpeg`` -> IM-1333."""
    match = re.match(r"(person\d+)_", kermany_file) or re.search(r"(IM-\d+)-", kermany_file)
    return match.group(1) if match else kermany_file


def make_split(data: Path) -> dict:
    with (data / "pairs.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    who = {r["stem"]: patient(r["kermany_file"]) for r in rows}
    sick = {n for n, g in v7_groups(data).items() if g == "pneumonia"}
    test = [s.name for s in v7_sample(data)[0]]
    taken = {who[n] for n in test}
    rest = sorted(n for n in who if who[n] not in taken)
    rng = random.Random(1)
    rng.shuffle(rest)
    val = [n for n in rest if n in sick][:75] + [n for n in rest if n not in sick][:25]
    taken |= {who[n] for n in val}
    train = [n for n in rest if who[n] not in taken]
    train = [n for n in train if n in sick] + [n for n in train if n not in sick]
    return {"protocol": "v7_by_patient", "seed": 1, "train": train, "val": sorted(val), "test": sorted(test)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=HERE.parent.parent / "shared" / "data" / "v7_pediatric")
    parser.add_argument("--output", type=Path, default=HERE.parent / "splits" / "v7_pediatric.json")
    args = parser.parse_args()
    split = make_split(args.data)
    write_text_atomic(args.output, json.dumps(split, indent=1) + "\n")
    print(f"{args.output}: " + ", ".join(f"{k} {len(split[k])}" for k in ("train", "val", "test")))


if __name__ == "__main__":
    main()
