"""Where the completion loses on shuttered portable films: the lung it adds or takes away, by place (#9's next lever).

On the 4-draw portable validation sample (``portable_stages.py --draws 4``) the shipped pipeline scores below the lung
model alone at the shuttered step. For each case of ``--input`` where the shipped Dice is more than ``--below``
under the lung model's, the case is drawn again (``pathology_kinds.portable_stages``, the same seeds) and both are run;
the pixels the completion changed are counted as shares of the manual lung area: added outside the manual lungs in
the heart found, in the flat band at the film's top (``film_bands.flat_bands`` on the shape model's input: round 56's
rule, off, keeps growth out of it), in the rest of the top ``TOP`` of the film's rows, or elsewhere; added inside them;
taken away inside or outside them. Validation films only.

Usage: python benchmarks/portable_completion_losses.py [--input portable_stages_draws4_round65] [--below 0.01]
  [--data PATH] [--output portable_completion_losses]  -> benchmarks/<OUTPUT>.json and .md
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from pathology_kinds import portable_stages

from lungseg.data.layouts import discover, load_split, select
from lungseg.evaluation.evaluate import read_labelled
from lungseg.evaluation.metrics import overlap_metrics
from lungseg.inference.film_bands import flat_bands
from lungseg.inference.segmenter import Segmenter
from lungseg.inference.shape_completion import shape_image
from lungseg.io.reader import XRay

HERE = Path(__file__).resolve().parent
TOP = 0.12  # the top rows counted as "above the apices" (shutter bands, text)
SHAPE_SIDE = 128  # the shape model's input side, on which its flat bands are found
KINDS = ("added_wrong_heart", "added_wrong_band", "added_wrong_top", "added_wrong_other", "added_right",
         "removed_wrong", "removed_right")  # fmt: skip


def where(lungs: np.ndarray, completed: np.ndarray, heart: np.ndarray, ref: np.ndarray, band: float) -> dict:
    """Pixels the completion changed, by kind (:data:`KINDS`), as shares of the manual lung area ``ref``; ``band``: the
    share of the film's height the flat band at its top covers."""
    added, removed = completed & ~lungs, lungs & ~completed
    top, in_band = np.zeros_like(ref), np.zeros_like(ref)
    top[: int(TOP * ref.shape[0])] = True
    in_band[: int(band * ref.shape[0])] = True
    wrong = added & ~ref
    counts = {"added_wrong_heart": wrong & heart, "added_wrong_band": wrong & ~heart & in_band,
              "added_wrong_top": wrong & ~heart & top & ~in_band,
              "added_wrong_other": wrong & ~heart & ~top, "added_right": added & ref,
              "removed_wrong": removed & ref, "removed_right": removed & ~ref}  # fmt: skip
    return {k: round(float(v.sum()) / max(int(ref.sum()), 1), 4) for k, v in counts.items()}


def losing_cases(rows: dict, below: float) -> dict[str, list[int]]:
    """Film name -> draws whose shuttered case the shipped pipeline scores more than ``below`` under the lung model."""
    alone, shipped = dict(rows["lung_model"]["shuttered"]), dict(rows["shipped"]["shuttered"])
    out: dict[str, list[int]] = {}
    for case, dice in alone.items():
        if shipped[case] < dice - below:
            name, _, draw = case.partition("#")
            out.setdefault(name, []).append(int(draw or 0))
    return out


def render(result: dict) -> str:
    lines = ["# Where the completion loses on shuttered portable films (val)", "", f"`{result['command']}`", "",
             f"Cases of `{result['input']}.json` where the shipped pipeline scores more than {result['below']} under "
             "the lung model alone at the shuttered step; pixels the completion changed, as shares of the manual "
             f"lung area (`band`: the flat band at the film's top; `top`: the rest of its top {TOP:.0%} of rows).", "",
             "| case | lung model | shipped | top band | " + " | ".join(KINDS) + " |",
             "|---|---|---|---|" + "---|" * len(KINDS)]  # fmt: skip
    for case, r in result["cases"].items():
        cells = " | ".join(str(r[k]) for k in KINDS)
        lines.append(f"| {case} | {r['lung_model']} | {r['shipped']} | {r['top_band']} | {cells} |")
    lines.append("| sum | | | | " + " | ".join(str(result["sum"][k]) for k in KINDS) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--input", default="portable_stages_draws4_round65")
    parser.add_argument("--below", type=float, default=0.01)
    parser.add_argument("--data", type=Path, default=HERE.parent.parent / "shared" / "data")
    parser.add_argument("--output", default="portable_completion_losses")
    args = parser.parse_args(argv)
    wanted = losing_cases(json.loads((HERE / f"{args.input}.json").read_text())["rows"], args.below)
    common = {"quality": False, "precision": "fp32"}  # as portable_stages.py runs them
    alone = Segmenter.from_pretrained(complete_lungs=False, heart=None, **common)
    shipped = Segmenter.from_pretrained(shape_model=True, **common)
    films = select(discover([str(args.data / "Lung Segmentation"), str(args.data / "wingspan")])[1],
                   load_split(HERE.parent / "splits" / "pathology.json")["val"])  # fmt: skip
    cases = {}
    for i, s in enumerate(films):
        if s.name not in wanted:
            continue
        image, mask = read_labelled(s)  # once per film, whichever of its draws lost
        for draw in wanted[s.name]:
            film, ref = next((f, r) for stage, f, r in portable_stages(image, mask, i, draw) if stage == "shuttered")
            a, b = alone(XRay(film)), shipped(XRay(film))
            band = flat_bands(shape_image(XRay(film), SHAPE_SIDE))[0]
            cases[s.name if draw == 0 else f"{s.name}#{draw}"] = {
                "lung_model": round(overlap_metrics(a.mask, ref)["dice"], 4),
                "shipped": round(overlap_metrics(b.mask, ref)["dice"], 4), "top_band": round(band, 4),
                **where(a.mask, b.mask, b.heart, ref, band)}  # fmt: skip
    total = {k: round(sum(c[k] for c in cases.values()), 4) for k in KINDS}
    given = argv if argv is not None else sys.argv[1:]
    command = " ".join(["python benchmarks/portable_completion_losses.py", *given])
    result = {"command": command, "input": args.input, "below": args.below, "cases": cases, "sum": total}
    (HERE / f"{args.output}.json").write_text(json.dumps(result, indent=1) + "\n")
    (HERE / f"{args.output}.md").write_text(render(result))
    print(render(result))


if __name__ == "__main__":
    main()
