"""Why the worst films of one robustness perturbation fail: each film under a Dice bound, looked at again.

For each film of ``benchmarks/<INPUT>.json`` whose Dice under ``--perturbation`` is below ``--below``, the same
perturbed film (the perturbations replayed in order, so the random draws are the ones robustness.py made) is
segmented again as shipped and with ``--polarity keep``, and the report gives: Dice both ways, the pipeline's
flags, the film's Dice unperturbed, and the share of the lung model's input that the dark field rule
(``lungseg.inference.dark_field``, share limits lifted) finds, beside the limits that rule applies.

Usage: python benchmarks/robustness_worst.py [--input robustness] [--perturbation NAME] [--below 0.9]
  [--data PATH] [--output robustness_worst]  -> benchmarks/<OUTPUT>.json and .md
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from robustness import PERTURBATIONS

from lungseg.data.layouts import discover, load_split, select
from lungseg.evaluation.evaluate import read_labelled
from lungseg.evaluation.metrics import overlap_metrics
from lungseg.inference import dark_field
from lungseg.inference.pipeline import to_working
from lungseg.inference.segmenter import Segmenter
from lungseg.io.reader import XRay

TENTH = list(PERTURBATIONS)[10]
HERE = Path(__file__).resolve().parent


def field_share(image, size: int) -> float:
    """The dark field's share of the model's input (``size`` px, before equalising), with no share limits."""
    film = to_working(XRay(image), size, "none")[0]
    found = dark_field.dark_field(film, min_share=0.0, max_share=1.0)
    return 0.0 if found is None else round(float(found.mean()), 4)


def look(shipped: Segmenter, keep: Segmenter, image, mask) -> dict:
    """Dice as shipped and kept as it came, the flags, and the dark field's share for one perturbed film."""
    result = shipped(XRay(image))
    kept = keep(XRay(image))
    return {
        "dice": round(overlap_metrics(result.mask, mask)["dice"], 4),
        "dice_polarity_keep": round(overlap_metrics(kept.mask, mask)["dice"], 4),
        "flags": result.measurements.get("flags", ""),
        "field_share": field_share(image, shipped.image_size),
    }


def render(result: dict) -> str:
    lines = [
        f"# Why the worst films fail: {result['perturbation']}",
        "",
        f"`{result['command']}`",
        "",
        f"Films of `{result['input']}.json` under Dice {result['below']}; the dark field rule makes a field flat "
        f"when it covers {result['field_limits'][0]}-{result['field_limits'][1]} of the model's input.",
        "",
        "| image | unperturbed | Dice | Dice, --polarity keep | flags | dark field share |",
        "|---|---|---|---|---|---|",
    ]
    for name, row in result["films"].items():
        lines.append(
            f"| {name} | {row['clean']:.4f} | {row['dice']:.4f} | {row['dice_polarity_keep']:.4f} | "
            f"{row['flags'] or '-'} | {row['field_share']:.4f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--input", default="robustness", help="a robustness.py output in benchmarks/")
    parser.add_argument("--perturbation", default=TENTH)
    parser.add_argument("--below", type=float, default=0.9)
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--output", default="robustness_worst")
    args = parser.parse_args(argv)
    report = json.loads((HERE / f"{args.input}.json").read_text())
    if args.perturbation not in report["perturbations"]:
        raise ValueError(f"no perturbation {args.perturbation!r} in {args.input}.json; use one of its rows")
    dice = report["perturbations"][args.perturbation]["dice"]
    worst = {name for name, d in dice if d < args.below}
    clean = dict(report["perturbations"]["none"]["dice"])
    shipped = Segmenter.from_pretrained(report["model"].removesuffix(" (no completion)"))
    keep = Segmenter.from_pretrained(report["model"].removesuffix(" (no completion)"), polarity="keep")
    samples = discover([str(args.data / "Lung Segmentation"), str(args.data / "wingspan")])[1]
    split = report["split"]
    names = shipped.payload["split"][split] if split in ("test", "val") else load_split(split)["test"]
    films = {}
    for sample in select(samples, names):
        image, mask = read_labelled(sample)
        for name, fn in PERTURBATIONS.items():  # every draw, in robustness.py's order
            img, msk = fn(image, mask)
            if name == args.perturbation and sample.name in worst:
                films[sample.name] = {"clean": clean[sample.name], **look(shipped, keep, img, msk)}
    films = dict(sorted(films.items(), key=lambda kv: kv[1]["dice"]))
    command = " ".join(["python benchmarks/robustness_worst.py", *(argv if argv is not None else sys.argv[1:])])
    result = {"command": command,
              "input": args.input, "perturbation": args.perturbation, "below": args.below,
              "field_limits": [dark_field.MIN_SHARE, dark_field.MAX_SHARE], "films": films}  # fmt: skip
    (HERE / f"{args.output}.json").write_text(json.dumps(result, indent=1) + "\n")
    (HERE / f"{args.output}.md").write_text(render(result))
    print(render(result))


if __name__ == "__main__":
    main()
