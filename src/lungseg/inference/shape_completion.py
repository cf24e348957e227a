"""A learned shape prior (opt-in, ``--shape-model``): lung zones lost under opacity, grown back from the shape of
what the lung model found.

Where disease makes a zone of a lung opaque (consolidation, effusion, white-out), a segmentation model trained
on aerated lung tends to stop where the opacity starts. The bundled shape model (``lungseg-shape``, a small
U-Net on 128 px masks, ``benchmarks/shape_model.py``) has learned from manual masks alone what the rest of a
lung looks like: it takes the lungs found and returns the probability of whole lungs. The lungs are grown where
it is above ``THRESHOLD``, outside the heart and where the lung model's own probability is above ``FLOOR``, if
that adds more than ``MIN_GAIN`` of their area; the three were chosen on validation films
(``benchmarks/shape_model.md``). It is off by default: it gains on sick children's films and costs adult films
(a mask alone cannot tell a lost base from a high diaphragm; ``MODEL_CARD.md``, round 15). The mirror-image
completion of :mod:`lungseg.inference.shape_prior` runs after it either way.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import numpy as np
from PIL import Image

from lungseg.inference.postprocess import clean_lung_labels, fill_holes
from lungseg.inference.preprocess import resize_float, sigmoid, to_byte_mask
from lungseg.model.pretrained import PRETRAINED, SHAPE_MODEL, resolve_pretrained

THRESHOLD = 0.7  # a pixel is whole lung where the shape model's probability is above this
MIN_GAIN = 0.0  # grow the lungs only when that adds more than this share of their area (0: any growth)
FLOOR = 0.05  # ... and only where the lung model's probability is above this
# (N, 1, S, S) masks as float32 0/1 -> (N, 1, S, S) logits of whole lungs, with ``.size`` = S
ShapeModel = Callable[[np.ndarray], np.ndarray]


def shape_input(lungs: np.ndarray, size: int) -> np.ndarray:
    """(1, 1, size, size) float32 0/1: the lungs box-averaged to ``size`` and cut at half (how the model's
    training masks were made)."""
    small = Image.fromarray(to_byte_mask(lungs)).resize((size, size), Image.Resampling.BOX)
    return (np.asarray(small) > 127).astype(np.float32)[None, None]


def whole_lungs(lungs: np.ndarray, model: ShapeModel) -> np.ndarray:
    """The shape model's probability of whole lungs, float32 at the shape of ``lungs``."""
    return resize_float(sigmoid(model(shape_input(lungs, model.size))[0, 0]), *lungs.shape)


def complete_shape(
    labels: np.ndarray,
    heart: np.ndarray | None,
    model: ShapeModel | None,
    threshold: float = THRESHOLD,
    min_gain: float = MIN_GAIN,
    smooth_fraction: float = 0.0,
    prob: np.ndarray | None = None,
    floor: float = FLOOR,
) -> np.ndarray:
    """Lung labels (0/1/2, post-processed) grown by the shape model where it adds more than ``min_gain`` of the
    lung area outside ``heart`` and, given the lung model's probabilities ``prob``, only where they are above
    ``floor`` (the film must show some sign of lung there: a mask alone cannot tell a lost base from a high
    diaphragm); the same labels otherwise (or without a model, or without lungs)."""
    if model is None:
        return labels
    lungs = labels > 0
    if not lungs.any():
        return labels
    added = (whole_lungs(lungs, model) > threshold) & ~lungs
    if heart is not None:
        added &= ~heart
    if prob is not None:
        added &= prob > floor
    if added.sum() <= min_gain * lungs.sum():
        return labels
    return clean_lung_labels(fill_holes(lungs | added), smooth_fraction)


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
