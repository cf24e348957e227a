"""Pathology and portable-film simulation: training images of sick lungs whose masks are known.

The model must draw the *anatomical* lung, also where disease makes it opaque. Following the idea
of XLSor and lungVAE (synthetic abnormal images, opaque regions treated as missing evidence), each
kind below paints a finding onto a real X-ray and leaves the lung mask unchanged. Every kind runs on
the raw [0, 1] image *before* intensity normalisation, so the model sees what a sick patient's film
looks like after the same equalisation as at inference. Bright = dense (bone, fluid, soft tissue).

Kinds (each with a probability and strength in :class:`PathologyConfig`): consolidation, ground-glass
opacity, pleural effusion with a meniscus, white-out of a lower zone or hemithorax, gas under a
hemidiaphragm (a large gastric bubble, which is not lung however dark it is), a lower zone filled to the abdomen's
density with no outline left (``basal_fill.py``), lines/tubes/ECG
leads, burned-in text and markers, collimation borders, low contrast with noise, lower inspiration
(a vertically squashed field) and off-centre framing (one side padded): the last four in ``portable.py``;
and a whole sick portable film at once (``portable``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import numpy as np
from scipy import ndimage

from . import basal_fill as basal  # (it uses this module's helpers: names looked up at call time)
from . import drawing
from .portable import collimation, low_contrast, offcentre, squash  # the film's look (re-exported)


@dataclass(frozen=True)
class PathologyConfig:
    """Probability of each kind per training image, and strength ranges (fractions of the way to dense)."""

    enabled: bool = False
    consolidation: float = 0.25
    consolidation_strength: tuple[float, float] = (0.5, 1.0)
    ground_glass: float = 0.25
    ground_glass_strength: tuple[float, float] = (0.2, 0.5)
    effusion: float = 0.2
    effusion_height: tuple[float, float] = (0.15, 0.6)  # fraction of the lung's height filled
    whiteout: float = 0.1
    gastric_bubble: float = 0.0  # off unless a config asks: it would change the draws of older recipes
    gastric_bubble_size: tuple[float, float] = (0.4, 1.0)  # width as a fraction of the lung's base
    gastric_bubble_depth: tuple[float, float] = (0.5, 1.4)  # depth as a multiple of its half-width
    gastric_bubble_gap: tuple[float, float] = (0.012, 0.035)  # diaphragm band above it, fraction of the height
    devices: float = 0.3
    text: float = 0.3
    collimation: float = 0.15
    low_contrast: float = 0.2
    squash: float = 0.15
    squash_range: tuple[float, float] = (0.8, 0.95)  # vertical scale of the lung field
    offcentre: float = 0.15
    offcentre_pad: float = 0.4  # max padding on one side, fraction of the width
    portable: float = 0.0  # a whole portable film (portable_film); off unless a config asks, as gastric_bubble
    basal_fill: float = 0.0  # a lower zone filled to the abdomen's density, no outline (round 78); off unless asked
    basal_fill_height: tuple[float, float] = (0.2, 0.6)  # how high above the base, fraction of the lung's height

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, list):
                object.__setattr__(self, f.name, tuple(value))
                value = tuple(value)
            if isinstance(value, tuple) and not (len(value) == 2 and 0 <= value[0] <= value[1]):
                raise ValueError(f"pathology.{f.name} must be a (low, high) range, got {value}")
            if isinstance(value, float) and f.name in PROBABILITIES and not 0 <= value <= 1:
                raise ValueError(f"pathology.{f.name} is a probability in [0, 1], got {value}")

    def to_dict(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}


PROBABILITIES = (
    "consolidation", "ground_glass", "effusion", "whiteout", "gastric_bubble", "devices", "text",
    "collimation", "low_contrast", "squash", "offcentre", "portable", "basal_fill",
)  # fmt: skip


def smooth_field(shape: tuple[int, int], rng: np.random.Generator, cells: int = 6) -> np.ndarray:
    """A smooth random field in [0, 1]: Gaussian noise on a coarse grid, cubic-upsampled."""
    coarse = rng.normal(size=(cells, cells))
    field = ndimage.zoom(coarse, (shape[0] / cells, shape[1] / cells), order=3, mode="nearest")
    field = field[: shape[0], : shape[1]]
    lo, hi = float(field.min()), float(field.max())
    return (field - lo) / max(hi - lo, 1e-6)


def dense_level(image: np.ndarray, mask: np.ndarray, rng: np.random.Generator) -> float:
    """An intensity for fluid/soft tissue: a high percentile of the body outside the lungs."""
    outside = image[~mask]
    if outside.size < 16:
        return 0.8
    return float(np.percentile(outside, rng.uniform(70, 92)))


def blend(image: np.ndarray, alpha: np.ndarray, level: float) -> np.ndarray:
    """Move pixels toward ``level`` by ``alpha`` (0..1), never darker than they were."""
    return np.maximum(image, image + alpha * (level - image))


def lung_halves(mask: np.ndarray) -> list[np.ndarray]:
    """The mask cut at the column between the two lungs (the emptiest column near the middle)."""
    cols = mask.sum(axis=0)
    if cols.sum() == 0:
        return []
    xs = np.nonzero(cols)[0]
    lo, hi = xs[0] + (xs[-1] - xs[0]) // 4, xs[0] + 3 * (xs[-1] - xs[0]) // 4
    cut = lo + int(np.argmin(cols[lo : hi + 1])) if hi > lo else (xs[0] + xs[-1]) // 2
    left, right = mask.copy(), mask.copy()
    left[:, cut:] = False
    right[:, :cut] = False
    return [h for h in (left, right) if h.any()]


def consolidation(image, mask, rng, strength=(0.5, 1.0), cells=(4, 8), cover=(0.5, 0.85)):
    """Dense, textured opacity in blobs inside the lung (pneumonia, TB, haemorrhage)."""
    field = smooth_field(image.shape, rng, int(rng.integers(*cells)))
    blobs = field > np.quantile(field[mask], rng.uniform(*cover)) if mask.any() else field > 0.7
    soft = ndimage.gaussian_filter((blobs & mask).astype(np.float32), rng.uniform(1.5, 4.0))
    texture = 1 + 0.15 * (smooth_field(image.shape, rng, 40) - 0.5)
    alpha = np.clip(soft * rng.uniform(*strength) * texture, 0, 1)
    return blend(image, alpha, dense_level(image, mask, rng))


def ground_glass(image, mask, rng, strength=(0.2, 0.5)):
    """Hazy, patchy opacity over a large part of one or both lungs; vessels stay visible."""
    return consolidation(image, mask, rng, strength, cells=(3, 6), cover=(0.1, 0.5))


def effusion(image, mask, rng, height=(0.15, 0.6)):
    """Fluid rising from the costophrenic angle with a meniscus, hiding the hemidiaphragm."""
    halves = lung_halves(mask)
    if not halves:
        return image
    lung = halves[int(rng.integers(len(halves)))]
    ys, xs = np.nonzero(lung)
    top, bottom, x0, x1 = ys.min(), ys.max(), xs.min(), xs.max()
    level = bottom - rng.uniform(*height) * (bottom - top)
    lateral_is_left = (x0 + x1) / 2 < image.shape[1] / 2
    yy, xx = np.mgrid[: image.shape[0], : image.shape[1]].astype(np.float32)
    t = np.clip((xx - x0) / max(x1 - x0, 1), 0, 1)
    t = 1 - t if lateral_is_left else t  # 0 medial .. 1 lateral
    line = level - rng.uniform(0.05, 0.2) * (bottom - top) * t**2  # meniscus climbs the lateral wall
    band = (xx >= x0 - 3) & (xx <= x1 + 3) & (yy >= line)
    below = ndimage.binary_dilation(lung, iterations=4) | (band & (yy > bottom - 2))
    region = band & below
    alpha = ndimage.gaussian_filter(region.astype(np.float32), rng.uniform(2, 5))
    alpha *= np.clip(0.75 + 0.25 * (yy - level) / max(bottom - level, 1), 0.6, 1.0)
    return blend(image, np.clip(alpha * rng.uniform(0.8, 1.0), 0, 1), dense_level(image, mask, rng))


def whiteout(image, mask, rng):
    """Opacification of a whole hemithorax or its lower half (collapse, large effusion)."""
    halves = lung_halves(mask)
    if not halves:
        return image
    lung = halves[int(rng.integers(len(halves)))]
    if rng.random() < 0.5:
        ys = np.nonzero(lung)[0]
        lung = lung & (np.arange(image.shape[0])[:, None] > (ys.min() + ys.max()) / 2)
    region = ndimage.binary_dilation(lung, iterations=3)
    alpha = ndimage.gaussian_filter(region.astype(np.float32), rng.uniform(2, 6)) * rng.uniform(0.8, 1.0)
    return blend(image, alpha, dense_level(image, mask, rng))


def base_line(lung: np.ndarray) -> np.ndarray:
    """Row of the lung's lowest pixel in each column (-1 outside it), median-smoothed along the base."""
    rows = lung.shape[0] - 1 - np.argmax(lung[::-1], axis=0)
    span = lung.any(axis=0)
    smooth = ndimage.median_filter(rows.astype(np.float32), size=5, mode="nearest")
    return np.where(span, smooth, -1.0)


