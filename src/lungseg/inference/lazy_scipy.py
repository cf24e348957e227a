"""``scipy.ndimage``, imported on first use, or ahead in a thread while a run starts, without the numpy parts it
only copies.

Importing ``scipy.ndimage`` costs a quarter to a third of a second (since scipy 1.15 it pulls in its array-API
layer and parts of ``scipy.special``): a fifth of a one-film run (#11). The inference modules ask
:func:`ndimage` for it when they first need it, so importing them stays light, and ``lungseg segment`` calls
:func:`import_ahead` first, so the import runs beside the films' decoding and the model's loading (the import
lock makes a caller that needs the module before then wait for it, as a plain import would).

A third of that import is numpy's own lazily loaded submodules (``f2py``, ``testing``, ``ma``, ...):
scipy's array-API layer copies numpy's namespace into its own (``from numpy import *`` and every name of
``dir(numpy)``), which loads each of them, although ndimage uses none. While scipy imports here, numpy's list of
names leaves out those not loaded yet, and afterwards scipy's copy hands them out from numpy on first use (a module
``__getattr__``), so nothing is missing from it: ``benchmarks/import_cost.md``.
"""

from __future__ import annotations

import functools
import importlib
import logging
import sys
import threading
from types import ModuleType

log = logging.getLogger(__name__)

# numpy submodules that numpy loads on first access and that scipy.ndimage never uses (scipy loads numpy.random itself)
UNUSED_NUMPY = ("char", "ctypeslib", "f2py", "ma", "matlib", "polynomial", "rec", "strings", "testing")
COMPAT = "scipy._lib.array_api_compat.numpy"  # scipy's copy of numpy's namespace
_IMPORT = threading.Lock()
_imported: list[ModuleType] = []  # the module once fully imported (sys.modules holds it half-made while it imports)


def ndimage() -> ModuleType:
    """The ``scipy.ndimage`` module (imported now if no thread has imported it yet; waits for one that is)."""
    return _imported[0] if _imported else _import_lean()


def _import_lean() -> ModuleType:
    """Import ``scipy.ndimage`` with numpy's :data:`UNUSED_NUMPY` left out of the names scipy copies, then handed out
    by scipy's copy on first use; once, under a lock (numpy's names are set back before it is released)."""
    with _IMPORT:
        if not _imported:
            _imported.append(_lean())
        return _imported[0]


def _lean() -> ModuleType:
    """:func:`_import_lean`'s import, with the lock held."""
    if "scipy.ndimage" in sys.modules or COMPAT in sys.modules:  # imported before, as usual (the import lock waits
        return importlib.import_module("scipy.ndimage")  # for another thread still importing it)
    import numpy

    skipped = frozenset(n for n in UNUSED_NUMPY if f"numpy.{n}" not in sys.modules)
    names, listing = numpy.__all__, vars(numpy).get("__dir__")
    numpy.__all__ = [n for n in names if n not in skipped]
    if listing is not None:
        numpy.__dir__ = lambda: [n for n in listing() if n not in skipped]
    try:
        module = importlib.import_module("scipy.ndimage")
    finally:
        numpy.__all__ = names
        if listing is not None:
            numpy.__dir__ = listing
    compat = sys.modules.get(COMPAT)
    if compat is not None and "__getattr__" not in vars(compat):
        compat.__getattr__ = functools.partial(_from_numpy, skipped, compat.__name__)
    return module


def _from_numpy(skipped: frozenset[str], owner: str, name: str):
    """A module ``__getattr__`` for scipy's copy of numpy: the submodules left out of it, from numpy."""
    if name in skipped:
        return getattr(sys.modules["numpy"], name)
    raise AttributeError(f"module {owner!r} has no attribute {name!r}")


def _import_quietly() -> None:
    try:
        _import_lean()
    except ImportError as exc:  # the caller's own import raises it again, with the traceback in its place
        log.debug("import ahead of scipy.ndimage failed: %s", exc)


def import_ahead() -> threading.Thread:
    """Start importing ``scipy.ndimage`` in a thread; returns the thread (joined by the interpreter at exit)."""
    thread = threading.Thread(target=_import_quietly, name="lungseg-import-ahead")
    thread.start()
    return thread
