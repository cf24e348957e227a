"""Training on masks drawn in the *anatomical* convention (e.g. v7 pediatric) beside our *visible-field* masks.

Anatomical masks include the lung behind the heart; visible-field masks (Montgomery, Shenzhen, Wingspan)
stop at the heart border. Both conventions include opaque, consolidated lung in the lateral and lower
zones, which is what a model trained on mostly healthy visible-field films fails to learn. So such a set
trains the lung output on the zones both conventions agree on only (the weight map is zero in the
medial lower part of each lung); its films teach "opaque lung is lung" without moving the heart border.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
from scipy import ndimage

from lungseg.data.layouts import Sample, discover, load_split, select
from lungseg.inference.preprocess import resize_mask
from lungseg.io.reader import read_mask
from lungseg.training.pathology import lung_halves

log = logging.getLogger(__name__)

MEDIAL_FRACTION = 0.35  # of each lung's width, below its vertical midpoint: the heart border / retrocardiac lung


def agreement_zone(reference: np.ndarray, medial: float = MEDIAL_FRACTION) -> np.ndarray:
    """Bool (H, W) map of the pixels both conventions agree on, for a bool (H, W) anatomical mask.

    Left out: for each lung, the medial ``medial`` part of its width from its vertical midpoint down to
    its lowest row (widened by 5 px), i.e. the heart border and the lung behind the heart. Everything else
    counts, the abdomen below the lungs included.
    """
    reference = np.asarray(reference, bool)
    keep = np.ones(reference.shape, bool)
    centre = reference.shape[1] / 2
    rows = np.arange(reference.shape[0])[:, None]
    cols = np.arange(reference.shape[1])[None, :]
    for lung in lung_halves(reference):
        ys, xs = np.nonzero(lung)
        x0, x1 = xs.min(), xs.max()
        medial_is_right = (x0 + x1) / 2 < centre
        cut = x1 - medial * (x1 - x0) if medial_is_right else x0 + medial * (x1 - x0)
        inner = (cols >= cut) if medial_is_right else (cols <= cut)
        lower = (rows > (ys.min() + ys.max()) / 2) & (rows <= ys.max() + 5)
        keep &= ~(inner & lower & (cols >= x0 - 5) & (cols <= x1 + 5))
    return keep


def visible_field(anatomical: np.ndarray, heart: np.ndarray, band: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """(target, care) for an anatomical mask turned into the visible-field convention by a heart mask
    (a heart model's): the lung minus the heart is the target; the loss counts on the agreement zone and
    on the heart (there: not lung), but not within ``band`` px of the heart's outline, where a heart
    model's border is uncertain. All (H, W) bool."""
    anatomical, heart = np.asarray(anatomical, bool), np.asarray(heart, bool)
    if not heart.any():
        return anatomical, agreement_zone(anatomical)
    outline = ndimage.binary_dilation(heart, iterations=band) & ~ndimage.binary_erosion(heart, iterations=band)
    return anatomical & ~heart, (agreement_zone(anatomical) | heart) & ~outline


def anatomical_targets(samples: list[Sample], size: int, teacher: str = "", device: str = "auto") -> tuple[list, list]:
    """(cares, lungs) per sample at the working size: the agreement zone and no new target; with a heart
    ``teacher``, the :func:`visible_field` conversion by the teacher's heart masks (zone and lung target)."""
    masks = [resize_mask(read_mask(s.mask), size, size) for s in samples]
    if not teacher:
        return [agreement_zone(m) for m in masks], [None] * len(masks)
    from lungseg.training.heart_labels import teacher_masks  # runs the teacher: inference-side imports

    hearts = teacher_masks(samples, size, teacher, device)
    pairs = [visible_field(m, hearts[s.name]) for s, m in zip(samples, masks, strict=True)]
    return [care for _, care in pairs], [target for target, _ in pairs]


def anatomical_samples(folder: str | Path, split_file: str | Path, limit: int = 0) -> list[Sample]:
    """The training films of an anatomical-convention set: the ``train`` list of ``split_file``
    (its val/test films are never trained on), the first ``limit`` of them when ``limit`` > 0."""
    if not split_file:
        raise ValueError("anatomical_data needs anatomical_split: a split JSON whose 'train' list names its films")
    names = load_split(split_file)["train"]
    if limit:
        names = names[:limit]
    samples = select(discover(folder)[1], names, str(split_file))
    log.info("anatomical-convention films: %d from %s (lung loss where the conventions agree)", len(samples), folder)
    return samples
