"""A quality score in [0, 1] that estimates a mask's Dice, and a flag for inputs that are not frontal chest X-rays.

Both come from what the model already knows, at the working size: its confidence, how plausible the lungs'
shape, size, balance and placement are, four facts of the image (contrast, left-right symmetry, orientation,
top-bottom brightness), and the logit of the view model (``lungseg.inference.view``: a 64 px CNN that tells a
frontal chest X-ray from a turned film, a photograph or a CT slice, in 2-4 ms on one core). An earlier
version also ran the lung model on the mirrored image; its two agreement features changed neither score
measurably (``benchmarks/quality.md``) and cost a second forward pass per image, so they are gone. A ridge
regression maps the standardised features to Dice, a logistic regression to P(not a frontal chest X-ray);
both were fitted on validation images and on images corrupted on purpose, never on test images
(``benchmarks/quality.py`` fits them and writes ``quality_weights.json``; ``benchmarks/quality.md`` says how
well they work).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np

from lungseg.inference.lazy_scipy import ndimage
from lungseg.inference.postprocess import LEFT_LUNG, RIGHT_LUNG
from lungseg.inference.view import not_frontal_logit
from lungseg.io.reader import XRay

FEATURES = (
    "confidence", "fraction", "balance", "n_lungs", "solidity", "raw_pieces", "changed",
    "compactness", "centroid_y", "row_overlap", "col_overlap", "lung_aspect", "image_std", "image_symmetry",
    "bottom_minus_top", "lung_height", "orientation", "view",
)  # fmt: skip
VIEW_CLIP = 20.0  # the view model's logit is clipped to +-this before the linear models see it
FEATURE_SIDE = 256  # shape features are computed on masks at most this size
REJECTED_QUALITY = 0.05  # the quality of an input flagged not_frontal_cxr


def _shrink(mask: np.ndarray, side: int = FEATURE_SIDE) -> np.ndarray:
    step = max(1, math.ceil(max(mask.shape) / side))
    return mask[::step, ::step]


def _chain(points: list) -> list:
    """One half of Andrew's monotone chain over points sorted along it: the counter-clockwise turns kept."""
    chain: list = []
    for p in points:
        while len(chain) >= 2 and (
            (chain[-1][0] - chain[-2][0]) * (p[1] - chain[-2][1])
            - (chain[-1][1] - chain[-2][1]) * (p[0] - chain[-2][0])
        ) <= 0:
            chain.pop()
        chain.append(p)
    return chain


def convex_hull(points: np.ndarray) -> np.ndarray:
    """Vertices (K, 2) of the convex hull of integer points (N, 2), counter-clockwise (Andrew's monotone chain).

    A few lines of numpy and Python instead of scipy.spatial, whose import alone costs a one-image run 70 ms.
    """
    pts = np.unique(np.asarray(points, np.int64), axis=0)  # sorted by x, then y
    if len(pts) < 3:
        return pts
    lower, upper = _chain(pts.tolist()), _chain(pts[::-1].tolist())
    return np.array(lower[:-1] + upper[:-1])


def region_hull(region: np.ndarray) -> np.ndarray:
    """``convex_hull`` of a mask's pixels (the same vertices, in the same order), from each row's first and
    last pixel: the lower chain can only turn at a row's first pixel and the upper at its last, so each
    chain walks one pixel a row (a lung at 256 px: about 0.3 ms instead of 1 ms)."""
    rows = np.flatnonzero(region.any(axis=1))
    if len(rows) == 0:
        return np.zeros((0, 2), np.int64)
    sub = region[rows]
    first = sub.argmax(axis=1)
    last = sub.shape[1] - 1 - sub[:, ::-1].argmax(axis=1)
    if len(rows) + int((last != first).sum()) < 3:  # a point or a segment: as convex_hull returns it
        return convex_hull(np.concatenate([np.stack([rows, first], 1), np.stack([rows, last], 1)]))
    left, right = np.stack([rows, first], 1).tolist(), np.stack([rows, last], 1).tolist()
    lower = _chain(left + ([right[-1]] if right[-1] != left[-1] else []))
    upper = _chain(right[::-1] + ([left[0]] if left[0] != right[0] else []))
    return np.array(lower[:-1] + upper[:-1])


