"""The polarity check: an inverted X-ray (bone dark, air bright) is turned back before the lung model sees it.

A film whose grey scale arrives flipped (a MONOCHROME1 image exported as PNG without its flip, a negative
screenshot) is otherwise segmented as nonsense: the lung model has only seen lungs dark. The bundled
``lungseg-polarity`` model (the view model's 64 px network, ``benchmarks/polarity_model.py``) gives the logit
of "inverted" from a thumbnail; an input it calls inverted is segmented with its grey
scale turned back, and its row gets the flag ``inverted_input``, unless the lung model disagrees clearly
(:func:`lungs_prefer_as_came`, round 52: flat films with shutter bands can still look inverted to a 64 px thumbnail,
and a film segmented upside down loses both lungs). ``keep`` (``--polarity keep``) trusts the input as it is. DICOM
files need no guess: the reader applies MONOCHROME1 itself.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from lungseg.inference.dark_field import dark_field
from lungseg.inference.preprocess import normalize_intensity, resize_xray
from lungseg.inference.view import ViewModel, bundled_view_model, thumbnail, thumbnail_model_file
from lungseg.io.reader import XRay
from lungseg.model.pretrained import POLARITY_MODEL

POLARITIES = ("auto", "keep")
FLAG = "inverted_input"
CONFIDENT_LOGIT = float(np.log(9.0))  # the lung model's confident lung: p > 0.9
OVERRULE = 2.0  # a film is kept as it came when, so, its confident lung is more than this many times larger ...
MIN_CONFIDENT = 0.02  # ... and at least this share of the image
VETO_FOLD = True  # the veto's film turned over has its white field (the dark field as it came) made flat (round 62)


def inverted(xray: XRay) -> XRay:
    """The same film with its grey scale turned over (pixels -> 1 - pixels), its integer data shared, not copied."""
    return dataclasses.replace(xray, offset=xray.offset + 1.0 / xray.scale, scale=-xray.scale)


def polarity_model(backend: str = "torch", path: str | Path | None = None) -> ViewModel | None:
    """The bundled polarity model run by ``backend`` (or a checkpoint file of one, run by PyTorch)."""
    return thumbnail_model_file(path) if path is not None else bundled_view_model(backend, POLARITY_MODEL)


def is_inverted(xray: XRay, model: ViewModel | None) -> bool:
    """Whether ``model`` calls the film inverted (logit > 0); False without a model, and for a film of one grey level
    (a blank has no grey scale to turn over: its row would carry a meaningless ``inverted_input``)."""
    if model is None:
        return False
    thumb = thumbnail(xray, model.size)
    if not thumb.any():  # thumbnail() centres and scales it: all zeros for a film of one grey level
        return False
    return bool(model(thumb[None, None])[0] > 0)


def check_polarity(polarity: str) -> str:
    """``polarity`` if it is one of :data:`POLARITIES`, else a ValueError that names them."""
    if polarity not in POLARITIES:
        raise ValueError(f"unknown polarity {polarity!r}; use one of {', '.join(POLARITIES)}")
    return polarity


def lungs_prefer_as_came(logits: np.ndarray) -> bool:
    """Whether the lung model's logits (2, C, S, S) for a film as it came (first) and turned over (second) overrule
    the polarity model's "inverted": the confident lung (channel 0) as it came is at least :data:`MIN_CONFIDENT` of
    the image and more than :data:`OVERRULE` times the confident lung turned over. Upright lungs are the lung model's
    whole training; upside down it finds little it is sure of."""
    as_came, turned = ((np.asarray(logits)[k, 0] > CONFIDENT_LOGIT).mean() for k in (0, 1))
    return bool(as_came >= MIN_CONFIDENT and as_came > OVERRULE * turned)


def turned_for_veto(xray: XRay, size: int, intensity: str) -> np.ndarray:
    """(1, S, S) working input of the film turned over for the lung model's veto, with the dark field of the film
    as it came (a white field once turned over) set to white: equalised, a noisy white field becomes speckle in
    which the lung model finds confident lung, and the veto fails (round 61's robustness row)."""
    small = resize_xray(xray, size, size)
    turned = np.float32(1.0) - small
    field = dark_field(small)
    if field is not None:
        turned[field] = turned.max()
    return normalize_intensity(turned, intensity)[None]
