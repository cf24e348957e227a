"""The U-Net paper's pixel weight map for the weighted cross-entropy loss.

w(x) = w_c(x) + w0 * exp(-(d1(x) + d2(x))^2 / (2 * sigma^2)), with w_c balancing the class
frequencies and d1, d2 the distances to the nearest and second-nearest object (here: the
connected components of the lung mask, normally the two lungs). The border term is large in
narrow gaps between objects, which teaches the network to keep them apart.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage


def class_weights(mask: np.ndarray) -> np.ndarray:
    """w_c: each class gets total / (2 * its pixel count), so both classes weigh the same overall.

    A class that is absent gets weight 1 for the other, so an empty mask gives all ones.
    """
    mask = np.asarray(mask, bool)
    n_fg = int(mask.sum())
    n_bg = mask.size - n_fg
    if n_fg == 0 or n_bg == 0:
        return np.ones(mask.shape, np.float32)
    w_fg, w_bg = mask.size / (2 * n_fg), mask.size / (2 * n_bg)
    return np.where(mask, w_fg, w_bg).astype(np.float32)


def object_distances(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(d1, d2): per-pixel distance to the nearest and second-nearest connected component.

    Where the mask has fewer than two components, d2 is infinite (no border term).
    """
    labels, n = ndimage.label(np.asarray(mask, bool))
    inf = np.full(mask.shape, np.inf)
    if n == 0:
        return inf, inf.copy()
    dists = np.stack([ndimage.distance_transform_edt(labels != k) for k in range(1, n + 1)])
    dists.sort(axis=0)
    return dists[0], (dists[1] if n > 1 else inf)


def unet_weight_map(mask: np.ndarray, w0: float = 10.0, sigma: float = 5.0) -> np.ndarray:
    """float32 (H, W) weight map of a boolean (H, W) mask, as in Ronneberger et al. 2015, eq. 2."""
    if sigma <= 0:
        raise ValueError(f"weight map sigma must be positive, got {sigma}")
    d1, d2 = object_distances(mask)
    with np.errstate(over="ignore", invalid="ignore"):
        border = w0 * np.exp(-((d1 + d2) ** 2) / (2 * sigma**2))
    return (class_weights(mask) + np.nan_to_num(border, nan=0.0)).astype(np.float32)
