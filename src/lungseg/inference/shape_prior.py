"""A shape prior for a lung the model lost: complete it from the other lung's mirror image.

Where disease makes a whole lung or a zone of it opaque, the model may keep only a fragment of it (the
failure of the first models on ICU films). Two lungs are roughly mirror images across the midline, so a lung
under ``MIN_RATIO`` of its partner's area is completed with the partner mirrored across the midline (half way
between their inner borders; ``GAP`` of the partner's width beside it when the lung is gone entirely),
less the heart where one is known, joined to what the model found. On the manual masks of the Montgomery and
Shenzhen sets the smaller lung is under half of the larger one in about 1% of films, so a healthy pair is
left alone. Whether this helps is measured, not assumed: ``benchmarks/shape_prior.py``.
"""

from __future__ import annotations

import math

import numpy as np

from lungseg.inference.postprocess import LEFT_LUNG, RIGHT_LUNG, fill_holes, largest_component

MIN_RATIO = 0.5  # complete a lung smaller than this share of its partner's area
GAP = 0.23  # median gap between the lungs' inner borders over the wider lung's width (704 manual masks)
# Complete a lung's base that stops this share of its partner's height above the partner's base. Off (inf) by
# default, as measured (benchmarks/shape_prior_base.md): at 0.35 (above the 99th percentile of the manual mask
# pairs, benchmarks/mask_stats.json) it lifts a weak model's lost bases, but with the shipped model it changed
# only infants' rotated films, for the worse: their right lung sits high, and the mirror image ran into the liver.
BASE_GAP = math.inf


def _span(mask: np.ndarray, axis: int) -> tuple[int, int]:
    """First and last index along the other axis where ``mask`` has pixels (axis 0: columns, 1: rows)."""
    found = np.flatnonzero(mask.any(axis=axis))
    return int(found[0]), int(found[-1])


def mirror(mask: np.ndarray, axis_x: float) -> np.ndarray:
    """``mask`` reflected left-right across the column ``axis_x`` (pixels leaving the image are dropped)."""
    out = np.zeros_like(mask)
    ys, xs = np.nonzero(mask)
    xs = np.rint(2 * axis_x - xs).astype(int)
    inside = (xs >= 0) & (xs < mask.shape[1])
    out[ys[inside], xs[inside]] = True
    return fill_holes(out)  # rounding can leave pinholes


def midline(big: np.ndarray, small: np.ndarray, big_is_left: bool) -> float:
    """The column half way between the two lungs' inner borders; beside ``big`` if ``small`` is empty."""
    b0, b1 = _span(big, 0)
    inner_big = b1 if big_is_left else b0
    if small.any():
        s0, s1 = _span(small, 0)
        return (inner_big + (s0 if big_is_left else s1)) / 2
    half_gap = GAP * (b1 - b0 + 1) / 2
    return inner_big + half_gap if big_is_left else inner_big - half_gap


def complete_lungs(
    labels: np.ndarray, heart: np.ndarray | None = None, min_ratio: float = MIN_RATIO, base_gap: float = BASE_GAP
) -> np.ndarray:
    """Labels (0/1/2, post-processed) with a lost lung, or a lost base of one, completed from its partner's mirror
    image; the same labels when both lungs are whole (or none is). ``heart``: a mask the completion keeps out of."""
    image_left, image_right = labels == RIGHT_LUNG, labels == LEFT_LUNG
    areas = int(image_left.sum()), int(image_right.sum())
    if max(areas) == 0:
        return labels
    if min(areas) >= min_ratio * max(areas):
        return _complete_base(labels, image_left, image_right, heart, base_gap)
    big_is_left = areas[0] >= areas[1]
    big, small = (image_left, image_right) if big_is_left else (image_right, image_left)
    guess = mirror(big, midline(big, small, big_is_left)) & ~big
    return _joined(labels, small, guess, heart, LEFT_LUNG if big_is_left else RIGHT_LUNG)


def _joined(labels: np.ndarray, found: np.ndarray, guess: np.ndarray, heart: np.ndarray | None, value: int):
    """``labels`` with ``found`` grown by ``guess`` (less the heart), one hole-free piece, on background only."""
    if heart is not None:
        guess = guess & ~heart
    grown = largest_component(fill_holes(found | guess))
    out = labels.copy()
    out[grown & (out == 0)] = value
    return out


def _complete_base(labels, image_left, image_right, heart, base_gap: float) -> np.ndarray:
    """A lung whose base stops ``base_gap`` of its partner's height above the partner's base (an opaque lower
    zone: effusion, consolidation) is grown down by the partner's mirror image below its own lowest rows."""
    long_is_left = _span(image_left, 1)[1] >= _span(image_right, 1)[1]
    long, short = (image_left, image_right) if long_is_left else (image_right, image_left)
    (top, bottom), (s_top, s_bottom) = _span(long, 1), _span(short, 1)
    if bottom - s_bottom < base_gap * (bottom - top + 1):
        return labels
    guess = mirror(long, midline(long, short, long_is_left)) & ~long
    guess[: s_bottom - (s_bottom - s_top + 1) // 10] = False  # below the base found, overlapping its last tenth
    return _joined(labels, short, guess, heart, LEFT_LUNG if long_is_left else RIGHT_LUNG)

