"""Does the shape prior help? The completion of a lost lung or lung base (``lungseg/inference/shape_prior.py``;
on by default, off with ``--no-complete-lungs``) on and off; with ``--shape-model``, the learned shape model
(``lungseg/inference/shape_completion.py``) first, as ``lungseg segment`` runs them, against neither.

Each image goes through the model once; its result is finished twice, without and with the completion from
the partner lung's mirror image (``--base-gap 0.35``: also of a lung base that stops 0.35 of the partner's
height too high; off in the shipped default). Chosen on validation: the
50 validation films of ``splits/pathology.json`` clean, with each simulated disease of ``pathology_kinds.py``
(the seeds of ``validation_choice.py``), with ``lost_lung`` (a stress kind made here: one hemithorax fully
opaque) and ``lost_base`` (the lower 40-55% of one lung fully opaque), the failures the prior is for, and the
100 v7 validation films on the zones both conventions agree on. Reported, not chosen on: the Montgomery and
Shenzhen test images clean and with both stress kinds, the Wingspan test part, and the 200 v7 test films of
``pathology.py``.

Usage: python benchmarks/shape_prior.py [--model lungseg-unet-default] [--base-gap G] [--limit N] [--output NAME]
Writes benchmarks/shape_prior.json and benchmarks/shape_prior.md (NAME.json and NAME.md).
"""

from __future__ import annotations

import argparse
import functools
import json
from pathlib import Path

import numpy as np
from pathology import v7_sample
from pathology_kinds import SEEN, UNSEEN
from scipy import ndimage
from validation_choice import v7_films

from lungseg.data.layouts import discover, load_split, select
from lungseg.evaluation.evaluate import read_labelled
from lungseg.evaluation.metrics import overlap_metrics
from lungseg.inference import pipeline as lungseg_pipeline
from lungseg.inference import shape_prior
from lungseg.inference.pipeline import load_input
from lungseg.inference.segmenter import Segmenter
from lungseg.io.reader import XRay
from lungseg.training import pathology
from lungseg.training.conventions import agreement_zone

HERE = Path(__file__).resolve().parent
SPLITS = HERE.parent / "splits"


