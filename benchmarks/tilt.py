"""Films tilted in their plane (a portable detector placed crooked): Dice by tilt, with and without levelling.

The lung model trained with rotations of up to 10 degrees; `benchmarks/robustness.py` tilts by 8 and 15. Here the
validation and test films (and their manual masks) are tilted by 0-45 degrees each way (`robustness.rotate`, corners
black; positive: counter-clockwise on screen, as `scipy.ndimage.rotate` turns) and segmented by the shipped pipeline
twice: with `orientation="keep"` (as the film is) and with the default `orientation="auto"`, which levels a film whose
lungs lie more than `deskew.TILT_BEYOND` degrees off level (`lungseg/inference/deskew.py`, round 76; round 77: from
7.5 degrees, turned further where the levelled lungs still lie off level). Beside Dice:
how many films were levelled (at 0 degrees: upright films levelled, which should be none), and the first pass's lung
axis, the angle of the line through the two lungs' centres, that the levelling reads. Then the upright films with
each simulated disease of `pathology_kinds.py` once (seeds [7600 + kind, film], apart from the pathology benchmark's):
disease that takes away one lung's lower zone moves that lung's centre up, so such a film may read as tilted; every
film levelled there is listed with its Dice as it is and levelled. Last, the films with a portable film's look
(`pathology_kinds.portable`: an unseen disease, squashed or off-centre, flat and noisy, shuttered) tilted by 20 degrees
each way: a portable film placed crooked.

Usage: python benchmarks/tilt.py [--data PATH] [--limit N]  -> benchmarks/tilt.json and .md
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from pathology_kinds import SEEN, UNSEEN, portable  # noqa: E402
from robustness import rotate  # noqa: E402

from lungseg.data.layouts import discover, select  # noqa: E402
from lungseg.evaluation.evaluate import read_labelled  # noqa: E402
from lungseg.evaluation.metrics import overlap_metrics  # noqa: E402
from lungseg.inference.deskew import lung_axis_degrees  # noqa: E402
from lungseg.inference.segmenter import Segmenter  # noqa: E402
from lungseg.io.reader import XRay  # noqa: E402

TILTS = (0, 15, -15, 25, -25, 35, -35, 45)
PORTABLE_TILTS = (0, 20, -20)


def dice_stats(dice: list[float]) -> dict:
    return {"mean": round(float(np.mean(dice)), 4), "min": round(float(min(dice)), 4),
            "under_0.85": int(sum(d < 0.85 for d in dice))}  # fmt: skip


def tilted_scores(keep: Segmenter, auto: Segmenter, pairs: list, tilt: float) -> tuple[list, list, list, int]:
    """(Dice as it is, Dice levelled, the first passes' lung axes, films levelled) of ``pairs`` tilted by ``tilt``."""
    kept, levelled, axis, moved = [], [], [], 0
    for image, mask in pairs:
        film, ref = rotate(image, mask, tilt) if tilt else (image, mask)
        x = XRay(np.ascontiguousarray(film).astype(np.float32))
        first, result = keep(x), auto(x)
        kept.append(overlap_metrics(first.mask, ref)["dice"])
        levelled.append(overlap_metrics(result.mask, ref)["dice"])
        axis.append(lung_axis_degrees(first.labels))
        moved += bool(result.tilt)
    return kept, levelled, axis, moved


def scores(keep: Segmenter, auto: Segmenter, pairs: list) -> dict:
    """Per tilt: Dice (mean, min, films under 0.85) as the film is and levelled, films levelled, and the first
    pass's lung axis (median, 5th-95th percentiles, films without two lungs)."""
    out = {}
    for tilt in TILTS:
        kept, levelled, axis, moved = tilted_scores(keep, auto, pairs, float(tilt))
        a = np.array(axis)
        out[str(tilt)] = {"keep": dice_stats(kept), "auto": dice_stats(levelled), "levelled": moved,
                          "axis_median": round(float(np.nanmedian(a)), 1),
                          "axis_p5": round(float(np.nanpercentile(a, 5)), 1),
                          "axis_p95": round(float(np.nanpercentile(a, 95)), 1), "axis_missing": int(np.isnan(a).sum())}
    return out


def sick(keep: Segmenter, auto: Segmenter, named: list) -> dict:
    """Upright films with each simulated disease once: Dice as it is and with the default, and the films levelled."""
    kept, levelled, moved = [], [], []
    for k, (kind, fn) in enumerate({**UNSEEN, **SEEN}.items()):
        for i, (name, image, mask) in enumerate(named):
            film = XRay(np.clip(fn(image, mask, np.random.default_rng([7600 + k, i])), 0, 1).astype(np.float32))
            first, result = keep(film), auto(film)
            kept.append(overlap_metrics(first.mask, mask)["dice"])
            levelled.append(overlap_metrics(result.mask, mask)["dice"])
            if result.tilt:
                moved.append([name, kind, result.tilt, round(kept[-1], 4), round(levelled[-1], 4)])
    return {"cases": len(kept), "keep": dice_stats(kept), "auto": dice_stats(levelled), "levelled": moved}


def portable_tilted(keep: Segmenter, auto: Segmenter, pairs: list) -> dict:
    """Portable-look films upright and tilted by +-20 degrees: Dice as it is and with the default, films levelled."""
    films = [portable(image, mask, i) for i, (image, mask) in enumerate(pairs)]
    out = {}
    for tilt in PORTABLE_TILTS:
        kept, levelled, _, moved = tilted_scores(keep, auto, films, float(tilt))
        out[str(tilt)] = {"keep": dice_stats(kept), "auto": dice_stats(levelled), "levelled": moved}
    return out


def render(r: dict) -> str:
    lines = ["# Films tilted in their plane", "", f"Generated by `{r['command']}` (`tilt.json`); see the script's "
             "docstring. As it is: `orientation=\"keep\"`; levelled: the default (`deskew.py`). Lung axis: the first "
             "pass's line through the two lungs' centres, in degrees.", ""]  # fmt: skip
    for split, rows in r["splits"].items():
        lines += [f"## {split} films ({r['films'][split]})", "",
                  "| tilt (degrees) | as it is: Dice mean | min | under 0.85 | levelled: Dice mean | min | under 0.85 "
                  "| films levelled | lung axis median | 5th-95th percentile |", "|---" * 10 + "|"]
        for tilt, row in rows.items():
            k, a = row["keep"], row["auto"]
            lines.append(f"| {tilt} | {k['mean']:.4f} | {k['min']:.4f} | {k['under_0.85']} | **{a['mean']:.4f}** "
                         f"| {a['min']:.4f} | {a['under_0.85']} | {row['levelled']} | {row['axis_median']} "
                         f"| {row['axis_p5']} to {row['axis_p95']} |")  # fmt: skip
        lines.append("")
    lines += ["## Upright films with simulated disease", "",
              "| films | cases | as it is: Dice mean | min | levelled: Dice mean | min | films levelled |",
              "|---" * 7 + "|"]
    for split, row in r["sick"].items():
        k, a = row["keep"], row["auto"]
        lines.append(f"| {split} | {row['cases']} | {k['mean']:.4f} | {k['min']:.4f} | {a['mean']:.4f} "
                     f"| {a['min']:.4f} | {len(row['levelled'])} |")  # fmt: skip
    moved = [f"{split} {n} ({kind}, {t} degrees) {d0} -> {d1}" for split, row in r["sick"].items()
             for n, kind, t, d0, d1 in row["levelled"]]  # fmt: skip
    lines += ["", "Levelled: " + ("; ".join(moved) if moved else "none") + ".", ""]
    lines += ["## Films with a portable film's look, tilted", "",
              "| films | tilt (degrees) | as it is: Dice mean | min | under 0.85 | levelled: Dice mean | min "
              "| under 0.85 | films levelled |", "|---" * 9 + "|"]
    for split, rows in r["portable"].items():
        for tilt, row in rows.items():
            k, a = row["keep"], row["auto"]
            lines.append(f"| {split} | {tilt} | {k['mean']:.4f} | {k['min']:.4f} | {k['under_0.85']} | {a['mean']:.4f} "
                         f"| {a['min']:.4f} | {a['under_0.85']} | {row['levelled']} |")  # fmt: skip
    lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=HERE.parent.parent / "shared" / "data")
    parser.add_argument("--limit", type=int, default=0)
    args = parser.parse_args(argv)
    seg, keep = Segmenter.from_pretrained(), Segmenter.from_pretrained(orientation="keep")
    samples = discover([str(args.data / "Lung Segmentation"), str(args.data / "wingspan")])[1]
    named = {s: [(x.name, *read_labelled(x)) for x in select(samples, seg.payload["split"][s])[: args.limit or None]]
             for s in ("val", "test")}  # fmt: skip
    pairs = {s: [(image, mask) for _, image, mask in films] for s, films in named.items()}
    result = {"command": " ".join(["python benchmarks/tilt.py", *(argv if argv is not None else sys.argv[1:])]),
              "films": {s: len(p) for s, p in pairs.items()},
              "splits": {s: scores(keep, seg, p) for s, p in pairs.items()},
              "sick": {s: sick(keep, seg, films) for s, films in named.items()},
              "portable": {s: portable_tilted(keep, seg, p) for s, p in pairs.items()}}  # fmt: skip
    (HERE / "tilt.json").write_text(json.dumps(result, indent=1) + "\n")
    (HERE / "tilt.md").write_text(render(result))
    print(render(result))


if __name__ == "__main__":
    main()
