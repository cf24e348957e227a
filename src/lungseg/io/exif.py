"""EXIF (and TIFF) Orientation: how viewers and browsers turn an image file's stored pixels to show them.

Phone and camera JPEGs of films (and some exports) store the pixels turned and say so in this tag; a mask of the
stored pixels would not lie on the image the user sees, in a viewer, a browser or our web page, so
:func:`lungseg.io.reader.read_gray` returns the pixels as shown.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

# EXIF Orientation (tag 274) -> the array view that shows the stored pixels as viewers and browsers do
# (Pillow's Image.Transpose names: 2 FLIP_LEFT_RIGHT, 3 ROTATE_180, 4 FLIP_TOP_BOTTOM, 5 TRANSPOSE, 6 ROTATE_270,
# 7 TRANSVERSE, 8 ROTATE_90)
EXIF_ORIENTATION = 0x0112
_UPRIGHT = {
    2: lambda a: a[:, ::-1],
    3: lambda a: a[::-1, ::-1],
    4: lambda a: a[::-1, :],
    5: lambda a: a.T,
    6: lambda a: np.rot90(a, -1),
    7: lambda a: a[::-1, ::-1].T,
    8: lambda a: np.rot90(a, 1),
}


def exif_orientation(img: Image.Image) -> int:
    """The image's EXIF Orientation (1 = as stored; also for no or unreadable EXIF)."""
    try:
        value = int(img.getexif().get(EXIF_ORIENTATION, 1))
    except Exception:  # a damaged EXIF block must not cost the image itself
        return 1
    return value if value in _UPRIGHT else 1


def as_displayed(arr: np.ndarray, orientation: int) -> np.ndarray:
    """``arr`` turned as EXIF ``orientation`` says a viewer shows it (a contiguous copy; ``arr`` itself for 1)."""
    turn = _UPRIGHT.get(orientation)
    return arr if turn is None else np.ascontiguousarray(turn(arr))
