"""The view check: a 64 px thumbnail of the whole input through the bundled :class:`ViewNet`.

Its logit (positive: not a frontal chest X-ray) is one of the quality model's features. The thumbnail is
standardised per image, so a film's windowing does not matter and a blank image becomes all zeros.
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np
import torch

from lungseg.inference.preprocess import resize_float
from lungseg.io.reader import XRay
from lungseg.model.fuse import fused_for_inference
from lungseg.model.pretrained import PRETRAINED, VIEW_MODEL, resolve_pretrained
from lungseg.model.viewnet import ViewNet, load_view_model

MIN_STD = 0.005  # below this an image counts as flat: its faint texture is not amplified into a picture


def thumbnail(pixels: np.ndarray | XRay, size: int = 64) -> np.ndarray:
    """(size, size) float32: the image (any shape, values in [0, 1]) squeezed to a square, zero mean, unit
    standard deviation (clipped to +-5). Strided to at most 4x the size first: cheap on a 5000x6000 film."""
    step = max(1, min(pixels.shape) // (4 * size))
    small = resize_float(np.asarray(pixels[::step, ::step], np.float32), size, size)
    std = float(small.std())
    return np.clip((small - small.mean()) / max(std, MIN_STD), -5, 5).astype(np.float32)


@cache
def bundled_view_model() -> ViewNet | None:
    """The shipped view model, its BatchNorms folded and channels-last (half the time of the plain module on a
    CPU, the same logit to 1e-6); None if this build has none (the quality model then runs without it)."""
    if VIEW_MODEL not in PRETRAINED:
        return None
    model = fused_for_inference(load_view_model(resolve_pretrained(VIEW_MODEL))[0])
    return model.to(memory_format=torch.channels_last)


def not_frontal_logit(pixels: np.ndarray | XRay, model: ViewNet | None = None) -> float:
    """Logit of P(not a frontal chest X-ray) for one image; NaN when no view model is at hand."""
    model = model if model is not None else bundled_view_model()
    if model is None:
        return math.nan
    x = torch.from_numpy(thumbnail(pixels, model.config.size))[None, None].contiguous(memory_format=torch.channels_last)
    with torch.inference_mode():
        return float(model(x)[0])
