"""Pathology benchmark: how models segment sick lungs (real abnormal films and simulated disease).

(a) Real films: the Montgomery test half and Shenzhen held-out 10% by group (normal / tuberculosis),
    the Wingspan test part (``splits/wingspan_test.txt``) and a fixed sample of 200 v7 pediatric films
    (150 pneumonia, 50 normal; never trained on). v7 masks draw the anatomical lung, including the lung
    behind the heart, so v7 is scored on the zones both conventions agree on: the medial 35% of each
    reference lung below its vertical midpoint (heart border, retrocardiac lung) is left out of both masks.
(b) The Montgomery and Shenzhen test images with simulated disease from ``pathology_kinds.py`` (own
    fixed seeds): three kinds training never uses (mass, nodules, lobar) and three it does.
(c) Per-kind Dice, the worst cases, and a picture of the five worst simulated cases of the first model.

Usage: python benchmarks/pathology.py --models lungseg-unet-default runs/patho/best.pt [--limit N]
Writes benchmarks/pathology.json, benchmarks/pathology.md and benchmarks/pathology_worst.png (``--output F.json``:
F.json, F.md, F_worst.png). A model ending in ``+shape`` runs with the learned shape prior (``--shape-model``),
``+noshape`` without it; neither: as ``lungseg segment`` runs it (on for the bundled default model).
"""

from __future__ import annotations

import argparse
import csv
import json
import random
from pathlib import Path

import numpy as np
from accuracy import model_and_shape
from pathology_kinds import SEEN, UNSEEN
from PIL import Image

from lungseg.data.layouts import Sample, discover, load_split, select
from lungseg.data.nlm import nlm_group
from lungseg.evaluation.evaluate import read_labelled
from lungseg.evaluation.metrics import overlap_metrics
from lungseg.inference.render import overlay
from lungseg.inference.segmenter import Segmenter
from lungseg.io.reader import XRay
from lungseg.training.conventions import agreement_zone

HERE = Path(__file__).resolve().parent
SPLITS = HERE.parent / "splits"


def v7_groups(root: Path) -> dict[str, str]:
    """stem -> "pneumonia" or "normal", from the class column of v7_pediatric's pairs.csv."""
    with (root / "pairs.csv").open(newline="") as f:
        return {r["stem"]: "normal" if r["class"] == "NORMAL" else "pneumonia" for r in csv.DictReader(f)}


def v7_sample(root: Path, n_pneumonia: int = 150, n_normal: int = 50) -> tuple[list[Sample], dict[str, str]]:
    groups = v7_groups(root)
    sick = sorted(n for n, g in groups.items() if g == "pneumonia")
    normal = sorted(n for n, g in groups.items() if g == "normal")
    names = random.Random(0).sample(sick, n_pneumonia) + random.Random(0).sample(normal, n_normal)
    return select(discover(root)[1], names), {n: groups[n] for n in names}


def score(segmenter: Segmenter, image: np.ndarray, mask: np.ndarray, zone: np.ndarray | None = None) -> float:
    pred = segmenter(XRay(image)).mask
    if zone is not None:
        pred, mask = pred & zone, mask & zone
    return overlap_metrics(pred, mask)["dice"]


def real_sets(data: Path, limit: int) -> dict[str, tuple[list[Sample], dict[str, str], bool]]:
    """name -> (samples, image -> group, use the agreement zone)."""
    kaggle = discover(data / "Lung Segmentation")[1]
    sets = {}
    for name in ("montgomery", "shenzhen"):
        chosen = select(kaggle, load_split(SPLITS / f"{name}_test.txt")["test"])[: limit or None]
        sets[name] = (chosen, {s.name: nlm_group(s.name) for s in chosen}, False)
    wing = select(discover(data / "wingspan")[1], load_split(SPLITS / "wingspan_test.txt")["test"])[: limit or None]
    sets["wingspan"] = (wing, {s.name: "adult" for s in wing}, False)
    v7, groups = v7_sample(data / "v7_pediatric")
    sets["v7_pediatric"] = (v7[: limit or None], groups, True)
    return sets


def run_real(segmenter: Segmenter, sets: dict) -> dict:
    out = {}
    for name, (samples, groups, zoned) in sets.items():
        rows = []
        for s in samples:
            image, mask = read_labelled(s)
            zone = agreement_zone(mask) if zoned else None
            rows.append((s.name, groups[s.name], score(segmenter, image, mask, zone)))
        out[name] = summarise(rows)
    return out


def run_simulated(segmenter: Segmenter, samples: list[Sample]) -> tuple[dict, list]:
    per_kind, cases = {}, []
    pairs = [(s.name, *read_labelled(s)) for s in samples]
    for k, (kind, fn) in enumerate({**UNSEEN, **SEEN}.items()):
        rows = []
        for i, (name, image, mask) in enumerate(pairs):
            sick = np.clip(fn(image, mask, np.random.default_rng([k, i])), 0, 1).astype(np.float32)
            result = segmenter(XRay(sick))
            dice = overlap_metrics(result.mask, mask)["dice"]
            rows.append((name, kind, dice))
            cases.append((dice, kind, name, sick, result.labels))
        per_kind[kind] = summarise(rows) | {"seen_in_training": kind in SEEN}
    cases.sort(key=lambda c: c[0])
    return per_kind, cases[:5]


