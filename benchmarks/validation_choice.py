"""Choosing the shipped model on validation data only -> benchmarks/validation_choice.json.

Validation images of the new recipe's split (Montgomery validation half, 34, and Wingspan validation part,
16; neither ever trained on by either model), scored clean and with each kind of simulated disease from
``pathology_kinds.py`` (seeds apart from the test benchmark's), the heart on the 16 Wingspan
validation films (``heart``) and the share of their manual heart covered by predicted lung
(``lung_over_heart``), and the lungs of 100 v7 pediatric validation films (75 pneumonia, 25 normal;
``splits/v7_pediatric.json``, by patient apart from the training and test films) on the zones both lung
conventions agree on (``v7_pneumonia``, ``v7_normal``). Test sets are never used to choose. ``clean_abnormal``:
the clean Dice of the validation films of tuberculosis patients (Montgomery names ending ``_1``), reported, not
part of the rule.

Each model after the first also gets its paired difference from the first on the v7 pneumonia films
(``v7_pneumonia_vs_<first>``: mean, bootstrap 95% interval, films up and down).

Usage: python benchmarks/validation_choice.py --models old=runs/old_default.pt new=lungseg-unet-default [--output F]
(``MODEL+shape`` / ``MODEL+noshape``: with or without the learned shape model; neither: the model's default;
``MODEL+tta`` (last): with test-time zooms, ``lungseg.inference.tta``; ``MODEL@EDGE``: with the edge model in checkpoint
EDGE (``lungseg.inference.edge_refine``); ``A&B&C``: the mean of those checkpoints'
logits, thresholded as the first one is, an ensemble run in torch)
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from accuracy import model_and_shape
from pathology import v7_groups
from pathology_kinds import SEEN, UNSEEN

from lungseg.data.layouts import discover, load_split, select
from lungseg.evaluation.evaluate import read_labelled
from lungseg.evaluation.metrics import overlap_metrics
from lungseg.inference.edge_refine import edge_model_file
from lungseg.inference.preprocess import resize_mask
from lungseg.inference.segmenter import Segmenter
from lungseg.inference.tta import DEFAULT_SCALES
from lungseg.io.reader import XRay, read_mask
from lungseg.training.conventions import agreement_zone

HERE = Path(__file__).resolve().parent


class MeanLogits:
    """Several predictors as one: the mean of their logits (an ensemble; attributes are the first one's)."""

    def __init__(self, predictors: list) -> None:
        self.predictors = predictors

    def __getattr__(self, name: str):
        if name == "predictors":
            raise AttributeError(name)
        return getattr(self.predictors[0], name)

    def __call__(self, work: np.ndarray) -> np.ndarray:
        return np.mean([p(work) for p in self.predictors], axis=0)


def segmenter(model: str, precision: str, tta: tuple[float, ...] = (), **kwargs) -> Segmenter:
    """``Segmenter.from_pretrained`` of one model, or of ``A&B&C``: A's settings, the mean of all three's logits."""
    first, *others = model.split("&")
    seg = Segmenter.from_pretrained(first, device="cpu", tta=tta, precision=precision, **kwargs)
    if others:
        from lungseg.inference.torch_predictor import TorchPredictor
        from lungseg.model.checkpoint import load_model

        seg.predictor = MeanLogits([seg.predictor, *(TorchPredictor(load_model(m)[0], "cpu", precision)
                                                     for m in others)])  # fmt: skip
    return seg


def lung_over_heart(lungs: list[np.ndarray], hearts: list[np.ndarray]) -> float:
    """Mean share of the manual heart covered by the predicted lungs (one mask each, same films): near 0 for
    the visible-field convention; it rises when lungs spill over the heart (what training on anatomical
    masks can teach, and the clean Dice of 50 films hardly sees)."""
    shares = []
    for lung, reference in zip(lungs, hearts, strict=True):
        lung = resize_mask(lung, *reference.shape) if lung.shape != reference.shape else lung
        shares.append((lung & reference).sum() / max(reference.sum(), 1))
    return round(float(np.mean(shares)), 4)


def heart_dice(model: str, hearts: list, tta: tuple[float, ...] = (), precision: str = "fp32") -> float | None:
    """Mean heart Dice on the validation films with a heart mask: the model's own heart output, or the
    bundled heart model beside a lungs-only model (what ``lungseg segment`` runs by default)."""
    seg = segmenter(model, precision, tta)
    if not seg.has_heart or not hearts:
        return None
    dice = []
    for image, reference in hearts:
        heart = seg(XRay(image)).heart
        heart = resize_mask(heart, *reference.shape) if heart.shape != reference.shape else heart
        dice.append(overlap_metrics(heart, reference)["dice"])
    return round(float(np.mean(dice)), 4)


def v7_scores(seg: Segmenter, films: list) -> dict[str, list[float]]:
    """Agreement-zone Dice per group on the v7 validation films ((image, mask, zone, group) each), per film."""
    by_group: dict[str, list[float]] = {}
    for image, mask, zone, group in films:
        pred = seg(XRay(image)).mask
        by_group.setdefault(group, []).append(overlap_metrics(pred & zone, mask & zone)["dice"])
    return {f"v7_{g}": v for g, v in sorted(by_group.items())}


def paired(new: list[float], base: list[float], seed: int = 0) -> dict[str, float]:
    """Paired difference new - base over the same films: mean, a bootstrap 95% interval (10,000 resamples of
    the films) and how many films gain or lose; tells a real gain from what this many films cannot separate."""
    diff = np.asarray(new) - np.asarray(base)
    rng = np.random.default_rng(seed)
    means = diff[rng.integers(0, len(diff), (10_000, len(diff)))].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return {"mean": round(float(diff.mean()), 4), "ci95": [round(float(low), 4), round(float(high), 4)],
            "films_up": int((diff > 1e-4).sum()), "films_down": int((diff < -1e-4).sum())}  # fmt: skip


def v7_films(root: Path, split: str, part: str = "val") -> list:
    groups = v7_groups(root)
    out = []
    for sample in select(discover(root)[1], load_split(split)[part]):
        image, mask = read_labelled(sample)
        out.append((image, mask, agreement_zone(mask), groups[sample.name]))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", nargs="+", required=True, help="LABEL=MODEL")
    parser.add_argument("--split", default="splits/pathology.json", help="the new recipe's split (val list)")
    parser.add_argument("--data", default=str(HERE.parent.parent / "shared" / "data"))
    parser.add_argument("--v7-split", default="splits/v7_pediatric.json", help="v7 pediatric split (val list)")
    parser.add_argument("--precision", default="fp32", choices=["fp32", "bf16", "auto"],
                        help="fp32 (default): the rule's limits were set in fp32, and a CPU with native bf16 moves "
                        "figures by up to 0.0003")  # fmt: skip
    parser.add_argument("--output", default="validation_choice.json", help="file name in benchmarks/ (a later round)")
    args = parser.parse_args()
    data = Path(args.data)
    val = load_split(args.split)["val"]
    samples = discover([str(data / "Lung Segmentation"), str(data / "wingspan")])[1]
    chosen = select(samples, val)
    pairs = [(s.name, *read_labelled(s)) for s in chosen]
    hearts = [(im, read_mask(s.heart)) for s, (_, im, _) in zip(chosen, pairs, strict=True) if s.heart is not None]
    v7 = v7_films(data / "v7_pediatric", args.v7_split)
    results, per_film = {}, {}
    for spec in args.models:
        label, model = spec.split("=", 1)
        model, _, edge = model.partition("@")  # MODEL@EDGE: with that edge model (edge_refine.py)
        tta = DEFAULT_SCALES if model.endswith("+tta") else ()
        model, shape = model_and_shape(model.removesuffix("+tta"))  # MODEL+shape / MODEL+noshape: shape model on/off
        seg = segmenter(model, args.precision, tta, heart=None, shape_model=shape,
                        edge_model=edge_model_file(edge) if edge else None)  # fmt: skip
        clean = [seg(XRay(im)).mask for _, im, _ in pairs]
        scores = {"clean": [overlap_metrics(c, m)["dice"] for c, (_, _, m) in zip(clean, pairs, strict=True)]}
        for k, (kind, fn) in enumerate({**UNSEEN, **SEEN}.items()):
            sick = [np.clip(fn(im, m, np.random.default_rng([1000 + k, i])), 0, 1).astype(np.float32)
                    for i, (_, im, m) in enumerate(pairs)]  # fmt: skip
            masks = [m for _, _, m in pairs]
            scores[kind] = [overlap_metrics(seg(XRay(x)).mask, m)["dice"] for x, m in zip(sick, masks, strict=True)]
        results[label] = {"model": spec.split("=", 1)[1], **{k: round(float(np.mean(v)), 4) for k, v in scores.items()}}
        results[label]["simulated_mean"] = round(float(np.mean([results[label][k] for k in {**UNSEEN, **SEEN}])), 4)
        sick = [d for d, (name, _, _) in zip(scores["clean"], pairs, strict=True) if name.endswith("_1")]
        results[label]["clean_abnormal"] = round(float(np.mean(sick)), 4)  # the Montgomery TB films (reported only)
        results[label]["heart"] = heart_dice(model, hearts, tta, args.precision)
        with_heart = [c for c, s in zip(clean, chosen, strict=True) if s.heart is not None]
        results[label]["lung_over_heart"] = lung_over_heart(with_heart, [h for _, h in hearts])
        per_film[label] = v7_scores(seg, v7)
        results[label].update({k: round(float(np.mean(v)), 4) for k, v in per_film[label].items()})
        first = args.models[0].split("=", 1)[0]
        if label != first:
            gain = paired(per_film[label]["v7_pneumonia"], per_film[first]["v7_pneumonia"])
            results[label][f"v7_pneumonia_vs_{first}"] = gain
        print(label, results[label], flush=True)
    command = "python benchmarks/validation_choice.py --models " + " ".join(args.models)
    command += f" --precision {args.precision}" if args.precision != "fp32" else ""
    command += f" --output {args.output}" if args.output != "validation_choice.json" else ""
    out = {"command": command, "n_val": len(pairs), "n_v7_val": len(v7), "results": results}
    (HERE / args.output).write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
