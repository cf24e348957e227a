"""The anatomical convention (``--convention anatomical``) against masks that draw the anatomical lung.

The v7 pediatric masks include the lung behind the heart; lungseg's default masks stop at the heart border.
Each v7 film goes through the shipped model once; its visible-field labels and heart are then turned into
the anatomical convention by each candidate rule, and every result is scored against the full v7 mask (not
only the agreement zone). Chosen on the 100 validation films of ``splits/v7_pediatric.json``; the 200 test
films are reported, not chosen on. Candidates: the visible field as it is; each lung's convex hull; the
hull with the heart shadow in a band reaching a fifth of the way to the heart's centre; the hull with the
heart shadow in the lung's innermost column above its lowest row; the same with nothing added below the
diaphragm (``lungseg/inference/convention.py``).

``--learned CKPT`` adds a model trained on the anatomical convention itself (``configs/anatomical_learned.yaml``),
scored on its own masks; ``--keep-learned`` keeps that row from the last anatomical.json instead (the
experiment does not change when the shipped model does, and its checkpoint lives in an ignored folder).

Usage: python benchmarks/anatomical.py [--limit N] [--learned CKPT | --keep-learned]
Writes anatomical.json and anatomical.md.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from lungseg.data.layouts import discover, load_split, select
from lungseg.evaluation.evaluate import read_labelled
from lungseg.evaluation.metrics import overlap_metrics
from lungseg.inference.convention import anatomical_labels, anatomical_lung, fill_convex
from lungseg.inference.postprocess import LEFT_LUNG, RIGHT_LUNG
from lungseg.inference.segmenter import Segmenter
from lungseg.io.reader import XRay

HERE = Path(__file__).resolve().parent
COMMAND = "python benchmarks/anatomical.py"


def hull_only(labels: np.ndarray, heart: np.ndarray) -> np.ndarray:
    out = labels > 0
    for label in (RIGHT_LUNG, LEFT_LUNG):
        out |= fill_convex(np.argwhere(labels == label), labels.shape)
    return out


def wide_band(labels: np.ndarray, heart: np.ndarray, reach: float = 0.2) -> np.ndarray:
    """The rule with the heart shadow in a band from the lung's inner border ``reach`` of the way to the
    heart's centre column (instead of the innermost column alone)."""
    out = labels > 0
    cols = np.flatnonzero(heart.any(axis=0))
    for label, image_left in ((RIGHT_LUNG, True), (LEFT_LUNG, False)):
        rows, xs = np.nonzero(labels == label)
        if len(rows) == 0 or len(cols) == 0:
            continue
        inner = xs.max() if image_left else xs.min()
        reach_to = int(np.rint(inner + reach * ((cols[0] + cols[-1]) / 2 - inner)))
        band = np.zeros_like(heart)
        band[: rows.max() + 1, min(inner, reach_to) : max(inner, reach_to) + 1] = True
        out |= fill_convex(np.concatenate([np.stack([rows, xs], 1), np.argwhere(heart & band)]), labels.shape)
    return out


def no_floor(labels: np.ndarray, heart: np.ndarray) -> np.ndarray:
    """The rule without its floor: each lung's hull with the heart shadow, also below the domes."""
    out = labels > 0
    for label, image_left in ((RIGHT_LUNG, True), (LEFT_LUNG, False)):
        out |= anatomical_lung(labels == label, heart, image_left)
    return out


RULES = {
    "visible": lambda labels, heart: labels > 0,
    "hull": hull_only,
    "hull + heart shadow, band to 1/5 of the heart": wide_band,
    "hull + heart shadow, innermost column": no_floor,
    "hull + heart shadow, innermost column, floor at the diaphragm (shipped)":
        lambda labels, heart: anatomical_labels(labels, heart) > 0,
}


