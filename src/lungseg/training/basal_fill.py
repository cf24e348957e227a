"""Basal opacity that merges with the abdomen: a lower zone (one lung or both) lost without an outline left to trace.

Round 78 (#9). The other dense kinds paint a region shaped like the lung at a density of their own, so the lung's
lower and lateral outline stays visible where the painted region meets the abdomen and the chest wall: a model can
trace it. On real films an effusion or a basal consolidation takes the density of the liver and the soft tissue
beside it, and nothing marks where the lung ends (validation film MCUCXR_0126_1: its right base is lost). Here the
fill rises from the bottom of the film to an uneven or meniscus-shaped level inside the lung, runs out over the
chest wall and into the mediastinum with soft edges, and takes the density of the film just below that lung's base;
the mask stays the anatomical lung, so the model learns to draw the base from the thorax and the other lung.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from . import pathology  # (its kinds import this module: names looked up at call time)


def abdomen_level(image: np.ndarray, lung: np.ndarray, fallback: float) -> float:
    """The median of the film in a band just below ``lung``'s base, within its columns (the liver or the spleen),
    never under ``fallback``; ``fallback`` where the film ends below the lung."""
    ys, xs = np.nonzero(lung)
    h = image.shape[0]
    band = image[min(ys.max() + max(h // 50, 1), h - 1) : ys.max() + max(h // 10, 2), xs.min() : xs.max() + 1]
    return max(float(np.median(band)), fallback) if band.size else fallback


def fill_region(shape: tuple[int, int], lung: np.ndarray, rng: np.random.Generator,
                height: tuple[float, float]) -> np.ndarray:
    """(H, W) float32 in [0, 1]: where the fill lies under ``lung``: from the film's bottom up to a level ``height``
    (fractions of the lung's height) above its base, uneven or rising toward the chest wall, over the lung's columns
    and beyond them on both sides, with soft edges."""
    h, w = shape
    ys, xs = np.nonzero(lung)
    top, bottom, x0, x1 = ys.min(), ys.max(), xs.min(), xs.max()
    tall, span = bottom - top, max(x1 - x0, 1)
    cols = np.arange(w, dtype=np.float32)
    lateral = (x0 + x1) / 2 < w / 2  # the lung on the image's left: its chest wall is to the left
    past_wall = np.clip((x0 - cols) / span if lateral else (cols - x1) / span, 0, None)  # in lung widths
    past_middle = np.clip((cols - x1) / span if lateral else (x0 - cols) / span, 0, None)
    inward = np.clip((cols - x0) / span if lateral else (x1 - cols) / span, 0, 1)  # 0 at the wall .. 1 medially
    level = bottom - rng.uniform(*height) * tall
    meniscus = rng.uniform(0.0, 0.2) * tall * (1 - inward) ** 2
    uneven = (pathology.smooth_field((1, w), rng, int(rng.integers(4, 9)))[0] - 0.5) * rng.uniform(0.0, 0.12) * tall
    edge = level - meniscus + uneven
    yy = np.arange(h, dtype=np.float32)[:, None]
    wall, middle = rng.uniform(0.1, 0.3), rng.uniform(0.05, 0.2)  # how far it runs out past the lung's sides
    sideways = np.exp(-((past_wall / wall) ** 2)) * np.exp(-((past_middle / middle) ** 2))
    region = (yy >= edge[None, :]).astype(np.float32) * sideways[None, :]
    return ndimage.gaussian_filter(region, rng.uniform(0.005, 0.02) * max(h, w)).astype(np.float32)


def basal_fill(image: np.ndarray, mask: np.ndarray, rng: np.random.Generator,
               height: tuple[float, float] = (0.2, 0.6), both: float = 0.4) -> np.ndarray:
    """One lung's lower zone (both lungs' with probability ``both``) filled to the density of the abdomen below
    it, the mask left as it is (see the module docstring)."""
    return filled(image, mask, rng, height, both)[0]


def filled(image: np.ndarray, mask: np.ndarray, rng: np.random.Generator,
           height: tuple[float, float] = (0.2, 0.6), both: float = 0.4) -> tuple[np.ndarray, np.ndarray]:
    """(:func:`basal_fill`'s image, (H, W) float32 in [0, 1]: how much of the film the fill took over). The shape
    model's training pairs (round 80) take the lung a model would find as the part the fill left."""
    halves = pathology.lung_halves(mask)
    cover = np.zeros(image.shape, np.float32)
    if not halves:
        return image, cover
    picks = halves if len(halves) == 2 and rng.random() < both else [halves[int(rng.integers(len(halves)))]]
    out = image
    for lung in picks:
        alpha = fill_region(image.shape, lung, rng, height) * rng.uniform(0.85, 1.0)
        level = abdomen_level(image, lung, 0.9 * pathology.dense_level(image, mask, rng))
        out = out + alpha * (level - out)  # toward it, lighter or darker: no edge left; no texture of its own, which
        # equalisation would make a pattern no film has (what alpha leaves of the film's own detail stays)
        cover = np.maximum(cover, alpha)
    return np.clip(out, 0.0, 1.0).astype(np.float32), cover
