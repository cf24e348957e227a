"""How many films of each test set, as they are, the body crop crops (rounds 64 and 65 of #9), and how many the band
crop crops (round 71: flat bands at the film's edges, ``body_crop.band_box``, where the body crop does not apply).

The crop (``lungseg.inference.body_crop``) only acts on a small chest in a large dark field, or on a film with
flat bands at its edges; a benchmark whose films it never crops cannot move when the crop or what runs on it
changes. Counts the Montgomery test half, the Shenzhen held-out part, the Wingspan test part and the 200 v7 test
films of ``benchmarks/pathology.py``.

Usage: python benchmarks/body_crop_count.py [--data PATH]  -> benchmarks/body_crop_count.json and .md
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from pathology import v7_sample

from lungseg.data.layouts import discover, load_split, select
from lungseg.inference.body_crop import band_box, body_box
from lungseg.io.reader import read_xray

HERE = Path(__file__).resolve().parent
SETS = {"montgomery_test": ("Lung Segmentation", "montgomery_test.txt"),
        "shenzhen_test": ("Lung Segmentation", "shenzhen_test.txt"),
        "wingspan_test": ("wingspan", "wingspan_test.txt")}  # fmt: skip


def crops(samples: list) -> dict:
    """The set's size, the films the body crop crops, and those the band crop crops (the body crop comes first)."""
    row: dict = {"n": len(samples), "cropped": [], "band_cropped": []}
    for s in samples:
        xray = read_xray(s.image)
        if body_box(xray, 256):
            row["cropped"].append(s.name)
        elif band_box(xray, 256):
            row["band_cropped"].append(s.name)
    return row


def render(result: dict) -> str:
    lines = ["# Test films the body crop crops", "", f"`{result['command']}`", "",
             "| set | films | cropped | cropped films | band crop | band-cropped films |",
             "|---|---|---|---|---|---|"]  # fmt: skip
    for name, row in result["sets"].items():
        lines.append(f"| {name} | {row['n']} | {len(row['cropped'])} | {', '.join(row['cropped']) or '-'} | "
                     f"{len(row['band_cropped'])} | {', '.join(row['band_cropped']) or '-'} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=HERE.parent.parent / "shared" / "data")
    args = parser.parse_args()
    sets = {n: select(discover(str(args.data / f))[1], load_split(HERE.parent / "splits" / s)["test"])
            for n, (f, s) in SETS.items()}  # fmt: skip
    sets["v7_test"] = v7_sample(args.data / "v7_pediatric")[0]
    rows = {n: crops(samples) for n, samples in sets.items()}
    result = {"command": "python benchmarks/body_crop_count.py", "sets": rows}
    (HERE / "body_crop_count.json").write_text(json.dumps(result, indent=1) + "\n")
    (HERE / "body_crop_count.md").write_text(render(result))
    print(render(result))


if __name__ == "__main__":
    main()
