"""A film stored on its side or upside down: segmented turned upright, its outputs handed back as it came.

Films on their side or upside down reach users (a portable detector read in landscape, an export that lost its
orientation tag). The lung model has only seen upright chests: turned by a quarter turn such a film scored Dice
0.29-0.41 on the validation films, by a half turn 0.65, all flagged ``not_frontal_cxr``. The bundled view model was
trained with turned and upside-down films as its negatives, so of a film's four quarter turns the upright one is the
one it calls frontal (on all 523 validation and test films, adult and children's: ``benchmarks/orientation.md``).

The check costs nothing on an upright film: it runs only on a film whose view logit (already computed for the
quality score) says "not frontal", then on its 64 px thumbnail turned three ways in one small pass. The film is
segmented again turned upright (the whole chain: polarity, crop, model, completion, heart, measures, so the
cardiothoracic ratio measures widths across the chest), and the masks, labels, heart and probabilities are turned
back to the input's own orientation (flag ``turned_input``; ``turns`` on the result says by how much).
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from lungseg.inference.pipeline import SegmentationResult, add_flag, load_input
from lungseg.inference.polarity import FLAG as POLARITY_FLAG
from lungseg.inference.prepare import crop_view
from lungseg.inference.view import ViewModel, not_frontal_logit, thumbnail
from lungseg.io.reader import XRay

if TYPE_CHECKING:
    from lungseg.inference.segmenter import Segmenter

FLAG = "turned_input"
ORIENTATIONS = ("auto", "keep")
TURN_ABOVE = 0.0  # a film whose view logit (positive: not frontal) is above this has its quarter turns tried ...
TURN_BELOW = -1.0  # ... and is turned to the one whose logit is lowest when that is below this ...
TURN_MARGIN = 2.0  # ... and this much below the film's own. Chosen on validation films with a portable film's look
# (benchmarks/orientation.md): at 0 and no margin one upright film of 200, unsure both ways (0.67 as it came, -0.45
# turned), was turned; a wrong turn costs a film its lungs, a turn missed leaves it as it was before this check
UNDO = {1: Image.Transpose.ROTATE_270, 2: Image.Transpose.ROTATE_180, 3: Image.Transpose.ROTATE_90}  # PIL's undo


def check_orientation(orientation: str) -> str:
    """``orientation`` if it is one of :data:`ORIENTATIONS`, else a ValueError that names them."""
    if orientation not in ORIENTATIONS:
        raise ValueError(f"unknown orientation {orientation!r}; use one of {', '.join(ORIENTATIONS)}")
    return orientation


def quarter_turns(xray: XRay, model: ViewModel, logit: float | None = None) -> int:
    """k in 0-3: ``np.rot90(film, k)`` is the upright film (0: as it came). ``logit``: the view logit the quality score
    already has (of the part of the film the model saw), else the film's own; above :data:`TURN_ABOVE`, the film's
    thumbnail as it came and turned three ways go through ``model`` in one batch, and the lowest turn wins if it is
    below :data:`TURN_BELOW` and :data:`TURN_MARGIN` below the film's own (the same thumbnail for all four)."""
    if logit is None:
        logit = not_frontal_logit(xray, model)
    if math.isnan(logit) or logit <= TURN_ABOVE:
        return 0  # an upright film: no thumbnail made, no pass run (the quality score's logit said so)
    thumb = thumbnail(xray, model.size)
    turns = np.ascontiguousarray(np.stack([np.rot90(thumb, k) for k in range(4)])[:, None])
    return turn_for(np.asarray(model(turns), np.float32).reshape(-1))


def turn_for(logits: np.ndarray) -> int:
    """The rule on a film's four view logits (as it came, then turned by one, two and three quarter turns): the
    lowest turn if the film as it came is above :data:`TURN_ABOVE` and that turn below :data:`TURN_BELOW` and
    :data:`TURN_MARGIN` below it; else 0."""
    best = int(np.argmin(logits[1:])) + 1
    return best if logits[0] > TURN_ABOVE and logits[best] < min(TURN_BELOW, logits[0] - TURN_MARGIN) else 0


def turned(xray: XRay, k: int) -> XRay:
    """``xray`` turned by ``k`` quarter turns counter-clockwise (a copy of its integers; the spacing follows)."""
    spacing = xray.spacing[::-1] if xray.spacing is not None and k % 2 else xray.spacing
    return XRay(np.ascontiguousarray(np.rot90(xray.data, k)), spacing, xray.source, xray.scale, xray.offset)


def turned_back(result: SegmentationResult, original: XRay, k: int) -> SegmentationResult:
    """A result of the film turned by ``k``, in the orientation ``original`` came in: its arrays turned back, the
    film's own size in the measurements (the widths and the CTR stay as measured across the upright chest)."""

    def back(array: np.ndarray | None) -> np.ndarray | None:
        return array if array is None or array.size == 0 else np.ascontiguousarray(np.rot90(array, -k))

    height, width = original.shape
    measurements = result.measurements | {"width": width, "height": height}
    add_flag(measurements, FLAG)
    return replace(result, mask=back(result.mask), labels=back(result.labels), heart=back(result.heart),
                   probabilities=back(result.probabilities), measurements=measurements, xray=original, turns=k)


def undo_turn(image: Image.Image, k: int) -> Image.Image:
    """A picture drawn on the upright film (an overlay), turned back by ``k`` quarter turns."""
    return image.transpose(UNDO[k]) if k % 4 else image


def segmented_upright(seg: Segmenter, item: dict, result: SegmentationResult) -> SegmentationResult:
    """``result`` of ``item``, or, where ``seg``'s orientation check (its view model) finds the film turned, the
    result of the film segmented upright and turned back (:func:`turned_back`), unless the lung model is less sure of
    the lungs upright (:func:`upright_is_surer`). An item turned here is not checked again, and a film that fails
    upright keeps its first result."""
    model = seg.orientation_check
    if model is None or not result.ok or item.get("turns") or "tilt" in item or result.xray is None:
        return result
    k = quarter_turns(result.xray, model, (result.quality_features or {}).get("view"))
    if not k:
        return result
    upright = segmented_again(seg, item, result, turned(result.xray, k), turns=k)
    if not upright.ok or not upright_is_surer(upright, result):
        return result
    return turned_back(upright, result.xray, k)


def segmented_again(seg: Segmenter, item: dict, result: SegmentationResult, xray: XRay, **mark) -> SegmentationResult:
    """``result``'s film redrawn (``xray``: turned upright or levelled, from the grey scale as segmented) and segmented
    again by the whole chain; ``mark`` (``turns=k`` or ``tilt=degrees``) keeps the orientation checks off it. A film the
    first pass turned back from an inverted grey scale keeps its flag: the film here is already the right way round."""
    again = load_input(xray, item["index"], seg.image_size, seg.intensity, view=crop_view(seg))
    inverted = POLARITY_FLAG in result.measurements.get("flags", "").split(";")
    return seg.segment_prepared([{**again, "source": item["source"], "inverted": inverted, **mark}])[0]


def upright_is_surer(upright: SegmentationResult, as_came: SegmentationResult, margin: float = 0.0) -> bool:
    """The lung model's veto: a turn stands only where the lungs found upright are held with more confidence (by more
    than ``margin``) than those found as the film came (a frontal chest turned on its side gives the model little it is
    sure of); no lung found as it came counts as no confidence (its score is 1.0 then: nothing uncertain either)."""
    came = as_came.measurements
    before = came["mean_confidence"] if came.get("area_px", 1) else 0.0
    return upright.measurements["mean_confidence"] > before + margin