def bubble_region(mask, rng, size=(0.4, 1.0), depth_range=(0.5, 1.4), gap=(0.012, 0.035)):
    """(region, reach, lung) of a gastric bubble drawn under one lung of ``mask`` (:func:`gastric_bubble`), or None
    without lungs: the gas itself; everything from the lung's base down to the bubble's floor (what a model that
    takes the bubble for lung adds, the diaphragm band included: the shape model's training); the lung above."""
    halves = lung_halves(mask)
    if not halves:
        return None
    right = len(halves) == 2 and rng.random() < 0.75
    lung = halves[-1] if right else halves[0]
    base = base_line(lung)
    ys = np.nonzero(lung.any(axis=1))[0]
    xs = np.nonzero(base >= ys[-1] - 0.3 * (ys[-1] - ys[0]))[0]  # the diaphragm's columns, not the heart border's
    width = xs[-1] - xs[0] + 1
    rx = rng.uniform(*size) * width / 2
    medial = xs[0] if right else xs[-1]
    xc = medial + (1 if right else -1) * rng.uniform(0.2, 0.5) * width
    h, w = mask.shape
    cols = np.arange(w, dtype=np.float32)
    line = np.interp(cols, xs, base[xs])
    top = line + rng.uniform(*gap) * h  # the diaphragm between
    depth = max(rng.uniform(*depth_range) * rx, 0.04 * h) * np.sqrt(np.clip(1 - ((cols - xc) / rx) ** 2, 0, 1))
    floor = top + depth
    if rng.random() < 0.5:  # an air-fluid level: a flat floor
        centre = int(np.clip(xc, 0, w - 1))
        floor = np.minimum(floor, top[centre] + rng.uniform(0.5, 0.9) * depth.max())
    inside = (np.abs(cols - xc) <= rx) & (cols >= xs[0]) & (cols <= xs[-1])
    yy = np.arange(h, dtype=np.float32)[:, None]
    region = inside & (yy >= top) & (yy <= floor) & ~mask
    reach = inside & (yy > line) & (yy <= floor) & ~mask
    return region, reach, lung


