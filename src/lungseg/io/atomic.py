"""Writing files atomically: a temporary file beside the target, renamed onto it only when complete.

A run killed at any moment leaves either the old file or the new one, never half of one. The
temporary file is created with ``os.open(..., 0o666)`` so the process umask applies exactly as for a
plain ``open()``, without reading or changing the umask (which is process-wide and not thread-safe).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image

STALE_AFTER_S = 3600.0  # a temporary of another host this old belongs to no running write


def _owner_tag() -> str:
    """Host and process that own a temporary, so a later run can tell a crashed writer's leftovers from
    the files of a writer still running beside it (two runs on one output folder)."""
    host = "".join(c for c in socket.gethostname() if c.isalnum() or c == "-")[:32] or "host"
    return f"{host}~{os.getpid()}"


def _temporary_beside(path: Path) -> Path:
    """Create (exclusively) and close an empty temporary file next to ``path``."""
    for _ in range(100):
        tmp = path.with_name(f".{path.name}.{_owner_tag()}~{secrets.token_hex(4)}.tmp")
        try:
            fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666)
        except FileExistsError:
            continue
        os.close(fd)
        return tmp
    raise OSError(f"{path.parent}: cannot create a temporary file")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):  # alive under another user / not a pid here
        return True
    return True


def is_stale_temporary(tmp: Path, now: float | None = None) -> bool:
    """Whether a temporary left in an output folder belongs to no running writer: its process on this
    host has ended, or (another host's, or an old-style name) it is older than :data:`STALE_AFTER_S`."""
    parts = tmp.name.rsplit(".", 2)[-2].split("~") if tmp.name.count(".") >= 2 else []
    if len(parts) == 3 and parts[0] == _owner_tag().split("~")[0] and parts[1].isdigit():
        return not _pid_alive(int(parts[1]))
    try:
        age = (now if now is not None else time.time()) - tmp.stat().st_mtime
    except OSError:
        return False
    return age > STALE_AFTER_S


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


def save_png_atomic(
    path: str | Path, array: np.ndarray | Image.Image, compress_level: int = 6
) -> None:
    """Save a uint8/uint16 2-D or RGB array (or a PIL image) as PNG, atomically (masks and labels go through
    :func:`lungseg.io.png.save_gray_png_atomic`)."""
    image = array if isinstance(array, Image.Image) else Image.fromarray(array)
    with atomic_path(path) as tmp:
        image.save(tmp, format="PNG", compress_level=compress_level)
