"""A small patient on a large detector: films shrunk into a black field with noise, and the dark field rule's limit.

Each film of the split is shrunk to SCALE of each side, put at a random place (seeded by the film's name) in a
black field, and given noise of SIGMA clipped at black over the whole film. The shipped pipeline's Dice against
the mask moved with it, for each value of ``lungseg.inference.dark_field.MAX_SHARE`` given (the largest share of
the film a dark field may cover and still be made flat before equalisation; shipped 0.8). Validation films by
default: round 63 judged a larger limit here (``MODEL_CARD.md``).

Usage: python benchmarks/small_chest.py [--split val] [--cases SCALE:SIGMA ...] [--max-share 0.8 0.9]
  [--data PATH] [--output small_chest]  -> benchmarks/<OUTPUT>.json and .md
"""

from __future__ import annotations

import argparse
import json
import sys
import zlib
from pathlib import Path

import numpy as np

from lungseg.data.layouts import discover, select
from lungseg.evaluation.evaluate import read_labelled
from lungseg.evaluation.metrics import overlap_metrics
from lungseg.inference import dark_field
from lungseg.inference.preprocess import resize_float, resize_mask
from lungseg.inference.segmenter import Segmenter
from lungseg.io.reader import XRay

HERE = Path(__file__).resolve().parent


def shrunk(image: np.ndarray, mask: np.ndarray, scale: float, sigma: float, seed: str) -> tuple:
    """(film, mask): the chest at ``scale`` of each side at a random place in a black field, noise ``sigma``."""
    rng = np.random.default_rng([6300, zlib.crc32(seed.encode())])
    h, w = image.shape
    sh, sw = int(h * scale), int(w * scale)
    img, msk = np.zeros_like(image, dtype=np.float32), np.zeros_like(mask)
    y0, x0 = int(rng.integers(0, h - sh + 1)), int(rng.integers(0, w - sw + 1))
    img[y0 : y0 + sh, x0 : x0 + sw] = resize_float(image, sh, sw)
    msk[y0 : y0 + sh, x0 : x0 + sw] = resize_mask(mask, sh, sw)
    return np.clip(img + rng.normal(0, sigma, img.shape), 0, 1).astype(np.float32), msk


def summary(dice: list[tuple[str, float]]) -> dict:
    values = [d for _, d in dice]
    return {"mean": round(float(np.mean(values)), 4), "under_0.90": sum(d < 0.90 for d in values),
            "min": min(values), "dice": dice}  # fmt: skip


def render(result: dict) -> str:
    lines = [
        f"# A small chest in a noisy black field ({result['split']} films)",
        "",
        f"`{result['command']}`",
        "",
        f"{result['n_images']} films; Dice of the shipped pipeline's lungs for each limit on the dark field's "
        "share (`dark_field.MAX_SHARE`; shipped 0.8).",
        "",
        "| scale | noise sigma | MAX_SHARE | Dice mean | films under 0.90 | Dice min |",
        "|---|---|---|---|---|---|",
    ]
    for case in result["cases"]:
        for share, row in case["max_share"].items():
            lines.append(
                f"| {case['scale']} | {case['sigma']} | {share} | {row['mean']:.4f} | {row['under_0.90']} | "
                f"{row['min']:.4f} |"
            )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", default="val", choices=["val", "test"])
    parser.add_argument("--cases", nargs="+", default=["0.45:0.01", "0.45:0", "0.6:0.01"], metavar="SCALE:SIGMA")
    parser.add_argument("--max-share", nargs="+", type=float, default=[0.8, 0.9])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--output", default="small_chest")
    args = parser.parse_args(argv)
    segmenter = Segmenter.from_pretrained("lungseg-unet-default")
    samples = discover([str(args.data / "Lung Segmentation"), str(args.data / "wingspan")])[1]
    films = [(s.name, *read_labelled(s)) for s in select(samples, segmenter.payload["split"][args.split])]
    shipped, cases = dark_field.MAX_SHARE, []
    for case in args.cases:
        scale, sigma = (float(x) for x in case.split(":"))
        rows = {}
        for share in args.max_share:
            dark_field.MAX_SHARE = share
            dice = []
            for name, image, mask in films:
                img, msk = shrunk(image, mask, scale, sigma, name)
                dice.append((name, round(overlap_metrics(segmenter(XRay(img)).mask, msk)["dice"], 4)))
            rows[str(share)] = summary(dice)
        cases.append({"scale": scale, "sigma": sigma, "max_share": rows})
    dark_field.MAX_SHARE = shipped
    command = " ".join(["python benchmarks/small_chest.py", *(argv if argv is not None else sys.argv[1:])])
    result = {"command": command, "split": args.split, "n_images": len(films), "cases": cases}
    (HERE / f"{args.output}.json").write_text(json.dumps(result, indent=1) + "\n")
    (HERE / f"{args.output}.md").write_text(render(result))
    print(render(result))


if __name__ == "__main__":
    main()