def gastric_bubble(image, mask, rng, size=(0.4, 1.0), depth_range=(0.5, 1.4), gap=(0.012, 0.035)):
    """Gas under a hemidiaphragm (a distended stomach, bowel): as dark as lung, but below its base and
    never lung. Mostly under the image-right lung (the patient's left, on a PA film), a band of diaphragm
    ``gap`` high left between (0: none shows); a domed top that follows the base, a round floor or an
    air-fluid level, ``depth_range`` times its half-width deep."""
    drawn = bubble_region(mask, rng, size, depth_range, gap)
    if drawn is None or not drawn[0].any():
        return image
    return paint_bubble(image, drawn[0], drawn[2], rng)


def paint_bubble(image, region, lung, rng):
    """``image`` with ``region`` made as dark as the darker part of ``lung``, mottled, as bowel gas is."""
    air = float(np.percentile(image[lung], rng.uniform(10, 40)))
    alpha = ndimage.gaussian_filter(region.astype(np.float32), rng.uniform(0.8, 2.0)) * rng.uniform(0.8, 1.0)
    alpha *= 0.85 + 0.15 * smooth_field(image.shape, rng, 30)
    return np.minimum(image, image + alpha * (air - image))


def portable_film(image, masks, rng, config: PathologyConfig):
    """A whole sick portable film: framed low or off-centre (half each), one dense kind of disease, lines and
    text at their own rates, then flat and noisy over the whole detector (the padding of an off-centre frame
    too, which :func:`simulate`'s order never makes noisy), shuttered half the time. Round 43: the lung model
    took the noisy grey field beside a flat, off-centre chest for a lung and dropped the real ones."""
    c = config
    if rng.random() < 0.5:
        image, masks = squash(image, masks, rng, c.squash_range)
    else:
        image, masks = offcentre(image, masks, rng, c.offcentre_pad)
    mask = masks[0] if masks.ndim == 3 else masks
    kind = int(rng.integers(4))
    if kind == 0:
        image = consolidation(image, mask, rng, c.consolidation_strength)
    elif kind == 1:
        image = ground_glass(image, mask, rng, c.ground_glass_strength)
    elif kind == 2:
        image = effusion(image, mask, rng, c.effusion_height)
    else:
        image = whiteout(image, mask, rng)
    if rng.random() < c.devices:
        image = drawing.devices(image, rng)
    if rng.random() < c.text:
        image = drawing.burned_text(image, rng)
    image = low_contrast(np.clip(image, 0.0, 1.0), rng)
    if rng.random() < 0.5:
        image = collimation(image, rng)
    return np.clip(image, 0.0, 1.0).astype(np.float32), masks


