"""The inference steps as small pure functions, in the order they run:

read -> preprocess -> predict -> resize -> threshold -> post-process -> labels -> measure.

``Segmenter`` strings them together; training-time calibration and evaluation call the same steps,
so what is calibrated and scored is exactly what ``lungseg segment`` writes. Each step takes arrays
(or a predictor callable) and returns arrays, so each can be tested without a model.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from lungseg.inference.convention import anatomical_labels
from lungseg.inference.denoise import denoised
from lungseg.inference.measure import confidence, heart_measurements, measure
from lungseg.inference.postprocess import (
    HEART,
    bounding_box,
    clean_lung_labels,
    heart_postprocess,
    lung_labels,
    postprocess,
)
from lungseg.inference.preprocess import (
    normalize_intensity,
    resize_bilinear,
    resize_float,
    resize_xray,
    sigmoid,
    upsample_box,
    upsample_mask,
)
from lungseg.inference.quality import assess
from lungseg.inference.shape_completion import bundled_shape_model, complete_shape, shape_image
from lungseg.inference.shape_prior import complete_lungs
from lungseg.io.reader import XRay, from_array, read_xray

# Thresholding, post-processing and labels run at most at this side (a 2500x3000 film: 640x768), and
# the labels are upsampled once: the model sees 256 px, so finer processing adds time, not detail
# (benchmarks/processing_side.md: 1024 -> 768 changes the full-size Dice by -0.0001 or less on upscaled
# validation films, for 44% fewer pixels; 512 costs -0.0002)
PROCESSING_MAX_SIDE = 768
COMPLETED_SHARE = 0.02  # a completion that draws more than this share of the lung area sets lung_completed

# (N, 1, S, S) preprocessed batch -> (N, C, S, S) logits (a torch model, ONNX Runtime, a tiler or a test stub);
# numpy in and out, so these steps never import torch (the ONNX Runtime path starts a second sooner without it)
Predictor = Callable[[np.ndarray], np.ndarray]


@dataclass
class SegmentationResult:
    """Everything lungseg knows about one input; ``error`` is set (and arrays empty) if it failed."""

    source: str
    mask: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), bool))
    labels: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.uint8))
    probabilities: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32))
    measurements: dict = field(default_factory=dict)
    xray: XRay | None = None  # the input as read (its integer data kept; see XRay)
    error: str = ""
    heart: np.ndarray | None = None  # the heart mask at the input's size, when a heart model ran
    quality_features: dict | None = None  # what the quality score was computed from (see quality.py)
    turns: int = 0  # quarter turns the film was segmented at (orientation.py); the arrays are as the film came
    tilt: float = 0.0  # degrees the film was turned by to segment it level (deskew.py); the arrays are as it came

    @property
    def ok(self) -> bool:
        return not self.error

    @property
    def image(self) -> np.ndarray:
        """The input's pixels, float32 in [0, 1] at its own size (made on each call; empty after an error)."""
        return self.xray.pixels if self.xray is not None else np.zeros((0, 0), np.float32)


def as_xray(item: str | Path | np.ndarray | XRay) -> XRay:
    """Step 1: a file path, an image array or an XRay, read by the one reader."""
    if isinstance(item, XRay):
        return item
    if isinstance(item, str | Path):
        return read_xray(item)
    return from_array(item)


# what of a film the model sees: (that part of it, facts to keep in the item: a crop's box); see load_input
View = Callable[[XRay], tuple[XRay, dict]]


def load_input(
    item,
    index: int,
    size: int,
    intensity: str,
    read: Callable[[str | Path], XRay] = read_xray,
    view: View | None = None,
) -> dict:
    """Steps 1-2 for one input, never raising: a dict with ``index``, ``source``, and either
    ``xray`` + ``work`` or a one-line ``error`` naming the input (a batch of thousands goes on). A path is read
    by ``read`` (a :class:`~lungseg.inference.readahead.ReadAhead` hands over what it read while the model
    loaded). With ``view`` (:func:`~lungseg.inference.prepare.crop_view`) the part of the film the model will see
    is decided here and only that part is resized (#11: a cropped 2500x3000 film was resized whole, then again
    as its crop); the item says so (``viewed``) and carries the view's facts."""
    is_path = isinstance(item, str | Path)
    source = str(item) if is_path else f"array[{index}]"
    try:
        xray = read(item) if is_path else as_xray(item)
        seen, facts = view(xray) if view is not None else (xray, {})
        work = to_working(seen, size, intensity)
    except ValueError as exc:
        return {"index": index, "source": source, "error": str(exc)}
    except Exception as exc:  # a reader bug must not end a batch of thousands
        return {"index": index, "source": source, "error": f"{source}: unexpected error {exc!r}"}
    return {"index": index, "source": source, "xray": xray, "work": work, "error": "", **facts,
            "viewed": view is not None}  # fmt: skip


