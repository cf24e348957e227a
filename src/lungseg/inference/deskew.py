"""A film tilted in its plane: segmented again levelled, its outputs turned back to the film as it came.

A portable detector placed crooked, or a patient lying askew, tilts the chest in the film. The lung model trained with
rotations of at most 10 degrees: tilted by 25 degrees the test films lost 0.024 Dice, by 35 degrees 0.093 (49 of 173
under 0.85; ``benchmarks/tilt.md``). The first pass still finds the lungs well enough to say how far the chest is
tilted: the line through the two lungs' centres lies within a few degrees of :data:`LEVEL` on upright films and
follows the tilt up to about 35 degrees. Where it is more than :data:`TILT_BEYOND` off level, the film is turned
level (about its centre, same size, the corners that come in black), segmented again by the whole chain, and the masks,
labels, heart and probabilities are turned back; the lung model's confidence has the last word, as for quarter turns
(:func:`~lungseg.inference.orientation.upright_is_surer`), here by a margin. A first pass that lost part of a lung
reads the tilt short or long; the levelled pass reads it again, and where its lungs still lie more than
:data:`RESIDUAL_BEYOND` off level the film is turned by that much more (round 77). An upright film pays for reading the
axis (about half a millisecond); a tilted one for one or two more passes.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from lungseg.inference.measure import heart_measurements, measure
from lungseg.inference.orientation import segmented_again, upright_is_surer
from lungseg.inference.pipeline import SegmentationResult, add_flag, upsample_labels
from lungseg.inference.postprocess import LEFT_LUNG, RIGHT_LUNG
from lungseg.inference.preprocess import resize_float, resize_xray, upsample_mask
from lungseg.inference.render import draw_ctr_lines, line_thickness, overlay_indexed, palette_image
from lungseg.io.reader import XRay

if TYPE_CHECKING:
    from lungseg.inference.segmenter import Segmenter

FLAG = "tilted_input"
LEVEL = -2.0  # degrees: the lung axis's median on the upright validation films (benchmarks/tilt.md)
TILT_BEYOND = 7.5  # degrees off LEVEL before a film is levelled: upright validation films read -2.6 to 3.2 off
# (p5-p95), with a portable film's look -7.0 to 6.9 (all 50); round 77 lowered it from 12, where a portable film
# tilted by 20 degrees, its first pass missing part of a lung, read as little as 3 off and was left tilted
SURE_BEYOND = 12.0  # degrees off LEVEL past which no upright adult film reads (round 76's threshold); within it,
# children's and sick films that lie as they are read too (7.5-12: 41 of the 1,295 children's films), so there the
# levelled lungs must be surer by SURER_NEAR_LEVEL
SURER_BY = 0.002  # the levelled lungs' mean confidence must beat the first pass's by this much (round 76: a child's
# film with one lower zone opaque read 17.5 degrees off level, 0.8622 -> 0.8623 levelled, Dice 0.82 -> 0.79; on the
# tilted validation films this margin moves no mean by more than 0.0002)
SURER_NEAR_LEVEL = 0.03  # round 77: with SURER_BY there, the 41 children's films above were levelled too, their
# agreement-zone Dice down 0.0014 on average (17 up, 20 down); with 0.03, 1 of the 100 validation ones (as at 12)
RESIDUAL_BEYOND = 5.0  # degrees off level the levelled lungs may still read before the film is turned further
PASSES = 2  # levelled passes at most (round 77: a third, the portable-look validation films tilted by 20
# degrees 0.9401 -> 0.9339)
LEVEL_SIDE = 2048  # a larger film is levelled as a copy this long (a 5000x6000 film: 3.2 s and 850 MB whole; the pass
# works at 256 px and post-processes at 768 at most, then enlarges the labels, as here)
AXIS_SIDE = 512  # the labels are read at about this side for the axis: a 5000x6000 film's centres cost no more
RECOUNTED = ("width", "height", "pixel_spacing_mm", "area_px", "right_area_px", "left_area_px", "area_mm2",
             "right_area_mm2", "left_area_mm2", "lung_fraction", "right_left_ratio")  # fmt: skip


def lung_axis_degrees(labels: np.ndarray) -> float:
    """The angle (degrees, image rows downward) of the line from the right lung's centre (label 1, on the image's
    left) to the left lung's (label 2); NaN without both. Positive: the image's right side lower. Each centre comes
    from the lung's row and column counts (exact integer sums, 4x faster than its pixels' indices; every film pays
    it)."""
    step = max(1, max(labels.shape) // AXIS_SIDE)
    small = labels[::step, ::step]
    centres = []
    for value in (RIGHT_LUNG, LEFT_LUNG):
        lung = small == value
        rows, cols = lung.sum(axis=1, dtype=np.int64), lung.sum(axis=0, dtype=np.int64)
        area = int(rows.sum())
        if area == 0:
            return math.nan
        centres.append((int(rows @ np.arange(len(rows))) / area, int(cols @ np.arange(len(cols))) / area))
    (y1, x1), (y2, x2) = centres
    return float(np.degrees(np.arctan2(y2 - y1, x2 - x1)))


def tilt_of(labels: np.ndarray) -> float:
    """Degrees to turn the film by (:func:`levelled`) so that its lungs lie as on an upright film; 0 within
    :data:`TILT_BEYOND` of level or without two lungs."""
    off = lung_axis_degrees(labels) - LEVEL
    return 0.0 if math.isnan(off) or abs(off) <= TILT_BEYOND else off


def _affine(degrees: float, shape: tuple[int, int], back: bool) -> tuple[float, ...]:
    """PIL's AFFINE data (output pixel -> input pixel) for a turn by ``degrees`` about the image's centre; ``back``:
    the exact inverse."""
    t = math.radians(-degrees if back else degrees)
    c, s = math.cos(t), math.sin(t)
    cy, cx = shape[0] / 2, shape[1] / 2
    return (c, -s, cx - c * cx + s * cy, s, c, cy - s * cx - c * cy)


def turn(array: np.ndarray, degrees: float, back: bool = False) -> np.ndarray:
    """``array`` (float32, uint8 or bool, H x W) turned so that a line at ``degrees`` becomes level (``back``: the
    inverse), same size, about its centre; the corners that come in are 0. Floats bilinear, labels nearest."""
    data = _affine(degrees, array.shape, back)
    if array.dtype == np.float32:
        image = Image.fromarray(array, mode="F")
        method, fill = Image.Resampling.BILINEAR, 0.0
    else:
        image = Image.fromarray(array.astype(np.uint8), mode="L")
        method, fill = Image.Resampling.NEAREST, 0
    out = np.asarray(image.transform(image.size, Image.Transform.AFFINE, data, method, fillcolor=fill))
    return out.astype(bool) if array.dtype == bool else out


def levelled(xray: XRay, degrees: float) -> XRay:
    """The film turned level (float pixels), at most :data:`LEVEL_SIDE` on its longer side (the spacing follows)."""
    height, width = xray.shape
    scale = min(1.0, LEVEL_SIDE / max(height, width))
    if scale == 1.0:
        return XRay(turn(xray.pixels, degrees), xray.spacing, xray.source)
    rows, cols = max(1, round(height * scale)), max(1, round(width * scale))
    spacing = (xray.spacing[0] * height / rows, xray.spacing[1] * width / cols) if xray.spacing else None
    return XRay(turn(resize_xray(xray, rows, cols), degrees), spacing, xray.source)


def _back(array: np.ndarray | None, degrees: float, shape: tuple[int, int]) -> np.ndarray | None:
    """A levelled result's array turned back, then enlarged to ``shape`` where the film was levelled as a smaller
    copy (labels and masks smoothly, as the pipeline enlarges them; probabilities bilinearly)."""
    if array is None or array.size == 0:
        return array
    out = turn(array, degrees, back=True)
    if out.shape == shape:
        return out
    if out.dtype == np.uint8:
        return upsample_labels(out, shape)
    return upsample_mask(out, *shape) if out.dtype == bool else resize_float(out, *shape)


def turned_back(result: SegmentationResult, original: XRay, degrees: float) -> SegmentationResult:
    """A result of the levelled film on the film as it came: arrays turned back (and enlarged to its size), the lung
    and heart areas counted again on them (the CTR stays as measured across the levelled chest, its widths in the
    film's own pixels), flag :data:`FLAG`."""
    shape = original.shape
    labels, heart = _back(result.labels, degrees, shape), _back(result.heart, degrees, shape)
    same_size = result.labels.shape == shape
    mask = _back(result.mask, degrees, shape) if same_size else np.isin(labels, (RIGHT_LUNG, LEFT_LUNG))
    m = result.measurements
    counted = measure(labels, m["mean_confidence"], original.spacing)
    measurements = m | {k: counted[k] for k in RECOUNTED}
    if heart is not None and "heart_area_px" in m:
        redone = heart_measurements(heart, mask, original.spacing)
        measurements |= {k: redone[k] for k in ("heart_area_px", "heart_area_mm2")}
        widen = shape[1] / result.labels.shape[1]
        if widen != 1.0:  # a smaller copy's widths, in the film's own pixels
            measurements |= {k: round(m[k] * widen) for k in ("heart_width_px", "thorax_width_px")}
    add_flag(measurements, FLAG)
    return replace(result, mask=mask, labels=labels, heart=heart, probabilities=_back(result.probabilities, degrees,
                   shape), measurements=measurements, xray=original, tilt=round(degrees, 1))  # fmt: skip


def levelled_overlay(image: np.ndarray, labels: np.ndarray, heart: np.ndarray | None, degrees: float) -> Image.Image:
    """The overlay of a film segmented levelled, on the film as it came: tints and outlines where its masks are, and
    the CTR's two widths drawn across the levelled chest and turned back with it, so that they lie across the tilted
    chest as the CTR was measured (horizontal lines would cross it askew)."""
    index = overlay_indexed(image, labels)
    if heart is not None and heart.any():
        lines = np.zeros(labels.shape, np.uint8)
        lungs = (labels == RIGHT_LUNG) | (labels == LEFT_LUNG)
        draw_ctr_lines(lines, turn(heart, degrees), turn(lungs, degrees), line_thickness(labels.shape))
        back = turn(lines, degrees, back=True)
        index[back > 0] = back[back > 0]
    return palette_image(index)


def segmented_level(seg: Segmenter, item: dict, result: SegmentationResult) -> SegmentationResult:
    """``result``, or, where its lungs lie more than :data:`TILT_BEYOND` off level, the film segmented levelled and
    turned back (:func:`turned_back`), unless the lung model is not surer (by :data:`SURER_BY`; by
    :data:`SURER_NEAR_LEVEL` for a film read within :data:`SURE_BEYOND`) of the lungs levelled. Where the levelled
    lungs still read more than :data:`RESIDUAL_BEYOND` off level (a first pass that lost part of a lung reads the tilt
    short or long), the film is turned by that much more, up to :data:`PASSES` passes; the surest pass stands. Runs
    where the orientation check does (``orientation="auto"``); a film turned by quarter turns was levelled in that
    pass."""
    if seg.orientation_check is None or not result.ok or result.xray is None or result.turns or "tilt" in item:
        return result
    degrees = tilt_of(result.labels)
    best, best_degrees = result, 0.0
    margin = SURER_BY if abs(degrees) > SURE_BEYOND else SURER_NEAR_LEVEL
    for _ in range(PASSES if degrees else 0):
        level = segmented_again(seg, item, result, levelled(result.xray, degrees), tilt=degrees)
        if not level.ok:
            break
        if upright_is_surer(level, best, margin):
            best, best_degrees, margin = level, degrees, 0.0
        residual = lung_axis_degrees(level.labels) - LEVEL
        if math.isnan(residual) or abs(residual) <= RESIDUAL_BEYOND:
            break
        degrees += residual
    return result if best is result else turned_back(best, result.xray, best_degrees)
