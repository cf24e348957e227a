"""A learned shape prior: lung zones lost under opacity, grown back from the shape of what the lung model found
and from the film.

Where disease makes a zone of a lung opaque (consolidation, effusion, white-out), a segmentation model trained
on aerated lung tends to stop where the opacity starts. The bundled shape model (``lungseg-shape``, a small
U-Net at 128 px, ``benchmarks/shape_model.py --image``) takes the lungs found and the film, and returns the
probability of whole lungs: it learned from manual masks with zones taken away and painted opaque on the film,
so it can tell a base lost under fluid from a high diaphragm, whose edge the film shows (its mask-only
predecessor could not, and ran bases into the liver on adult films: ``MODEL_CARD.md``, round 15). The lungs are
grown where it is above ``THRESHOLD``, in pieces at least ``MIN_WIDTH`` wide at its scale (not the rim that
resampling its outline leaves), outside the heart and where the lung model's own probability is above
``FLOOR``, if that adds more than ``MIN_GAIN`` of their area. Since round 32 it also learned to take away what
is not lung (a gastric bubble under a lung, the mediastinum joining both): the lungs lose what it puts below
``REMOVE_BELOW``, in pieces at least ``REMOVE_WIDTH`` wide. Since round 35 growth may enter the heart found
(``HEART_BLOCKS`` False: where opaque lung was taken for heart). Since round 39 it also learned from a failing lung
model's own lungs on adult films with dense disease drawn, and grows with no floor. All seven were chosen on
validation films (``benchmarks/shape_model_image_children_real_extras_adult_6k.md``, round 39). Since round 54, where
both lungs were found (:func:`two_lungs_found`), it grows no piece apart from them (on a flat, off-centre film one
grown on the dark field beside the body had displaced a lung found); since round 55 only pieces outside the
columns the lungs span (a piece at a shutter's edge taken for a lung, the real lung grown between the two); since
round 58 a completion that joins two lungs found into one is not used (a ghost lung followed on a zoomed-out film). It
runs by default after the bundled default model (round 16) and, for other models, when asked; the mirror-image
completion of :mod:`lungseg.inference.shape_prior` runs after it either way.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import cache

import numpy as np
from PIL import Image

from lungseg.inference.ctr import cardiothoracic_ratio
from lungseg.inference.film_bands import flat_bands, outside_bands
from lungseg.inference.lazy_scipy import ndimage
from lungseg.inference.postprocess import EIGHT, clean_lung_labels, fill_holes
from lungseg.inference.preprocess import equalize_histogram, preview_xray, resize_float, sigmoid, to_byte_mask
from lungseg.io.reader import XRay
from lungseg.model.pretrained import PRETRAINED, SHAPE_MODEL, resolve_pretrained

THRESHOLD = 0.5  # a pixel is whole lung where the shape model's probability is above this
MIN_GAIN = 0.02  # grow the lungs only when that adds more than this share of their area (0: any growth)
FLOOR = 0.0  # ... and only where the lung model's probability is above this (0.05 until round 39)
MIN_WIDTH = 0  # ... in pieces at least about twice this many shape-model pixels wide (0: any)
REMOVE_BELOW = 0.5  # take lung away where the shape model's probability is below this (0: never; rounds 32, 35)
REMOVE_WIDTH = 1  # ... in pieces at least about twice this many shape-model pixels wide
HEART_BLOCKS = False  # grow lung into the heart found too: opaque lung taken for heart (round 35)
ATTACHED = False  # grow only pieces that touch the lungs found (a lost lung: its largest piece); round 44: off
LATERAL = False  # drop only the pieces apart from the lungs found and outside their columns; round 45: off
MIRROR_MARGIN = 0.0  # > 0: with both lungs found, grow only within their mirrored columns widened by this share
BOUND_RATIO = 0.25  # ... when the smaller lung found holds at least this share of the larger's area
BOUND_COVER = 0.02  # ... and both together at least this share of the image (0.05 until round 60: a small chest)
MIN_KEPT = 0.0  # > 0: a completion that keeps less than this share of the lungs found is not used (round 51)
APART_WHEN_PAIRED = True  # with both lungs found (BOUND_RATIO, BOUND_COVER), no growth apart from them (round 54)
APART_LATERAL = True  # ... dropping only pieces whose centre lies outside the lungs' columns (round 55)
SHUTTER_BANDS = False  # no growth in flat bands at the film's edges (shutters, padding; round 56)
KEEP_PAIR = True  # with both lungs found, a completion that leaves fewer than two lungs is not used (round 58)
APEX_CAP = False  # round 68: no growth above the highest apex found (read at each call)
HEART_RATIO_OPEN = 0.0  # round 70: > 0, growth enters the heart only where heart / thorax width is at least this
# (N, C, S, S) float32: masks 0/1 (and, with ``.channels`` 2, the film) -> (N, 1, S, S) logits of whole lungs,
# with ``.size`` = S
ShapeModel = Callable[[np.ndarray], np.ndarray]


def shape_input(lungs: np.ndarray, size: int) -> np.ndarray:
    """(1, 1, size, size) float32 0/1: the lungs box-averaged to ``size`` and cut at half (how the model's
    training masks were made)."""
    small = Image.fromarray(to_byte_mask(lungs)).resize((size, size), Image.Resampling.BOX)
    return (np.asarray(small) > 127).astype(np.float32)[None, None]


def shape_image(xray: XRay, size: int, equalize: bool = True) -> np.ndarray:
    """(size, size) float32 [0, 1]: the film as an image-aware shape model sees it (scaled down, then
    histogram-equalised like the lung model's input)."""
    small = preview_xray(xray, size, size)
    return equalize_histogram(small) if equalize else small


def whole_lungs(lungs: np.ndarray, model: ShapeModel, image: np.ndarray | None = None) -> tuple[np.ndarray, ...]:
    """(the shape model's input mask, its probability of whole lungs), both (S, S) at its side S; ``image``
    (:func:`shape_image`) is its second input channel, for a model that takes the film."""
    x = shape_input(lungs, model.size)
    if image is not None:
        x = np.concatenate([x, image.astype(np.float32)[None, None]], axis=1)
    return x[0, 0] > 0, sigmoid(model(x)[0, 0])


def wide_growth(found: np.ndarray, whole: np.ndarray, threshold: float, width: int) -> np.ndarray:
    """(S, S) bool: where the shape model adds lung in pieces at least about ``2 * width`` of its pixels wide
    (an opening): a zone put back, not the rim of a pixel or two that resampling a 128 px outline leaves
    around every lung. Widened by a pixel, so that a piece still meets the lung it grows from once resampled
    (the caller keeps only the pixels the shape model adds at full size)."""
    wide = ndimage().binary_opening((whole > threshold) & ~found, iterations=width)
    return ndimage().binary_dilation(wide) if wide.any() else wide


def complete_shape(
    labels: np.ndarray,
    heart: np.ndarray | None,
    model: ShapeModel | None,
    threshold: float = THRESHOLD,
    min_gain: float = MIN_GAIN,
    smooth_fraction: float = 0.0,
    prob: np.ndarray | None = None,
    floor: float = FLOOR,
    image: np.ndarray | None = None,
    min_width: int = MIN_WIDTH,
    remove_below: float = REMOVE_BELOW,
    remove_width: int = REMOVE_WIDTH,
    heart_blocks: bool = HEART_BLOCKS,
    attached: bool = ATTACHED,
    lateral: bool = LATERAL,
    mirror_margin: float = MIRROR_MARGIN,
    min_kept: float = MIN_KEPT,
    apart_when_paired: bool = APART_WHEN_PAIRED,
    apart_lateral: bool = APART_LATERAL,
    shutter_bands: bool = SHUTTER_BANDS,
    keep_pair: bool = KEEP_PAIR,
) -> np.ndarray:
    """Lung labels (0/1/2, post-processed) grown by the shape model where it adds more than ``min_gain`` of the
    lung area outside ``heart``, in pieces at least ``min_width`` wide (0: any) and, given the lung model's
    probabilities ``prob``, only where they are above ``floor`` (the film must show some sign of lung there:
    a mask alone cannot tell a lost base from a high diaphragm); with ``remove_below`` > 0, lung taken away
    where the shape model is below it, in pieces at least ``remove_width`` wide (a gastric bubble or the
    mediastinum taken for lung). The same labels otherwise (or without a model, or without lungs). ``image``
    goes to a shape model that takes the film. ``heart_blocks`` False: growth may enter ``heart`` too (where
    opaque lung was taken for heart). ``attached``: only pieces of growth that touch the lungs found, and where a lung
    is missing the largest piece apart from them (a lung put back whole), never a piece in the field beside the body
    (round 43: on flat, off-centre films the shape model grew lung into the noisy padding). ``lateral``: the same,
    but a piece apart from the lungs found is dropped only when its centre lies outside their columns (round 45).
    ``mirror_margin`` > 0: growth only within :func:`thorax_columns` (round 47: sideways growth into the arms).
    ``min_kept`` > 0: where the completion would keep less than that share of the lungs found, the lungs found stand
    (round 51: a lung found right taken away, and one grown on the dark field beside the body instead).
    ``apart_when_paired``: where :func:`two_lungs_found`, only growth that touches them (round 54: a piece grown on the
    dark field beside the body displaced a lung found); ``apart_lateral``: of those pieces, drop only the ones whose
    centre lies outside the lungs' columns (round 55: a piece at a shutter's edge taken for the other lung, and the
    real lung grown between the two, dropped). ``shutter_bands``: no growth in a flat band at the edges of ``image``
    (:func:`film_bands.flat_bands`; round 56: lung grown into a shutter band above the apices). ``keep_pair``: where
    :func:`two_lungs_found`, a completion that leaves fewer than two lungs is not used (round 58: the lungs joined into
    one piece on a film zoomed out, and the mirror-image completion then drew a ghost lung)."""
    if model is None:
        return labels
    lungs = labels > 0
    if not lungs.any():
        return labels
    takes_film = getattr(model, "channels", 1) == 2
    if takes_film and image is None:
        raise ValueError("this shape model takes the film too: pass image=shape_image(xray, model.size)")
    found, whole = whole_lungs(lungs, model, image if takes_film else None)
    opening = HEART_RATIO_OPEN  # read at the call (round 70)
    blocks = heart_blocks or (opening > 0 and heart is not None and width_ratio(heart, lungs) < opening)
    added = grown(lungs, found, whole, heart if blocks else None, prob, threshold, floor, min_width)
    if added is not None and added.sum() <= min_gain * lungs.sum():
        added = None  # the steps below only take growth away: too small now is too small after them (#11: most films)
    if added is not None and (attached or lateral):
        one_lung = not both_labels(labels)
        added = attached_growth(added, lungs, one_lung, within_columns=lateral)
    if added is not None and apart_when_paired and two_lungs_found(labels):
        added = attached_growth(added, lungs, one_lung=False, within_columns=apart_lateral)
    if added is not None and mirror_margin > 0:
        added = within_columns(added, thorax_columns(labels, mirror_margin))
    if added is not None and shutter_bands and image is not None:
        added = outside_bands(added, flat_bands(image))
    if added is not None and APEX_CAP:
        added = below_apex(added, lungs)
    if added is not None and added.sum() <= min_gain * lungs.sum():
        added = None
    removed = taken_away(lungs, found, whole, remove_below, remove_width) if remove_below > 0 else None
    if added is None and removed is None:
        return labels  # most films: nothing to change
    kept = lungs if removed is None else lungs & ~removed
    out = clean_lung_labels(fill_holes(kept if added is None else kept | added), smooth_fraction)
    if min_kept > 0 and ((out > 0) & lungs).sum() < min_kept * lungs.sum():
        return labels
    if keep_pair and not both_labels(out) and two_lungs_found(labels):
        return labels
    return out


def width_ratio(heart: np.ndarray, lungs: np.ndarray) -> float:
    """The heart's width over the lungs' outer width, in columns (the cardiothoracic ratio's form); 0 where either is
    empty. Round 70 (not shipped: the children's films lost what round 35 gave them) kept growth out of a heart under
    :data:`HEART_RATIO_OPEN` of that width."""
    ratio = cardiothoracic_ratio(heart, lungs).ratio
    return 0.0 if math.isnan(ratio) else ratio


def below_apex(added: np.ndarray, lungs: np.ndarray) -> np.ndarray | None:
    """``added`` without the rows above the highest row of ``lungs``; None where nothing is left. Round 68 (not
    shipped: too small a gain) tried it against growth above the apices on shuttered portable films; a zone lost under
    opacity still grows back up to the other lung's apex."""
    out = added.copy()
    out[: int(np.argmax(lungs.any(axis=1)))] = False
    return out if out.any() else None


def both_labels(labels: np.ndarray) -> bool:
    """Whether ``labels`` hold both lungs (1 and 2); two vectorised checks, not a sort of every pixel."""
    return bool((labels == 1).any() and (labels == 2).any())


def grown(lungs: np.ndarray, found: np.ndarray, whole: np.ndarray, heart: np.ndarray | None,
          prob: np.ndarray | None, threshold: float, floor: float, min_width: int) -> np.ndarray | None:
    """(H, W) bool: where :func:`complete_shape` would grow ``lungs``, or None where nowhere (no full-size work
    done then)."""
    core = wide_growth(found, whole, threshold, min_width) if min_width > 0 else None
    if core is not None and not core.any():
        return None
    added = (resize_float(whole, *lungs.shape) > threshold) & ~lungs
    if core is not None:
        added &= resize_float(core.astype(np.float32), *lungs.shape) > 0.5
    if heart is not None:
        added &= ~heart
    if prob is not None:
        added &= prob > floor
    return added if added.any() else None


def attached_growth(
    added: np.ndarray, lungs: np.ndarray, one_lung: bool, within_columns: bool = False
) -> np.ndarray | None:
    """The pieces (8-connected) of ``added`` that touch ``lungs``; with ``within_columns`` also those whose centre lies
    within the lungs' columns (between or below pieces of lung); with ``one_lung`` also the largest piece apart from
    them (the other lung, put back whole). None where nothing is left."""
    pieces, n = ndimage().label(added, structure=EIGHT)
    if n == 0:
        return None
    keep = np.zeros(n + 1, bool)
    keep[np.unique(pieces[ndimage().binary_dilation(lungs, structure=EIGHT) & added])] = True
    sizes = np.bincount(pieces.ravel(), minlength=n + 1)
    if within_columns:  # each piece's mean column (scipy's center_of_mass loops over the pieces in Python: slow)
        cols = np.flatnonzero(lungs.any(axis=0))
        column_sums = np.bincount(pieces.ravel(), np.tile(np.arange(pieces.shape[1]), pieces.shape[0]), n + 1)
        centres = column_sums[1:] / sizes[1:]
        keep[1:] |= (centres >= cols[0]) & (centres <= cols[-1])
    keep[0] = False
    if one_lung:
        sizes[0], sizes[keep] = 0, 0
        if sizes.max() > 0:
            keep[int(np.argmax(sizes))] = True
    out = keep[pieces]
    return out if out.any() else None


def thorax_columns(labels: np.ndarray, margin: float) -> tuple[int, int] | None:
    """(first, last) column of the thorax the two lungs found (labels 1 and 2) bound: ``mid`` +- ``W * (1 +
    margin)``, ``mid`` halfway between their inner edges, ``W`` the farther outer edge's distance from it (each
    lung, mirrored, bounds the other side: a lung lost in part is grown back no wider than its partner). None
    unless both are lungs enough to bound anything (:data:`BOUND_RATIO`, :data:`BOUND_COVER`; round 48: a sliver at
    the film's edge or two specks put the bound in the wrong place): a lung lost whole has no bound."""
    if not two_lungs_found(labels):
        return None
    sides = [labels == side for side in (1, 2)]
    cols = [np.flatnonzero(s.any(axis=0)) for s in sides]
    left, right = sorted(cols, key=lambda c: c.mean())
    mid = (left[-1] + right[0]) / 2
    half = max(mid - left[0], right[-1] - mid) * (1 + margin)
    return max(int(np.floor(mid - half)), 0), int(np.ceil(mid + half))


def two_lungs_found(labels: np.ndarray) -> bool:
    """Whether labels 1 and 2 look like two lungs, not a lung and a sliver or two specks: the smaller holds at least
    :data:`BOUND_RATIO` of the larger's area and both together :data:`BOUND_COVER` of the image (round 48)."""
    sizes = sorted(int((labels == side).sum()) for side in (1, 2))
    return sizes[0] >= BOUND_RATIO * sizes[1] and sum(sizes) >= BOUND_COVER * labels.size


def within_columns(added: np.ndarray, columns: tuple[int, int] | None) -> np.ndarray | None:
    """``added`` outside ``columns`` (first, last) taken away; None where nothing is left."""
    if columns is None:
        return added
    out = added.copy()
    out[:, : columns[0]] = False
    out[:, columns[1] + 1 :] = False
    return out if out.any() else None


def taken_away(lungs: np.ndarray, found: np.ndarray, whole: np.ndarray, below: float,
               width: int) -> np.ndarray | None:
    """(H, W) bool: the found lung where the shape model's probability is below ``below``, in pieces at least
    about ``2 * width`` of its pixels wide (not the rim its smoother outline leaves); None where there is none."""
    wide = ndimage().binary_opening(found & (whole < below), iterations=width)
    if not wide.any():
        return None
    removed = (resize_float(ndimage().binary_dilation(wide).astype(np.float32), *lungs.shape) > 0.5) & lungs
    return removed & (resize_float(whole, *lungs.shape) < below) if removed.any() else None


def shape_model_file(path) -> ShapeModel:
    """A shape model from a checkpoint file (``benchmarks/shape_model.py``), run by PyTorch."""
    from lungseg.inference.view import TorchViewModel
    from lungseg.model.checkpoint import load_model

    model, payload = load_model(path)
    return TorchViewModel(model.float(), int(payload["train_config"]["image_size"]))


@cache
def bundled_shape_model(backend: str = "torch") -> ShapeModel | None:
    """The shipped shape model run by ``backend``; None if this build has none (no completion then)."""
    if SHAPE_MODEL not in PRETRAINED:
        return None
    if backend == "onnxruntime":
        from lungseg.inference.onnx_backend import bundled_onnx

        return bundled_onnx(SHAPE_MODEL, threads=1)  # a 128 px pass: a thread pool costs more than it saves
    return shape_model_file(resolve_pretrained(SHAPE_MODEL))
