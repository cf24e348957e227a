"""Films on their side or upside down: does the orientation check find the upright film, and never turn one that is?

1. The view model's logit (positive: not frontal) on every validation and test film, adult (Montgomery, Shenzhen,
   Wingspan) and children's (v7), as it came and turned by one, two and three quarter turns: the check tries the turns
   only above ``TURN_ABOVE`` and takes the lowest turn below ``TURN_BELOW`` (``lungseg/inference/orientation.py``).
2. Dice of the shipped pipeline on the adult films turned each way, with the check (``orientation="auto"``, the
   default) and without (``"keep"``), against the manual mask turned the same way; a film both turned and inverted too.
3. Films with a portable film's look (``pathology_kinds.portable``, 4 draws), upright and turned by a quarter, through
   the shipped pipeline: how many it turns, upright or the wrong way.
4. Upright validation films under ``benchmarks/robustness.py``'s perturbations: how many the check turns (it must not).

The rule's thresholds were chosen on the validation films with a portable look (the first rule, 0 and no margin,
turned one upright film of them); the lung model's veto (``orientation.upright_is_surer``) was added after this
benchmark's first full run, in which the rule alone, on whole-film logits, would have turned 4 of 692 upright test
films with a portable look. The test rows are reported as they came.
Usage: python benchmarks/orientation.py [--data PATH] [--limit N]  -> benchmarks/orientation.json and .md
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
from robustness import PERTURBATIONS  # noqa: E402

from lungseg.data.layouts import discover, select  # noqa: E402
from lungseg.evaluation.evaluate import read_labelled  # noqa: E402
from lungseg.evaluation.metrics import overlap_metrics  # noqa: E402
from lungseg.inference.orientation import FLAG, TURN_ABOVE, TURN_BELOW, TURN_MARGIN, turn_for  # noqa: E402
from lungseg.inference.segmenter import Segmenter  # noqa: E402
from lungseg.inference.view import bundled_view_model, not_frontal_logit  # noqa: E402
from lungseg.io.reader import XRay, read_xray  # noqa: E402

WAYS = {"upright": lambda a: a, "quarter turn": lambda a: np.rot90(a, 1), "half turn": lambda a: np.rot90(a, 2),
        "three quarter turns": lambda a: np.rot90(a, 3),
        "quarter turn, inverted": lambda a: 1 - np.rot90(a, 1)}  # fmt: skip


def logits(films: list[np.ndarray]) -> dict:
    """Part 1: the view logits of ``films`` upright and turned; what the check would do with each upright film."""
    model = bundled_view_model("onnxruntime")
    turns = [[np.ascontiguousarray(np.rot90(f, k)) for k in range(4)] for f in films]
    table = np.array([[not_frontal_logit(t, model) for t in row] for row in turns])
    return {"films": len(films), "upright_max": round(float(table[:, 0].max()), 2),
            "turned_min": round(float(table[:, 1:].min()), 2),
            "upright_checked": int((table[:, 0] > TURN_ABOVE).sum()),
            "lowest_is_upright": int((table.argmin(axis=1) == 0).sum()),
            "turned_found": int(sum(_found(row, k) for row in table for k in (1, 2, 3)))}


def _found(row: np.ndarray, k: int) -> bool:
    """Whether the film turned by ``k`` (its logits: ``row``, the upright film's four, rolled by ``k``) is checked and
    turned upright by the check's own rule (``orientation.turn_for``), on logits of whole turned films."""
    j = turn_for(np.roll(row, -k))
    return bool(j) and (k + j) % 4 == 0


def portable_counts(seg: Segmenter, pairs: list, draws: int = 4) -> dict:
    """Films given a portable film's look (``pathology_kinds.portable``, ``draws`` seeds each), through the shipped
    pipeline upright and turned by a quarter: how many upright ones it turns, and how many turned ones it turns
    upright, the wrong way, or not at all; Dice of both against the manual mask."""
    out = {"films": 0, "upright_turned": 0, "turned_found": 0, "turned_wrong_way": 0, "turned_missed": 0}
    dice: dict[str, list[float]] = {"upright": [], "turned": []}
    for i, (image, mask) in enumerate(pairs):
        for d in range(draws):
            film, ref = portable(image, mask, i + 1000 * d)
            upright = seg(XRay(film.astype(np.float32)))
            side = seg(XRay(np.ascontiguousarray(np.rot90(film, 1)).astype(np.float32)))
            out["films"] += 1
            out["upright_turned"] += upright.turns != 0
            key = {0: "turned_missed", 3: "turned_found"}.get(side.turns, "turned_wrong_way")
            out[key] += 1
            dice["upright"].append(overlap_metrics(upright.mask, ref)["dice"])
            dice["turned"].append(overlap_metrics(side.mask, np.ascontiguousarray(np.rot90(ref, 1)))["dice"])
    return out | {f"dice_{k}": round(float(np.mean(v)), 4) for k, v in dice.items()}


def dice_rows(segmenters: dict, pairs: list) -> dict:
    """Part 2: per way and setting, Dice mean and min and how many results carry the flag."""
    out = {}
    for way, fn in WAYS.items():
        for name, seg in segmenters.items():
            scores, flagged = [], 0
            for image, mask in pairs:
                result = seg(XRay(np.ascontiguousarray(fn(image)).astype(np.float32)))
                scores.append(overlap_metrics(result.mask, np.ascontiguousarray(WAYS[way.split(",")[0]](mask)))["dice"])
                flagged += FLAG in result.measurements.get("flags", "")
            out[f"{way} | {name}"] = {"mean": round(float(np.mean(scores)), 4), "min": round(float(min(scores)), 4),
                                      "flagged": flagged, "films": len(scores)}  # fmt: skip
    return out


def false_turns(seg: Segmenter, pairs: list) -> dict:
    """Part 3: upright films under each perturbation: how many the check turned."""
    return {name: sum(FLAG in seg(XRay(fn(image, mask)[0])).measurements.get("flags", "") for image, mask in pairs)
            for name, fn in PERTURBATIONS.items()}  # fmt: skip


def render(r: dict) -> str:
    lines = ["# Films on their side or upside down", "", f"Generated by `{r['command']}` (`orientation.json`); see the "
             "script's docstring. The check runs only where the view logit (positive: not frontal) is above "
             f"{r['turn_above']}, and turns a film to its quarter turn with the lowest logit when that is below "
             f"{r['turn_below']} and {r['turn_margin']} below the film's own.", "",
             "## The view model's logit, upright and turned", "",
             "| films | n | upright: highest | turned: lowest | upright films checked | lowest logit is upright "
             "| turned films the check turns upright |", "|---|---|---|---|---|---|---|"]  # fmt: skip
    for name, row in r["logits"].items():
        lines.append(f"| {name} | {row['films']} | {row['upright_max']} | {row['turned_min']} "
                     f"| {row['upright_checked']} | {row['lowest_is_upright']} of {row['films']} "
                     f"| {row['turned_found']} of {3 * row['films']} |")
    for split in ("val", "test"):
        lines += ["", f"## Dice of the shipped pipeline, adult {split} films turned", "",
                  "| film | check | Dice mean | Dice min | flagged turned_input |", "|---|---|---|---|---|"]
        for key, row in r["dice"][split].items():
            way, name = key.split(" | ")
            lines.append(f"| {way} | {name} | {row['mean']:.4f} | {row['min']:.4f} "
                         f"| {row['flagged']} of {row['films']} |")
    lines += ["", "## Films with a portable film's look (`pathology_kinds.portable`, 4 draws each)", "",
              "| films | n | upright films turned | Dice upright | a quarter turn: turned upright | the wrong way "
              "| not turned | Dice turned |", "|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for split, row in r["portable"].items():
        lines.append(f"| {split} | {row['films']} | {row['upright_turned']} | {row['dice_upright']:.4f} "
                     f"| {row['turned_found']} | {row['turned_wrong_way']} | {row['turned_missed']} "
                     f"| {row['dice_turned']:.4f} |")
    lines += ["", "## Upright validation films perturbed (`benchmarks/robustness.py`): films the check turned", "",
              "| perturbation | turned |", "|---|---|"]
    lines += [f"| {name} | {n} of {r['false_turns_films']} |" for name, n in r["false_turns"].items()]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=HERE.parent.parent / "shared" / "data")
    parser.add_argument("--limit", type=int, default=0)
    args = parser.parse_args(argv)
    auto, keep = Segmenter.from_pretrained(), Segmenter.from_pretrained(orientation="keep")
    samples = discover([str(args.data / "Lung Segmentation"), str(args.data / "wingspan")])[1]
    pairs = {s: [read_labelled(x) for x in select(samples, auto.payload["split"][s])[: args.limit or None]]
             for s in ("val", "test")}  # fmt: skip
    v7 = json.loads((HERE.parent / "splits" / "v7_pediatric.json").read_text())
    names = (v7["val"] + v7["test"])[: args.limit or None]
    children = [read_xray(next((args.data / "v7_pediatric" / "images").glob(n + ".*"))).pixels for n in names]
    result = {"command": " ".join(["python benchmarks/orientation.py", *(argv if argv is not None else sys.argv[1:])]),
              "turn_above": TURN_ABOVE, "turn_below": TURN_BELOW, "turn_margin": TURN_MARGIN,
              "logits": {"adult, validation + test": logits([i for s in pairs.values() for i, _ in s]),
                         "children's (v7), validation + test": logits(children)},
              "portable": {"validation": portable_counts(auto, pairs["val"]),
                           "test": portable_counts(auto, pairs["test"])},
              "dice": {s: dice_rows({"on": auto, "off": keep}, p) for s, p in pairs.items()},
              "false_turns": false_turns(auto, pairs["val"]), "false_turns_films": len(pairs["val"])}  # fmt: skip
    (HERE / "orientation.json").write_text(json.dumps(result, indent=1) + "\n")
    (HERE / "orientation.md").write_text(render(result))
    print(render(result))


if __name__ == "__main__":
    main()
