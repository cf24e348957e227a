"""The cardiothoracic ratio from masks: the horizontal extent of the heart over the horizontal extent of
the thorax, taken as the outer borders of the two lungs. This is the definition the Wingspan reference
CTRs follow (mean absolute difference 0.001 on their masks, ``tests/test_ctr.py``).

Pure functions of boolean masks (H, W); widths in pixels, between the leftmost and rightmost mask columns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Extent:
    """Leftmost and rightmost columns of a mask and the row where a line between them is drawn."""

    left: int
    right: int
    row: int

    @property
    def width(self) -> int:
        return self.right - self.left + 1 if self.right >= self.left else 0


@dataclass(frozen=True)
class CTR:
    heart: Extent
    thorax: Extent
    ratio: float  # NaN when either mask is empty


def extent(mask: np.ndarray) -> Extent:
    """Horizontal extent of a mask; the row is the mask's mean row (where an overlay draws the width)."""
    mask = np.asarray(mask, bool)
    cols = np.nonzero(mask.any(axis=0))[0]
    if cols.size == 0:
        return Extent(0, -1, 0)
    per_row = np.count_nonzero(mask, axis=1)  # the mean row from row counts: no list of every pixel
    return Extent(int(cols[0]), int(cols[-1]), round(float(per_row @ np.arange(mask.shape[0]) / per_row.sum())))


def cardiothoracic_ratio(heart: np.ndarray, lungs: np.ndarray) -> CTR:
    """CTR of a heart mask against a lung mask (both lungs)."""
    h, t = extent(heart), extent(lungs)
    ratio = h.width / t.width if h.width and t.width else float("nan")
    return CTR(h, t, ratio)
