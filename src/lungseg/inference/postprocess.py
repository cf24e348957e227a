"""Mask clean-up into plausible lungs, and left/right lung labels.

On a standard frontal (PA/AP) view the patient's right lung is on the image's left. Labels:
0 background, 1 = the patient's right lung (image left), 2 = the patient's left lung (image right),
3 = the heart (where a heart model is used).

Sides follow the lungs' positions relative to each other, never the image's centre line: a chest
framed off-centre (common on portable films) keeps both lungs and their correct labels.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator

import numpy as np

from lungseg.inference.lazy_scipy import ndimage

RIGHT_LUNG, LEFT_LUNG, HEART = 1, 2, 3
MIN_PARTNER = 0.02  # a second lung must have at least 2% of the first one's area (smaller: noise)
MERGED_ASPECT = 0.75  # a blob at least this wide for its height may be two lungs joined
MERGED_WAIST = 0.6  # ... if its thinnest middle column has under 60% of its median column height
CANDIDATES = 4  # the lungs are chosen among this many largest components (round 46)
EIGHT = np.ones((3, 3), bool)  # 8-connectivity: ndimage.generate_binary_structure(2, 2)


def _components(mask: np.ndarray) -> Iterator[np.ndarray]:
    """Connected components (8-connectivity), largest first, each made only when asked for (a noisy
    mask can have hundreds of specks)."""
    labels, n = ndimage().label(mask, structure=EIGHT)
    if n == 0:
        return
    sizes = np.bincount(labels.ravel(), minlength=n + 1)[1:]
    for k in np.argsort(-sizes, kind="stable"):
        yield labels == k + 1


def bounding_box(mask: np.ndarray, margin: int) -> tuple[slice, slice]:
    """The mask's bounding box grown by ``margin`` on each side (clipped to the image): the clean-up
    steps give the same result on this crop as on the whole image, in a fraction of the time."""
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if len(rows) == 0:
        return slice(0, 0), slice(0, 0)
    return (slice(max(rows[0] - margin, 0), min(rows[-1] + margin + 1, mask.shape[0])),
            slice(max(cols[0] - margin, 0), min(cols[-1] + margin + 1, mask.shape[1])))  # fmt: skip


def _span(component: np.ndarray, axis: int) -> tuple[int, int]:
    """(first, last) column (``axis`` 0) or row (``axis`` 1) the component occupies."""
    where = np.nonzero(component.any(axis=axis))[0]
    return int(where[0]), int(where[-1])


def _columns(component: np.ndarray) -> tuple[int, int]:
    return _span(component, 0)


def _center_x(component: np.ndarray) -> float:
    return float(np.nonzero(component)[1].mean())


def merged_cut(component: np.ndarray) -> int | None:
    """The column where a blob of two joined lungs should be cut, or None if it is one lung.

    Two joined lungs make a blob about as wide as it is tall with a narrow waist (the mediastinum)
    in the middle of its own extent; a single lung is tall and narrow.
    """
    rows = np.nonzero(component.any(axis=1))[0]
    x0, x1 = _columns(component)
    height, width = rows[-1] - rows[0] + 1, x1 - x0 + 1
    if width < MERGED_ASPECT * height or width < 8:
        return None
    counts = component[:, x0 : x1 + 1].sum(axis=0)
    lo, hi = int(width * 0.3), max(int(width * 0.7), int(width * 0.3) + 1)
    cut = lo + int(np.argmin(counts[lo:hi]))
    if counts[cut] >= MERGED_WAIST * float(np.median(counts[counts > 0])):
        return None
    return x0 + cut


def _is_image_left_alone(lung: np.ndarray) -> bool:
    """Side of a lung without a partner, from its shape: the lowest part of a lung (the costophrenic
    angle) is lateral, so a lung whose bottom lies left of its centre is the image-left lung."""
    ys, xs = np.nonzero(lung)
    bottom = ys >= np.percentile(ys, 95)
    return bool(xs[bottom].mean() < xs.mean())


def _overlap_fraction(a: np.ndarray, b: np.ndarray) -> float:
    """Shared column range of two components over the narrower one's width."""
    (a0, a1), (b0, b1) = _columns(a), _columns(b)
    shared = min(a1, b1) - max(a0, b0) + 1
    return max(shared, 0) / max(min(a1 - a0, b1 - b0) + 1, 1)


def _row_iou(a: np.ndarray, b: np.ndarray) -> float:
    """Shared row range of two components over their joint row range: two lungs span about the same rows."""
    (a0, a1), (b0, b1) = _span(a, 1), _span(b, 1)
    return max(min(a1, b1) - max(a0, b0) + 1, 0) / (max(a1, b1) - min(a0, b0) + 1)


def best_pair(parts: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray] | None:
    """The two of ``parts`` (largest first) side by side (sharing under half the narrower one's column range) with
    the largest area sum times row-range IoU, or None where no two are side by side. A pair without the largest
    part must outweigh it (two specks beside a merged blob of both lungs are not the lungs). Round 46: on a flat
    portable film a slab of padding beside the chest can be the largest piece; it rarely spans the lungs' rows."""
    sizes = [int(p.sum()) for p in parts]
    pairs = [(i, j) for i, j in itertools.combinations(range(len(parts)), 2)
             if _overlap_fraction(parts[i], parts[j]) < 0.5 and (i == 0 or sizes[i] + sizes[j] > sizes[0])]
    if not pairs:
        return None
    i, j = max(pairs, key=lambda ij: (sizes[ij[0]] + sizes[ij[1]]) * _row_iou(parts[ij[0]], parts[ij[1]]))
    return parts[i], parts[j]