def to_working(image: np.ndarray | XRay, size: int, intensity: str) -> np.ndarray:
    """Step 2: an X-ray (or its [0, 1] pixels) -> the model's (1, S, S) float32 input (a noisy, flat film smoothed
    first where :data:`lungseg.inference.denoise.DENOISE` is on)."""
    small = resize_xray(image, size, size) if isinstance(image, XRay) else resize_float(image, size, size)
    return normalize_intensity(denoised(small), intensity)[None]


def predict_batch(predict: Predictor, batch: np.ndarray) -> np.ndarray:
    """Step 3: logits (N, C, S, S) as a float32 array."""
    return np.asarray(predict(batch), np.float32)


def probabilities_at(logits: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Step 4: one image's logits (1, S, S) -> probabilities (H, W) at the input's own size.

    Logits are resized (bilinear) before the sigmoid, which keeps edges sharper than resizing
    probabilities.
    """
    return sigmoid(resize_bilinear(np.asarray(logits)[0], *shape))


def processing_shape(shape: tuple[int, int], max_side: int) -> tuple[int, int]:
    """The input's shape, scaled down (aspect kept) so that neither side exceeds ``max_side``."""
    scale = min(1.0, max_side / max(shape))
    return max(1, round(shape[0] * scale)), max(1, round(shape[1] * scale))


def upsample_labels(labels: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Labels (h, w) -> (H, W): each label's indicator resized bilinearly and cut at 0.5, so outlines
    stay smooth rather than blocky; a pixel claimed by two labels keeps the lower one."""
    out = np.zeros(shape, np.uint8)
    for value in sorted(int(v) for v in np.unique(labels) if v):
        box, region = upsample_box(labels == value, *shape)
        part = out[box]  # a view: only the label's box is touched (no full-size temporaries)
        part[region & (part == 0)] = value
    return out


def binary_mask(
    prob: np.ndarray, threshold: float, clean: bool, smooth_fraction: float = 0.0, target: str = "lungs"
) -> np.ndarray:
    """Steps 5-6: threshold, then (with ``clean``) at most two hole-free lungs, or one heart."""
    mask = prob >= threshold
    if not clean:
        return mask
    return heart_postprocess(mask, smooth_fraction) if target == "heart" else postprocess(mask, smooth_fraction)


def labels_from(prob: np.ndarray, options: FinishOptions) -> np.ndarray:
    """Steps 5-7: threshold, post-process and label: lungs 1/2 (see postprocess.py), or the heart 3."""
    if options.target == "heart":
        mask = binary_mask(prob, options.threshold, options.clean, options.smooth_fraction, "heart")
        return np.where(mask, HEART, 0).astype(np.uint8)
    mask = prob >= options.threshold
    return clean_lung_labels(mask, options.smooth_fraction) if options.clean else lung_labels(mask)


@dataclass(frozen=True)
class FinishOptions:
    """How logits become outputs: threshold, post-processing, smoothing, the largest side at which
    thresholding and post-processing run (larger inputs get the final labels upsampled once), and
    whether full-size probabilities are kept."""

    threshold: float = 0.5
    clean: bool = True
    smooth_fraction: float = 0.0
    max_side: int = PROCESSING_MAX_SIDE
    probabilities: bool = True
    target: str = "lungs"  # what the model segments: "lungs" (labels 1/2) or "heart" (a model of its own)
    quality: bool = False  # compute the quality score and the not_frontal_cxr flag (lungs only)
    complete: bool = False  # complete a lost lung from its partner's mirror image (shape_prior.py)
    shape: bool = False  # with ``complete``: first put back zones lost under opacity (shape_completion.py)
    convention: str = "visible"  # "anatomical": the lungs also behind the heart (convention.py; needs the heart)
    backend: str = "torch"  # what runs the view and shape models: the segmentation model's backend


def add_flag(measurements: dict, flag: str) -> None:
    """Append ``flag`` to the row's ``;``-separated quality flags."""
    measurements["flags"] = ";".join(f for f in (measurements["flags"], flag) if f)


def heart_at(heart_logits: np.ndarray | None, options: FinishOptions | None, shape: tuple[int, int]):
    """The post-processed heart mask at ``shape``; None without heart logits."""
    if heart_logits is None or options is None:
        return None
    return binary_mask(probabilities_at(heart_logits, shape), options.threshold, options.clean,
                       options.smooth_fraction, "heart")  # fmt: skip


def completed_lungs(
    labels: np.ndarray,
    heart: np.ndarray | None,
    options: FinishOptions,
    prob: np.ndarray | None = None,
    xray: XRay | None = None,
) -> tuple[np.ndarray, bool]:
    """Labels with lost zones put back by the shape model, and a lost lung by its partner's mirror image, when
    asked; and whether that drew more than ``COMPLETED_SHARE`` of the lung area (the ``lung_completed`` flag:
    the shape model moves most outlines by a pixel here and there, which is no reason to check a film)."""
    if not (options.complete and options.target == "lungs"):
        return labels, False
    found = labels
    shapes = bundled_shape_model(options.backend) if options.shape else None
    film = shape_image(xray, shapes.size) if getattr(shapes, "channels", 1) == 2 and xray is not None else None
    labels = complete_shape(labels, heart, shapes, smooth_fraction=options.smooth_fraction, prob=prob, image=film)
    labels = complete_lungs(labels, heart)
    if labels is found:  # both steps hand back their input when they change nothing
        return labels, False
    return labels, int((labels != found).sum()) > COMPLETED_SHARE * max(int((found > 0).sum()), 1)


def record_flags(measurements: dict, assessed: tuple | None, completed: bool) -> None:
    """The quality score and flags into the row: not_frontal_cxr, lung_completed."""
    if assessed is not None:
        measurements["quality"] = assessed[1]
        if assessed[2]:
            add_flag(measurements, "not_frontal_cxr")
    if completed:
        add_flag(measurements, "lung_completed")


def mark_heart(labels: np.ndarray, heart: np.ndarray) -> None:
    """Label 3 where the heart is and no lung, set in place within the heart's box."""
    box = bounding_box(heart, 0)
    part = labels[box]
    part[heart[box] & (part == 0)] = HEART


def finish(
    xray: XRay,
    logits: np.ndarray,
    source: str,
    options: FinishOptions,
    heart_logits: np.ndarray | None = None,
    heart_options: FinishOptions | None = None,
) -> SegmentationResult:
    """Steps 4-8 for one image: resize, threshold, post-process, label (at a bounded size), measure;
    with ``heart_logits`` also the heart (label 3 where no lung is) and the cardiothoracic ratio; with
    ``options.quality`` the quality score and the not_frontal_cxr flag."""
    full = xray.shape
    small = processing_shape(full, options.max_side)
    prob = probabilities_at(logits, small)
    heart = heart_at(heart_logits, heart_options, small)
    labels, completed = completed_lungs(labels_from(prob, options), heart, options, prob, xray)
    conf = confidence(prob, labels > 0)
    assessed = None
    if options.quality and options.target == "lungs":
        assessed = assess(prob, labels, options.threshold, conf, xray, options.backend)
    if options.convention == "anatomical" and heart is not None:  # after the quality score, fitted on the visible
        labels = anatomical_labels(labels, heart)
    if small != full:
        labels = upsample_labels(labels, full)
        heart = upsample_mask(heart, *full) if heart is not None else None
        prob = probabilities_at(logits, full) if options.probabilities else np.zeros((0, 0), np.float32)
    measurements = measure(labels, conf, xray.spacing)
    record_flags(measurements, assessed, completed)
    lungs = labels > 0
    if heart is not None:
        measurements |= heart_measurements(heart, lungs, xray.spacing)
        mark_heart(labels, heart)
    features = assessed[0] if assessed is not None else None
    return SegmentationResult(source, lungs, labels, prob, measurements, xray, heart=heart,
                              quality_features=features)  # fmt: skip
