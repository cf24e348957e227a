"""Intensity normalisation and resizing to the model's working size.

The same steps run in training, evaluation and segmentation; the choice is stored in each
checkpoint's config so a model is always fed what it was trained on.
"""

from __future__ import annotations

import functools
import math
from typing import Literal

import numpy as np
from PIL import Image

from lungseg.inference.dark_field import fold_dark_field
from lungseg.inference.postprocess import bounding_box
from lungseg.io.reader import XRay

Intensity = Literal["none", "minmax", "equalize"]
INTENSITY_MODES = ("none", "minmax", "equalize")
BAND_PIXELS = 2_000_000  # source pixels made float at a time when an X-ray is resized from its integer data
REDUCING_GAP = 3.0  # preview_xray: PIL box-reduces by whole factors down to within this of the target size


def resize_float(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """Resize a float 2-D array with antialiased bilinear interpolation (PIL "F" mode)."""
    if image.shape == (height, width):
        return image.astype(np.float32, copy=False)
    pil = Image.fromarray(image.astype(np.float32, copy=False), mode="F")
    return np.array(pil.resize((width, height), Image.Resampling.BILINEAR), dtype=np.float32)


@functools.lru_cache(maxsize=32)
def linear_taps(n_in: int, n_out: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(lower index, upper index, weight of the upper) per output pixel of 1-D linear interpolation with
    half-pixel centres and the edge repeated: ``torch.nn.functional.interpolate(..., mode="bilinear",
    align_corners=False)``, without antialiasing, computed in float32 as torch does."""
    scale = np.float32(n_in / n_out)
    src = np.maximum((np.arange(n_out, dtype=np.float32) + np.float32(0.5)) * scale - np.float32(0.5), np.float32(0))
    lo = np.minimum(src.astype(np.int64), n_in - 1)
    hi = np.minimum(lo + 1, n_in - 1)
    frac = src - lo.astype(np.float32)
    for array in (lo, hi, frac):
        array.flags.writeable = False  # shared by every call with these sides
    return lo, hi, frac


def resize_bilinear(array: np.ndarray, height: int, width: int) -> np.ndarray:
    """A float (h, w) array resized to (height, width) by bilinear interpolation, rows then columns, two taps
    each: the logits of a 256 px model at a 1024 px film's size in a few milliseconds, with numpy alone."""
    lo, hi, frac = linear_taps(array.shape[0], height)
    array = np.asarray(array, np.float32)
    rows = np.take(array, lo, axis=0) * (1 - frac)[:, None]  # np.take, products in place: the same arithmetic as
    rows += np.take(array, hi, axis=0) * frac[:, None]  # a * (1 - f) + b * f, a third faster than fancy indexing
    lo, hi, frac = linear_taps(array.shape[1], width)
    out = np.take(rows, lo, axis=1)
    out *= 1 - frac
    upper = np.take(rows, hi, axis=1)
    upper *= frac
    out += upper
    return out


def sigmoid(x: np.ndarray) -> np.ndarray:
    """The logistic function in float32 without overflow (as tanh; scipy.special would add 0.2 s of imports)."""
    out = np.tanh(np.asarray(x, np.float32) * np.float32(0.5))
    out += np.float32(1)
    out *= np.float32(0.5)
    return out


def resize_xray(xray: XRay, height: int, width: int) -> np.ndarray:
    """``resize_float(xray.pixels, height, width)`` without the full-size float image (120 MB for a
    5000x6000 film): bands of rows are made float and resampled one at a time, each with the filter's reach
    above and below it and placed by PIL's ``box``, so its rows are the whole-image resize's rows."""
    rows, cols = xray.shape
    if xray.is_float or rows * cols <= BAND_PIXELS or height > rows:
        return resize_float(xray.pixels, height, width)
    step = rows / height
    reach = math.ceil(step) + 2  # the antialiased bilinear filter reaches one output pixel (step rows) each way
    band = max(1, int(BAND_PIXELS / cols / step))  # output rows per band
    out = np.empty((height, width), np.float32)
    for r0 in range(0, height, band):
        r1 = min(r0 + band, height)
        y0, y1 = max(0, math.floor(r0 * step) - reach), min(rows, math.ceil(r1 * step) + reach)
        strip = Image.fromarray(xray[y0:y1], mode="F")
        box = (0.0, r0 * step - y0, float(cols), r1 * step - y0)
        out[r0:r1] = np.asarray(strip.resize((width, r1 - r0), Image.Resampling.BILINEAR, box=box))
    return out


def preview_xray(xray: XRay, height: int, width: int) -> np.ndarray:
    """The X-ray scaled down for viewing (the overlay), as float32 [0, 1]: its integers box-reduced by a whole
    factor, then resized bilinearly (PIL's ``reducing_gap``), with no float copy at the input's size. About
    twice as fast as :func:`resize_xray` on a 5000x6000 film and within a grey level of it; the model's input
    keeps :func:`resize_xray`."""
    if xray.is_float or xray.data.dtype not in (np.uint8, np.uint16) or height > xray.shape[0]:
        return resize_xray(xray, height, width)
    data = xray.data
    if data.dtype == np.uint16:  # PIL cannot box-reduce 16-bit images: stride to within the reducing gap first
        step = max(1, int(max(data.shape[0] / height, data.shape[1] / width) / REDUCING_GAP))
        data = data[::step, ::step]
    small = Image.fromarray(data).resize((width, height), Image.Resampling.BILINEAR, reducing_gap=REDUCING_GAP)
    return XRay(np.asarray(small), scale=xray.scale, offset=xray.offset).pixels


def resize_mask(mask: np.ndarray, height: int, width: int) -> np.ndarray:
    """Resize a boolean mask by interpolating its indicator and thresholding at 0.5."""
    return resize_float(mask.astype(np.float32), height, width) >= 0.5


def to_byte_mask(mask: np.ndarray) -> np.ndarray:
    """A boolean mask as uint8 0/255, without the int64 temporary ``np.where(mask, 255, 0)`` makes (8x the
    memory: 240 MB for a 5000x6000 film)."""
    return np.asarray(mask, bool).view(np.uint8) * np.uint8(255)


def upsample_mask(mask: np.ndarray, height: int, width: int) -> np.ndarray:
    """Enlarge a boolean mask smoothly (bilinear indicator cut at 0.5), resampling only its bounding box."""
    out = np.zeros((height, width), bool)
    box, region = upsample_box(mask, height, width)
    out[box] = region
    return out


def upsample_box(mask: np.ndarray, height: int, width: int) -> tuple[tuple[slice, slice], np.ndarray]:
    """The part of ``upsample_mask(mask, height, width)`` that can be set: (its box, the mask there).

    The box (the mask's, grown by two source pixels) is resampled in 8-bit with PIL's ``box`` argument, which
    maps the same source coordinates a whole-image resize would: a lung covering a quarter of a 2500x3000
    film costs a quarter of the pixels, in a quarter of the bytes.
    """
    rows, cols = bounding_box(mask, 2)
    if rows.stop == 0:
        return (slice(0, 0), slice(0, 0)), np.zeros((0, 0), bool)
    sy, sx = mask.shape[0] / height, mask.shape[1] / width
    (y0, y1), (x0, x1) = (rows.start, rows.stop), (cols.start, cols.stop)
    top, bottom = int(np.floor(y0 / sy)), min(int(np.ceil(y1 / sy)), height)
    left, right = int(np.floor(x0 / sx)), min(int(np.ceil(x1 / sx)), width)
    pil = Image.fromarray(to_byte_mask(mask))
    box = (left * sx, top * sy, right * sx, bottom * sy)
    region = pil.resize((right - left, bottom - top), Image.Resampling.BILINEAR, box=box)
    return (slice(top, bottom), slice(left, right)), np.asarray(region) >= 128


def equalize_histogram(image: np.ndarray, bins: int = 1024) -> np.ndarray:
    """Global histogram equalisation of a [0, 1] image to a roughly uniform histogram in [0, 1].

    Equalising removes most exposure and contrast differences between hospitals and
    film digitisers, which otherwise cost a model whole lobes on unfamiliar images. A large dark field around the
    chest is made flat first (:func:`dark_field.fold_dark_field`, when on): its noise would take half the range.
    """
    flat = np.clip(fold_dark_field(image), 0.0, 1.0).ravel()
    index = np.minimum((flat * bins).astype(np.int64), bins - 1)
    hist = np.bincount(index, minlength=bins)
    cdf = np.cumsum(hist).astype(np.float64)
    if cdf[-1] == 0 or np.count_nonzero(hist) <= 1:
        return np.zeros_like(image, dtype=np.float32)
    cdf_min = cdf[np.nonzero(hist)[0][0]]
    cdf = np.clip((cdf - cdf_min) / max(cdf[-1] - cdf_min, 1.0), 0.0, 1.0)
    return cdf[index].reshape(image.shape).astype(np.float32)


def normalize_intensity(image: np.ndarray, mode: Intensity) -> np.ndarray:
    """Apply the named intensity normalisation to a [0, 1] float image."""
    if mode == "none":
        return image.astype(np.float32, copy=False)
    if mode == "minmax":
        lo, hi = float(image.min()), float(image.max())
        return np.zeros_like(image, np.float32) if hi <= lo else ((image - lo) / (hi - lo)).astype(np.float32)
    if mode == "equalize":
        return equalize_histogram(image)
    raise ValueError(f"unknown intensity mode {mode!r}; use one of {', '.join(INTENSITY_MODES)}")


def preprocess(image: np.ndarray, size: int, intensity: Intensity) -> np.ndarray:
    """[0, 1] image of any size -> float32 (size, size) array the model was trained on."""
    return normalize_intensity(resize_float(image, size, size), intensity)
