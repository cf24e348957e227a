"""Intensity normalisation and resizing to the model's working size.

The same steps run in training, evaluation and segmentation; the choice is stored in each
checkpoint's config so a model is always fed what it was trained on.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from PIL import Image

Intensity = Literal["none", "minmax", "equalize"]
INTENSITY_MODES = ("none", "minmax", "equalize")


def resize_float(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """Resize a float 2-D array with antialiased bilinear interpolation (PIL "F" mode)."""
    if image.shape == (height, width):
        return image.astype(np.float32, copy=False)
    pil = Image.fromarray(image.astype(np.float32, copy=False), mode="F")
    return np.array(pil.resize((width, height), Image.Resampling.BILINEAR), dtype=np.float32)


def resize_mask(mask: np.ndarray, height: int, width: int) -> np.ndarray:
    """Resize a boolean mask by interpolating its indicator and thresholding at 0.5."""
    return resize_float(mask.astype(np.float32), height, width) >= 0.5


def equalize_histogram(image: np.ndarray, bins: int = 1024) -> np.ndarray:
    """Global histogram equalisation of a [0, 1] image to a roughly uniform histogram in [0, 1].

    Equalising removes most exposure and contrast differences between hospitals and
    film digitisers, which otherwise cost a model whole lobes on unfamiliar images.
    """
    flat = np.clip(image, 0.0, 1.0).ravel()
    index = np.minimum((flat * bins).astype(np.int64), bins - 1)
    hist = np.bincount(index, minlength=bins)
    cdf = np.cumsum(hist).astype(np.float64)
    if cdf[-1] == 0 or np.count_nonzero(hist) <= 1:
        return np.zeros_like(image, dtype=np.float32)
    cdf_min = cdf[np.nonzero(hist)[0][0]]
    cdf = np.clip((cdf - cdf_min) / max(cdf[-1] - cdf_min, 1.0), 0.0, 1.0)
    return cdf[index].reshape(image.shape).astype(np.float32)


def normalize_intensity(image: np.ndarray, mode: Intensity) -> np.ndarray:
    """Apply the named intensity normalisation to a [0, 1] float image."""
    if mode == "none":
        return image.astype(np.float32, copy=False)
    if mode == "minmax":
        lo, hi = float(image.min()), float(image.max())
        return np.zeros_like(image, np.float32) if hi <= lo else ((image - lo) / (hi - lo)).astype(np.float32)
    if mode == "equalize":
        return equalize_histogram(image)
    raise ValueError(f"unknown intensity mode {mode!r}; use one of {', '.join(INTENSITY_MODES)}")


def preprocess(image: np.ndarray, size: int, intensity: Intensity) -> np.ndarray:
    """[0, 1] image of any size -> float32 (size, size) array the model was trained on."""
    return normalize_intensity(resize_float(image, size, size), intensity)
