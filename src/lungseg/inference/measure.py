"""Per-image measurements and quality flags of a lung segmentation."""

from __future__ import annotations

import math

import numpy as np

from lungseg.inference.ctr import cardiothoracic_ratio
from lungseg.inference.postprocess import LEFT_LUNG, RIGHT_LUNG

# Lung fraction of the whole image on the 704 manual masks of the Montgomery and Shenzhen sets:
# 1st-99th percentile 0.131-0.392, extremes 0.084 and 0.432 (benchmarks/mask_stats.json); the range
# leaves room beyond both.
FRACTION_RANGE = (0.08, 0.50)
LOW_CONFIDENCE = 0.85
ONE_LUNG_RATIO = 0.1  # a side with less than 10% of the other side's area counts as missing

HEART_FIELDS = ("heart_area_px", "heart_area_mm2", "heart_width_px", "thorax_width_px", "ctr", "ctr_above_0.5")
MEASUREMENT_FIELDS = (
    "width",
    "height",
    "pixel_spacing_mm",
    "area_px",
    "right_area_px",
    "left_area_px",
    "area_mm2",
    "right_area_mm2",
    "left_area_mm2",
    "lung_fraction",
    "right_left_ratio",
    "mean_confidence",
    "quality",
    "flags",
    *HEART_FIELDS,
)


def confidence(prob: np.ndarray, mask: np.ndarray) -> float:
    """How much the lung model agrees with the reported mask: mean of p inside ``mask`` and 1 - p outside it,
    over the mask and every uncertain pixel (0.1 < p < 0.9) outside it.

    The background far from the lungs is left out, since its certainty would hide doubt about the lungs
    themselves. Lung the shape prior grew where the model saw none (p ~ 0) counts as doubt: until round 41 this
    was max(p, 1 - p), which counted it as certainty (benchmarks/confidence_variants_val.md). 1.0 when there is
    no lung and no uncertain pixel.
    """
    region = mask | ((prob > 0.1) & (prob < 0.9))
    if not region.any():
        return 1.0
    return float(np.where(mask, prob, 1 - prob)[region].mean())


def quality_flags(right: int, left: int, fraction: float, conf: float) -> list[str]:
    """Names of what looks wrong: no_lung, one_lung, fraction_out_of_range, low_confidence."""
    flags = []
    if right + left == 0:
        return ["no_lung"]
    if min(right, left) < ONE_LUNG_RATIO * max(right, left):
        flags.append("one_lung")
    if not FRACTION_RANGE[0] <= fraction <= FRACTION_RANGE[1]:
        flags.append("fraction_out_of_range")
    if conf < LOW_CONFIDENCE:
        flags.append("low_confidence")
    return flags


def measure(labels: np.ndarray, conf: float, spacing: tuple[float, float] | None) -> dict:
    """Measurements of a label image (0/1/2) with its mean confidence and optional spacing in mm."""
    height, width = labels.shape
    right = int(np.count_nonzero(labels == RIGHT_LUNG))
    left = int(np.count_nonzero(labels == LEFT_LUNG))
    pixel_mm2 = spacing[0] * spacing[1] if spacing else math.nan
    fraction = (right + left) / labels.size
    return {
        "width": width,
        "height": height,
        "pixel_spacing_mm": f"{spacing[0]:.4g}x{spacing[1]:.4g}" if spacing else "",
        "area_px": right + left,
        "right_area_px": right,
        "left_area_px": left,
        "area_mm2": (right + left) * pixel_mm2,
        "right_area_mm2": right * pixel_mm2,
        "left_area_mm2": left * pixel_mm2,
        "lung_fraction": fraction,
        "right_left_ratio": right / left if left else math.nan,
        "mean_confidence": conf,
        "quality": math.nan,  # filled by the pipeline's quality step (quality.py)
        "flags": ";".join(quality_flags(right, left, fraction, conf)),
    }


def heart_measurements(heart: np.ndarray, lungs: np.ndarray, spacing: tuple[float, float] | None) -> dict:
    """Heart area and width, thorax width (outer lung borders) and the cardiothoracic ratio.

    ``ctr_above_0.5`` is a screening hint for PA films, not a diagnosis: AP films magnify the heart.
    """
    ctr = cardiothoracic_ratio(heart, lungs)
    area = int(np.count_nonzero(heart))
    return {
        "heart_area_px": area,
        "heart_area_mm2": area * spacing[0] * spacing[1] if spacing else math.nan,
        "heart_width_px": ctr.heart.width,
        "thorax_width_px": ctr.thorax.width,
        "ctr": ctr.ratio,
        "ctr_above_0.5": "" if math.isnan(ctr.ratio) else int(ctr.ratio > 0.5),
    }
