"""``scipy.ndimage``, imported on first use, or ahead in a thread while a run starts.

Importing ``scipy.ndimage`` costs a quarter to a third of a second (since scipy 1.15 it pulls in its array-API
layer and parts of ``scipy.special``): a fifth of a one-film run (#11). The inference modules ask
:func:`ndimage` for it when they first need it, so importing them stays light, and ``lungseg segment`` calls
:func:`import_ahead` first, so the import runs beside the films' decoding and the model's loading (the import
lock makes a caller that needs the module before then wait for it, as a plain import would).
"""

from __future__ import annotations

import importlib
import logging
import threading
from types import ModuleType

log = logging.getLogger(__name__)


def ndimage() -> ModuleType:
    """The ``scipy.ndimage`` module (imported now if no thread has imported it yet)."""
    return importlib.import_module("scipy.ndimage")


def _import_quietly() -> None:
    try:
        importlib.import_module("scipy.ndimage")
    except ImportError as exc:  # the caller's own import raises it again, with the traceback in its place
        log.debug("import ahead of scipy.ndimage failed: %s", exc)


def import_ahead() -> threading.Thread:
    """Start importing ``scipy.ndimage`` in a thread; returns the thread (joined by the interpreter at exit)."""
    thread = threading.Thread(target=_import_quietly, name="lungseg-import-ahead")
    thread.start()
    return thread
