"""Reading images and masks into plain arrays, and writing files atomically.

Every reader returns a 2-D array; errors name the file and what to do about it.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp")


def _file_mode() -> int:
    """Permissions a plain ``open()`` would give a new file (mkstemp's temporaries are 0600)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


FILE_MODE = _file_mode()


def _to_gray(img: Image.Image) -> np.ndarray:
    """PIL image of any common mode -> 2-D array (uint8, uint16, int32 or float32)."""
    mode = img.mode
    if mode in ("L", "I;16", "I;16L", "I;16B", "I;16N", "I", "F"):
        arr = np.asarray(img)
    elif mode == "1":
        arr = np.asarray(img.convert("L"))
    elif mode in ("LA", "La"):
        arr = np.asarray(img.getchannel(0))
    else:  # RGB, RGBA, P, CMYK, YCbCr, ...: luminance, alpha dropped
        arr = np.asarray(img.convert("RGB").convert("L"))
    return arr


def read_gray(path: str | Path) -> np.ndarray:
    """Read an image file as a 2-D array in its own dtype."""
    path = Path(path)
    try:
        with Image.open(path) as img:
            img.load()
            return _to_gray(img)
    except FileNotFoundError:
        raise ValueError(f"{path}: file not found; check the path") from None
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise ValueError(
            f"{path}: cannot be read as an image ({exc}); replace it with a valid PNG/JPEG/TIFF/BMP file"
        ) from exc


def to_unit_float(arr: np.ndarray) -> np.ndarray:
    """Scale an integer or float image to float32 in [0, 1].

    Integer images are divided by their dtype's maximum (8-bit by 255, 16-bit by 65535) so that
    exposure is kept; float images are min-max scaled.
    """
    if np.issubdtype(arr.dtype, np.integer):
        if arr.dtype.itemsize >= 4:  # 32-bit "I" images hold 16-bit data in practice
            hi = 65535.0 if arr.max(initial=0) <= 65535 else float(arr.max())
            return np.clip(arr.astype(np.float32) / hi, 0.0, 1.0)
        return arr.astype(np.float32) / float(np.iinfo(arr.dtype).max)
    arr = arr.astype(np.float32)
    lo, hi = float(np.nanmin(arr)), float(np.nanmax(arr))
    if hi <= lo:
        return np.zeros_like(arr)
    return (arr - lo) / (hi - lo)


def read_image(path: str | Path) -> np.ndarray:
    """Read an X-ray as a float32 array in [0, 1], one channel."""
    return to_unit_float(read_gray(path))


def read_mask(path: str | Path) -> np.ndarray:
    """Read a mask as a boolean array; any value > 0 is lung (0/255 and 0/1 both work)."""
    return read_gray(path) > 0


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it onto ``path`` only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, FILE_MODE)
        os.replace(tmp_path, path)
    finally:
        tmp_path.unlink(missing_ok=True)


def write_text_atomic(path: str | Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def save_png_atomic(path: str | Path, array: np.ndarray) -> None:
    """Save a uint8/uint16 2-D or RGB array as PNG, atomically."""
    with atomic_path(path) as tmp:
        Image.fromarray(array).save(tmp, format="PNG")
