"""Lower zones lost under opacity that merges with the abdomen: does the pipeline still draw the whole lung (round 78)?

The pathology benchmark's dense kinds paint a region of their own density, so the lung's lower outline stays visible
where it meets the abdomen. Here the lower zone of one lung, or of both, is made as dense as the film just below
its base, from the bottom of the film up to a wavy level and out over the chest wall, with soft edges: nothing marks
where the lung ends, as on the real validation film MCUCXR_0126_1. This generator (its own shapes and seeds) is the
benchmark's; training's ``basal_fill`` kind (``lungseg/training/basal_fill.py``) is drawn apart from it. Kinds:
``one`` (one lung, 30-50% of its height), ``deep`` (one lung, 50-70%), ``both`` (both lungs, 30-50%). Dice against the
manual mask, as ``lungseg segment`` draws it. Validation films (``splits/pathology.json``) unless ``--part test``.

Usage: python benchmarks/basal_merge.py --models LABEL=MODEL [LABEL=MODEL ...] [--part val|test] [--output NAME]
  [--shape CHECKPOINT@KEY]
  (MODEL: a bundled name or a checkpoint, ``+shape`` / ``+noshape`` as in accuracy.py; ``--shape``: the lungs completed
  by another shape model at a judging key, as in portable_stages.py, round 80) -> benchmarks/NAME.json, .md
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from scipy import ndimage

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from accuracy import model_and_shape  # noqa: E402
from portable_stages import use_shape_spec  # noqa: E402

from lungseg.data.layouts import discover, load_split, select  # noqa: E402
from lungseg.evaluation.evaluate import read_labelled  # noqa: E402
from lungseg.evaluation.metrics import overlap_metrics  # noqa: E402
from lungseg.inference.segmenter import Segmenter  # noqa: E402
from lungseg.io.reader import XRay  # noqa: E402
from lungseg.training import pathology  # noqa: E402

KINDS = {"one": ((0.3, 0.5), False), "deep": ((0.5, 0.7), False), "both": ((0.3, 0.5), True)}


def merged(image: np.ndarray, mask: np.ndarray, rng: np.random.Generator, height: tuple[float, float],
           both: bool) -> np.ndarray:
    """``image`` with the lower zone of one lung of ``mask`` (or both) made as dense as the film below its base."""
    halves = pathology.lung_halves(mask)
    picks = halves if both else [halves[int(rng.integers(len(halves)))]]
    h, w = image.shape
    yy, xx = np.mgrid[:h, :w]
    out = image
    for lung in picks:
        ys, xs = np.nonzero(lung)
        top, bottom, x0, x1 = ys.min(), ys.max(), xs.min(), xs.max()
        span = x1 - x0
        below = (yy > bottom + 0.02 * h) & (yy < bottom + 0.10 * h) & (xx >= x0) & (xx <= x1)
        floor = pathology.dense_level(image, mask, rng)
        level = max(float(np.median(image[below])) if below.any() else floor, 0.9 * floor)
        cut = bottom - rng.uniform(*height) * (bottom - top)
        edge = cut + (pathology.smooth_field((1, w), rng, 6)[0] - 0.5) * 0.08 * (bottom - top)
        left = (x0 + x1) / 2 < w / 2  # the lung on the image's left: its chest wall is to the left
        lo, hi = (x0 - 0.15 * span, x1 + 0.02 * span) if left else (x0 - 0.02 * span, x1 + 0.15 * span)
        region = (yy >= edge[None, :]) & (xx >= lo) & (xx <= hi)
        alpha = ndimage.gaussian_filter(region.astype(np.float32), rng.uniform(3, 8))
        texture = 1 + 0.05 * (pathology.smooth_field(image.shape, rng, 30) - 0.5)
        out = out + alpha * (np.clip(level * texture, 0, 1) - out)
    return np.clip(out, 0, 1).astype(np.float32)


def scores(seg: Segmenter, films: list) -> dict[str, list]:
    """Per kind: [(film name, Dice)] over ``films`` (name, image, mask), seeds [7800, film, kind]."""
    out: dict[str, list] = {k: [] for k in KINDS}
    for i, (name, image, mask) in enumerate(films):
        for j, (kind, (height, both)) in enumerate(KINDS.items()):
            film = merged(image, mask, np.random.default_rng([7800, i, j]), height, both)
            out[kind].append((name, round(overlap_metrics(seg(XRay(film)).mask, mask)["dice"], 4)))
    return out


def summary(rows: dict[str, list]) -> dict:
    s = {k: {"mean": round(float(np.mean([d for _, d in r])), 4), "min": min(d for _, d in r),
             "under_0.85": sum(d < 0.85 for _, d in r)} for k, r in rows.items()}  # fmt: skip
    s["mean_of_kinds"] = round(float(np.mean([s[k]["mean"] for k in KINDS])), 4)
    return s


def render(out: dict) -> str:
    labels = list(out["results"])
    lines = ["# Lower zones lost under opacity that merges with the abdomen", "", f"`{out['command']}`", "",
             f"{out['n_films']} {out['part']} films, three kinds each (see the script's docstring); Dice mean (min), "
             "films under 0.85.", "",
             "| kind | " + " | ".join(labels) + " |", "|---|" + "---|" * len(labels)]  # fmt: skip
    for kind in KINDS:
        cells = [f"{r[kind]['mean']} ({r[kind]['min']}), {r[kind]['under_0.85']}"
                 for r in (out["results"][m]["summary"] for m in labels)]  # fmt: skip
        lines.append(f"| {kind} | " + " | ".join(cells) + " |")
    lines.append("| mean of kinds | " + " | ".join(str(out["results"][m]["summary"]["mean_of_kinds"]) for m in labels)
                 + " |")  # fmt: skip
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", nargs="+", required=True, help="LABEL=MODEL")
    parser.add_argument("--data", default=str(HERE.parent.parent / "shared" / "data"))
    parser.add_argument("--part", default="val", choices=["val", "test"])
    parser.add_argument("--output", default="basal_merge")
    parser.add_argument("--shape", default=None, metavar="CHECKPOINT@KEY",
                        help="complete with this shape model at a judging key (shape_failures.py), e.g. "
                        "runs/x.pt@t0.5_g0.02_f0.0_nh_r0.5_rw1_apl_kp")  # fmt: skip
    args = parser.parse_args()
    use_shape_spec(parser, args.shape)
    data = Path(args.data)
    samples = select(discover([str(data / "Lung Segmentation"), str(data / "wingspan")])[1],
                     load_split(HERE.parent / "splits" / "pathology.json")[args.part])  # fmt: skip
    films = [(s.name, *read_labelled(s)) for s in samples]
    results = {}
    for spec in args.models:
        label, model = spec.split("=", 1)
        name, shape = model_and_shape(model)
        seg = Segmenter.from_pretrained(name, device="cpu", precision="fp32", quality=False, shape_model=shape)
        rows = scores(seg, films)
        results[label] = {"model": model, "summary": summary(rows), "rows": rows}
    command = f"python benchmarks/basal_merge.py --models {' '.join(args.models)}" + (
        f" --part {args.part}" if args.part != "val" else "") + (
        f" --output {args.output}" if args.output != "basal_merge" else "") + (
        f" --shape {args.shape}" if args.shape else "")  # fmt: skip
    out = {"command": command, "part": args.part, "n_films": len(films), "shape": args.shape, "results": results}
    (HERE / f"{args.output}.json").write_text(json.dumps(out, indent=1) + "\n")
    (HERE / f"{args.output}.md").write_text(render(out))


if __name__ == "__main__":
    main()
