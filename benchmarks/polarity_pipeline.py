"""The polarity decision as the shipped pipeline makes it, on validation films as they came and inverted (round 52).

``benchmarks/polarity_model.py`` judges the polarity model alone on the test films. This scores what a user gets:
``lungseg-unet-default`` as shipped (polarity ``auto``, shape model) on the validation films of
``splits/pathology.json`` (adult: clean, and with the portable case's look, ``pathology_kinds.portable``) and of
``splits/v7_pediatric.json`` (children, clean, scored on the zone both conventions agree on), each as it came and with
its grey scale turned over (``1 - film``): the Dice against the manual mask (moved with the film) and whether the row is
flagged ``inverted_input``. Validation films only: it is for choosing.

Usage: python benchmarks/polarity_pipeline.py [--data PATH] [--output NAME]  -> benchmarks/<NAME>.json and .md
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from pathology_kinds import portable  # noqa: E402
from validation_choice import v7_films  # noqa: E402

from lungseg.data.layouts import discover, load_split, select  # noqa: E402
from lungseg.evaluation.evaluate import read_labelled  # noqa: E402
from lungseg.evaluation.metrics import overlap_metrics  # noqa: E402
from lungseg.inference.polarity import FLAG  # noqa: E402
from lungseg.inference.segmenter import Segmenter  # noqa: E402
from lungseg.io.reader import XRay  # noqa: E402

SETS = ("adult_clean", "adult_portable", "children_clean")
WAYS = ("as_came", "inverted")


def cases(data: Path) -> list[tuple[str, str, np.ndarray, np.ndarray, np.ndarray | None]]:
    """(set, name, film, reference, zone or None) for every validation case, upright."""
    adult = select(discover([str(data / "Lung Segmentation"), str(data / "wingspan")])[1],
                   load_split(HERE.parent / "splits" / "pathology.json")["val"])  # fmt: skip
    out = []
    for i, s in enumerate(adult):
        image, mask = read_labelled(s)
        out.append(("adult_clean", s.name, image, mask, None))
        film, ref = portable(image, mask, i)
        out.append(("adult_portable", s.name, film, ref, None))
    children = v7_films(data / "v7_pediatric", str(HERE.parent / "splits" / "v7_pediatric.json"), "val")
    for k, (image, mask, zone, _) in enumerate(children):
        out.append(("children_clean", f"v7_{k}", image, mask, zone))
    return out


def scores(data: Path) -> list[dict]:
    """One row per case and way: Dice (on the zone for the children) and whether the row says ``inverted_input``."""
    seg = Segmenter.from_pretrained("lungseg-unet-default", quality=False, precision="fp32")
    rows = []
    for kind, name, film, ref, zone in cases(data):
        for way in WAYS:
            result = seg(XRay((film if way == "as_came" else 1 - film).astype(np.float32)))
            pred = result.mask if zone is None else result.mask & zone
            rows.append({"set": kind, "name": name, "way": way, "flagged": FLAG in result.measurements["flags"],
                         "dice": round(overlap_metrics(pred, ref if zone is None else ref & zone)["dice"], 4)})
    return rows


def summary(rows: list[dict]) -> dict:
    out: dict = {}
    for kind in SETS:
        for way in WAYS:
            r = [x for x in rows if x["set"] == kind and x["way"] == way]
            out[f"{kind}/{way}"] = {"n": len(r), "dice_mean": round(float(np.mean([x["dice"] for x in r])), 4),
                                    "dice_min": min(x["dice"] for x in r), "flagged": sum(x["flagged"] for x in r)}
    return out


def render(out: dict) -> str:
    lines = ["# The polarity decision in the shipped pipeline (validation films)", "", f"`{out['command']}`", "",
             "Each validation case as it came and with its grey scale turned over; Dice of `lungseg-unet-default` as "
             "shipped, and how many rows are flagged `inverted_input` (turned back before segmenting).", "",
             "| set / way | n | Dice mean | Dice min | flagged inverted_input |", "|---|---|---|---|---|"]  # fmt: skip
    for key, s in out["summary"].items():
        lines.append(f"| {key} | {s['n']} | {s['dice_mean']} | {s['dice_min']} | {s['flagged']} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=str(HERE.parent.parent / "shared" / "data"))
    parser.add_argument("--output", default="polarity_pipeline")
    args = parser.parse_args(argv)
    rows = scores(Path(args.data))
    command = "python benchmarks/polarity_pipeline.py" + (f" --output {args.output}"
                                                           if args.output != "polarity_pipeline" else "")  # fmt: skip
    out = {"command": command, "summary": summary(rows), "rows": rows}
    (HERE / f"{args.output}.json").write_text(json.dumps(out, indent=1) + "\n")
    (HERE / f"{args.output}.md").write_text(render(out))
    print(render(out))


if __name__ == "__main__":
    main()
