"""Flat bands at a film's edges (shutters, padding): the film shows nothing there, so no lung is grown there.

Round 56: on portable films with a shutter band the shape model grew lung above the apices, or beside the chest, up
to the film's edge. A row (column) counts as flat when its values along the film hardly vary; a band is the run of
flat rows (columns) in from an edge. A row across any part of the chest is never flat, so a film without shutters or
padding has no band.
"""

from __future__ import annotations

import numpy as np

FLAT_STD = 0.01  # a row or column of the film in [0, 1] is flat at or below this standard deviation along it
NOISE_RATIO = 1.25  # ... or (noise_aware) at most this times the spread its neighbour differences give noise alone
MAX_NOISY_STD = 0.05  # ... and then at most this standard deviation
LABEL_SHARE = 0.7  # (labels) a flat band goes on over rows with at least this share of pixels at its value ...
LABEL_TOL = 0.01  # ... within this of it


def _leading(flags: np.ndarray) -> int:
    """How many of ``flags`` are True from the start on."""
    return len(flags) if flags.all() else int(np.argmin(flags))


def flat_lines(lines: np.ndarray, flat_std: float = FLAT_STD, noise_aware: bool = False) -> np.ndarray:
    """(n,) bool: which rows of ``lines`` (n, m) are flat: a standard deviation along the row of at most ``flat_std``,
    or, ``noise_aware``, one that noise alone explains (round 72): at most :data:`NOISE_RATIO` times what the
    differences between neighbouring pixels give white noise (their spread / sqrt 2) and at most
    :data:`MAX_NOISY_STD`. A row across anatomy varies over many pixels, far more than from one pixel to the next."""
    spread = lines.std(axis=1)
    flat = spread <= flat_std
    if noise_aware and lines.shape[1] > 2:
        noise = np.diff(lines, axis=1).std(axis=1) / np.sqrt(2)
        flat |= (spread <= NOISE_RATIO * noise) & (spread <= MAX_NOISY_STD)
    return flat


def _band(lines: np.ndarray, flat: np.ndarray, labels: bool) -> int:
    """How many of ``lines`` (n, m), from the first on, make the band: the leading ``flat`` ones, and with ``labels``
    (round 74) the rows after them with at least :data:`LABEL_SHARE` of their pixels within :data:`LABEL_TOL` of the
    band's value (a label burned into a shutter); a band never starts on such a row."""
    count = _leading(flat)
    if not labels or count == 0 or count == len(lines):
        return count
    value = float(np.median(lines[:count]))
    close = (np.abs(lines[count:] - value) <= LABEL_TOL).mean(axis=1) >= LABEL_SHARE
    return count + _leading(close)


def flat_bands(image: np.ndarray, flat_std: float = FLAT_STD, noise_aware: bool = False,
               labels: bool = False) -> tuple[float, float, float, float]:
    """(top, bottom, left, right): the share of the film's height (width) that the flat band at each edge covers
    (0: none); all 0 for a film flat throughout (nothing to tell a band from). Columns are judged between the row
    bands, then rows between the column bands (a shutter of one value across a padding of another). ``noise_aware``:
    a noisy band counts too (:func:`flat_lines`); ``labels``: a band goes on over a label in it (:func:`_band`)."""
    h, w = image.shape
    top, bottom, left, right = 0, 0, 0, 0
    for _ in range(2):
        part = image[:, left : w - right]
        rows = flat_lines(part, flat_std, noise_aware)
        if rows.all():
            return 0.0, 0.0, 0.0, 0.0
        top, bottom = _band(part, rows, labels), _band(part[::-1], rows[::-1], labels)
        part = image[top : h - bottom].T
        cols = flat_lines(part, flat_std, noise_aware)
        if cols.all():
            return 0.0, 0.0, 0.0, 0.0
        left, right = _band(part, cols, labels), _band(part[::-1], cols[::-1], labels)
    return top / h, bottom / h, left / w, right / w


def outside_bands(mask: np.ndarray, bands: tuple[float, float, float, float]) -> np.ndarray | None:
    """``mask`` with the bands (shares as :func:`flat_bands` gives them, at any size) taken away; None where nothing
    is left."""
    h, w = mask.shape
    top, bottom, left, right = (int(share * n) for share, n in zip(bands, (h, h, w, w), strict=True))
    out = mask.copy()
    out[:top] = False
    out[h - bottom :] = False
    out[:, :left] = False
    out[:, w - right :] = False
    return out if out.any() else None
