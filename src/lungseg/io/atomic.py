"""Writing files atomically: a temporary file beside the target, renamed onto it only when complete.

A run killed at any moment leaves either the old file or the new one, never half of one. The
temporary file is created with ``os.open(..., 0o666)`` so the process umask applies exactly as for a
plain ``open()``, without reading or changing the umask (which is process-wide and not thread-safe).
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image


def _temporary_beside(path: Path) -> Path:
    """Create (exclusively) and close an empty temporary file next to ``path``."""
    for _ in range(100):
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        try:
            fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666)
        except FileExistsError:
            continue
        os.close(fd)
        return tmp
    raise OSError(f"{path.parent}: cannot create a temporary file")


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it onto ``path`` only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp_path = _temporary_beside(path)
    try:
        yield tmp_path
        with open(tmp_path, "rb+") as f:  # data on disk before the rename makes it visible
            os.fsync(f.fileno())
        os.replace(tmp_path, path)
    finally:
        tmp_path.unlink(missing_ok=True)


def write_text_atomic(path: str | Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


Z_RLE = 3  # zlib strategy: run lengths only; masks and labels encode 2x faster and smaller than by default


def save_png_atomic(
    path: str | Path, array: np.ndarray | Image.Image, compress_level: int = 6, strategy: int = -1
) -> None:
    """Save a uint8/uint16 2-D or RGB array (or a PIL image) as PNG, atomically; ``strategy`` is zlib's
    (-1 its default, :data:`Z_RLE` for masks)."""
    image = array if isinstance(array, Image.Image) else Image.fromarray(array)
    with atomic_path(path) as tmp:
        image.save(tmp, format="PNG", compress_level=compress_level, compress_type=strategy)
