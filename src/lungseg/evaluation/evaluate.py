"""Evaluate a checkpoint on labelled images at each mask's own resolution."""

from __future__ import annotations

import csv
import io
import json
import logging
import statistics
from pathlib import Path

import numpy as np
from tqdm import tqdm

from lungseg.data.layouts import Sample, discover, labelled, load_split, select
from lungseg.data.nlm import nlm_group
from lungseg.evaluation.metrics import METRIC_NAMES, all_metrics
from lungseg.inference.preprocess import resize_float, resize_mask
from lungseg.inference.segmenter import Segmenter
from lungseg.io.atomic import save_png_atomic, write_text_atomic
from lungseg.io.reader import XRay, read_mask, read_xray
from lungseg.report.build import evaluate_report

log = logging.getLogger(__name__)


def choose_samples(samples: list[Sample], split_arg: str, checkpoint_split: dict | None) -> list[Sample]:
    """Samples for ``--split``: 'test' / 'val' of the checkpoint's split, 'all', or a split file's test list."""
    if split_arg == "all":
        return labelled(samples)
    if split_arg in ("test", "val", "train"):
        if not checkpoint_split:
            raise ValueError(f"the checkpoint stores no split; use --split all or --split FILE instead of {split_arg}")
        try:
            return select(samples, checkpoint_split[split_arg], split_arg)
        except ValueError as exc:
            raise ValueError(f"{exc}; to score every labelled image of your own data, use --split all") from exc
    return select(samples, load_split(split_arg)["test"], split_arg)