def lung_sides(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(image-left lung, image-right lung), each one connected component (possibly empty).

    Among the ``CANDIDATES`` largest components with at least ``MIN_PARTNER`` of the largest one's area, the
    lungs are the pair side by side that best spans the same rows (:func:`best_pair`); failing that, the largest
    and the largest other one beside it. Without a partner the largest component is the one lung, or, shaped like
    two joined lungs, is cut at its waist. Fragments of a lung already taken are dropped.
    """
    mask = np.asarray(mask, bool)
    parts = _components(mask)
    empty = np.zeros_like(mask)
    first = next(parts, None)
    if first is None:
        return empty, empty
    area = first.sum()
    big_enough = itertools.takewhile(lambda p: p.sum() >= MIN_PARTNER * area, parts)  # largest first
    pair = best_pair([first, *itertools.islice(big_enough, CANDIDATES - 1)])
    if pair is None:
        partner = next((p for p in big_enough if _overlap_fraction(first, p) < 0.5), None)
        pair = (first, partner) if partner is not None else None
    if pair is None:
        cut = merged_cut(first)
        if cut is not None:
            left, right = first.copy(), first.copy()
            left[:, cut:] = False
            right[:, :cut] = False
            return largest_component(left), largest_component(right)
        return (first, empty) if _is_image_left_alone(first) else (empty, first)
    a, b = pair
    return (a, b) if _center_x(a) < _center_x(b) else (b, a)


def fill_holes(mask: np.ndarray) -> np.ndarray:
    """``mask`` with every background region that does not touch the image border filled.

    The same result as ``ndimage.binary_fill_holes`` (4-connected background), from one labelling
    instead of an iterated dilation: several times faster on large masks.
    """
    background, n = ndimage().label(~mask)
    if n == 0:
        return mask.copy()
    edges = np.concatenate([background[0], background[-1], background[:, 0], background[:, -1]])
    outside = np.zeros(n + 1, bool)
    outside[np.unique(edges)] = True
    outside[0] = False
    return mask | ~outside[background] & (background > 0)


def largest_component(mask: np.ndarray) -> np.ndarray:
    return next(_components(mask), mask)


def smooth(lung: np.ndarray, sigma: float) -> np.ndarray:
    """A smooth outline: Gaussian-blur the indicator and cut at 0.5 (removes ragged edges and spurs)."""
    if sigma <= 0 or not lung.any():
        return lung
    blurred = ndimage().gaussian_filter(lung.astype(np.float32), sigma) >= 0.5
    return fill_holes(largest_component(blurred)) if blurred.any() else lung


def _margin(shape: tuple[int, ...], smooth_fraction: float) -> int:
    """Crop margin that keeps smoothing exact: the Gaussian's reach (4 sigma) plus room for hole filling."""
    return math.ceil(4 * smooth_fraction * max(shape)) + 2


def clean_lung_labels(mask: np.ndarray, smooth_fraction: float = 0.0) -> np.ndarray:
    """Post-processed lung labels (0/1/2): at most two lungs, each one connected piece without holes,
    optionally with a smoothed outline (``smooth_fraction``: Gaussian sigma as a fraction of the image's
    longer side). Each lung keeps the side it was found on, even where two smoothed outlines touch."""
    mask = np.asarray(mask, bool)
    sigma = smooth_fraction * max(mask.shape)
    box = bounding_box(mask, _margin(mask.shape, smooth_fraction))
    out = np.zeros(mask.shape, np.uint8)
    crop = out[box]
    for lung, value in zip(lung_sides(mask[box]), (RIGHT_LUNG, LEFT_LUNG), strict=True):
        if lung.any():
            crop[smooth(fill_holes(lung), sigma) & (crop == 0)] = value
    return out


def postprocess(mask: np.ndarray, smooth_fraction: float = 0.0) -> np.ndarray:
    """At most two lungs, each one connected piece without holes; optionally a smoothed outline
    (``smooth_fraction``: Gaussian sigma as a fraction of the image's longer side)."""
    return clean_lung_labels(mask, smooth_fraction) > 0


def heart_postprocess(mask: np.ndarray, smooth_fraction: float = 0.0) -> np.ndarray:
    """One heart: the largest component, holes filled, optionally a smoothed outline."""
    mask = np.asarray(mask, bool)
    box = bounding_box(mask, _margin(mask.shape, smooth_fraction))
    out = np.zeros(mask.shape, bool)
    part = next(_components(mask[box]), None)
    if part is not None:
        out[box] = smooth(fill_holes(part), smooth_fraction * max(mask.shape))
    return out
def lung_labels(mask: np.ndarray) -> np.ndarray:
    """uint8 labels: 1 = patient's right lung (image left), 2 = patient's left lung (image right).

    Every mask pixel gets a label (also without post-processing): pixels outside the two lungs go to
    the side of the column halfway between the lungs' centres (or the lone lung's side).
    """
    mask = np.asarray(mask, bool)
    out = np.zeros(mask.shape, np.uint8)
    box = bounding_box(mask, 1)
    mask, labels = mask[box], out[box]  # labels: a view into out
    image_left, image_right = lung_sides(mask)
    if image_left.any() and image_right.any():
        divide = (_center_x(image_left) + _center_x(image_right)) / 2
        cols = np.arange(mask.shape[1])[None, :]
        labels[mask & (cols < divide)] = RIGHT_LUNG
        labels[mask & (cols >= divide)] = LEFT_LUNG
    elif mask.any():
        labels[mask] = RIGHT_LUNG if image_left.any() else LEFT_LUNG
    labels[image_left] = RIGHT_LUNG
    labels[image_right] = LEFT_LUNG
    return out
