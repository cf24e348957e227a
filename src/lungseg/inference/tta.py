"""Test-time augmentation: the model also runs on zoomed copies of each input; their logits, mapped back
onto the input's grid, are averaged.

Why zoom and nothing else: the model never trained with horizontal flips (the heart sits on one side),
and films from other hospitals differ most in how much of the chest they frame, which zooming about
the centre imitates. Numpy only, around any predictor (torch, ONNX Runtime, a test stub), so it adds no
dependency and the steps in :mod:`lungseg.inference.pipeline` do not change. It costs one forward pass
per scale.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

DEFAULT_SCALES = (0.9, 1.0, 1.1)


def check_scales(scales: Sequence[float]) -> tuple[float, ...]:
    """The scales as a tuple, or a ValueError with the fix: 1.0 must be among them (it alone covers the
    whole input when zooming in), and each must lie in [0.5, 2]."""
    scales = tuple(float(s) for s in scales)
    if 1.0 not in scales:
        raise ValueError(f"test-time scales {scales} must include 1.0 (the input as it is); e.g. 0.9 1.0 1.1")
    if any(not 0.5 <= s <= 2.0 for s in scales):
        raise ValueError(f"test-time scales {scales} must lie between 0.5 and 2.0; e.g. 0.9 1.0 1.1")
    return scales


def zoom_matrix(size: int, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """(A, inside) for one axis of ``size`` pixels: ``A @ v`` samples ``v`` (bilinear) at ``c + (i - c) / scale``
    for each output pixel i, c the centre, so ``scale > 1`` zooms in; positions past the ends take the end
    pixel, and ``inside[i]`` says whether pixel i's position lay within the axis."""
    centre = (size - 1) / 2
    pos = centre + (np.arange(size) - centre) / scale
    inside = (pos >= -1e-6) & (pos <= size - 1 + 1e-6)
    pos = np.clip(pos, 0, size - 1)
    low = np.minimum(np.floor(pos).astype(int), size - 2) if size > 1 else np.zeros(size, int)
    frac = pos - low
    a = np.zeros((size, size), np.float32)
    rows = np.arange(size)
    a[rows, low] = 1 - frac
    if size > 1:
        a[rows, low + 1] += frac
    return a, inside


def zoom(batch: np.ndarray, scale: float) -> np.ndarray:
    """(N, C, H, W) -> the same shape, zoomed about the centre by ``scale`` (separable bilinear)."""
    rows, _ = zoom_matrix(batch.shape[-2], scale)
    cols, _ = zoom_matrix(batch.shape[-1], scale)
    return (rows @ batch.astype(np.float32) @ cols.T).astype(np.float32)


def unzoom(logits: np.ndarray, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """Logits (N, C, H, W) of an input zoomed by ``scale`` -> (logits on the input's grid, coverage (H, W)):
    coverage is 0 where the zoomed input did not show that pixel (zooming in crops the edges)."""
    rows, row_in = zoom_matrix(logits.shape[-2], 1 / scale)
    cols, col_in = zoom_matrix(logits.shape[-1], 1 / scale)
    return rows @ logits @ cols.T, np.outer(row_in, col_in).astype(np.float32)


class TTAPredictor:
    """``(N, 1, S, S) -> (N, C, S, S)`` logits: the mean, pixel by pixel, over the scales that show the pixel.

    All scales go to ``predict`` as one batch of ``len(scales) * N``. Attributes it lacks (``model``,
    ``device``, ``precision``, ``backend``) are the wrapped predictor's.
    """

    def __init__(self, predict: Callable[[np.ndarray], np.ndarray], scales: Sequence[float] = DEFAULT_SCALES):
        self.predict = predict
        self.scales = check_scales(scales)

    def __getattr__(self, name: str):
        if name == "predict":  # not set yet (copy, pickle): no recursion
            raise AttributeError(name)
        return getattr(self.predict, name)

    def __call__(self, work: np.ndarray) -> np.ndarray:
        work = np.asarray(work, np.float32)
        n = len(work)
        views = [work if s == 1.0 else zoom(work, s) for s in self.scales]
        out = np.asarray(self.predict(np.concatenate(views)), np.float32)
        total = np.zeros((n, *out.shape[1:]), np.float32)
        weight = np.zeros(out.shape[-2:], np.float32)
        for k, s in enumerate(self.scales):
            part = out[k * n : (k + 1) * n]
            back, cover = (part, np.ones_like(weight)) if s == 1.0 else unzoom(part, s)
            total += back * cover
            weight += cover
        return total / weight
