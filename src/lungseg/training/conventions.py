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

from lungseg.data.layouts import Sample, discover, load_split, select
from lungseg.inference.preprocess import resize_mask
from lungseg.io.reader import read_mask
from lungseg.training.pathology import lung_halves

log = logging.getLogger(__name__)

MEDIAL_FRACTION = 0.35  # of each lung's width, below its vertical midpoint: the heart border / retrocardiac lung


def agreement_zone(reference: np.ndarray, medial: float = MEDIAL_FRACTION) -> np.ndarray:
    """Bool (H, W) map of the pixels both conventions agree on, for a bool (H, W) anatomical mask.

    Left out: for each lung, the medial ``medial`` part of its width below its vertical midpoint
    (widened by 5 px), i.e. the heart border and the lung behind the heart. Everything else counts.
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
        keep &= ~(inner & (rows > (ys.min() + ys.max()) / 2) & (cols >= x0 - 5) & (cols <= x1 + 5))
    return keep


def agreement_zones(samples: list[Sample], size: int) -> list[np.ndarray]:
    """The agreement zone of each sample's mask at the working size (S, S)."""
    return [agreement_zone(resize_mask(read_mask(s.mask), size, size)) for s in samples]


def anatomical_samples(folder: str | Path, split_file: str | Path, limit: int = 0) -> list[Sample]:
    """The training films of an anatomical-convention set: the ``train`` list of ``split_file``
    (its val/test films are never trained on), the first ``limit`` of them when ``limit`` > 0."""
    if not split_file:
        raise ValueError("anatomical_data needs anatomical_split: a split JSON whose 'train' list names its films")
    names = load_split(split_file)["train"]
    if limit:
        names = names[:limit]
    samples = select(discover(folder)[1], names, str(split_file))
    log.info("anatomical-convention films: %d from %s (lung loss on the agreement zone only)", len(samples), folder)
    return samples
