"""How many test films, as they are, each polarity model calls inverted (round 67 of #9).

The polarity check only changes a film it calls inverted (the film is then turned back, unless the lung model's
veto holds); a benchmark of films that neither the shipped model nor a new one calls inverted cannot move when the
model changes. Counts the Montgomery test half, the Shenzhen held-out part, the Wingspan test part and the 200 v7
test films of ``benchmarks/pathology.py`` (the sets of ``body_crop_count.py``), with each film's logit; with
``--simulated`` also the Montgomery and Shenzhen test films with each simulated disease of ``pathology.py`` (b), drawn
as it draws them, and how many of those the body crop crops (round 66 changes only films it crops).

Usage: python benchmarks/polarity_flip_count.py --models NAME=CHECKPOINT ... [--data PATH] [--simulated]
  [--output polarity_flip_count]  -> benchmarks/<OUTPUT>.json and .md (``shipped`` = the bundled model)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from body_crop_count import SETS
from pathology import v7_sample
from pathology_kinds import SEEN, UNSEEN

from lungseg.data.layouts import discover, load_split, select
from lungseg.evaluation.evaluate import read_labelled
from lungseg.inference.body_crop import body_box
from lungseg.inference.polarity import polarity_model
from lungseg.inference.view import thumbnail
from lungseg.io.reader import XRay, read_xray

HERE = Path(__file__).resolve().parent


def render(result: dict) -> str:
    names = list(result["models"])
    lines = ["# Test films each polarity model calls inverted", "", f"`{result['command']}`", "",
             "| set | films | cropped | " + " | ".join(f"`{n}`: called inverted | `{n}`: highest logit" for n in names)
             + " |",
             "|---|---|---|" + "---|---|" * len(names)]  # fmt: skip
    for name, row in result["sets"].items():
        cells = [f"{', '.join(row[n]['inverted']) or '0'} | {row[n]['max_logit']}" for n in names]
        lines.append(f"| {name} | {row['n']} | {len(row['cropped'])} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def counted(models: dict, films) -> dict:
    """For (name, XRay) pairs: how many, the names the body crop crops, and for each model the names it calls inverted
    and its highest logit. Each film is read once (``films`` may be a generator) and thumbnailed once per model size."""
    sizes = {model.size for model in models.values()}
    thumbs, cropped = {}, []
    for name, xray in films:
        thumbs[name] = {n: thumbnail(xray, n)[None, None] for n in sizes}
        if body_box(xray, 256) is not None:
            cropped.append(name)
    row: dict = {"n": len(thumbs), "cropped": cropped}
    for m, model in models.items():
        logit = {k: float(model(t[model.size])[0]) for k, t in thumbs.items()}
        row[m] = {"inverted": sorted(k for k, v in logit.items() if v > 0), "max_logit": round(max(logit.values()), 2)}
    return row


def simulated_rows(models: dict, samples: list) -> dict:
    """One row per simulated disease of ``pathology.py`` (b), each film drawn with its seeds."""
    pairs = [(s.name, *read_labelled(s)) for s in samples]
    rows = {}
    for k, (kind, fn) in enumerate({**UNSEEN, **SEEN}.items()):
        sick = ((name, XRay(np.clip(fn(image, mask, np.random.default_rng([k, i])), 0, 1).astype(np.float32)))
                for i, (name, image, mask) in enumerate(pairs))  # fmt: skip
        rows[f"simulated {kind}"] = counted(models, sick)
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", nargs="+", default=["shipped"], metavar="NAME=CHECKPOINT")
    parser.add_argument("--data", type=Path, default=HERE.parent.parent / "shared" / "data")
    parser.add_argument("--simulated", action="store_true", help="also pathology.py's simulated diseases (b)")
    parser.add_argument("--output", default="polarity_flip_count")
    args = parser.parse_args(argv)
    models = {n: polarity_model("torch", p or None) for n, _, p in (m.partition("=") for m in args.models)}
    sets = {n: select(discover(str(args.data / f))[1], load_split(HERE.parent / "splits" / s)["test"])
            for n, (f, s) in SETS.items()}  # fmt: skip
    sets["v7_test"] = v7_sample(args.data / "v7_pediatric")[0]
    rows = {name: counted(models, ((s.name, read_xray(s.image)) for s in samples)) for name, samples in sets.items()}
    if args.simulated:
        rows |= simulated_rows(models, sets["montgomery_test"] + sets["shenzhen_test"])
    command = " ".join(["python benchmarks/polarity_flip_count.py", *(argv if argv is not None else sys.argv[1:])])
    result = {"command": command, "models": dict(m.partition("=")[::2] for m in args.models), "sets": rows}
    (HERE / f"{args.output}.json").write_text(json.dumps(result, indent=1) + "\n")
    (HERE / f"{args.output}.md").write_text(render(result))
    print(render(result))


if __name__ == "__main__":
    main()
