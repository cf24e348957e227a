"""Choosing the probability threshold (and outline smoothing) on validation data, never on test data.

What is calibrated is what is applied: each candidate threshold is scored on the mask that
``lungseg segment`` would write with it, post-processing included.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from lungseg.data.layouts import Sample
from lungseg.evaluation.evaluate import read_labelled
from lungseg.evaluation.metrics import overlap_metrics
from lungseg.inference.pipeline import binary_mask, probabilities_at, to_working
from lungseg.inference.segmenter import Segmenter
from lungseg.model.checkpoint import load_model, save_checkpoint

log = logging.getLogger(__name__)

THRESHOLDS = (0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95)
SMOOTHING = (0.0, 0.003, 0.006)  # Gaussian sigma of the outline, fraction of the longer side


def calibrate_threshold(
    segmenter: Segmenter, samples: list[Sample], grid: tuple[float, ...] = THRESHOLDS, smooth: float | None = None
) -> tuple[float, dict[float, float]]:
    """The threshold with the best mean Dice on ``samples`` of the masks the segmenter would write.

    Returns (threshold, mean Dice per threshold); ties go to the threshold nearer 0.5.
    """
    probs = validation_probabilities(segmenter, samples)
    smooth = segmenter.smooth if smooth is None else smooth
    means = {t: _mean_dice(probs, t, segmenter.postprocess, smooth, segmenter.target) for t in grid}
    return max(means, key=lambda t: (means[t], -abs(t - 0.5))), means


def validation_probabilities(
    segmenter: Segmenter, samples: list[Sample], channel: int = 0
) -> list[tuple[np.ndarray, np.ndarray]]:
    """(probabilities at the mask's size, mask) per sample: steps 2-4 only, computed once and scored for
    every candidate threshold. ``channel`` 1 of a lungs + heart model scores the heart (its masks)."""
    out = []
    for sample in samples:
        image, mask = read_labelled(sample, sample.heart if channel else None)
        logits = segmenter.predict_working(to_working(image, segmenter.image_size, segmenter.intensity)[None])
        out.append((probabilities_at(logits[0, channel : channel + 1], mask.shape), mask))
    return out


def _mean_dice(probs: list, threshold: float, clean: bool, smooth: float, target: str = "lungs") -> float:
    masks = [(binary_mask(p, threshold, clean, smooth, target), m) for p, m in probs]
    return float(np.mean([overlap_metrics(pred, m)["dice"] for pred, m in masks]))


def calibrate_checkpoint(best: Path, val_samples: list[Sample], device: str = "auto") -> tuple[float, float]:
    """Store in ``best`` the (threshold, smoothing) with the best validation Dice of post-processed masks."""
    segmenter = Segmenter.from_pretrained(best, device=device, postprocess=True, heart=None)
    threshold, smooth, per_threshold = _best_setting(segmenter, val_samples, 0, segmenter.target)
    drop = ("format", "lungseg_version", "model_config", "state_dict")
    keep = {k: v for k, v in segmenter.payload.items() if k not in drop}
    keep.update(threshold=threshold, smooth=smooth, threshold_val_dice=per_threshold)
    hearts = [s for s in val_samples if s.heart is not None]
    two = segmenter.payload.get("model_config", {}).get("out_channels", 1) == 2
    if two and hearts:  # a lungs + heart model: the heart channel's own threshold and smoothing
        heart_threshold, heart_smooth, heart_table = _best_setting(segmenter, hearts, 1, "heart")
        keep.update(heart_threshold=heart_threshold, heart_smooth=heart_smooth, heart_threshold_val_dice=heart_table)
    save_checkpoint(best, load_model(best)[0], **keep)  # the unfused weights (the segmenter's are fused)
    return threshold, smooth


def _best_setting(segmenter: Segmenter, samples: list[Sample], channel: int, target: str):
    """(threshold, smoothing, [(threshold, Dice)] at that smoothing) with the best mean validation Dice."""
    probs = validation_probabilities(segmenter, samples, channel)
    table = {(t, s): _mean_dice(probs, t, True, s, target) for s in SMOOTHING for t in THRESHOLDS}
    threshold, smooth = max(table, key=lambda k: (table[k], -abs(k[0] - 0.5), -k[1]))
    log.info("%s: threshold %.2f, smoothing %.3f: val Dice %.4f (%.4f at 0.5, no smoothing)",
             target, threshold, smooth, table[threshold, smooth], table[0.5, 0.0])  # fmt: skip
    return threshold, smooth, [(t, table[t, smooth]) for t in THRESHOLDS]