def hull_area_perimeter(hull: np.ndarray) -> tuple[float, float]:
    """Area (shoelace) and perimeter of a polygon's vertices (K, 2); 0 for fewer than three."""
    if len(hull) < 3:
        return 0.0, 0.0
    x, y = hull[:, 0].astype(np.float64), hull[:, 1].astype(np.float64)
    area = 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))
    perimeter = float(np.hypot(np.diff(x, append=x[0]), np.diff(y, append=y[0])).sum())
    return area, perimeter


def _solidity(region: np.ndarray) -> float:
    """Area over convex-hull area (the hull through the pixels' centres, half a perimeter and one pixel added)."""
    area = int(region.sum())
    if area < 4:
        return 0.0
    hull_area, perimeter = hull_area_perimeter(region_hull(region))
    if hull_area == 0:  # all points on a line
        return 0.0
    return float(min(1.0, area / max(hull_area + perimeter / 2 + 1, 1.0)))


def _compactness(region: np.ndarray) -> float:
    """Perimeter^2 / (4 pi area): 1 for a disc, larger for ragged outlines. ``region`` may be cropped to its
    bounding box: the erosion's border counts as background, as the pixels beyond the box are."""
    area = region.sum()
    if area == 0:
        return 0.0
    perimeter = (region & ~ndimage().binary_erosion(region)).sum()
    return float(perimeter**2 / (4 * math.pi * area))


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> float:
    shortest = min(a[1] - a[0], b[1] - b[0])
    return max(0, min(a[1], b[1]) - max(a[0], b[0])) / shortest if shortest > 0 else 0.0


def _lungs(labels: np.ndarray) -> list[tuple[np.ndarray, tuple[int, int], tuple[int, int]]]:
    """(the lung cropped to its bounding box, its rows, its columns) per lung present, right then left."""
    boxes = ndimage().find_objects(labels, max_label=max(RIGHT_LUNG, LEFT_LUNG))
    out = []
    for value in (RIGHT_LUNG, LEFT_LUNG):
        box = boxes[value - 1]
        if box is not None:
            out.append((labels[box] == value, (box[0].start, box[0].stop), (box[1].start, box[1].stop)))
    return out


def shape_features(labels: np.ndarray, raw: np.ndarray) -> dict[str, float]:
    """Plausibility of the post-processed lungs (``labels`` 0/1/2) and how much post-processing changed ``raw``.

    Each lung is measured within its bounding box (``ndimage.find_objects``): the same figures as on the
    whole frame, for a fraction of the array work."""
    labels, raw = _shrink(labels), _shrink(raw)
    lungs = _lungs(labels)
    areas = [int(m.sum()) for m, _, _ in lungs]
    clean = labels > 0
    pieces = ndimage().label(raw)[1]
    rows = [r for _, r, _ in lungs]
    cols = [c for _, _, c in lungs]
    out = {
        "fraction": float(clean.mean()),
        "balance": min(areas) / max(areas) if len(areas) == 2 else 0.0,
        "n_lungs": float(len(lungs)),
        "solidity": min((_solidity(m) for m, _, _ in lungs), default=0.0),
        "raw_pieces": math.log1p(pieces),
        "changed": float((raw ^ clean).sum() / max(clean.sum(), 1)),
        "compactness": float(np.mean([_compactness(m) for m, _, _ in lungs])) if lungs else 0.0,
        "row_overlap": _overlap(*rows) if len(lungs) == 2 else 0.0,
        "col_overlap": _overlap(*cols) if len(lungs) == 2 else 1.0,
        "lung_aspect": float(np.mean([(r[1] - r[0]) / max(c[1] - c[0], 1) for r, c in zip(rows, cols, strict=True)]))
        if lungs else 0.0,
    }  # fmt: skip
    per_row = clean.sum(axis=1)
    filled = np.flatnonzero(per_row)
    top, bottom = (int(filled[0]), int(filled[-1]) + 1) if len(filled) else (0, 0)
    out["lung_height"] = (bottom - top) / clean.shape[0]  # of the image: tall on a frontal film, short on a CT slice
    total = int(per_row.sum())
    mean_row = int(per_row @ np.arange(len(per_row))) / total if total else 0.0
    out["centroid_y"] = float((mean_row - top) / max(bottom - top, 1)) if total else 0.0
    return out


