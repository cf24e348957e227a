"""The polarity check on small films in a black field: how often it calls an upright film inverted, or misses one.

Each validation film of ``splits/pathology.json`` (Montgomery, Shenzhen, Wingspan) is shrunk to SCALE of each side at
a random place in a black field with noise SIGMA (``small_chest.shrunk``: the same draw per film), then asked of each
polarity model given as it is and turned over (an inverted small film: its field white). Round 67 of #9 trains the
polarity model on such films (``polarity_model.py --small-field``) and is judged here, on validation films only.

Usage: python benchmarks/polarity_small_field.py [--models NAME=CHECKPOINT ...] [--scales 0.4 0.5 0.6 0.7]
  [--sigmas 0 0.01 0.02] [--data PATH] [--output polarity_small_field]  -> benchmarks/<OUTPUT>.json and .md
  (``shipped`` = the bundled lungseg-polarity model)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from small_chest import shrunk

from lungseg.data.layouts import discover, load_split, select
from lungseg.evaluation.evaluate import read_labelled
from lungseg.inference.polarity import is_inverted, polarity_model
from lungseg.io.reader import XRay

HERE = Path(__file__).resolve().parent


def errors(model, films: list, scale: float, sigma: float) -> dict:
    """Upright films called inverted, and inverted films (the film turned over) missed, at one scale and noise."""
    upright, missed = [], []
    for name, image, mask in films:
        film = shrunk(image, mask, scale, sigma, name)[0]
        if is_inverted(XRay(film), model):
            upright.append(name)
        if not is_inverted(XRay(1 - film), model):
            missed.append(name)
    return {"upright_called_inverted": upright, "inverted_missed": missed}


def render(result: dict) -> str:
    names = list(result["models"])
    lines = [f"# The polarity check on small films in a black field ({result['n_images']} validation films)", "",
             f"`{result['command']}`", "",
             "Each cell: upright films called inverted / inverted films missed (each film as it is and turned over).",
             "", "| scale | noise sigma | " + " | ".join(f"`{n}`" for n in names) + " |",
             "|---|---|" + "---|" * len(names)]  # fmt: skip
    for row in result["rows"]:
        cells = [f"{len(row[n]['upright_called_inverted'])} / {len(row[n]['inverted_missed'])}" for n in names]
        lines.append(f"| {row['scale']} | {row['sigma']} | " + " | ".join(cells) + " |")
    totals = [sum(len(r[n]["upright_called_inverted"]) + len(r[n]["inverted_missed"]) for r in result["rows"])
              for n in names]  # fmt: skip
    lines.append("| all | | " + " | ".join(f"**{t}** errors" for t in totals) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", default=["shipped"], metavar="NAME=CHECKPOINT")
    parser.add_argument("--scales", nargs="+", type=float, default=[0.4, 0.5, 0.6, 0.7])
    parser.add_argument("--sigmas", nargs="+", type=float, default=[0.0, 0.01, 0.02])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--output", default="polarity_small_field")
    args = parser.parse_args(argv)
    models = {}
    for spec in args.models:
        name, _, path = spec.partition("=")
        models[name] = polarity_model("torch", path or None)
    samples = discover([str(args.data / "Lung Segmentation"), str(args.data / "wingspan")])[1]
    films = [(s.name, *read_labelled(s)) for s in select(samples, load_split("splits/pathology.json")["val"])]
    rows = [{"scale": scale, "sigma": sigma, **{n: errors(m, films, scale, sigma) for n, m in models.items()}}
            for scale in args.scales for sigma in args.sigmas]  # fmt: skip
    command = " ".join(["python benchmarks/polarity_small_field.py", *(argv if argv is not None else sys.argv[1:])])
    result = {"command": command, "n_images": len(films), "models": dict(m.partition("=")[::2] for m in args.models),
              "rows": rows}  # fmt: skip
    (HERE / f"{args.output}.json").write_text(json.dumps(result, indent=1) + "\n")
    (HERE / f"{args.output}.md").write_text(render(result))
    print(render(result))


if __name__ == "__main__":
    main()
