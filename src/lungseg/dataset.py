"""A torch Dataset that holds preprocessed images and masks in memory.

Decoding and resizing a PNG costs more than a training step's share of the CPU on two cores,
so every sample is decoded once; workers forked from the loader share the arrays.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch.utils.data import Dataset

from .data import Sample
from .imageio import read_image, read_mask
from .preprocess import Intensity, preprocess, resize_mask

log = logging.getLogger(__name__)

Augment = Callable[[np.ndarray, np.ndarray, np.random.Generator], tuple[np.ndarray, np.ndarray]]
WeightMap = Callable[[np.ndarray], np.ndarray]


def load_pair(sample: Sample, size: int, intensity: Intensity) -> tuple[np.ndarray, np.ndarray]:
    """Read one sample as (float32 image, bool mask), both (size, size)."""
    if sample.mask is None:
        raise ValueError(f"{sample.image}: no mask found for this image")
    image = preprocess(read_image(sample.image), size, intensity)
    mask = resize_mask(read_mask(sample.mask), size, size)
    return image, mask


class SegmentationDataset(Dataset):
    """Items are dicts: ``image`` (1, S, S) float32, ``mask`` (1, S, S) float32 in {0, 1}, and
    ``weight`` (1, S, S) when ``weight_map`` is given (computed on the augmented mask).

    ``augment(image, mask, rng)`` runs per item with a generator seeded from ``seed``, the
    epoch and the index, so an epoch's samples are the same whatever the number of workers
    and whichever worker draws them.
    """

    def __init__(
        self,
        samples: Sequence[Sample],
        size: int,
        intensity: Intensity = "equalize",
        augment: Augment | None = None,
        seed: int = 0,
        weight_map: WeightMap | None = None,
    ) -> None:
        start = time.perf_counter()
        pairs = [load_pair(s, size, intensity) for s in samples]
        self.names = [s.name for s in samples]
        self.images = np.stack([p[0] for p in pairs]) if pairs else np.zeros((0, size, size), np.float32)
        self.masks = np.stack([p[1] for p in pairs]) if pairs else np.zeros((0, size, size), bool)
        self.augment = augment
        self.weight_map = weight_map
        self.seed = seed
        self.epoch = 0
        log.debug("loaded %d samples at %d px in %.1f s", len(pairs), size, time.perf_counter() - start)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        image, mask = self.images[index], self.masks[index]
        if self.augment is not None:
            rng = np.random.default_rng([self.seed, self.epoch, index])
            image, mask = self.augment(image, mask, rng)
        item = {"image": _tensor(image), "mask": _tensor(mask)}
        if self.weight_map is not None:
            item["weight"] = _tensor(self.weight_map(mask))
        return item


def _tensor(array: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(array, dtype=np.float32))[None]