def _mirror_correlation(small: np.ndarray, mirrored: np.ndarray) -> float:
    value = float(np.corrcoef(small.ravel(), mirrored.ravel())[0, 1]) if small.std() > 1e-6 else 0.0
    return value if math.isfinite(value) else 0.0


def image_features(pixels: np.ndarray | XRay) -> dict[str, float]:
    """Contrast, left-right symmetry, the top-bottom brightness difference and ``orientation`` (left-right
    minus top-bottom mirror symmetry: positive for an upright or upside-down chest, negative for one turned
    on its side) of the image (64 px thumbnail)."""
    step = max(1, max(pixels.shape) // 64)
    small = pixels[::step, ::step].astype(np.float64)
    symmetry = _mirror_correlation(small, small[:, ::-1])
    third = max(1, small.shape[0] // 3)
    return {"image_std": float(small.std()), "image_symmetry": symmetry,
            "bottom_minus_top": float(small[-third:].mean() - small[:third].mean()),
            "orientation": symmetry - _mirror_correlation(small, small[::-1])}  # fmt: skip


@dataclass(frozen=True)
class QualityModel:
    """Standardisation and the two fitted linear models over :data:`FEATURES`."""

    mean: tuple[float, ...]
    scale: tuple[float, ...]
    dice_coef: tuple[float, ...]
    dice_bias: float
    reject_coef: tuple[float, ...]
    reject_bias: float
    logit: bool = False  # the Dice model predicts logit(Dice): quality = sigmoid(prediction)

    def _z(self, features: dict[str, float]) -> np.ndarray:
        x = np.array([features[k] for k in FEATURES], np.float64)
        return (x - np.array(self.mean)) / np.array(self.scale)

    def score(self, features: dict[str, float]) -> tuple[float, bool]:
        """(quality in [0, 1], not a frontal chest X-ray)."""
        z = self._z(features)
        reject = float(z @ np.array(self.reject_coef) + self.reject_bias) > 0
        raw = float(z @ np.array(self.dice_coef) + self.dice_bias)
        quality = 1 / (1 + math.exp(-max(-30.0, min(30.0, raw)))) if self.logit else float(np.clip(raw, 0.0, 1.0))
        return (min(quality, REJECTED_QUALITY) if reject else quality), reject


@cache
def bundled_quality_model() -> QualityModel | None:
    """The fitted model shipped in the package (None before ``benchmarks/quality.py --fit`` has run)."""
    path = resources.files("lungseg.inference") / "quality_weights.json"
    if not path.is_file():
        return None
    data = json.loads(path.read_text())
    if tuple(data["features"]) != FEATURES:
        raise ValueError("quality_weights.json does not match this version's features; run benchmarks/quality.py")
    return QualityModel(**{k: (tuple(v) if isinstance(v, list) else v) for k, v in data["model"].items()})


def assess(
    prob: np.ndarray, labels: np.ndarray, threshold: float, conf: float, pixels: np.ndarray | XRay,
    backend: str = "torch",
) -> tuple[dict[str, float], float, bool]:
    """(features, quality, not_frontal_cxr) of one result; ``prob`` and ``labels`` at the processing size,
    ``pixels`` the input at its own size (an XRay: only the strided samples are made float); ``backend`` runs
    the view model (the segmentation model's).
    Quality is NaN when no fitted model ships."""
    view = float(np.clip(not_frontal_logit(pixels, backend=backend), -VIEW_CLIP, VIEW_CLIP))
    features = {"confidence": conf, **shape_features(labels, prob >= threshold), **image_features(pixels), "view": view}
    model = bundled_quality_model()
    if model is None:
        return features, math.nan, False
    quality, reject = model.score(features)
    return features, quality, reject
