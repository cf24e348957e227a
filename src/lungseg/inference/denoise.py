"""A noisy, flat film smoothed a little before the lung model sees it (round 69 of #9: tried, not shipped, off).

Portable films are often both flat and noisy; equalisation then stretches the noise with the little contrast there
is. The noise is estimated at the model's working size (Immerkær's estimator: the mean absolute response to a
Laplacian difference kernel, which a smooth image hardly excites) and compared with the film's interquartile grey
range. Above :data:`MAX_RATIO` (1.5 times the highest ratio among the 150 clean validation films, adult and
children) the working film is smoothed by a Gaussian of :data:`SIGMA` pixels; other films pass unchanged.
"""

from __future__ import annotations

import numpy as np

from lungseg.inference.lazy_scipy import ndimage

DENOISE = False  # round 69 (runs/criterion69.txt): it failed, the model reads noisy films better; read at each call
MAX_RATIO = 0.03  # noise / interquartile range above which a working film is smoothed
SIGMA = 1.0  # the smoothing Gaussian's sigma, in working pixels
_KERNEL = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], np.float32)


def noise_ratio(image: np.ndarray) -> float:
    """The noise's standard deviation (Immerkær 1996) over the interquartile range of ``image`` (2-D, [0, 1])."""
    if min(image.shape) < 3:
        return 0.0
    response = ndimage().convolve(np.asarray(image, np.float32), _KERNEL)[1:-1, 1:-1]
    sigma = float(np.sqrt(np.pi / 2) * np.abs(response).mean() / 6)
    q1, q3 = np.percentile(image, [25, 75])
    return sigma / max(float(q3 - q1), 1e-3)


def denoised(image: np.ndarray) -> np.ndarray:
    """``image`` smoothed where :data:`DENOISE` is on and its :func:`noise_ratio` is above :data:`MAX_RATIO`; else
    ``image`` itself."""
    if not DENOISE or noise_ratio(image) <= MAX_RATIO:
        return image
    return ndimage().gaussian_filter(np.asarray(image, np.float32), SIGMA).astype(np.float32)
