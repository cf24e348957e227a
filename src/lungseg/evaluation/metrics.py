"""Segmentation metrics as pure functions of two boolean masks of the same shape (H, W).

Empty-mask conventions (so every image gets a finite number):

* overlap ratios (Dice, IoU, precision, recall): a ratio whose denominator is 0 is 1.0 when
  both masks are empty and 0.0 otherwise; pixel accuracy is always defined.
* distances (HD95, ASSD): 0.0 when both masks are empty; the image diagonal (the largest
  possible distance) when exactly one is empty.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import ndimage

METRIC_NAMES = ("dice", "iou", "pixel_accuracy", "precision", "recall", "hd95", "assd")


def _check(pred: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    pred, target = np.asarray(pred, bool), np.asarray(target, bool)
    if pred.shape != target.shape:
        raise ValueError(f"prediction shape {pred.shape} differs from mask shape {target.shape}")
    return pred, target


def _ratio(num: int, den: int, both_empty: bool) -> float:
    if den == 0:
        return 1.0 if both_empty else 0.0
    return num / den


def confusion(pred: np.ndarray, target: np.ndarray) -> tuple[int, int, int, int]:
    """(tp, fp, fn, tn) pixel counts."""
    pred, target = _check(pred, target)
    tp = int(np.count_nonzero(pred & target))
    fp = int(np.count_nonzero(pred & ~target))
    fn = int(np.count_nonzero(~pred & target))
    return tp, fp, fn, pred.size - tp - fp - fn


def overlap_metrics(pred: np.ndarray, target: np.ndarray) -> dict[str, float]:
    """Dice, IoU, pixel accuracy, precision and recall."""
    return overlap_from_counts(*confusion(pred, target))


def overlap_from_counts(tp: int, fp: int, fn: int, tn: int) -> dict[str, float]:
    """The overlap metrics from confusion counts: the one formula used by validation, calibration,
    evaluation and the benchmarks."""
    both_empty = tp + fp + fn == 0
    return {
        "dice": _ratio(2 * tp, 2 * tp + fp + fn, both_empty),
        "iou": _ratio(tp, tp + fp + fn, both_empty),
        "pixel_accuracy": (tp + tn) / max(tp + fp + fn + tn, 1),
        "precision": _ratio(tp, tp + fp, both_empty),
        "recall": _ratio(tp, tp + fn, both_empty),
    }


def surface(mask: np.ndarray) -> np.ndarray:
    """Boundary pixels: mask pixels with a 4-neighbour outside the mask (or at the image edge)."""
    mask = np.asarray(mask, bool)
    eroded = ndimage.binary_erosion(mask, structure=ndimage.generate_binary_structure(2, 1), border_value=0)
    return mask & ~eroded


def surface_distances(pred: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distances in pixels from each boundary pixel of ``pred`` to ``target``'s boundary, and back."""
    pred, target = _check(pred, target)
    sp, st = surface(pred), surface(target)
    to_target = ndimage.distance_transform_edt(~st)
    to_pred = ndimage.distance_transform_edt(~sp)
    return to_target[sp], to_pred[st]


def distance_metrics(pred: np.ndarray, target: np.ndarray) -> dict[str, float]:
    """95th-percentile Hausdorff distance (max of both directed 95th percentiles) and ASSD, in pixels."""
    pred, target = _check(pred, target)
    has_pred, has_target = bool(pred.any()), bool(target.any())
    if not has_pred and not has_target:
        return {"hd95": 0.0, "assd": 0.0}
    if has_pred != has_target:
        diagonal = math.hypot(*pred.shape)
        return {"hd95": diagonal, "assd": diagonal}
    d_pt, d_tp = surface_distances(pred, target)
    hd95 = max(float(np.percentile(d_pt, 95)), float(np.percentile(d_tp, 95)))
    assd = float((d_pt.sum() + d_tp.sum()) / (d_pt.size + d_tp.size))
    return {"hd95": hd95, "assd": assd}


def all_metrics(pred: np.ndarray, target: np.ndarray) -> dict[str, float]:
    """Every metric in :data:`METRIC_NAMES` for one image."""
    return {**overlap_metrics(pred, target), **distance_metrics(pred, target)}