def read_groups(path: str | Path) -> dict[str, str]:
    """image -> group from a CSV with columns ``image,group`` (image names with or without suffix)."""
    path = Path(path)
    try:
        with path.open(newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ValueError(f"{path}: cannot read the groups CSV ({exc}); write 'image,group' rows") from exc
    if not rows or not {"image", "group"} <= set(rows[0]):
        raise ValueError(f"{path}: a groups CSV needs a header 'image,group' and one row per image")
    return {Path(r["image"].strip()).stem: r["group"].strip() for r in rows if r["image"] and r["group"]}


def group_of(name: str, groups: dict[str, str] | None) -> str | None:
    """The image's group: from the CSV when given, else normal/abnormal from an NLM name."""
    if groups is not None:
        return groups.get(name)
    return nlm_group(name)


def read_labelled(sample: Sample, mask_path: Path | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(image resized to the mask's shape if they differ, boolean mask); ``mask_path`` takes another of the
    sample's masks (its heart) instead of the lungs'."""
    mask_path = mask_path or sample.mask
    if mask_path is None:
        raise ValueError(f"{sample.image}: has no mask to evaluate against")
    mask = read_mask(mask_path)
    image = read_xray(sample.image).pixels
    if image.shape != mask.shape and image.shape == mask.shape[::-1]:  # resizing would stretch one onto the other
        raise ValueError(
            f"{sample.image} ({image.shape[1]}x{image.shape[0]} as viewers show it) and its mask {mask_path} "
            f"({mask.shape[1]}x{mask.shape[0]}) lie at a quarter turn: one carries an EXIF orientation tag the other "
            "lacks; save the mask on the image as viewers show it (or both without the tag)"
        )
    if image.shape != mask.shape:
        image = resize_float(image, *mask.shape)
    return image, mask


HEART_METRICS = ("heart_dice", "heart_hd95", "ctr_error")


def evaluate_sample(segmenter: Segmenter, sample: Sample, overlays: Path | None = None) -> dict[str, float]:
    """Metrics for one labelled sample, on exactly the masks ``lungseg segment`` would write; with a heart
    model and a heart mask also heart Dice and HD95, and with a reference CTR the absolute CTR error.
    With ``overlays`` (a folder) also the overlay, for the report."""
    image, mask = read_labelled(sample)
    result = segmenter(XRay(image))
    row = all_metrics(result.mask, mask)
    row |= {"quality": float(result.measurements.get("quality", float("nan"))),
            "lung_fraction": float(result.measurements["lung_fraction"])}  # fmt: skip
    row["flags"] = [f for f in result.measurements["flags"].split(";") if f]
    if overlays is not None:
        row["overlay"] = save_overlay(result, overlays, sample.name)
    if result.heart is not None and sample.heart is not None:
        reference = read_mask(sample.heart)
        heart = resize_mask(result.heart, *reference.shape) if result.heart.shape != reference.shape else result.heart
        scores = all_metrics(heart, reference)
        row |= {"heart_dice": scores["dice"], "heart_hd95": scores["hd95"]}
    if result.heart is not None and sample.ctr is not None:
        row["ctr"] = float(result.measurements["ctr"])
        row["ctr_error"] = abs(row["ctr"] - sample.ctr)
        row["ctr_reference"] = sample.ctr
    return row


def save_overlay(result, folder: Path, name: str) -> str:
    """The result's overlay (at most 512 px) as ``folder/overlays/<name>.png``; its path relative to ``folder``."""
    from lungseg.inference.batch import overlay_of

    rel = Path("overlays") / f"{name}.png"
    save_png_atomic(folder / rel, overlay_of(result, 512), 1)
    return rel.as_posix()


def summarise(rows: list[dict]) -> dict:
    """Mean and median of each metric, n_images and the five lowest-Dice names; the same keys per group
    under ``groups`` for rows that carry a ``group``."""
    summary = summarise_flat(rows)
    names = sorted({r["group"] for r in rows if r.get("group")})
    summary["groups"] = {g: summarise_flat([r for r in rows if r.get("group") == g]) for g in names}
    return summary


def summarise_flat(rows: list[dict]) -> dict:
    summary: dict = {"n_images": len(rows)}
    for name in METRIC_NAMES:
        values = [r[name] for r in rows]
        summary[f"{name}_mean"] = float(np.mean(values)) if values else float("nan")
        summary[f"{name}_median"] = float(statistics.median(values)) if values else float("nan")
    summary["dice_min"] = min((r["dice"] for r in rows), default=float("nan"))
    for name in HEART_METRICS:
        values = [r[name] for r in rows if name in r and not np.isnan(r[name])]
        if values:
            summary[f"{name}_mean"] = float(np.mean(values))
            summary[f"{name}_median"] = float(statistics.median(values))
            summary[f"{name}_n"] = len(values)
    summary["worst"] = [r["image"] for r in sorted(rows, key=lambda r: r["dice"])[:5]]
    return summary


def write_tables(rows: list[dict], summary: dict, output: Path) -> None:
    buffer = io.StringIO()
    extra = [k for k in (*HEART_METRICS, "ctr", "ctr_reference") if any(k in r for r in rows)]
    fields = ["image", "group", *METRIC_NAMES, *extra, "quality"]
    writer = csv.DictWriter(buffer, fieldnames=fields, extrasaction="ignore")
    writer.writeheader()
    writer.writerows({k: (f"{v:.6f}" if isinstance(v, float) else v) for k, v in r.items()} for r in rows)
    write_text_atomic(output / "per_image.csv", buffer.getvalue())
    write_text_atomic(output / "summary.json", json.dumps(summary, indent=1) + "\n")


def scored_rows(segmenter: Segmenter, chosen: list[Sample], groups: dict | None,
                output: Path) -> tuple[list[dict], list[dict]]:
    """(a row per sample scored, {image, error} per sample that could not be read): a bad image or mask is named
    and the rest are scored, as ``lungseg segment`` goes on past a bad input; a ValueError when none is scored."""
    rows, failed = [], []
    for sample in tqdm(chosen, desc="evaluate", unit="img", disable=None):
        try:
            scores = evaluate_sample(segmenter, sample, output)
        except ValueError as exc:
            log.error("%s", exc)
            failed.append({"image": sample.name, "error": str(exc)})
            continue
        rows.append({"image": sample.name, "group": group_of(sample.name, groups) or "", **scores})
    if not rows:
        raise ValueError(f"none of the {len(chosen)} labelled images could be scored; the first: {failed[0]['error']}")
    return rows, failed


def evaluate(
    model_path: str | Path,
    data: str | Path | list,
    split: str,
    output: str | Path,
    device: str = "auto",
    threshold: float | None = None,
    postprocess: bool = True,
    groups_file: str | Path | None = None,
    heart: str | Path | None = "auto",
    convention: str = "visible",
    backend: str = "torch",
    shape_model: bool | None = None,
    tta: tuple[float, ...] = (),
    precision: str = "auto",
) -> dict:
    """Evaluate ``model_path`` on ``data``; write per_image.csv and summary.json to ``output`` (``failed``: the
    images that could not be read, each with its error; the others are scored).

    The masks are those ``lungseg segment`` writes: the checkpoint's calibrated threshold (unless
    ``threshold`` is given) and post-processing (unless ``postprocess`` is False), in the lung
    ``convention`` of the manual masks ("anatomical" for masks that include the lung behind the heart), run by
    ``backend`` (torch or onnxruntime, as ``lungseg segment --backend``); ``shape_model``: the learned shape
    prior on or off (``--shape-model``; None: as ``lungseg segment`` runs this model); ``tta``: test-time zoom
    scales (``--tta``, :mod:`lungseg.inference.tta`; empty: none); ``precision``: the torch backend's (``auto``:
    bf16 where the CPU computes it natively, which moves a figure by up to 0.0003; ``fp32`` reproduces any CPU's).
    """
    segmenter = Segmenter.from_pretrained(
        model_path, device=device, threshold=threshold, postprocess=postprocess, heart=heart, convention=convention,
        backend=backend, shape_model=shape_model, tta=tta, precision=precision,
    )
    layout, samples = discover(data)
    chosen = choose_samples(samples, split, segmenter.payload.get("split"))
    if not chosen:
        raise ValueError(f"no labelled images to evaluate in {data} for split {split!r}")
    log.info("evaluating %s on %d images (%s layout, split %s)", model_path, len(chosen), layout, split)
    groups = read_groups(groups_file) if groups_file else None
    output = Path(output)
    output.mkdir(parents=True, exist_ok=True)
    rows, failed = scored_rows(segmenter, chosen, groups, output)
    settings = {"threshold": segmenter.threshold, "postprocess": postprocess, "convention": convention,
                "backend": segmenter.backend, "precision": segmenter.precision, "shape_model": segmenter.options.shape,
                "tta": list(tta)}  # fmt: skip
    summary = {"model": str(model_path), "split": split, **settings, "failed": failed, **summarise(rows)}
    write_tables(rows, summary, output)
    evaluate_report(output, rows, {"model": str(model_path), "split": split})
    return summary
