"""Training-time augmentation: affine + elastic warp (one resample) and X-ray intensity changes.

Every geometric transform is drawn once and applied to image and mask alike: the image is
resampled with cubic splines, the mask's indicator with linear interpolation and then
thresholded at 0.5, so the mask stays binary.

The elastic deformation follows the U-Net paper: random displacement vectors on a coarse
grid (3x3 by default) drawn from a Gaussian with 10 px standard deviation, turned into
per-pixel displacements by cubic interpolation. It is built on ``scipy.ndimage`` (``zoom`` for
the cubic upsampling, ``map_coordinates`` for the resample) rather than the ``elasticdeform``
package because scipy is already a dependency, is well kept, and lets the affine and the
elastic displacement share a single resample (less blur, half the work).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np
from scipy import ndimage


@dataclass(frozen=True)
class AugmentConfig:
    """Augmentation switches and ranges; sizes in pixels are at the working size."""

    geometric: bool = True
    shift: float = 0.06  # max shift as a fraction of the side
    rotate: float = 10.0  # max rotation in degrees
    scale: tuple[float, float] = (0.9, 1.1)
    aspect: float = 0.0  # max relative stretch of one axis against the other (other field of view)
    hflip: bool = False  # swaps the lungs' sides and the heart's position: off by default
    elastic: bool = True
    elastic_grid: int = 3
    elastic_sigma: float = 10.0
    intensity: bool = True
    brightness: float = 0.1  # max added offset
    contrast: float = 0.25  # max relative change of contrast
    gamma: tuple[float, float] = (0.7, 1.5)
    noise: float = 0.03  # max std of Gaussian noise
    blur: float = 0.0  # max sigma in pixels of a Gaussian blur (softer film and detector images)

    def __post_init__(self) -> None:
        object.__setattr__(self, "scale", tuple(self.scale))
        object.__setattr__(self, "gamma", tuple(self.gamma))
        if self.elastic_grid < 2:
            raise ValueError(f"elastic_grid must be >= 2, got {self.elastic_grid}")
        if min(self.elastic_sigma, self.noise, self.shift, self.blur) < 0 or not 0 <= self.aspect < 1:
            raise ValueError("elastic_sigma, noise, shift and blur must be >= 0 and aspect in [0, 1)")
        if not (0 < self.scale[0] <= self.scale[1]) or not (0 < self.gamma[0] <= self.gamma[1]):
            raise ValueError("scale and gamma must be (low, high) ranges of positive numbers")

    def to_dict(self) -> dict:
        return asdict(self)


NO_AUGMENT = AugmentConfig(geometric=False, elastic=False, intensity=False)

# Named switch sets, used by ``--augment`` and the ablation (each adds to the one before).
PRESETS = {
    "none": {"geometric": False, "elastic": False, "intensity": False},
    "geometric": {"geometric": True, "elastic": False, "intensity": False},
    "elastic": {"geometric": True, "elastic": True, "intensity": False},
    "full": {"geometric": True, "elastic": True, "intensity": True},
}


def elastic_displacement(
    shape: tuple[int, int], grid: int, sigma: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Per-pixel (dy, dx) from Gaussian displacements on a ``grid`` x ``grid`` lattice, cubic-interpolated.

    Lattice points sit on the image corners and evenly between them, and the field passes
    through each drawn vector exactly there.
    """
    coarse = rng.normal(0.0, sigma, size=(2, grid, grid))
    zoom = (shape[0] / grid, shape[1] / grid)
    dy = ndimage.zoom(coarse[0], zoom, order=3, mode="nearest", grid_mode=False)
    dx = ndimage.zoom(coarse[1], zoom, order=3, mode="nearest", grid_mode=False)
    return dy[: shape[0], : shape[1]], dx[: shape[0], : shape[1]]


def affine_coordinates(shape: tuple[int, int], config: AugmentConfig, rng: np.random.Generator) -> np.ndarray:
    """Source coordinates (2, H, W) of a random rotation, scale, shift (and flip) about the center."""
    h, w = shape
    angle = math.radians(rng.uniform(-config.rotate, config.rotate))
    scale = rng.uniform(*config.scale)
    stretch = 1 + rng.uniform(-config.aspect, config.aspect) if config.aspect > 0 else 1.0
    shift = rng.uniform(-config.shift, config.shift, size=2) * (h, w)
    flip = -1.0 if config.hflip and rng.random() < 0.5 else 1.0
    cy, cx = (h - 1) / 2, (w - 1) / 2
    yy, xx = np.mgrid[:h, :w].astype(np.float64)
    y, x = yy - cy - shift[0], (xx - cx - shift[1]) * flip
    y, x = y / (scale * stretch), x * stretch / scale
    cos, sin = math.cos(angle), math.sin(angle)
    return np.stack([cos * y - sin * x + cy, sin * y + cos * x + cx])


def per_mask(move: Callable[[np.ndarray], np.ndarray], mask: np.ndarray) -> np.ndarray:
    """``move`` applied to a (H, W) mask, or to each of a (C, H, W) stack (lungs + heart) alike."""
    return np.stack([move(m) for m in mask]) if mask.ndim == 3 else move(mask)


def warp(image: np.ndarray, mask: np.ndarray, coords: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Resample image (cubic) and mask(s) (linear, then > 0.5) at source ``coords`` (2, H, W), mirroring."""
    out = ndimage.map_coordinates(image, coords, order=3, mode="mirror", prefilter=True)
    out_mask = per_mask(
        lambda m: ndimage.map_coordinates(m.astype(np.float32), coords, order=1, mode="mirror") > 0.5, mask
    )
    return np.clip(out, 0.0, 1.0).astype(np.float32), out_mask


def geometric(
    image: np.ndarray, mask: np.ndarray, config: AugmentConfig, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Apply the drawn affine and/or elastic warp to both arrays in one resample."""
    if not (config.geometric or config.elastic):
        return image, mask
    shape = image.shape
    if config.geometric:
        coords = affine_coordinates(shape, config, rng)
    else:
        coords = np.mgrid[: shape[0], : shape[1]].astype(np.float64)
    if config.elastic:
        dy, dx = elastic_displacement(shape, config.elastic_grid, config.elastic_sigma, rng)
        coords[0] += dy
        coords[1] += dx
    return warp(image, mask, coords)


def intensity(image: np.ndarray, config: AugmentConfig, rng: np.random.Generator) -> np.ndarray:
    """Blur, gamma, contrast, brightness and light noise on a [0, 1] image (the mask is untouched)."""
    if config.blur > 0:
        image = ndimage.gaussian_filter(image, rng.uniform(0, config.blur))
    gamma = math.exp(rng.uniform(math.log(config.gamma[0]), math.log(config.gamma[1])))
    out = np.power(np.clip(image, 0.0, 1.0), gamma)
    mean = float(out.mean())
    out = (out - mean) * rng.uniform(1 - config.contrast, 1 + config.contrast) + mean
    out = out + rng.uniform(-config.brightness, config.brightness)
    out = out + rng.normal(0.0, rng.uniform(0, config.noise), size=out.shape)
    return np.clip(out, 0.0, 1.0).astype(np.float32)


class Augmenter:
    """Callable ``(image, mask, rng) -> (image, mask)`` for :class:`~lungseg.dataset.SegmentationDataset`."""

    def __init__(self, config: AugmentConfig) -> None:
        self.config = config

    def __call__(self, image: np.ndarray, mask: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        image, mask = geometric(image, mask, self.config, rng)
        if self.config.intensity:
            image = intensity(image, self.config, rng)
        return image, mask
