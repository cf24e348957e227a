"""Which mean confidence finds bad masks: the shipped one, or the final mask's agreement with the lung model?

Since round 39 the shape model grows lung with no floor on the lung model's probability, and the quality score's
AUROC for masks with Dice < 0.90 fell (0.9068 -> 0.8797, `benchmarks/quality.md`). The shipped confidence
(`measure.confidence`) averages max(p, 1 - p) over the mask and the uncertain pixels, so lung grown where the lung
model said p ~ 0 counts as confident. The variant averages p inside the final mask and 1 - p outside it (same region):
how much the lung model agrees with the mask that is reported. Both on quality.py's test cases (173 test films, clean
and in 4 corrupted versions each; never used to fit anything). A measurement for the next change, not a choice: the
variant is not in the package.

Usage: python benchmarks/confidence_variants.py [--data PATH]  -> benchmarks/confidence_variants.json and .md
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
from lungseg.inference.preprocess import resize_float  # noqa: E402
from lungseg.inference.segmenter import Segmenter  # noqa: E402
from lungseg.io.reader import XRay  # noqa: E402


def agreement(prob: np.ndarray, mask: np.ndarray) -> float:
    """Mean of p inside ``mask`` and 1 - p outside it, over the mask and every uncertain pixel (0.1 < p < 0.9)."""
    region = mask | ((prob > 0.1) & (prob < 0.9))
    return float(np.where(mask, prob, 1 - prob)[region].mean()) if region.any() else 1.0


def cases(data: Path) -> list[tuple[float, float, float]]:
    """(Dice, shipped confidence, agreement) per test case, quality.py's seeds."""
    seg = Segmenter.from_pretrained("lungseg-unet-default", heart=None, precision="fp32")  # as quality.py
    test = select(discover([str(data / "Lung Segmentation"), str(data / "wingspan")])[1],
                  load_split(HERE.parent / "splits" / "pathology.json")["test"])  # fmt: skip
    rows = []
    for i, s in enumerate(test):
        image, mask = small_pair(s)
        for _, (img, ref) in [("clean", (image, mask)), *perturbed(image, mask, np.random.default_rng([1, i]))]:
            r = seg(XRay(img))
            prob = r.probabilities if r.probabilities.shape == r.mask.shape else resize_float(r.probabilities,
                                                                                              *r.mask.shape)
            rows.append((overlap_metrics(r.mask, ref)["dice"], r.measurements["mean_confidence"],
                         agreement(prob, r.mask)))  # fmt: skip
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=str(HERE.parent.parent / "shared" / "data"))
    args = parser.parse_args()
    dice, shipped, agree = map(np.array, zip(*cases(Path(args.data)), strict=True))
    bad = dice < BAD_DICE
    out = {"command": "python benchmarks/confidence_variants.py", "n_cases": len(dice), "n_bad": int(bad.sum()),
           **{name: {"spearman": round(spearman(v, dice), 4), "auroc_bad": round(auroc(-v, bad), 4)}
              for name, v in (("shipped", shipped), ("agreement", agree))}}  # fmt: skip
    (HERE / "confidence_variants.json").write_text(json.dumps(out, indent=1) + "\n")
    (HERE / "confidence_variants.md").write_text(
        f"# Mean confidence variants\n\n`{out['command']}`: {out['n_cases']} test cases, {out['n_bad']} with Dice < "
        f"{BAD_DICE}.\n\n| confidence | Spearman with Dice | AUROC for Dice < {BAD_DICE} |\n|---|---|---|\n"
        + "".join(f"| {k} | {out[k]['spearman']} | {out[k]['auroc_bad']} |\n" for k in ("shipped", "agreement")))


if __name__ == "__main__":
    main()
