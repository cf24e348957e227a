"""Import pydicom without the download stack it loads for its own test data (#11: start-up of a DICOM run).

``pydicom.pixels.processing`` imports ``pydicom.data``, whose downloader imports ``requests`` (with ``urllib3``,
``ssl``, ``http.client``, ``charset_normalizer``, ``idna``) and ``tqdm`` when they are installed, for files a
segmentation never fetches: five DICOMs segment 0.08 s sooner without them (``benchmarks/ab_speed_pydicom.md``).
pydicom falls back to ``urllib`` when ``requests`` is missing, so while pydicom imports, and only in the thread
importing it, those two packages are reported missing. So is GDCM (``lungseg[dicom]``), which pydicom would import
for every DICOM run although only compressed pixel data needs it: :func:`enable_gdcm` hands it to pydicom's
decoders when a film first needs it. Nothing else changes: another thread imports them as usual,
and a later ``import requests`` works (a failed import leaves nothing in ``sys.modules``).
"""

from __future__ import annotations

import contextlib
import sys
import threading
from types import ModuleType

SKIPPED = ("requests", "tqdm", "gdcm")
_GDCM = threading.Lock()
_gdcm_enabled = False


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


def enable_gdcm() -> bool:
    """Give pydicom's decoders GDCM (left out of pydicom's import, above), once; whether it is there to give.

    Through pydicom's public plugin interface (``Decoder.remove_plugin`` / ``add_plugin``): its GDCM plugin module
    is imported again now that ``gdcm`` imports, and registered anew for each transfer syntax it decodes."""
    global _gdcm_enabled
    import importlib
    import importlib.util

    with _GDCM:  # add_plugin is not thread-safe, and segmenting threads may fail on compressed films at once
        if _gdcm_enabled:
            return True
        if importlib.util.find_spec("gdcm") is None:
            return False
        import_pydicom()
        from pydicom.pixels import get_decoder
        from pydicom.pixels.decoders import gdcm as plugin

        plugin = importlib.reload(plugin)
        for uid in plugin.DECODER_DEPENDENCIES:
            decoder = get_decoder(uid)
            with contextlib.suppress(ValueError):  # not registered (another pydicom version): add it all the same
                decoder.remove_plugin("gdcm")
            decoder.add_plugin("gdcm", ("pydicom.pixels.decoders.gdcm", "_decode_frame"))
        _gdcm_enabled = plugin.HAVE_GDCM
        return _gdcm_enabled