def score(seg: Segmenter, films: list) -> dict:
    dice: dict[str, list[float]] = {k: [] for k in RULES}
    seconds = []
    for sample in films:
        image, mask = read_labelled(sample)
        result = seg(XRay(np.asarray(image, np.float32)))
        labels = np.where(result.labels == 3, 0, result.labels)
        for name, rule in RULES.items():
            started = time.perf_counter()
            estimate = rule(labels, result.heart)
            if "shipped" in name:
                seconds.append(time.perf_counter() - started)
            dice[name].append(overlap_metrics(estimate, mask)["dice"])
    out = {k: {"dice_mean": round(float(np.mean(v)), 4), "dice_min": round(float(np.min(v)), 4)}
           for k, v in dice.items()}  # fmt: skip
    out["n"] = len(films)
    out["rule_ms_median"] = round(1000 * float(np.median(seconds)), 2)
    return out


def score_model(seg: Segmenter, films: list) -> dict:
    """Dice of a model's own masks (one trained on the anatomical convention) against the v7 masks."""
    dice = []
    for sample in films:
        image, mask = read_labelled(sample)
        dice.append(overlap_metrics(seg(XRay(np.asarray(image, np.float32))).mask, mask)["dice"])
    return {"dice_mean": round(float(np.mean(dice)), 4), "dice_min": round(float(np.min(dice)), 4), "n": len(dice)}


def render(result: dict) -> str:
    lines = ["# The anatomical convention", "",
             f"Generated by `{result['command']}` (`anatomical.json`). The shipped model on the v7 pediatric films,",
             "scored against their whole anatomical masks (the lung behind the heart included), with each rule",
             "that turns its visible-field lungs and heart into that convention. Chosen on validation.", "",
             "| rule | validation Dice mean (min) | test Dice mean (min) |", "|---|---|---|"]  # fmt: skip
    val, test = result["validation"], result["test"]
    for name in RULES:
        lines.append(f"| {name} | {val[name]['dice_mean']} ({val[name]['dice_min']}) | "
                     f"{test[name]['dice_mean']} ({test[name]['dice_min']}) |")  # fmt: skip
    learned = result.get("learned")
    if learned:
        v, t = learned["validation"], learned["test"]
        lines.append(f"| learned: `{learned['model']}` (experiment, not shipped) | {v['dice_mean']} "
                     f"({v['dice_min']}) | {t['dice_mean']} ({t['dice_min']}) |")  # fmt: skip
    lines += ["", f"Films: {val['n']} validation, {test['n']} test. The rule takes {test['rule_ms_median']} ms per "
              "512 px film (median).", ""]  # fmt: skip
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=str(HERE.parent.parent / "shared" / "data" / "v7_pediatric"))
    parser.add_argument("--limit", type=int, default=0, help="films per part (smoke runs)")
    parser.add_argument("--learned", help="also score a checkpoint trained on the anatomical convention")
    parser.add_argument("--keep-learned", action="store_true", help="keep the learned row of the last run")
    args = parser.parse_args()
    kept = json.loads((HERE / "anatomical.json").read_text()).get("learned") if args.keep_learned else None
    split = load_split(HERE.parent / "splits" / "v7_pediatric.json")
    samples = discover(args.data)[1]
    seg = Segmenter.from_pretrained(precision="fp32")  # fp32, as every committed figure (bf16 CPUs move them a little)
    result: dict = {"command": COMMAND + (f" --learned {args.learned}" if args.learned else "")
                    + (" --keep-learned" if kept else "")}  # fmt: skip
    learned = Segmenter.from_pretrained(args.learned, precision="fp32") if args.learned else None
    if learned is not None:
        result["learned"] = {"model": args.learned}
    elif kept:
        result["learned"] = kept
    for part, key in (("validation", "val"), ("test", "test")):
        films = select(samples, split[key])
        films = films[: args.limit] if args.limit else films
        result[part] = score(seg, films)
        if learned is not None:
            result["learned"][part] = score_model(learned, films)
        print(part, json.dumps(result[part]), json.dumps(result.get("learned", {}).get(part)))
    (HERE / "anatomical.json").write_text(json.dumps(result, indent=1) + "\n")
    (HERE / "anatomical.md").write_text(render(result))


if __name__ == "__main__":
    main()
