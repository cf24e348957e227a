"""A streaming writer of 8-bit grayscale PNGs for masks and label images.

Pillow needs the whole image as bytes first: for a bool mask that is a full-size 0/255 copy (30 MB for a
5000x6000 film, one per output written at once). This writer encodes bands of rows straight from the
array, so a mask is never copied whole. The file is a standard PNG (8-bit gray, no filter, zlib with run
lengths only), written atomically like every other output.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np

from lungseg.io.atomic import atomic_path

BAND_BYTES = 1 << 20  # rows encoded at a time: about a megabyte
SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def gray_rows(array: np.ndarray) -> np.ndarray:
    """Rows as PNG scanlines: uint8 values (a bool mask as 0/255) behind a filter byte 0 ("none")."""
    values = array.view(np.uint8) * np.uint8(255) if array.dtype == bool else array
    return np.concatenate([np.zeros((len(values), 1), np.uint8), values], axis=1)


def save_gray_png_atomic(path: str | Path, array: np.ndarray, level: int = 1) -> None:
    """Save a 2-D uint8 array (or a bool mask, as 0/255) as an 8-bit grayscale PNG, atomically."""
    if array.ndim != 2 or array.dtype not in (np.uint8, np.bool_):
        raise ValueError(f"{path}: a gray PNG needs a 2-D uint8 or bool array, got {array.dtype} {array.shape}")
    height, width = array.shape
    array = np.ascontiguousarray(array)
    band = max(1, BAND_BYTES // max(width, 1))
    encoder = zlib.compressobj(level, zlib.DEFLATED, 15, 9, zlib.Z_RLE)
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        f.write(SIGNATURE + _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)))
        for top in range(0, height, band):
            data = encoder.compress(gray_rows(array[top : top + band]).tobytes())
            if data:
                f.write(_chunk(b"IDAT", data))
        f.write(_chunk(b"IDAT", encoder.flush()) + _chunk(b"IEND", b""))
