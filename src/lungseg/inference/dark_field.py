"""A large dark field around the chest (padding, a wide field of view), made flat before equalisation.

Histogram equalisation gives each grey level a share of the output range equal to its share of the pixels. A
film whose chest sits small in a black field hands that field half the range as soon as it carries any noise
(film grain, a detector's, a digitiser's): the field turns into bright speckle and both the lung model and the
shape model lose the lungs (round 59, ``runs/criterion59.txt`` and the model card: validation films shrunk into
a black field with noise of sigma 0.005-0.015 fell from 0.96 to 0.75). Where no such field exists, or it is flat
already, the film is left as it is.
"""

from __future__ import annotations

import numpy as np

from lungseg.inference.lazy_scipy import ndimage

FOLD = True  # fold a dark field before equalising (round 59; runs/criterion59.txt)
BRIGHT = False  # ... and a bright field too (a white, noisy field: the film turned over, a shutter; round 61, judged)
BLOCK = 4  # pixels per side of the blocks whose means find the field (noise averages out over a block)
MARGIN = 0.05  # a block is dark when its mean lies within this of the darkest block's ([0, 1] film) ...
RELATIVE = 0.1  # ... and within this share of the spread of the block means (min to 99th percentile): a flat film
MIN_SHARE = 0.2  # ... and the dark blocks connected to the film's border cover at least this share of it
MAX_SHARE = 0.8  # ... and at most this (more is a film with no chest to keep, or one read wrong)


def dark_field(image: np.ndarray, block: int = BLOCK, margin: float = MARGIN, relative: float = RELATIVE,
               min_share: float = MIN_SHARE, max_share: float | None = None):
    """(H, W) bool: the dark blocks of a [0, 1] ``image`` connected to its border, or None when they cover
    less than ``min_share`` of it (most films: a dark lung inside the body never touches the border) or more than
    ``max_share``. ``relative`` keeps a flat portable film's lungs, a few hundredths above its darkest block, out;
    ``max_share`` None: :data:`MAX_SHARE` as it is at the call."""
    h, w = image.shape
    hb, wb = h // block, w // block
    if hb < 2 or wb < 2:
        return None
    means = image[: hb * block, : wb * block].reshape(hb, block, wb, block).mean(axis=(1, 3))
    lowest = float(means.min())
    spread = float(np.percentile(means, 99)) - lowest
    labels, _ = ndimage().label(means <= lowest + min(margin, relative * spread))
    border = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    field = np.isin(labels, border[border > 0])
    if not min_share <= field.mean() <= (MAX_SHARE if max_share is None else max_share):
        return None
    full = np.zeros((h, w), bool)
    full[: hb * block, : wb * block] = field.repeat(block, axis=0).repeat(block, axis=1)
    return full


def fold_dark_field(image: np.ndarray) -> np.ndarray:
    """``image`` with its :func:`dark_field` set to the image's minimum (so equalisation maps it to black) and, with
    :data:`BRIGHT`, a bright field (the same rule on the film turned over) set to its maximum; the same array when
    there is none or :data:`FOLD` is off."""
    if not FOLD:
        return image
    film = np.asarray(image, np.float32)
    dark = dark_field(film)
    bright = dark_field(-film) if BRIGHT else None
    if dark is None and bright is None:
        return image
    out = np.array(film)
    low, high = float(out.min()), float(out.max())
    if dark is not None:
        out[dark] = low
    if bright is not None:
        out[bright] = high
    return out
