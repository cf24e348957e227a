"""Flat bands at a film's edges (shutters, padding): the film shows nothing there, so no lung is grown there.

Round 56: on portable films with a shutter band the shape model grew lung above the apices, or beside the chest, up
to the film's edge. A row (column) counts as flat when its values along the film hardly vary; a band is the run of
flat rows (columns) in from an edge. A row across any part of the chest is never flat, so a film without shutters or
padding has no band.
"""

from __future__ import annotations

import numpy as np

FLAT_STD = 0.01  # a row or column of the film in [0, 1] is flat at or below this standard deviation along it


def _leading(flags: np.ndarray) -> int:
    """How many of ``flags`` are True from the start on."""
    return len(flags) if flags.all() else int(np.argmin(flags))


def flat_bands(image: np.ndarray, flat_std: float = FLAT_STD) -> tuple[float, float, float, float]:
    """(top, bottom, left, right): the share of the film's height (width) that the flat band at each edge covers
    (0: none); all 0 for a film flat throughout (nothing to tell a band from). Columns are judged between the row
    bands, then rows between the column bands (a shutter of one value across a padding of another)."""
    h, w = image.shape
    top, bottom, left, right = 0, 0, 0, 0
    for _ in range(2):
        rows = image[:, left : w - right].std(axis=1) <= flat_std
        if rows.all():
            return 0.0, 0.0, 0.0, 0.0
        top, bottom = _leading(rows), _leading(rows[::-1])
        cols = image[top : h - bottom].std(axis=0) <= flat_std
        if cols.all():
            return 0.0, 0.0, 0.0, 0.0
        left, right = _leading(cols), _leading(cols[::-1])
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
