"""Where the shipped pipeline misses the children's lungs (v7 validation films, the zone both conventions agree on).

The v7 masks follow the anatomical convention. Scored on the agreement zone (``training.conventions.agreement_zone``:
the lung behind the heart left out), the children's films still score well below the adults'. For each validation
film of ``splits/v7_pediatric.json`` this counts, as shares of the reference lung in the zone: lung missed below the
base found (in each column, below the lowest lung pixel the pipeline drew there, or in a column where it drew none),
lung missed elsewhere, and lung drawn where the reference has none; and how much of the lung missed below the base
lies inside the heart the pipeline found (lung behind the heart that the zone still counts). Validation films only.

Usage: python benchmarks/v7_misses.py [--data PATH] [--output v7_misses]  -> benchmarks/<OUTPUT>.json and .md
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from lungseg.data.layouts import discover, load_split, select
from lungseg.evaluation.evaluate import read_labelled
from lungseg.evaluation.metrics import overlap_metrics
from lungseg.inference.segmenter import Segmenter
from lungseg.io.reader import XRay
from lungseg.training.conventions import agreement_zone

HERE = Path(__file__).resolve().parent


def below_base(found: np.ndarray) -> np.ndarray:
    """(H, W) bool: in each column, the rows below the lowest pixel of ``found`` (the whole column where it has
    none)."""
    h = found.shape[0]
    lowest = np.where(found.any(axis=0), h - 1 - np.argmax(found[::-1], axis=0), -1)
    return np.arange(h)[:, None] > lowest[None, :]


def shares(found: np.ndarray, reference: np.ndarray, heart: np.ndarray | None = None) -> dict:
    """Missed below the base found, missed elsewhere, and drawn outside the reference, as shares of ``reference``;
    with ``heart``, the share of that lung missed below the base which lies inside it."""
    missed = reference & ~found
    below = missed & below_base(found)
    n = max(int(reference.sum()), 1)
    out = {"dice": round(overlap_metrics(found, reference)["dice"], 4),
           "missed_below_base": round(float(below.sum()) / n, 4),
           "missed_elsewhere": round(float((missed & ~below).sum()) / n, 4),
           "extra": round(float((found & ~reference).sum()) / n, 4)}  # fmt: skip
    if heart is not None:
        out["below_base_in_heart"] = round(float((below & heart).sum()) / max(int(below.sum()), 1), 4)
    return out


def render(result: dict) -> str:
    m = result["mean"]
    lines = ["# Where the children's lungs are missed (v7 validation films, agreement zone)", "",
             f"`{result['command']}`", "",
             f"{result['n_images']} films; shares of the reference lung in the zone, mean over films.", "",
             "| | Dice | missed below the base found | of it, inside the heart found | missed elsewhere "
             "| drawn outside the reference |", "|---|---|---|---|---|---|"]  # fmt: skip
    for name, r in {"all": m, **result["worst"]}.items():
        lines.append(f"| {name} | {r['dice']} | {r['missed_below_base']} | {r['below_base_in_heart']} | "
                     f"{r['missed_elsewhere']} | {r['extra']} |")  # fmt: skip
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=HERE.parent.parent / "shared" / "data")
    parser.add_argument("--output", default="v7_misses")
    args = parser.parse_args(argv)
    segmenter = Segmenter.from_pretrained()
    films = select(discover(str(args.data / "v7_pediatric"))[1],
                   load_split(HERE.parent / "splits" / "v7_pediatric.json")["val"])  # fmt: skip
    rows = {}
    for s in films:
        image, mask = read_labelled(s)
        zone = agreement_zone(mask)
        result = segmenter(XRay(image))
        rows[s.name] = shares(result.mask & zone, mask & zone, result.heart)
    mean = {k: round(float(np.mean([r[k] for r in rows.values()])), 4) for k in next(iter(rows.values()))}
    worst = dict(sorted(rows.items(), key=lambda kv: kv[1]["dice"])[:10])
    command = " ".join(["python benchmarks/v7_misses.py", *(argv if argv is not None else sys.argv[1:])])
    result = {"command": command, "n_images": len(rows), "mean": mean, "worst": worst, "films": rows}
    (HERE / f"{args.output}.json").write_text(json.dumps(result, indent=1) + "\n")
    (HERE / f"{args.output}.md").write_text(render(result))
    print(render(result))


if __name__ == "__main__":
    main()
