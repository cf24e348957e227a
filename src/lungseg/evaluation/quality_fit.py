"""Fitting and scoring the quality model (see :mod:`lungseg.inference.quality`): pure numpy, no test data.

``fit_quality`` takes feature rows of chest X-rays with their true Dice and of inputs that are not frontal
chest X-rays; it returns a :class:`QualityModel`. ``spearman`` and ``auroc`` are the figures it is judged by.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from lungseg.inference.quality import FEATURES, QualityModel
from lungseg.io.atomic import write_text_atomic

RIDGE = 1.0  # L2 penalty of both fits, on standardised features


def feature_matrix(rows: list[dict[str, float]]) -> np.ndarray:
    """(N, F) array of ``rows`` in :data:`FEATURES` order."""
    return np.array([[row[k] for k in FEATURES] for row in rows], np.float64)


def _ridge(z: np.ndarray, y: np.ndarray, penalty: float) -> tuple[np.ndarray, float]:
    mean_y = y.mean()
    coef = np.linalg.solve(z.T @ z + penalty * np.eye(z.shape[1]), z.T @ (y - mean_y))
    return coef, float(mean_y)


def _logistic(z: np.ndarray, y: np.ndarray, penalty: float, steps: int = 50) -> tuple[np.ndarray, float]:
    """Class-balanced L2 logistic regression by Newton's method; returns (coef, bias)."""
    x = np.hstack([z, np.ones((len(z), 1))])
    weight = np.where(y == 1, 0.5 / max(y.mean(), 1e-9), 0.5 / max(1 - y.mean(), 1e-9))
    beta = np.zeros(x.shape[1])
    reg = penalty * np.eye(x.shape[1])
    reg[-1, -1] = 0.0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-np.clip(x @ beta, -30, 30)))
        grad = x.T @ (weight * (p - y)) + reg @ beta
        hess = (x * (weight * p * (1 - p))[:, None]).T @ x + reg + 1e-9 * np.eye(x.shape[1])
        beta -= np.linalg.solve(hess, grad)
    return beta[:-1], float(beta[-1])


def fit_quality(
    cxr: list[dict], dice: list[float], other: list[dict], margin: float = 0.0, target: str = "dice",
    penalty: float = RIDGE, dice_features: tuple[str, ...] | None = None, frontal: list[dict] | None = None,
) -> QualityModel:
    """Ridge of Dice (``target="dice"``) or of its logit (``"logit"``: quality = sigmoid of the prediction,
    which follows Dice's saturation near 1) on the chest X-rays' features; logistic regression of "not a
    frontal chest X-ray" on both sets. ``margin`` lowers the rejection's bias (fewer false rejections);
    ``dice_features`` limits the Dice model to those features (the others get weight 0); ``frontal`` adds
    frontal chest X-rays without a Dice (another set's films) to the rejection's fit only.
    """
    x_cxr, x_other = feature_matrix(cxr), feature_matrix(other)
    x_frontal = feature_matrix(frontal) if frontal else np.zeros((0, len(FEATURES)))
    both = np.vstack([x_cxr, x_frontal, x_other])
    mean, scale = both.mean(0), np.maximum(both.std(0), 1e-6)
    y = np.asarray(dice, np.float64)
    if target == "logit":
        y = np.log(np.clip(y, 0.02, 0.995) / (1 - np.clip(y, 0.02, 0.995)))
    keep = np.array([dice_features is None or k in dice_features for k in FEATURES])
    coef, dice_bias = _ridge(((x_cxr - mean) / scale)[:, keep], y, penalty)
    dice_coef = np.zeros(len(FEATURES))
    dice_coef[keep] = coef
    labels = np.r_[np.zeros(len(x_cxr) + len(x_frontal)), np.ones(len(x_other))]
    reject_coef, reject_bias = _logistic((both - mean) / scale, labels, RIDGE)
    return QualityModel(tuple(mean), tuple(scale), tuple(dice_coef), dice_bias, tuple(reject_coef),
                        reject_bias - margin, target == "logit")  # fmt: skip


def save_quality_model(model: QualityModel, path: Path, provenance: str) -> None:
    """The fitted model as JSON (what ``bundled_quality_model`` reads)."""
    data = {"features": list(FEATURES), "provenance": provenance,
            "model": {k: list(v) if isinstance(v, tuple) else v for k, v in model.__dict__.items()}}  # fmt: skip
    write_text_atomic(Path(path), json.dumps(data, indent=1) + "\n")


def _ranks(x: np.ndarray) -> np.ndarray:
    """Average ranks (ties share their mean rank)."""
    order = np.argsort(x, kind="mergesort")
    ranks = np.empty(len(x))
    ranks[order] = np.arange(len(x), dtype=np.float64)
    values, inverse = np.unique(x, return_inverse=True)
    sums = np.bincount(inverse, ranks)
    counts = np.bincount(inverse)
    return (sums / counts)[inverse] if len(values) < len(x) else ranks


def spearman(a, b) -> float:
    """Spearman rank correlation of two equal-length sequences."""
    ra, rb = _ranks(np.asarray(a, np.float64)), _ranks(np.asarray(b, np.float64))
    return float(np.corrcoef(ra, rb)[0, 1])


def auroc(scores, positives) -> float:
    """Area under the ROC curve: P(score of a positive > score of a negative), ties counting half."""
    scores, positives = np.asarray(scores, np.float64), np.asarray(positives, bool)
    n_pos, n_neg = positives.sum(), (~positives).sum()
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = _ranks(scores) + 1
    return float((ranks[positives].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))
