"""Training pairs for the shape model: a manual lung mask with zones taken away (and, for the shipped
film-aware model, those zones painted opaque on the film) -> the whole mask.

Where disease makes part of a lung opaque, a segmentation model tends to stop where the opacity starts: the
lower zone above an effusion, a lateral bite under consolidation, a whole lung under white-out. The shape model
(:mod:`lungseg.inference.shape_completion`) learns what the rest of such a lung looks like. Each ``drop_*``
function takes a (H, W) bool mask and one of its lungs and returns the mask with a zone of that lung removed;
:func:`corrupt` draws one or two of them (or none: a whole mask must come back unchanged) for the mask-only
model; :func:`moved_pair`, :func:`remove_zones`, :func:`paint_lost`, :func:`fill_lost` and :func:`outline_noise` make
the film-aware model's pairs (``benchmarks/shape_model.py --image``).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from lungseg.inference.postprocess import lung_sides
from lungseg.training.basal_fill import filled
from lungseg.training.pathology import blend, bubble_region, dense_level, paint_bubble, smooth_field

KEEP_WHOLE = 0.2  # share of pairs left whole: the model must learn to leave a healthy pair alone
TWO_ZONES = 0.3  # share of corrupted pairs with a second zone removed
BOUNDARY_NOISE = 0.5  # share of pairs dilated or eroded by a pixel (a model's outline is never the manual one)
PAINT_NONE, PAINT_HAZY = 0.1, 0.15  # shares of lost zones left as they were on the film, or made only hazy
BUBBLE = 0.6  # share of :func:`add_extra`'s draws that are a gastric bubble taken for lung (else a bridge)
BASAL_HEIGHT = (0.2, 0.7)  # :func:`fill_lost`: how high the fill rises above the base, fraction of the lung's height
BASAL_KEPT = (0.3, 0.9)  # :func:`fill_lost`: the lung found stops where the fill covers more of the film than this
BASAL_BELOW = (-0.12, 0.0)  # :func:`fill_lost`'s negatives: the fill's level, up to this far below the base
LARGE_BUBBLES = {"size": (0.4, 1.25), "depth_range": (0.5, 1.6), "gap": (0.0, 0.035)}  # add_extra(large=True): up
# to the whole base wide, deeper, and with no diaphragm between now and then (a distended stomach on a sick film)


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


def drop_beside_heart(mask: np.ndarray, lung: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The lung's lower medial part removed: from its medial edge out to 30-70% of its width, below 35-70% of the
    way down it (an opaque base that merges with the heart shadow and is taken for heart)."""
    ys, xs = np.nonzero(lung)
    medial_is_left = xs.mean() > mask.shape[1] / 2  # the image-right lung's medial edge is its left one
    reach = rng.uniform(0.3, 0.7) * np.ptp(xs)
    cols = np.arange(mask.shape[1])
    inner = cols <= xs.min() + reach if medial_is_left else cols >= xs.max() - reach
    below = np.arange(mask.shape[0]) > ys.min() + rng.uniform(0.35, 0.7) * np.ptp(ys)
    return mask & ~(lung & below[:, None] & inner[None, :])


ZONES = (drop_base, drop_base, drop_patch, drop_lung, drop_patchy)  # the base twice: the commonest loss
ZONES_BESIDE_HEART = (*ZONES, drop_beside_heart)  # round 36 (--beside-heart)


def remove_zones(mask: np.ndarray, rng: np.random.Generator, zones: tuple = ZONES) -> np.ndarray:
    """``mask`` with one or two zones of its lungs removed (``TWO_ZONES`` of the time two), drawn from ``zones``."""
    out = mask
    lungs = [lung for lung in lung_sides(out) if lung.any()]
    for _ in range(1 + int(rng.random() < TWO_ZONES)):
        if lungs:
            out = zones[rng.integers(len(zones))](out, lungs[rng.integers(len(lungs))], rng)
    return out


def outline_noise(mask: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``mask`` dilated or eroded by one pixel ``BOUNDARY_NOISE`` of the time (a model's outline is never the
    manual one)."""
    if rng.random() < BOUNDARY_NOISE:
        return (ndimage.binary_dilation if rng.random() < 0.5 else ndimage.binary_erosion)(mask)
    return mask


def corrupt(mask: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``mask`` with one or two zones of its lungs removed (or none, ``KEEP_WHOLE`` of the time), then often
    dilated or eroded by one pixel. Returns a new array; ``mask`` is not changed."""
    out = np.asarray(mask, bool).copy()
    if rng.random() < KEEP_WHOLE:
        return out
    return outline_noise(remove_zones(out, rng), rng)


def moved(mask: np.ndarray, rng: np.random.Generator, turn: float = 8.0, scale: float = 0.15) -> np.ndarray:
    """``mask`` turned up to ``turn`` degrees, scaled by up to +-``scale`` per axis and shifted up to 8% of its
    side about its centre: more shapes than the manual masks alone."""
    matrix, offset = random_affine(mask.shape, rng, turn, scale)
    return ndimage.affine_transform(mask.astype(np.float32), matrix, offset=offset, order=1) > 0.5


def random_affine(shape: tuple[int, ...], rng: np.random.Generator, turn: float, scale: float):
    """(matrix, offset) for ``ndimage.affine_transform``: a turn, a scale per axis and a shift about the centre."""
    angle = np.deg2rad(rng.uniform(-turn, turn))
    factors = rng.uniform(1 - scale, 1 + scale, 2)
    matrix = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]]) / factors[:, None]
    centre = np.array(shape) / 2
    shift = rng.uniform(-0.08, 0.08, 2) * np.array(shape)
    return matrix, centre - matrix @ centre + shift


