"""Which mean confidence finds bad masks: max(p, 1 - p), or the final mask's agreement with the lung model?

Since round 39 the shape model grows lung with no floor on the lung model's probability, and the quality score's
AUROC for masks with Dice < 0.90 fell (0.9068 -> 0.8797, `benchmarks/quality.md`). The confidence shipped then
(`measure.confidence` until round 41) averaged max(p, 1 - p) over the mask and the uncertain pixels, so lung grown where
the lung model said p ~ 0 counted as confident. The variant averages p inside the final mask and 1 - p outside it
(same region): how much the lung model agrees with the mask that is reported. Both on quality.py's test cases (173
test films, clean and in 4 corrupted versions each; never used to fit anything). A measurement for the next change, not
a choice: the variant was not in the package then.

``--part val`` (round 41's choice): the same on quality.py's fit cases (the 50 validation films, clean and in 4
corrupted versions each, quality.py's seeds), with how often each confidence under a threshold flags a clean film and a
bad mask: the test figures above came first, so the choice to change ``measure.confidence`` was made on these. Since
round 41 ``measure.confidence`` is the agreement; the row ``max_p`` is the definition it replaced (:func:`max_p`).

Usage: python benchmarks/confidence_variants.py [--data PATH] [--part val|test]
  -> benchmarks/confidence_variants.json and .md (``--part val``: confidence_variants_val.json and .md)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from quality import BAD_DICE, small_pair  # noqa: E402
from quality_sets import perturbed  # noqa: E402

from lungseg.data.layouts import discover, load_split, select  # noqa: E402
from lungseg.evaluation.metrics import overlap_metrics  # noqa: E402
from lungseg.evaluation.quality_fit import auroc, spearman  # noqa: E402
from lungseg.inference.measure import confidence  # noqa: E402
from lungseg.inference.preprocess import resize_float  # noqa: E402
from lungseg.inference.segmenter import Segmenter  # noqa: E402
from lungseg.io.reader import XRay  # noqa: E402


def max_p(prob: np.ndarray, mask: np.ndarray) -> float:
    """``measure.confidence`` until round 41: mean of max(p, 1 - p) over the mask and every uncertain pixel."""
    region = mask | ((prob > 0.1) & (prob < 0.9))
    return float(np.maximum(prob, 1 - prob)[region].mean()) if region.any() else 1.0


SEEDS = {"val": 0, "test": 1}  # quality.py's: cxr_cases(seg, val, seed=0), cxr_cases(seg, test, seed=1)
THRESHOLDS = (0.8, 0.85, 0.9)  # measure.LOW_CONFIDENCE is 0.85


def cases(data: Path, part: str = "test") -> list[tuple[float, float, float, bool]]:
    """(Dice, max(p, 1 - p) confidence, agreement, clean or not) per case of ``part``, quality.py's seeds."""
    seg = Segmenter.from_pretrained("lungseg-unet-default", heart=None, precision="fp32")  # as quality.py
    test = select(discover([str(data / "Lung Segmentation"), str(data / "wingspan")])[1],
                  load_split(HERE.parent / "splits" / "pathology.json")[part])  # fmt: skip
    rows = []
    for i, s in enumerate(test):
        image, mask = small_pair(s)
        for kind, (img, ref) in [("clean", (image, mask)),
                                 *perturbed(image, mask, np.random.default_rng([SEEDS[part], i]))]:
            r = seg(XRay(img))
            prob = r.probabilities if r.probabilities.shape == r.mask.shape else resize_float(r.probabilities,
                                                                                              *r.mask.shape)
            rows.append((overlap_metrics(r.mask, ref)["dice"], max_p(prob, r.mask), confidence(prob, r.mask),
                         kind == "clean"))  # fmt: skip
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=str(HERE.parent.parent / "shared" / "data"))
    parser.add_argument("--part", default="test", choices=["val", "test"])
    args = parser.parse_args()
    if args.part == "test":  # the committed figures of round 39's session, as they were made
        dice, old, agree, _ = map(np.array, zip(*cases(Path(args.data)), strict=True))
        bad = dice < BAD_DICE
        out = {"command": "python benchmarks/confidence_variants.py", "n_cases": len(dice), "n_bad": int(bad.sum()),
               **{name: {"spearman": round(spearman(v, dice), 4), "auroc_bad": round(auroc(-v, bad), 4)}
                  for name, v in (("max_p", old), ("agreement", agree))}}  # fmt: skip
        (HERE / "confidence_variants.json").write_text(json.dumps(out, indent=1) + "\n")
        (HERE / "confidence_variants.md").write_text(
            f"# Mean confidence variants\n\n`{out['command']}`: {out['n_cases']} test cases, {out['n_bad']} with Dice "
            f"< {BAD_DICE}.\n\n| confidence | Spearman with Dice | AUROC for Dice < {BAD_DICE} |\n|---|---|---|\n"
            + "".join(f"| {k} | {out[k]['spearman']} | {out[k]['auroc_bad']} |\n" for k in ("max_p", "agreement")))
        return
    out = validation(*map(np.array, zip(*cases(Path(args.data), "val"), strict=True)))
    (HERE / "confidence_variants_val.json").write_text(json.dumps(out, indent=1) + "\n")
    (HERE / "confidence_variants_val.md").write_text(render_val(out))


def validation(dice: np.ndarray, old: np.ndarray, agree: np.ndarray, clean: np.ndarray) -> dict:
    """Per confidence: Spearman, AUROC for bad masks, and at each threshold the share of clean films, of bad masks
    and of good corrupted ones it flags."""
    bad = dice < BAD_DICE
    out = {"command": "python benchmarks/confidence_variants.py --part val", "n_cases": len(dice),
           "n_clean": int(clean.sum()), "n_bad": int(bad.sum())}  # fmt: skip
    for name, v in (("max_p", old), ("agreement", agree)):
        out[name] = {"spearman": round(spearman(v, dice), 4), "auroc_bad": round(auroc(-v, bad), 4),
                     "flags": {str(t): {"clean": round(float((v[clean] < t).mean()), 4),
                                        "bad": round(float((v[bad] < t).mean()), 4),
                                        "good_corrupted": round(float((v[~bad & ~clean] < t).mean()), 4)}
                               for t in THRESHOLDS}}  # fmt: skip
    return out


def render_val(out: dict) -> str:
    lines = ["# Mean confidence variants on validation", "", f"`{out['command']}`: {out['n_cases']} validation cases "
             f"({out['n_clean']} clean films, the rest corrupted), {out['n_bad']} with Dice < {BAD_DICE}.", "",
             "| confidence | Spearman with Dice | AUROC for Dice < 0.9 | " + " | ".join(
                 f"flagged under {t}: clean / bad / good corrupted" for t in THRESHOLDS) + " |",
             "|---|---|---|" + "---|" * len(THRESHOLDS)]  # fmt: skip
    for k in ("max_p", "agreement"):
        r = out[k]
        lines.append(f"| {k} | {r['spearman']} | {r['auroc_bad']} | " + " | ".join(
            f"{f['clean']} / {f['bad']} / {f['good_corrupted']}" for f in r["flags"].values()) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
