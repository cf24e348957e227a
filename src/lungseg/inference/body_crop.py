"""A small chest in a large dark field: the model sees a crop of the body, its logits put back on the whole film.

The lung model was trained on chests that fill the film. Shrunk to 45% of each side in a black field (a small
patient on a large detector), the validation films fall from 0.96 to 0.86 without noise and to 0.37 with a
little (``benchmarks/history/small_chest_round62.md``). Here the body is found as the largest piece of the film
that the dark field (:mod:`lungseg.inference.dark_field`, with a looser share limit) does not cover; when its box,
with a margin, covers at most :data:`MAX_BODY` of the film, the model runs on that box alone and its logits are placed
on a grid over the whole film, sure background outside the box (round 64 of #9). Since round 65 the crop is also
post-processed, completed by the shape model and measured, and the result put back on the film (:func:`placed`): the
completion on the whole film saw the small chest again and undid the crop (``MODEL_CARD.md``). Since round 66 the
film is cropped before the polarity check, which then judges the body as the model sees it (a large black field had
it call upright films inverted: ``Segmenter.prepared``). Since round 71 a film with flat bands at its edges (shutters,
padding: :func:`band_box`) is cropped to inside them the same way, and since round 74 a band runs on over a label
burned into it (:data:`BAND_LABELS`); rounds 72 (noisy bands, :data:`BAND_NOISE`) and 73
(finishing such a crop on the whole film, :data:`BAND_FINISH_WHOLE`) were tried and are off (``MODEL_CARD.md``).
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from lungseg.inference.dark_field import dark_field
from lungseg.inference.film_bands import flat_bands
from lungseg.inference.lazy_scipy import ndimage
from lungseg.inference.pipeline import SegmentationResult
from lungseg.io.reader import XRay

CROP = True  # round 64 (runs/criterion64.txt: judged on validation first)
FINISH_ON_CROP = True  # round 65 (runs/criterion65.txt): post-processing, completion, measurement on the crop too
POLARITY_ON_CROP = True  # round 66 (runs/criterion66.txt): the polarity check and its veto judge the crop
BAND_CROP = True  # round 71 (runs/criterion71.txt): a film with flat bands at its edges is cropped to inside them
BAND_NOISE = False  # round 72 (runs/criterion72.txt): a band with noise on it counts too (film_bands.flat_lines)
BAND_FINISH_WHOLE = False  # round 73 (runs/criterion73.txt): a band crop's logits finished on the whole film
BAND_LABELS = True  # round 74 (runs/criterion74.txt): a band goes on over a label burned into it
MIN_BAND = 0.01  # ... when a band reaches at least this share of the film's height (width)
MIN_INSIDE = 0.5  # ... and what lies inside the bands is at least this share of each side
MAX_FIELD = 0.95  # the dark field may cover up to this share of the film here (0.8 for making it flat)
MAX_BODY = 0.5  # crop only when the body's box, with its margin, covers at most this share of the film
MARGIN = 0.05  # the box grows by this share of each side of the film, on every side
BACKGROUND = -20.0  # the logit given outside the box: sure background for every channel

Box = tuple[int, int, int, int]  # y0, y1, x0, x1 in the film's pixels


def body_box(xray: XRay, size: int) -> Box | None:
    """The box of the body on the film (its largest piece outside the dark field, found on every n-th pixel so
    that about ``size`` remain across, with a margin), or None when there is no field, or the box covers more
    than :data:`MAX_BODY` of the film."""
    step = max(1, min(xray.shape) // size)  # every step-th pixel: the box needs no exact grey levels (#11: a
    small = xray[::step, ::step]  # 2500x3000 film's resize costs 35 ms, this stride well under 1 ms)
    field = dark_field(small, max_share=MAX_FIELD)
    if field is None:
        return None
    labels, count = ndimage().label(~field)
    if count == 0:
        return None
    largest = labels == 1 + int(np.argmax(np.bincount(labels.ravel())[1:]))
    rows, cols = np.flatnonzero(largest.any(axis=1)), np.flatnonzero(largest.any(axis=0))
    sh, sw = small.shape
    y0, y1 = max(0.0, rows[0] / sh - MARGIN), min(1.0, (rows[-1] + 1) / sh + MARGIN)
    x0, x1 = max(0.0, cols[0] / sw - MARGIN), min(1.0, (cols[-1] + 1) / sw + MARGIN)
    if (y1 - y0) * (x1 - x0) > MAX_BODY:
        return None
    h, w = xray.shape
    return math.floor(y0 * h), math.ceil(y1 * h), math.floor(x0 * w), math.ceil(x1 * w)


def band_box(xray: XRay, size: int) -> Box | None:
    """The box inside the flat bands at the film's edges (shutters, padding: :func:`~lungseg.inference.film_bands.
    flat_bands` on every n-th pixel), or None when no band reaches :data:`MIN_BAND` of its side or the inside is
    under :data:`MIN_INSIDE` of a side. Round 71: equalisation and the lung model then see the exposed film alone,
    as they do a film without shutters. A band's last rows between two sampled ones stay in the box."""
    step = max(1, min(xray.shape) // size)
    small = np.asarray(xray[::step, ::step], np.float32)
    shares = flat_bands(small, noise_aware=BAND_NOISE, labels=BAND_LABELS)
    if max(shares) < MIN_BAND:
        return None
    sh, sw = small.shape
    top, bottom, left, right = (round(share * n) for share, n in zip(shares, (sh, sh, sw, sw), strict=True))
    h, w = xray.shape
    y0, x0 = max(0, (top - 1) * step + 1), max(0, (left - 1) * step + 1)
    y1, x1 = min(h, (sh - bottom) * step), min(w, (sw - right) * step)
    if y1 - y0 < MIN_INSIDE * h or x1 - x0 < MIN_INSIDE * w:
        return None
    return y0, y1, x0, x1


def cropped(xray: XRay, box: Box) -> XRay:
    """The part of ``xray`` inside ``box`` (its integers shared, not copied)."""
    y0, y1, x0, x1 = box
    return XRay(xray.data[y0:y1, x0:x1], xray.spacing, xray.source, xray.scale, xray.offset)


def paste_logits(logits: np.ndarray, box: Box, shape: tuple[int, int]) -> np.ndarray:
    """Logits (C, S, S) of the box -> (C, h, w) over the whole film of ``shape``, the box's cells as they came
    (each of them the same share of the film as before) and :data:`BACKGROUND` elsewhere."""
    y0, y1, x0, x1 = box
    s = logits.shape[-1]
    fy, fx = s / (y1 - y0), s / (x1 - x0)  # logit cells per film pixel
    out = np.full((logits.shape[0], round(shape[0] * fy), round(shape[1] * fx)), BACKGROUND, np.float32)
    top, left = round(y0 * fy), round(x0 * fx)
    part = out[:, top : top + s, left : left + s]
    part[...] = logits[:, : part.shape[1], : part.shape[2]]
    return out


def placed(result: SegmentationResult, xray: XRay, box: Box) -> SegmentationResult:
    """A result finished on the box, on the whole film ``xray``: its masks, labels and probabilities in the box and
    nothing outside; its measurements as the crop gave them (areas, widths and the CTR count the same pixels; the
    flags judge the lungs against the body), but for the film's size and the lungs' share of the whole film."""
    y0, y1, x0, x1 = box

    def whole(part: np.ndarray) -> np.ndarray:
        out = np.zeros(xray.shape, part.dtype)
        out[y0:y1, x0:x1] = part
        return out

    mask = whole(result.mask)
    height, width = xray.shape
    measurements = result.measurements | {"width": width, "height": height, "lung_fraction": float(mask.mean())}
    probabilities = whole(result.probabilities) if result.probabilities.size else result.probabilities
    heart = whole(result.heart) if result.heart is not None else None
    return replace(result, mask=mask, labels=whole(result.labels), probabilities=probabilities, heart=heart,
                   measurements=measurements, xray=xray)  # fmt: skip
