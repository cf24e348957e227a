"""Shutters as real portable films show them: does the band crop (round 71) still find them?

Round 71 crops away flat bands at a film's edges (``lungseg.inference.body_crop.band_box``: rows or columns whose values
hardly vary along them). ``portable_stages.py``'s shutters are exactly flat; a real collimated edge carries the
detector's noise, a burned-in label ("PORTABLE", a side marker) often sits in the shutter, and the collimator may be
set a few degrees off the film's axes. Each validation film's portable case (``pathology_kinds.portable_stages``, the
film after its "flat" step, with ``--draws`` cases per film) gets, from its own seed, a shutter of one grey on its top
edge (6-12% of the height) and on each other edge with probability one half (2-12%), and then one variant:
``plain`` (nothing more), ``noisy`` (noise of sigma 0.005-0.02 over the whole film, shutters too), ``labelled`` (one to
three bright or dark word-sized blocks inside the top shutter), ``tilted`` (each shutter's inner edge slanted by
2-5 degrees). Scored as shipped (Dice against the manual mask moved with the film; lung under a shutter still counts,
as in ``portable_stages.py``), and how many cases the band crop crops. Validation films only.

Usage: python benchmarks/shutter_variants.py [--data PATH] [--draws K] [--no-band-crop] [--output NAME]
  -> benchmarks/<NAME>.json and .md (``--no-band-crop``: as before round 71, ``body_crop.BAND_CROP`` off)
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from pathology_kinds import portable_stages  # noqa: E402

from lungseg.data.layouts import discover, load_split, select  # noqa: E402
from lungseg.evaluation.evaluate import read_labelled  # noqa: E402
from lungseg.evaluation.metrics import overlap_metrics  # noqa: E402
from lungseg.inference import body_crop  # noqa: E402
from lungseg.inference.segmenter import Segmenter  # noqa: E402
from lungseg.io.reader import XRay  # noqa: E402

VARIANTS = ("plain", "noisy", "labelled", "tilted")


def shutter_masks(shape: tuple[int, int], rng: np.random.Generator, tilt: bool) -> list[np.ndarray]:
    """Boolean masks of the shutters: the top one always, the others with probability one half; with ``tilt`` each
    inner edge slanted by 2-5 degrees (either way)."""
    h, w = shape
    yy, xx = np.mgrid[:h, :w].astype(np.float32)
    out = []
    for side in range(4):
        if side > 0 and rng.random() >= 0.5:
            continue
        depth = rng.uniform(0.06, 0.12) if side == 0 else rng.uniform(0.02, 0.12)
        slope = math.tan(math.radians(rng.uniform(2, 5))) * rng.choice([-1, 1]) if tilt else 0.0
        if side < 2:  # top, bottom: the edge runs along the columns
            edge = depth * h + slope * (xx - w / 2)
            out.append(yy < edge if side == 0 else yy >= h - edge)
        else:
            edge = depth * w + slope * (yy - h / 2)
            out.append(xx < edge if side == 2 else xx >= w - edge)
    return out


def shuttered(film: np.ndarray, variant: str, rng: np.random.Generator) -> np.ndarray:
    """``film`` with its shutters (one grey: black, white or light grey) and the ``variant``'s extra."""
    value = float(rng.choice([0.0, 1.0, rng.uniform(0.6, 0.95)]))
    masks = shutter_masks(film.shape, rng, variant == "tilted")
    out = film.copy()
    for m in masks:
        out[m] = value
    if variant == "labelled":
        top = np.flatnonzero(masks[0].all(axis=1))
        w = film.shape[1]
        for _ in range(int(rng.integers(1, 4))):
            bh = max(2, int(rng.uniform(0.3, 0.7) * max(len(top), 4)))
            bw = int(rng.uniform(0.05, 0.15) * w)
            y0 = int(rng.uniform(0, max(len(top) - bh, 1)))
            x0 = int(rng.uniform(0.05, 0.8) * w)
            out[y0 : y0 + bh, x0 : x0 + bw] = 1.0 - value if value < 0.5 else 0.1
    if variant == "noisy":
        out = out + rng.normal(0, rng.uniform(0.005, 0.02), out.shape)
    return np.clip(out, 0, 1).astype(np.float32)


def scores(data: Path, draws: int) -> dict:
    """Per variant: [(case, Dice, cropped)] over the validation films' cases."""
    seg = Segmenter.from_pretrained(quality=False, precision="fp32")
    films = select(discover([str(data / "Lung Segmentation"), str(data / "wingspan")])[1],
                   load_split(HERE.parent / "splits" / "pathology.json")["val"])  # fmt: skip
    out: dict = {v: [] for v in VARIANTS}
    for i, s in enumerate(films):
        image, mask = read_labelled(s)
        for draw in range(draws):
            stages = {name: (film, ref) for name, film, ref in portable_stages(image, mask, i, draw)}
            film, ref = stages["flat"]
            name = s.name if draw == 0 else f"{s.name}#{draw}"
            for k, variant in enumerate(VARIANTS):
                case = XRay(shuttered(film, variant, np.random.default_rng([7100, i, draw, k])))
                cropped = body_crop.band_box(case, seg.image_size) is not None
                dice = round(overlap_metrics(seg(case).mask, ref)["dice"], 4)
                out[variant].append((name, dice, cropped))
    return out


def render(result: dict) -> str:
    lines = ["# Shutters as real films show them (validation)", "", f"`{result['command']}`", "",
             f"{result['n_cases']} portable cases (the film after its flat step), each shuttered four ways; Dice as "
             f"shipped; `band crop`: cases the band crop crops. `BAND_CROP`: {result['band_crop']}.", "",
             "| variant | Dice mean | under 0.85 | band crop |", "|---|---|---|---|"]  # fmt: skip
    for v, row in result["variants"].items():
        lines.append(f"| {v} | {row['mean']} | {row['under_0.85']} | {row['cropped']} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=HERE.parent.parent / "shared" / "data")
    parser.add_argument("--draws", type=int, default=2)
    parser.add_argument("--no-band-crop", action="store_true", help="body_crop.BAND_CROP off (before round 71)")
    parser.add_argument("--output", default="shutter_variants")
    args = parser.parse_args(argv)
    if args.no_band_crop:
        body_crop.BAND_CROP = False
    rows = scores(args.data, args.draws)
    result = {"command": " ".join(["python benchmarks/shutter_variants.py", *(argv if argv is not None else
                                                                              sys.argv[1:])]),
              "band_crop": body_crop.BAND_CROP, "n_cases": len(rows["plain"]),
              "variants": {v: {"mean": round(float(np.mean([d for _, d, _ in r])), 4),
                               "under_0.85": sum(d < 0.85 for _, d, _ in r), "cropped": sum(c for _, _, c in r),
                               "cases": r} for v, r in rows.items()}}  # fmt: skip
    (HERE / f"{args.output}.json").write_text(json.dumps(result, indent=1) + "\n")
    (HERE / f"{args.output}.md").write_text(render(result))
    print(render(result))


if __name__ == "__main__":
    main()
