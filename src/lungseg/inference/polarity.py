"""The polarity check: an inverted X-ray (bone dark, air bright) is turned back before the lung model sees it.

A film whose grey scale arrives flipped (a MONOCHROME1 image exported as PNG without its flip, a negative
screenshot) is otherwise segmented as nonsense: the lung model has only seen lungs dark. The bundled
``lungseg-polarity`` model (the view model's 64 px network, ``benchmarks/polarity_model.py``) gives the logit
of "inverted" from a thumbnail; an input it calls inverted is segmented with its grey
scale turned back, and its row gets the flag ``inverted_input``. ``keep`` (``--polarity keep``) trusts the
input as it is. DICOM files need no guess: the reader applies MONOCHROME1 itself.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from lungseg.inference.view import ViewModel, bundled_view_model, thumbnail, thumbnail_model_file
from lungseg.io.reader import XRay
from lungseg.model.pretrained import POLARITY_MODEL

POLARITIES = ("auto", "keep")
FLAG = "inverted_input"


def inverted(xray: XRay) -> XRay:
    """The same film with its grey scale turned over (pixels -> 1 - pixels), its integer data shared, not copied."""
    return dataclasses.replace(xray, offset=xray.offset + 1.0 / xray.scale, scale=-xray.scale)


def polarity_model(backend: str = "torch", path: str | Path | None = None) -> ViewModel | None:
    """The bundled polarity model run by ``backend`` (or a checkpoint file of one, run by PyTorch)."""
    return thumbnail_model_file(path) if path is not None else bundled_view_model(backend, POLARITY_MODEL)


def is_inverted(xray: XRay, model: ViewModel | None) -> bool:
    """Whether ``model`` calls the film inverted (logit > 0); False without a model."""
    if model is None:
        return False
    return bool(model(thumbnail(xray, model.size)[None, None])[0] > 0)


def check_polarity(polarity: str) -> str:
    """``polarity`` if it is one of :data:`POLARITIES`, else a ValueError that names them."""
    if polarity not in POLARITIES:
        raise ValueError(f"unknown polarity {polarity!r}; use one of {', '.join(POLARITIES)}")
    return polarity
