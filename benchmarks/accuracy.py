"""Headline accuracy of models on every test set, by group, written to benchmarks/accuracy.json.

The README, MODEL_CARD.md and benchmarks/accuracy.md quote their figures from this file, and
tests/test_docs_figures.py checks that they do.

Usage: python benchmarks/accuracy.py --models old=lungseg-unet-default new=runs/patho/best.pt [--data PATH]
(a model ending in ``+shape`` runs with the learned shape prior, ``lungseg evaluate --shape-model``; ``+noshape``
without it, ``--no-shape-model``; neither: as ``lungseg segment`` runs it, on for the bundled default model)
Sets: Montgomery test half and Shenzhen held-out 10% (splits/*_test.txt), Wingspan test part
(splits/wingspan_test.txt); each scored with ``lungseg evaluate`` (calibrated threshold, post-processing).
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from lungseg.evaluation.evaluate import evaluate

HERE = Path(__file__).resolve().parent
SPLITS = HERE.parent / "splits"
KEEP = ("n_images", "dice_mean", "dice_median", "dice_min", "iou_mean", "hd95_median", "assd_median", "threshold")


def sets(data: Path) -> dict[str, tuple[Path, Path]]:
    kaggle = data / "Lung Segmentation"
    return {
        "montgomery_test": (kaggle, SPLITS / "montgomery_test.txt"),
        "shenzhen_test": (kaggle, SPLITS / "shenzhen_test.txt"),
        "wingspan_test": (data / "wingspan", SPLITS / "wingspan_test.txt"),
    }


def model_and_shape(spec: str) -> tuple[str, bool | None]:
    """``MODEL+shape`` -> (MODEL, True), ``MODEL+noshape`` -> (MODEL, False), ``MODEL`` -> (MODEL, None: the
    model's default)."""
    for suffix, on in (("+shape", True), ("+noshape", False)):
        if spec.endswith(suffix):
            return spec.removesuffix(suffix), on
    return spec, None


def slim(summary: dict) -> dict:
    out = {k: round(summary[k], 4) if isinstance(summary[k], float) else summary[k] for k in KEEP}
    out["groups"] = {g: {k: round(v[k], 4) for k in ("dice_mean", "dice_min")} | {"n": v["n_images"]}
                     for g, v in summary["groups"].items()}  # fmt: skip
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", nargs="+", required=True, help="LABEL=MODEL (bundled name or checkpoint)")
    parser.add_argument("--data", default=str(HERE.parent.parent / "shared" / "data"))
    parser.add_argument("--output", default=str(HERE / "accuracy.json"))
    parser.add_argument("--precision", default="fp32", choices=["fp32", "bf16", "auto"],
                        help="torch's precision (fp32: as every committed figure; a CPU with native bf16 moves "
                        "figures by up to 0.0003)")  # fmt: skip
    args = parser.parse_args()
    results = {}
    for spec in args.models:
        label, model = spec.split("=", 1)
        results[label] = {"model": model}
        model, shape = model_and_shape(model)
        for name, (data, split) in sets(Path(args.data)).items():
            with tempfile.TemporaryDirectory() as tmp:
                results[label][name] = slim(evaluate(model, data, str(split), tmp, device="cpu", shape_model=shape,
                                                               precision=args.precision))
            print(label, name, results[label][name]["dice_mean"], flush=True)
    command = "python benchmarks/accuracy.py --models " + " ".join(args.models)
    command += f" --output {args.output}" if Path(args.output) != HERE / "accuracy.json" else ""
    command += f" --precision {args.precision}" if args.precision != "fp32" else ""
    Path(args.output).write_text(json.dumps({"command": command, "results": results}, indent=1) + "\n")


if __name__ == "__main__":
    main()
