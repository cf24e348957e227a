"""Where the shape model grows lung into the heart found, is it lung? (round 54 look, validation films only)

Round 35 let the shape model grow lung into the heart found (``HEART_BLOCKS`` False), chosen on the children's
films; on adult portable films (round 50's sample) most of the shape model's cost to the lung model is such growth.
Here every validation case of the shape judging (``shape_judge.validation_outputs``: adult films clean and under the
simulated diseases and bubbles, the portable kind, the v7 children's films on the zones both conventions agree on)
is completed by the shipped shape model at its setting, and each pixel it grows inside the heart found is counted
as lung or not by the reference, binned by the lung model's own probability there: whether a floor on that
probability could keep the children's gain and drop the adults' cost.

Usage: python benchmarks/heart_growth_pixels.py [--lungs MODEL] [--output NAME]
  -> benchmarks/<NAME>.json and .md (default heart_growth_pixels)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from shape_judge import Remembered, validation_outputs  # noqa: E402

from lungseg.inference.preprocess import resize_mask  # noqa: E402
from lungseg.inference.shape_completion import bundled_shape_model, grown, whole_lungs  # noqa: E402

BINS = (0.0, 0.001, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.01)  # the lung model's probability of lung


def group(kind: str) -> str:
    return "children" if kind.startswith("v7") else ("portable" if kind == "portable" else "adult")


def at(mask: np.ndarray | None, shape: tuple[int, int]) -> np.ndarray | None:
    return mask if mask is None or mask.shape == shape else resize_mask(mask, *shape)


def count(cases: list[dict], model) -> dict[str, list[list[int]]]:
    """Per group, per probability bin: [pixels grown into the heart found that the reference calls lung, that it
    does not] (shipped growth setting: threshold 0.5, any width, no floor)."""
    out = {g: [[0, 0] for _ in BINS[:-1]] for g in ("adult", "portable", "children")}
    for c in cases:
        lungs = c["labels"] > 0
        if not lungs.any() or c["heart"] is None:
            continue
        found, whole = whole_lungs(lungs, model, c["film"])
        added = grown(lungs, found, whole, None, None, 0.5, 0.0, 0)
        if added is None or not (added & c["heart"]).any():
            continue
        inside = added & c["heart"]
        zone = at(c.get("zone"), lungs.shape)
        inside &= zone if zone is not None else True
        lung, prob = at(c["ref"], lungs.shape)[inside], c["prob"][inside]
        bins = np.digitize(prob, BINS) - 1
        for b in range(len(BINS) - 1):
            out[group(c["kind"])][b][0] += int((lung & (bins == b)).sum())
            out[group(c["kind"])][b][1] += int((~lung & (bins == b)).sum())
    return out


def render(out: dict) -> str:
    lines = [f"# Lung grown into the heart found: lung or not? ({out['lungs']}'s lungs, validation films)", "",
             f"`{out['command']}`", "", "Pixels the shipped shape model grows inside the heart found, by the lung "
             "model's probability there: reference lung / not lung.", "",
             "| lung model's probability | " + " | ".join(out["counts"]) + " |", "|---|" + "---|" * len(out["counts"])]
    for b in range(len(BINS) - 1):
        cells = [f"{c[b][0]} / {c[b][1]}" for c in out["counts"].values()]
        lines.append(f"| [{BINS[b]}, {min(BINS[b + 1], 1.0)}) | " + " | ".join(cells) + " |")
    totals = [f"{sum(x[0] for x in c)} / {sum(x[1] for x in c)}" for c in out["counts"].values()]
    return "\n".join([*lines, "| all | " + " | ".join(totals) + " |"]) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=str(HERE.parent.parent / "shared" / "data"))
    parser.add_argument("--lungs", default="lungseg-unet-default")
    parser.add_argument("--output", default="heart_growth_pixels")
    args = parser.parse_args(argv)
    cases = validation_outputs(Path(args.data), lungs=args.lungs, part="val", portable_kind=True)
    counts = count(cases, Remembered(bundled_shape_model("torch")))
    command = f"python benchmarks/heart_growth_pixels.py --lungs {args.lungs} --output {args.output}"
    out = {"command": command, "lungs": args.lungs, "bins": BINS, "counts": counts}
    (HERE / f"{args.output}.json").write_text(json.dumps(out, indent=1) + "\n")
    (HERE / f"{args.output}.md").write_text(render(out))


if __name__ == "__main__":
    main()
