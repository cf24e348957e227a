"""The view check: a 64 px thumbnail of the whole input through the bundled :class:`ViewNet`.

Its logit (positive: not a frontal chest X-ray) is one of the quality model's features. The thumbnail is
standardised per image, so a film's windowing does not matter and a blank image becomes all zeros. It runs
with the segmentation model's backend: PyTorch, or ONNX Runtime (then without importing torch).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import cache
from pathlib import Path

import numpy as np

from lungseg.inference.preprocess import resize_float
from lungseg.io.reader import XRay
from lungseg.model.pretrained import PRETRAINED, VIEW_MODEL, resolve_pretrained

MIN_STD = 0.005  # below this an image counts as flat: its faint texture is not amplified into a picture
# (N, 1, S, S) standardised thumbnails -> (N,) logits, with ``.size`` = S (TorchViewModel, or OnnxModel)
ViewModel = Callable[[np.ndarray], np.ndarray]


def thumbnail(pixels: np.ndarray | XRay, size: int = 64) -> np.ndarray:
    """(size, size) float32: the image (any shape, values in [0, 1]) squeezed to a square, zero mean, unit
    standard deviation (clipped to +-5). Strided to at most 4x the size first: cheap on a 5000x6000 film."""
    step = max(1, min(pixels.shape) // (4 * size))
    small = resize_float(np.asarray(pixels[::step, ::step], np.float32), size, size)
    std = float(small.std())
    return np.clip((small - small.mean()) / max(std, MIN_STD), -5, 5).astype(np.float32)


class TorchViewModel:
    """A small CNN (a :class:`ViewNet`, or the shape model's U-Net) as a numpy predictor (``size``: its input
    side, a ViewNet's own by default), BatchNorms folded and channels-last (half the time of the plain module on
    a CPU, the same logit to 1e-6)."""

    def __init__(self, model, size: int | None = None) -> None:
        import torch

        from lungseg.model.fuse import fused_for_inference

        self.size = size or model.config.size
        self.channels = getattr(model.config, "in_channels", 1)  # a shape model may take the film too
        self.model = fused_for_inference(model).to(memory_format=torch.channels_last)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        import torch

        with torch.inference_mode():
            return self.model(torch.from_numpy(x).contiguous(memory_format=torch.channels_last)).numpy()


@cache
def bundled_view_model(backend: str = "torch", name: str = VIEW_MODEL) -> ViewModel | None:
    """A shipped thumbnail model (the view model, or the polarity model: the same network) run by ``backend``;
    None if this build has none (the quality model then runs without it)."""
    if name not in PRETRAINED:
        return None
    if backend == "onnxruntime":
        from lungseg.inference.onnx_backend import bundled_onnx

        return bundled_onnx(name, threads=1)  # a 64 px pass: a thread pool costs more than it saves
    return thumbnail_model_file(resolve_pretrained(name))


def thumbnail_model_file(path: str | Path) -> ViewModel:
    """A thumbnail model (:class:`ViewNet`) from a checkpoint file, run by PyTorch."""
    from lungseg.model.viewnet import load_view_model

    return TorchViewModel(load_view_model(path)[0])


def not_frontal_logit(pixels: np.ndarray | XRay, model: ViewModel | None = None, backend: str = "torch") -> float:
    """Logit of P(not a frontal chest X-ray) for one image; NaN when no view model is at hand."""
    model = model if model is not None else bundled_view_model(backend)
    if model is None:
        return math.nan
    return float(model(thumbnail(pixels, model.size)[None, None])[0])