def lost_lung(image: np.ndarray, mask: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One whole hemithorax at full soft-tissue density (collapse, massive effusion): the lung is invisible."""
    halves = pathology.lung_halves(mask)
    if not halves:
        return image
    region = ndimage.binary_dilation(halves[int(rng.integers(len(halves)))], iterations=3)
    alpha = ndimage.gaussian_filter(region.astype(np.float32), 2.0)
    return pathology.blend(image, np.clip(alpha * 1.2, 0, 1), pathology.dense_level(image, mask, rng))


def lost_base(image: np.ndarray, mask: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The lower 40-55% of one lung at full soft-tissue density (a large effusion, lower-lobe collapse): the model
    sees a lung that ends too high, the failure the base completion is for."""
    halves = pathology.lung_halves(mask)
    if not halves:
        return image
    lung = halves[int(rng.integers(len(halves)))]
    rows = np.flatnonzero(lung.any(axis=1))
    region = lung.copy()
    region[: rows[-1] - int(rng.uniform(0.4, 0.55) * (rows[-1] - rows[0] + 1))] = False
    region = ndimage.binary_dilation(region, iterations=3)
    alpha = ndimage.gaussian_filter(region.astype(np.float32), 2.0)
    return pathology.blend(image, np.clip(alpha * 1.2, 0, 1), pathology.dense_level(image, mask, rng))


def both_ways(seg: Segmenter, image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(mask without, mask with the completion) from one forward pass."""
    item = load_input(XRay(np.asarray(image, np.float32)), 0, seg.image_size, seg.intensity)
    logits = seg.predict_working(item["work"][None])
    heart = logits[0, 1:2] if seg.own_heart is not None else None
    masks = []
    for complete in (False, True):
        seg.complete_lungs = complete
        masks.append(seg.finish(item["xray"], logits[0], "", heart).mask)
    seg.complete_lungs = False
    return masks[0], masks[1]


def score_set(seg: Segmenter, cases: list) -> dict:
    """Mean Dice without and with the completion over (image, mask, zone or None) cases, and the films it
    changed with their mean change."""
    off, on = [], []
    for image, mask, zone in cases:
        a, b = both_ways(seg, image)
        if zone is not None:
            a, b, mask = a & zone, b & zone, mask & zone
        off.append(overlap_metrics(a, mask)["dice"])
        on.append(overlap_metrics(b, mask)["dice"])
    off, on = np.array(off), np.array(on)
    gain = on - off
    changed = np.abs(gain) > 1e-9
    return {"n": len(off), "off": round(float(off.mean()), 4), "on": round(float(on.mean()), 4),
            "min_off": round(float(off.min()), 4), "min_on": round(float(on.min()), 4), "changed": int(changed.sum()),
            "better": int((gain > 1e-9).sum()), "worse": int((gain < -1e-9).sum()),
            "mean_change_where_changed": round(float(gain[changed].mean()), 4) if changed.any() else 0.0}  # fmt: skip


def simulated(pairs: list, kinds: dict, seed0: int) -> dict[str, list]:
    out = {}
    for k, (kind, fn) in enumerate(kinds.items()):
        out[kind] = [(np.clip(fn(im, m, np.random.default_rng([seed0 + k, i])), 0, 1), m, None)
                     for i, (im, m) in enumerate(pairs)]  # fmt: skip
    return out


def validation_sets(data: Path, limit: int) -> dict[str, list]:
    samples = discover([str(data / "Lung Segmentation"), str(data / "wingspan")])[1]
    pairs = [read_labelled(s) for s in select(samples, load_split(SPLITS / "pathology.json")["val"])][: limit or None]
    sets = {"clean": [(im, m, None) for im, m in pairs]}
    sets |= simulated(pairs, {**UNSEEN, **SEEN}, 1000)  # validation_choice.py's seeds
    sets |= simulated(pairs, {"lost_lung": lost_lung}, 1100)
    sets |= simulated(pairs, {"lost_base": lost_base}, 1200)
    v7 = v7_films(data / "v7_pediatric", str(SPLITS / "v7_pediatric.json"))[: limit or None]
    sets["v7"] = [(im, m, zone) for im, m, zone, _ in v7]
    return sets


def test_sets(data: Path, limit: int) -> dict[str, list]:
    kaggle = discover(str(data / "Lung Segmentation"))[1]
    names = [n for f in ("montgomery_test.txt", "shenzhen_test.txt") for n in load_split(SPLITS / f)["test"]]
    pairs = [read_labelled(s) for s in select(kaggle, names)][: limit or None]
    wing = select(discover(str(data / "wingspan"))[1], load_split(SPLITS / "wingspan_test.txt")["test"])
    v7 = [read_labelled(s) for s in v7_sample(data / "v7_pediatric")[0]][: limit or None]
    return {"montgomery_shenzhen_clean": [(im, m, None) for im, m in pairs],
            **{f"montgomery_shenzhen_{k}": v for k, v in simulated(pairs, {"lost_lung": lost_lung}, 2100).items()},
            **{f"montgomery_shenzhen_{k}": v for k, v in simulated(pairs, {"lost_base": lost_base}, 2200).items()},
            "wingspan": [(im, m, None) for im, m in (read_labelled(s) for s in wing[: limit or None])],
            "v7": [(im, m, agreement_zone(m)) for im, m in v7]}  # fmt: skip


def render(result: dict) -> str:
    lines = ["# Shape prior: completing a lost lung", "",
             f"`{result['command']}` (figures in the JSON of the same name). Dice at the masks' resolution; "
             "`changed`: films whose mask the completion changed (better / worse).", ""]  # fmt: skip
    for part in ("validation", "test"):
        lines += [f"## {part.capitalize()}", "", "| set | films | Dice off | Dice on | min off | min on | changed "
                  "(better / worse) | mean change where changed |", "|---|---|---|---|---|---|---|---|"]  # fmt: skip
        for name, r in result[part].items():
            lines.append(f"| {name} | {r['n']} | {r['off']:.4f} | {r['on']:.4f} | {r['min_off']:.4f} | "
                         f"{r['min_on']:.4f} | {r['changed']} ({r['better']} / {r['worse']}) | "
                         f"{r['mean_change_where_changed']:+.4f} |")  # fmt: skip
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="lungseg-unet-default")
    parser.add_argument("--data", type=Path, default=HERE.parent.parent / "shared" / "data")
    parser.add_argument("--limit", type=int, default=0, help="films per set (smoke runs)")
    parser.add_argument("--output", default="shape_prior", help="name of the .json and .md in benchmarks/")
    parser.add_argument("--base-gap", type=float, default=shape_prior.BASE_GAP,
                        help="complete a lung base this far above its partner's (default inf: never, as shipped)")
    parser.add_argument("--shape-model", action="store_true",
                        help="the learned shape model first, as shipped (default: the mirror image alone)")
    args = parser.parse_args()
    # the mirror-image prior alone unless --shape-model: the learned shape model runs before it (as shipped)
    seg = Segmenter.from_pretrained(args.model, device="cpu", shape_model=args.shape_model)
    lungseg_pipeline.complete_lungs = functools.partial(shape_prior.complete_lungs, base_gap=args.base_gap)
    command = "python benchmarks/shape_prior.py"
    command += f" --model {args.model}" if args.model != "lungseg-unet-default" else ""
    command += f" --base-gap {args.base_gap}" if args.base_gap != shape_prior.BASE_GAP else ""
    command += " --shape-model" if args.shape_model else ""
    command += f" --output {args.output}" if args.output != "shape_prior" else ""
    result = {"command": command}
    for part, make in (("validation", validation_sets), ("test", test_sets)):
        result[part] = {}
        for name, cases in make(args.data, args.limit).items():
            result[part][name] = score_set(seg, cases)
            print(part, name, result[part][name], flush=True)
    if not args.limit:
        (HERE / f"{args.output}.json").write_text(json.dumps(result, indent=1) + "\n")
        (HERE / f"{args.output}.md").write_text(render(result))


if __name__ == "__main__":
    main()