def simulate(
    image: np.ndarray, mask: np.ndarray, rng: np.random.Generator, config: PathologyConfig
) -> tuple[np.ndarray, np.ndarray]:
    """Draw each kind with its probability; returns (image in [0, 1], mask). The mask only moves
    with the geometric kinds (squash, off-centre): the anatomical lung is never shrunk by disease.
    A (2, H, W) mask is lungs + heart: findings are placed in the lungs, and both masks move alike."""
    image = image.astype(np.float32, copy=True)
    masks = np.asarray(mask, bool)
    c = config
    if c.portable and rng.random() < c.portable:
        return portable_film(image, masks, rng, c)
    if rng.random() < c.squash:
        image, masks = squash(image, masks, rng, c.squash_range)
    mask = masks[0] if masks.ndim == 3 else masks
    if rng.random() < c.consolidation:
        image = consolidation(image, mask, rng, c.consolidation_strength)
    if rng.random() < c.ground_glass:
        image = ground_glass(image, mask, rng, c.ground_glass_strength)
    if rng.random() < c.effusion:
        image = effusion(image, mask, rng, c.effusion_height)
    if rng.random() < c.whiteout:
        image = whiteout(image, mask, rng)
    if c.basal_fill and rng.random() < c.basal_fill:
        image = basal.basal_fill(image, mask, rng, c.basal_fill_height)
    if c.gastric_bubble and rng.random() < c.gastric_bubble:
        image = gastric_bubble(image, mask, rng, c.gastric_bubble_size, c.gastric_bubble_depth, c.gastric_bubble_gap)
    if rng.random() < c.devices:
        image = drawing.devices(image, rng)
    if rng.random() < c.text:
        image = drawing.burned_text(image, rng)
    if rng.random() < c.low_contrast:
        image = low_contrast(image, rng)
    if rng.random() < c.collimation:
        image = collimation(image, rng)
    if rng.random() < c.offcentre:
        image, masks = offcentre(image, masks, rng, c.offcentre_pad)
    return np.clip(image, 0.0, 1.0).astype(np.float32), masks