def moved_pair(image: np.ndarray, mask: np.ndarray, rng: np.random.Generator, turn: float = 8.0,
               scale: float = 0.15, care: np.ndarray | None = None,
               found: np.ndarray | None = None) -> tuple[np.ndarray, ...]:
    """:func:`moved` applied to a film and its mask alike (the film's border filled with its edge values); and to
    ``care`` (where a mask's loss counts, for sets of another convention) and ``found`` (a lung model's own mask of
    the film), if given, in that order after the mask, which draws nothing more."""
    matrix, offset = random_affine(mask.shape, rng, turn, scale)
    film = ndimage.affine_transform(image.astype(np.float32), matrix, offset=offset, order=1, mode="nearest")
    masks = [m for m in (mask, care, found) if m is not None]
    return film, *(ndimage.affine_transform(m.astype(np.float32), matrix, offset=offset, order=1) > 0.5 for m in masks)


def paint_lost(image: np.ndarray, whole: np.ndarray, kept: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``image`` ([0, 1], before equalisation) with the lung zones in ``whole`` but not in ``kept`` made opaque,
    as the disease that made a model lose them would: dense and textured (most often), hazy, or not at all (a
    zone lost for another reason). The film then shows why a zone is missing; a high diaphragm shows an edge."""
    lost = whole & ~kept
    draw = rng.random()
    if not lost.any() or draw < PAINT_NONE:
        return image
    strength = rng.uniform(0.3, 0.6) if draw < PAINT_NONE + PAINT_HAZY else rng.uniform(0.7, 1.0)
    soft = ndimage.gaussian_filter(ndimage.binary_dilation(lost).astype(np.float32), rng.uniform(0.7, 2.0))
    texture = 1 + 0.15 * (smooth_field(image.shape, rng, 20) - 0.5)
    return blend(image, np.clip(soft * strength * texture, 0, 1), dense_level(image, whole, rng))


def fill_lost(film: np.ndarray, whole: np.ndarray, rng: np.random.Generator,
              below: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """(film, kept): the lower zone of one lung or both filled to the abdomen's density with no outline left
    (training's ``basal_fill``), and the lungs a model finds there: ``whole`` where the fill covers less of the film
    than a level drawn from ``BASAL_KEPT``. Round 80: :func:`paint_lost` leaves the lung's outline where the painted
    zone meets the abdomen; on this kind the film-aware model must draw the base from the thorax alone. With
    probability ``below`` (round 82) the fill rises only to the base (``BASAL_BELOW``) and nothing is lost: an
    abdomen that meets the lung with no diaphragm line shows no lost base, so the model must tell the two apart by
    the thorax, not by the missing line."""
    if below and rng.random() < below:
        return filled(film, whole, rng, BASAL_BELOW)[0], whole
    film, cover = filled(film, whole, rng, BASAL_HEIGHT)
    return film, whole & (cover < rng.uniform(*BASAL_KEPT))


def bridge_lungs(mask: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``mask`` with its two lungs joined across the mediastinum over a band of the rows both span (from a
    sixth of their height to all of it): how a low-contrast film's lungs and mediastinum come out as one blob.
    The same mask if it has no two lungs side by side."""
    left, right = lung_sides(mask)
    rows = np.nonzero(left.any(axis=1) & right.any(axis=1))[0]
    if len(rows) < 4:
        return mask
    if left.nonzero()[1].mean() > right.nonzero()[1].mean():
        left, right = right, left
    top = rows[0] + rng.uniform(0, 0.6) * (rows[-1] - rows[0])
    bottom = top + rng.uniform(0.15, 1.0) * (rows[-1] - top)
    cols = np.arange(mask.shape[1])
    inner_left = np.where(left.any(axis=1), mask.shape[1] - 1 - np.argmax(left[:, ::-1], axis=1), -1)
    inner_right = np.where(right.any(axis=1), np.argmax(right, axis=1), -1)
    band = (np.arange(mask.shape[0]) >= top) & (np.arange(mask.shape[0]) <= bottom) & (inner_left >= 0)
    band &= inner_right > inner_left
    between = band[:, None] & (cols[None] > inner_left[:, None]) & (cols[None] < inner_right[:, None])
    return mask | between


def add_extra(film: np.ndarray, whole: np.ndarray, kept: np.ndarray, rng: np.random.Generator,
              large: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(film, kept) with something that is not lung taken for lung, for the shape model to learn to take away:
    a gastric bubble under a lung (drawn on the film, ``BUBBLE`` of the time; the kept mask runs down into it;
    ``large``: drawn from ``LARGE_BUBBLES``' wider ranges) or the two lungs joined across the mediastinum."""
    if rng.random() < BUBBLE:
        drawn = bubble_region(whole, rng, **(LARGE_BUBBLES if large else {}))
        if drawn is None or not drawn[0].any():
            return film, kept
        region, reach, lung = drawn
        return paint_bubble(film, region, lung, rng), kept | reach
    return film, bridge_lungs(kept, rng)
