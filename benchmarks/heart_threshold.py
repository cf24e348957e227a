"""The heart threshold on validation: heart Dice and CTR error on the Wingspan validation films at each threshold.

Training calibrates the heart threshold on the heart Dice of the validation films; the CTR, which users read, moves
with the heart's width, so a threshold that adds a little heart Dice can add CTR bias. This scores, for each model and
each threshold, the heart Dice and the CTR error (mean absolute, bias) on the 16 Wingspan validation films
(``splits/pathology.json``'s val list; never trained on, never tested on), lungs and post-processing as shipped.

``chosen``: the rule of round 43 (written after v6.5's test CTR, so said so in the card): the grid's threshold with
the smallest validation CTR error among those whose heart Dice is within 0.001 of the best. ``--write LABEL=FILE``
writes a copy of that model's checkpoint with its heart threshold set to the chosen one (the input is kept).

Usage: python benchmarks/heart_threshold.py --models v64=runs/v64_default_fp32.pt+shape new=lungseg-unet-default
  [--thresholds 0.8 0.85 0.9 0.95] [--output heart_threshold] [--write LABEL=FILE]
  -> benchmarks/<output>.json and .md
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from accuracy import model_and_shape  # noqa: E402

from lungseg.data.layouts import discover, load_split, select  # noqa: E402
from lungseg.evaluation.evaluate import evaluate_sample  # noqa: E402
from lungseg.inference.segmenter import Segmenter  # noqa: E402


def scores(seg: Segmenter, films: list, threshold: float) -> dict:
    """Heart Dice mean, CTR mean absolute error and bias over ``films`` with the heart cut at ``threshold``."""
    seg.own_heart = dataclasses.replace(seg.own_heart, threshold=threshold)
    rows = [evaluate_sample(seg, s) for s in films]
    ctr = [r["ctr"] - r["ctr_reference"] for r in rows if "ctr_reference" in r]
    return {"threshold": threshold, "heart_dice": round(float(np.mean([r["heart_dice"] for r in rows])), 4),
            "ctr_mae": round(float(np.mean(np.abs(ctr))), 4), "ctr_bias": round(float(np.mean(ctr)), 4),
            "n": len(rows), "n_ctr": len(ctr)}  # fmt: skip


def choose(rows: list[dict], tolerance: float = 0.001) -> float:
    """The threshold with the smallest CTR error among rows whose heart Dice is within ``tolerance`` of the best
    (ties: the higher Dice, then the lower threshold)."""
    best = max(r["heart_dice"] for r in rows)
    near = [r for r in rows if r["heart_dice"] >= best - tolerance]
    return min(near, key=lambda r: (r["ctr_mae"], -r["heart_dice"], r["threshold"]))["threshold"]


def write_copy(source: str, target: str, threshold: float) -> None:
    """``source`` checkpoint (a file or a bundled name) copied to ``target`` with ``heart_threshold`` set."""
    import torch

    from lungseg.io.atomic import atomic_path
    from lungseg.model.checkpoint import read_checkpoint
    from lungseg.model.pretrained import PRETRAINED, resolve_pretrained

    payload = read_checkpoint(resolve_pretrained(source) if source in PRETRAINED else source)
    payload["heart_threshold"] = threshold
    with atomic_path(target) as tmp:
        torch.save(payload, tmp)


def render(out: dict) -> str:
    lines = ["# The heart threshold on validation", "", f"`{out['command']}`", "",
             "Wingspan validation films: heart Dice mean, CTR mean absolute error and bias (predicted - reference) at "
             "each heart threshold; `calibrated`: the threshold training chose (heart Dice); `chosen`: the smallest "
             "CTR error among thresholds within 0.001 of the best heart Dice.", "",
             "| model | threshold | heart Dice | CTR error | CTR bias |", "|---|---|---|---|---|"]  # fmt: skip
    for label, r in out["results"].items():
        for row in r["rows"]:
            mark = " (calibrated)" if row["threshold"] == r["calibrated"] else ""
            mark += " (chosen)" if row["threshold"] == r["chosen"] else ""
            lines.append(f"| {label} | {row['threshold']}{mark} | {row['heart_dice']:.4f} | {row['ctr_mae']:.4f} | "
                         f"{row['ctr_bias']:+.4f} |")  # fmt: skip
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", nargs="+", required=True, help="LABEL=MODEL (MODEL+shape: with the shape model)")
    parser.add_argument("--thresholds", nargs="+", type=float, default=[0.8, 0.85, 0.9, 0.95])
    parser.add_argument("--data", default=str(HERE.parent.parent / "shared" / "data"))
    parser.add_argument("--output", default="heart_threshold")
    parser.add_argument("--write", help="LABEL=FILE: that model's checkpoint copied with the chosen heart threshold")
    args = parser.parse_args(argv)
    samples = discover([str(Path(args.data) / "wingspan")])[1]
    wingspan = {s.name for s in samples}
    val = [n for n in load_split(HERE.parent / "splits" / "pathology.json")["val"] if n in wingspan]
    films = [s for s in select(samples, val) if s.heart is not None]
    results = {}
    for spec in args.models:
        label, model = spec.split("=", 1)
        name, shape = model_and_shape(model)
        seg = Segmenter.from_pretrained(name, precision="fp32", shape_model=shape)
        calibrated = seg.own_heart.threshold
        grid = sorted({*args.thresholds, calibrated})
        rows = [scores(seg, films, t) for t in grid]
        results[label] = {"model": model, "calibrated": calibrated, "chosen": choose(rows), "rows": rows}
        print(label, results[label], flush=True)
    if args.write:
        label, target = args.write.split("=", 1)
        write_copy(model_and_shape(results[label]["model"])[0], target, results[label]["chosen"])
    command = f"python benchmarks/heart_threshold.py --models {' '.join(args.models)}"
    if args.thresholds != parser.get_default("thresholds"):
        command += f" --thresholds {' '.join(map(str, args.thresholds))}"
    command += f" --output {args.output}" if args.output != "heart_threshold" else ""
    command += f" --write {args.write}" if args.write else ""
    out = {"command": command, "n_films": len(films), "results": results}
    (HERE / f"{args.output}.json").write_text(json.dumps(out, indent=1) + "\n")
    (HERE / f"{args.output}.md").write_text(render(out))


if __name__ == "__main__":
    main()
