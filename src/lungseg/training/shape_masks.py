"""Training pairs for the shape model: a manual lung mask with zones taken away -> the whole mask.

Where disease makes part of a lung opaque, a segmentation model tends to stop where the opacity starts: the
lower zone above an effusion, a lateral bite under consolidation, a whole lung under white-out. The shape model
(:mod:`lungseg.inference.shape_completion`) learns, from masks alone, what the rest of such a lung looks like.
Each function here takes a (H, W) bool mask and one of its lungs and returns the mask with a zone of that lung
removed; :func:`corrupt` draws one or two of them (or none: a whole mask must come back unchanged).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from lungseg.inference.postprocess import lung_sides
from lungseg.training.pathology import smooth_field

KEEP_WHOLE = 0.2  # share of pairs left whole: the model must learn to leave a healthy pair alone
TWO_ZONES = 0.3  # share of corrupted pairs with a second zone removed
BOUNDARY_NOISE = 0.5  # share of pairs dilated or eroded by a pixel (a model's outline is never the manual one)


def drop_base(mask: np.ndarray, lung: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The lung's lower part below a tilted, wavy line 35-90% of the way down it removed (effusion, basal
    consolidation)."""
    ys, xs = np.nonzero(lung)
    cut = ys.min() + rng.uniform(0.35, 0.9) * (ys.max() - ys.min())
    cols = np.arange(mask.shape[1])
    wave = rng.uniform(0, 0.05 * mask.shape[0]) * np.sin(cols / rng.uniform(6, 20) * 128 / mask.shape[1]
                                                         + rng.uniform(0, 2 * np.pi))  # fmt: skip
    line = cut + rng.uniform(-0.15, 0.15) * (cols - xs.mean()) + wave
    below = np.arange(mask.shape[0])[:, None] > line[None, :]
    return mask & ~(lung & below)


def drop_patch(mask: np.ndarray, lung: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """An ellipse around a random lung pixel removed: 15-40% of the lung's height, 20-50% of its width
    (a lobar or peripheral consolidation)."""
    ys, xs = np.nonzero(lung)
    i = rng.integers(len(ys))
    ry = rng.uniform(0.15, 0.4) * (np.ptp(ys) + 1)
    rx = rng.uniform(0.2, 0.5) * (np.ptp(xs) + 1)
    yy, xx = np.mgrid[: mask.shape[0], : mask.shape[1]]
    return mask & ~(lung & (((yy - ys[i]) / ry) ** 2 + ((xx - xs[i]) / rx) ** 2 < 1))


def drop_lung(mask: np.ndarray, lung: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """All of the lung below its top 0-40% removed (white-out of a hemithorax)."""
    ys = np.nonzero(lung)[0]
    keep = ys.min() + rng.uniform(0, 0.4) * np.ptp(ys)
    return mask & ~(lung & (np.arange(mask.shape[0])[:, None] > keep))


def drop_patchy(mask: np.ndarray, lung: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The lung where a smooth random field is high removed: irregular, possibly several pieces (patchy
    opacity)."""
    field = smooth_field(mask.shape, rng, cells=int(rng.integers(4, 9)))
    return mask & ~(lung & (field > rng.uniform(0.5, 0.75)))


ZONES = (drop_base, drop_base, drop_patch, drop_lung, drop_patchy)  # the base twice: the commonest loss


def corrupt(mask: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``mask`` with one or two zones of its lungs removed (or none, ``KEEP_WHOLE`` of the time), then often
    dilated or eroded by one pixel. Returns a new array; ``mask`` is not changed."""
    out = np.asarray(mask, bool).copy()
    if rng.random() < KEEP_WHOLE:
        return out
    lungs = [lung for lung in lung_sides(out) if lung.any()]
    for _ in range(1 + int(rng.random() < TWO_ZONES)):
        if lungs:
            out = ZONES[rng.integers(len(ZONES))](out, lungs[rng.integers(len(lungs))], rng)
    if rng.random() < BOUNDARY_NOISE:
        out = (ndimage.binary_dilation if rng.random() < 0.5 else ndimage.binary_erosion)(out)
    return out


def moved(mask: np.ndarray, rng: np.random.Generator, turn: float = 8.0, scale: float = 0.15) -> np.ndarray:
    """``mask`` turned up to ``turn`` degrees, scaled by up to +-``scale`` per axis and shifted up to 8% of its
    side about its centre: more shapes than the manual masks alone."""
    angle = np.deg2rad(rng.uniform(-turn, turn))
    factors = rng.uniform(1 - scale, 1 + scale, 2)
    matrix = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]]) / factors[:, None]
    centre = np.array(mask.shape) / 2
    shift = rng.uniform(-0.08, 0.08, 2) * np.array(mask.shape)
    out = ndimage.affine_transform(mask.astype(np.float32), matrix, offset=centre - matrix @ centre + shift, order=1)
    return out > 0.5
