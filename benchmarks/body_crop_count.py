"""How many films of each test set, as they are, the body crop crops (rounds 64 and 65 of #9).

The crop (``lungseg.inference.body_crop``) only acts on a small chest in a large dark field; a benchmark whose
films it never crops cannot move when the crop or what runs on it changes. Counts the Montgomery test half, the
Shenzhen held-out part, the Wingspan test part and the 200 v7 test films of ``benchmarks/pathology.py``.

Usage: python benchmarks/body_crop_count.py [--data PATH]  -> benchmarks/body_crop_count.json and .md
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from pathology import v7_sample

from lungseg.data.layouts import discover, load_split, select
from lungseg.inference.body_crop import body_box
from lungseg.io.reader import read_xray

HERE = Path(__file__).resolve().parent
SETS = {"montgomery_test": ("Lung Segmentation", "montgomery_test.txt"),
        "shenzhen_test": ("Lung Segmentation", "shenzhen_test.txt"),
        "wingspan_test": ("wingspan", "wingspan_test.txt")}  # fmt: skip


def render(result: dict) -> str:
    lines = ["# Test films the body crop crops", "", f"`{result['command']}`", "",
             "| set | films | cropped | cropped films |", "|---|---|---|---|"]  # fmt: skip
    for name, row in result["sets"].items():
        lines.append(f"| {name} | {row['n']} | {len(row['cropped'])} | {', '.join(row['cropped']) or '-'} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=HERE.parent.parent / "shared" / "data")
    args = parser.parse_args()
    sets = {n: select(discover(str(args.data / f))[1], load_split(HERE.parent / "splits" / s)["test"])
            for n, (f, s) in SETS.items()}  # fmt: skip
    sets["v7_test"] = v7_sample(args.data / "v7_pediatric")[0]
    rows = {n: {"n": len(samples), "cropped": [s.name for s in samples if body_box(read_xray(s.image), 256)]}
            for n, samples in sets.items()}  # fmt: skip
    result = {"command": "python benchmarks/body_crop_count.py", "sets": rows}
    (HERE / "body_crop_count.json").write_text(json.dumps(result, indent=1) + "\n")
    (HERE / "body_crop_count.md").write_text(render(result))
    print(render(result))


if __name__ == "__main__":
    main()
