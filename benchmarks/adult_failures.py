"""Adult films with dense disease drawn on them, and what a failing lung model finds there (round 39).

The shape model learns real lung-model failures only on children's films (round 30: the v1 model's lungs on v7
films); its adult pairs are zones cut out geometrically and painted. Here each adult training film gets ``draws``
dense diseases of the training augmentation (``lungseg.training.pathology``: consolidation, effusion, whiteout, now
and then two, with lines and text sometimes) and the failing model's own lungs on that film: how a lung model that never
saw such a film drops an opaque zone, the closest stand-in we have for the hidden check's portable films.
Used by ``shape_model.py --adult-failures N``; the manual mask stays the target (no disease moves the lung).
``--portable`` (round 41) also gives the sick copies the look of a portable ICU film, each with its own chance: lower
inspiration (squashed), a flat noisy film, shutter borders, an off-centre frame; the mask moves with the geometric ones.
"""

from __future__ import annotations

import logging

import numpy as np

from lungseg.inference.preprocess import resize_float
from lungseg.inference.segmenter import Segmenter
from lungseg.inference.shape_completion import shape_image, shape_input
from lungseg.io.reader import XRay, read_mask, read_xray
from lungseg.training import drawing
from lungseg.training.pathology import collimation, consolidation, effusion, low_contrast, offcentre, squash, whiteout

WORK = 512  # films are drawn on at this side (the lung model sees 256, the shape model 128)
PORTABLE = {"squash": 0.35, "low_contrast": 0.5, "collimation": 0.3, "offcentre": 0.25}  # --portable: chance of each
log = logging.getLogger("adult_failures")


def dense(image: np.ndarray, mask: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``image`` (H, W) [0, 1] with one dense disease inside ``mask``, a second a third of the time, and lines or
    burned-in text now and then (the look of a portable film)."""
    kinds = (lambda i: consolidation(i, mask, rng, strength=(0.7, 1.0)),
             lambda i: effusion(i, mask, rng, height=(0.3, 0.8)),
             lambda i: whiteout(i, mask, rng))  # fmt: skip
    for k in rng.choice(len(kinds), size=2 if rng.random() < 1 / 3 else 1, replace=False):
        image = kinds[int(k)](image)
    image = drawing.devices(image, rng) if rng.random() < 0.3 else image
    image = drawing.burned_text(image, rng) if rng.random() < 0.3 else image
    return np.clip(image, 0, 1).astype(np.float32)


def sick_copy(image: np.ndarray, mask: np.ndarray, seed: tuple[int, int],
              portable: bool) -> tuple[np.ndarray, np.ndarray]:
    """(film, mask) of one sick copy: :func:`dense` disease from seed [39, *seed] (as round 39 drew it), and with
    ``portable`` the portable look from its own seed [41, *seed]: squashed before the disease is drawn (inside the
    moved lung), then flat and noisy, shuttered and off-centre, each ``PORTABLE`` of the time."""
    rng = np.random.default_rng([41, *seed])
    if portable and rng.random() < PORTABLE["squash"]:
        image, mask = squash(image, mask, rng)
    image = dense(image, mask, np.random.default_rng([39, *seed]))
    if portable:
        image = low_contrast(image, rng) if rng.random() < PORTABLE["low_contrast"] else image
        image = collimation(image, rng) if rng.random() < PORTABLE["collimation"] else image
        if rng.random() < PORTABLE["offcentre"]:
            image, mask = offcentre(image, mask, rng)
    return np.clip(image, 0, 1).astype(np.float32), mask


def adult_failures(samples: list, models: list[str], draws: int, size: int,
                   portable: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """(films (F, size, size) float32 as read, not equalised; sources (F,) int: which of ``samples`` each is drawn on;
    founds (models, F, size, size) bool: each model's lungs on it, post-processed, nothing completed; with
    ``portable`` the copies' own masks (F, size, size) bool, moved with the film, else None), F = ``draws`` per
    sample, seeds (sample, draw)."""
    segs = [Segmenter.from_pretrained(m, device="cpu", complete_lungs=False, shape_model=False, heart=None,
                                      quality=False) for m in models]  # fmt: skip
    films, sources, founds, moved = [], [], [[] for _ in segs], []
    for i, s in enumerate(samples):
        mask = read_mask(s.mask)
        mask = resize_float(mask.astype(np.float32), WORK, WORK) > 0.5
        image = resize_float(read_xray(s.image).pixels, WORK, WORK)
        for d in range(draws):
            film, lung = sick_copy(image, mask, (i, d), portable)
            sick = XRay(film)
            films.append(shape_image(sick, size, equalize=False))
            sources.append(i)
            moved.append(shape_input(lung, size)[0, 0] > 0)
            for seg, out in zip(segs, founds, strict=True):
                out.append(shape_input(seg(sick).mask, size)[0, 0] > 0)
        if i % 100 == 0:
            log.info("adult failures: film %d of %d", i, len(samples))
    own = np.stack(moved) if portable else None
    return np.stack(films), np.asarray(sources), np.stack([np.stack(f) for f in founds]), own


def after_adults(arrays: tuple, adults: int, films: np.ndarray, sources: np.ndarray, founds: np.ndarray,
                 own: np.ndarray | None = None) -> tuple:
    """The shape model's training arrays (films, masks, cares, founds of the children) with :func:`adult_failures`'
    sick films put between the first ``adults`` and the children: their masks ``own`` (moved with a portable film)
    or else those of their sources, their cares all ones, their founds before the children's; and how many."""
    all_films, masks, cares, kid_founds = arrays
    n, size = len(films), films.shape[-1]
    return (np.concatenate([all_films[:adults], films, all_films[adults:]]),
            np.concatenate([masks[:adults], masks[sources] if own is None else own, masks[adults:]]),
            np.concatenate([cares[:adults], np.ones((n, size, size), bool), cares[adults:]]),
            np.concatenate([founds, kid_founds], axis=1), n)  # fmt: skip