def summarise(rows: list[tuple[str, str, float]]) -> dict:
    dice = [r[2] for r in rows]
    groups = sorted({r[1] for r in rows if r[1]})
    worst = sorted(rows, key=lambda r: r[2])[:5]
    return {
        "n": len(rows), "dice_mean": float(np.mean(dice)), "dice_min": float(np.min(dice)),
        "below_0.85": int(sum(d < 0.85 for d in dice)),
        "groups": {g: group_summary([r[2] for r in rows if r[1] == g]) for g in groups},
        "worst": [[r[0], round(r[2], 4)] for r in worst],
    }  # fmt: skip


def group_summary(dice: list[float]) -> dict:
    return {"n": len(dice), "dice_mean": float(np.mean(dice)), "dice_min": float(np.min(dice))}


def save_worst(cases: list, path: Path) -> None:
    tiles = [np.asarray(Image.fromarray(overlay(c[3], c[4])).resize((256, 256))) for c in cases]
    Image.fromarray(np.concatenate(tiles, axis=1)).save(path)


def render(command: str, results: dict, worst: str = "pathology_worst.png") -> str:
    """benchmarks/pathology.md from the results (every figure in it comes from pathology.json)."""
    models = list(results)
    head = "| | " + " | ".join(f"`{m}`" for m in models) + " |\n|---|" + "---|" * len(models) + "\n"
    figures = worst.removesuffix("_worst.png") + ".json"
    lines = ["# Pathology benchmark", "", f"Generated by `{command}` (figures also in `{figures}`).",
             "Dice at the masks' own resolution, on the masks `lungseg segment` writes. See the module docstring of",
             "`benchmarks/pathology.py` for the sets and the v7 agreement zone.", "",
             "## (a) Real films: Dice mean (min), by group", "", head.rstrip("\n")]  # fmt: skip
    first = results[models[0]]["real"]
    for name, summary in first.items():
        for group in ["all", *summary["groups"]]:
            cells = []
            for m in models:
                s = results[m]["real"][name]
                g = s if group == "all" else s["groups"][group]
                n = s["n"] if group == "all" else g["n"]
                cells.append(f"{g['dice_mean']:.4f} ({g['dice_min']:.3f})")
            lines.append(f"| {name}, {group} (n={n}) | " + " | ".join(cells) + " |")
    lines += ["", "## (b) Simulated disease on the Montgomery and Shenzhen test images: Dice mean (min), "
              "images below 0.85", "", head.rstrip("\n")]  # fmt: skip
    for kind, summary in results[models[0]]["simulated"].items():
        seen = "seen in training" if summary["seen_in_training"] else "**never seen in training**"
        cells = [f"{results[m]['simulated'][kind]['dice_mean']:.4f} ({results[m]['simulated'][kind]['dice_min']:.3f}), "
                 f"{results[m]['simulated'][kind]['below_0.85']}" for m in models]  # fmt: skip
        lines.append(f"| {kind} ({seen}) | " + " | ".join(cells) + " |")
    last = models[-1]
    lines += ["", f"## (c) The five worst simulated cases of `{last}`", "",
              f"`{worst}`, left to right: " + "; ".join(f"{n} {k} Dice {d}"
              for n, k, d in results[last].get("worst_simulated", [])), ""]  # fmt: skip
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", nargs="+", default=["lungseg-unet-default"])
    parser.add_argument("--data", default=str(HERE.parent.parent / "shared" / "data"))
    parser.add_argument("--limit", type=int, default=0, help="images per set (0: all)")
    parser.add_argument("--output", default=str(HERE / "pathology.json"))
    parser.add_argument("--precision", default="fp32", choices=["fp32", "bf16", "auto"],
                        help="torch's precision (fp32: as every committed figure; a CPU with native bf16 moves "
                        "figures by up to 0.0003)")  # fmt: skip
    args = parser.parse_args()
    data = Path(args.data)
    sets = real_sets(data, args.limit)
    sim_samples = sets["montgomery"][0] + sets["shenzhen"][0]
    results = {}
    picture = Path(args.output).with_name(Path(args.output).stem + "_worst.png")
    for k, model in enumerate(args.models):
        name, shape = model_and_shape(model)
        segmenter = Segmenter.from_pretrained(name, device="cpu", shape_model=shape, precision=args.precision)
        simulated, worst = run_simulated(segmenter, sim_samples)
        results[model] = {"real": run_real(segmenter, sets), "simulated": simulated}
        if k == len(args.models) - 1:
            save_worst(worst, picture)
            results[model]["worst_simulated"] = [[c[2], c[1], round(c[0], 4)] for c in worst]
    command = "python benchmarks/pathology.py --models " + " ".join(args.models)
    command += f" --output {args.output}" if Path(args.output) != HERE / "pathology.json" else ""
    command += f" --precision {args.precision}" if args.precision != "fp32" else ""
    Path(args.output).write_text(json.dumps({"command": command, "results": results}, indent=1) + "\n")
    Path(args.output).with_suffix(".md").write_text(render(command, results, picture.name))
    print(json.dumps({m: {k: v["dice_mean"] for k, v in r["simulated"].items()} for m, r in results.items()}))


if __name__ == "__main__":
    main()
