"""Where the shipped model's wrong pixels lie on the validation films: how far from the manual outline, which way
(lung drawn where the mask has none, or missed), and in which third of the lung's height -> outline_errors.json / .md.

Why (#9 round 37): most wrong pixels on clean films lie within a few pixels of the outline; whether they are a
resolution limit (an outline model at the masks' 512 px could move them) or a difference between the data sets'
drawing conventions (which no single model can please) decides what is worth training.

    python benchmarks/outline_errors.py [--model lungseg-unet-default] [--model-edge EDGE_CHECKPOINT] [--output NAME]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from scipy import ndimage

from lungseg.data.layouts import discover, load_split, select
from lungseg.evaluation.evaluate import read_labelled
from lungseg.evaluation.metrics import overlap_metrics
from lungseg.inference.edge_refine import edge_model_file
from lungseg.inference.segmenter import Segmenter
from lungseg.io.reader import XRay

HERE = Path(__file__).resolve().parent
BANDS = (("within_1.5px", 1.5), ("1.5_to_3px", 3.0), ("beyond_3px", np.inf))
ZONES = ("upper_fifth", "middle", "lower_fifth")


def distance_to_outline(mask: np.ndarray) -> np.ndarray:
    """(H, W) float: each pixel's distance to the mask's outline (inside and outside alike)."""
    return np.where(mask, ndimage.distance_transform_edt(mask), ndimage.distance_transform_edt(~mask))


def zone_of_rows(mask: np.ndarray) -> np.ndarray:
    """(H,) int: 0 for rows in the upper fifth of the mask's height (and above), 1 middle, 2 lower fifth (and below)."""
    rows = np.flatnonzero(mask.any(axis=1))
    rel = (np.arange(mask.shape[0]) - rows[0]) / max(rows[-1] - rows[0] + 1, 1)
    return np.digitize(rel, [0.2, 0.8])


def film_errors(pred: np.ndarray, truth: np.ndarray) -> dict[str, int]:
    """Counts of wrong pixels of one film, by direction (extra / missed) x band and direction x zone."""
    dist, zone = distance_to_outline(truth), zone_of_rows(truth)[:, None]
    out = {}
    for direction, wrong in (("extra", pred & ~truth), ("missed", ~pred & truth)):
        low = 0.0
        for band, high in BANDS:
            out[f"{direction}_{band}"] = int((wrong & (dist > low) & (dist <= high)).sum())
            low = high
        for k, name in enumerate(ZONES):
            out[f"{direction}_{name}"] = int((wrong & (zone == k)).sum())
    return out


def data_set(name: str) -> str:
    return "montgomery" if name.startswith("MCU") else "shenzhen" if name.startswith("CHN") else "wingspan"


def summarise(rows: list[tuple[str, float, dict]]) -> dict:
    """Per data set: films, mean Dice, and each count as a share of all wrong pixels."""
    out = {}
    for ds in sorted({data_set(n) for n, _, _ in rows}):
        part = [(d, c) for n, d, c in rows if data_set(n) == ds]
        totals = {k: sum(c[k] for _, c in part) for k in part[0][1]}
        wrong = sum(totals[f"{d}_{band}"] for d in ("extra", "missed") for band, _ in BANDS)
        out[ds] = {"films": len(part), "dice": round(float(np.mean([d for d, _ in part])), 4),
                   "wrong_pixels": wrong} | {k: round(v / wrong, 3) for k, v in totals.items()}  # fmt: skip
    return out


def render(result: dict) -> str:
    lines = ["# Where the wrong pixels lie (validation films)", "", f"`{result['command']}`", "",
             "Shares of each set's wrong pixels (extra: lung drawn outside the manual mask; missed: inside it, not "
             "drawn); bands are distances to the manual outline at the masks' 512 px; zones are fifths of the "
             "manual lungs' height.", ""]  # fmt: skip
    for label, sets in result["models"].items():
        lines += [f"## {label}", "", "| set | films | Dice | " + " | ".join(k for k in next(iter(sets.values()))
                  if k not in ("films", "dice", "wrong_pixels")) + " |"]  # fmt: skip
        lines.append("|---" * len(next(iter(sets.values()))) + "|")
        for ds, row in sets.items():
            vals = [str(v) for k, v in row.items() if k not in ("films", "dice", "wrong_pixels")]
            lines.append(f"| {ds} | {row['films']} | {row['dice']} | " + " | ".join(vals) + " |")
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=HERE.parent.parent / "shared" / "data")
    parser.add_argument("--model", default="lungseg-unet-default")
    parser.add_argument("--model-edge", help="also score the model with this edge model (edge_refine.py)")
    parser.add_argument("--output", default="outline_errors", help="the JSON's and .md's name in benchmarks/")
    args = parser.parse_args()
    chosen = select(discover([str(args.data / "Lung Segmentation"), str(args.data / "wingspan")])[1],
                    load_split(HERE.parent / "splits" / "pathology.json")["val"])  # fmt: skip
    labelled = [(s.name, *read_labelled(s)) for s in chosen]
    runs = {"shipped": None} | ({"with_edge_model": args.model_edge} if args.model_edge else {})
    result = {"command": "python benchmarks/outline_errors.py" + (f" --model {args.model}" if args.model !=
              "lungseg-unet-default" else "") + (f" --model-edge {args.model_edge}" if args.model_edge else "")
              + (f" --output {args.output}" if args.output != "outline_errors" else ""),
              "models": {}}  # fmt: skip
    for label, edge in runs.items():
        seg = Segmenter.from_pretrained(args.model, precision="fp32", heart=None,
                                        edge_model=edge_model_file(edge) if edge else None)  # fmt: skip
        rows = []
        for name, image, truth in labelled:
            pred = seg(XRay(image)).mask
            rows.append((name, overlap_metrics(pred, truth)["dice"], film_errors(pred, truth)))
        result["models"][label] = summarise(rows)
        print(label, json.dumps(result["models"][label]), flush=True)
    (HERE / f"{args.output}.json").write_text(json.dumps(result, indent=1) + "\n")
    (HERE / f"{args.output}.md").write_text(render(result) + "\n")


if __name__ == "__main__":
    main()
