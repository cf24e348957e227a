"""Import pydicom without the download stack it loads for its own test data (#11: start-up of a DICOM run).

``pydicom.pixels.processing`` imports ``pydicom.data``, whose downloader imports ``requests`` (with ``urllib3``,
``ssl``, ``http.client``, ``charset_normalizer``, ``idna``) and ``tqdm`` when they are installed, for files a
segmentation never fetches: five DICOMs segment 0.08 s sooner without them (``benchmarks/ab_speed_pydicom.md``).
pydicom falls back to ``urllib`` when ``requests`` is missing, so while pydicom imports, and only in the thread
importing it, those two packages are reported missing. Nothing else changes: another thread imports them as usual,
and a later ``import requests`` works (a failed import leaves nothing in ``sys.modules``).
"""

from __future__ import annotations

import sys
import threading
from types import ModuleType

SKIPPED = ("requests", "tqdm")


class _SkipInThisThread:
    """A meta path finder (the protocol needs only ``find_spec``; ``importlib.abc`` would import
    ``importlib.resources``) that says "no such module" for :data:`SKIPPED`, only to the thread that installed it."""

    def __init__(self) -> None:
        self.thread = threading.get_ident()

    def find_spec(self, name: str, path=None, target=None):
        if threading.get_ident() == self.thread and name.partition(".")[0] in SKIPPED:
            raise ModuleNotFoundError(f"{name} is not imported while pydicom loads (lungseg.io.pydicom_import)")
        return None


def import_pydicom() -> ModuleType:
    """``pydicom``, imported without ``requests`` and ``tqdm`` (no-op when imported already; a thread that asks
    while another imports it waits on Python's module lock, so no thread sees a half-imported pydicom)."""
    finder = _SkipInThisThread()
    sys.meta_path.insert(0, finder)
    try:
        import pydicom
        import pydicom.pixels  # pulls in pydicom.data: imported while the finder stands
    finally:
        sys.meta_path.remove(finder)
    return pydicom
