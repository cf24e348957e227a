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

from lungseg.data.layouts import Sample
from lungseg.inference.preprocess import Intensity, normalize_intensity, resize_float, resize_mask
from lungseg.io.reader import read_mask, read_xray
from lungseg.training.augment import per_mask

log = logging.getLogger(__name__)

Augment = Callable[[np.ndarray, np.ndarray, np.random.Generator], tuple[np.ndarray, np.ndarray]]
WeightMap = Callable[[np.ndarray], np.ndarray]


Simulate = Callable[[np.ndarray, np.ndarray, np.random.Generator], tuple[np.ndarray, np.ndarray]]


def load_pair(sample: Sample, size: int, mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Read one sample as (float32 image in [0, 1] before intensity normalisation, bool mask), (size, size);
    a given (size, size) ``mask`` stands in for the sample's mask file, which is then not read."""
    if mask is None and sample.mask is None:
        raise ValueError(f"{sample.image}: no mask found for this image")
    image = resize_float(read_xray(sample.image).pixels, size, size)
    return image, resize_mask(read_mask(sample.mask), size, size) if mask is None else np.asarray(mask, bool)


class SegmentationDataset(Dataset):
    """Items are dicts: ``image`` (1, S, S) float32, ``mask`` (1, S, S) float32 in {0, 1}, and
    ``weight`` (1, S, S) when ``weight_map`` is given (computed on the augmented mask).

    With ``hearts`` (one (S, S) bool heart mask or None per sample) the masks are (2, S, S), lungs then
    heart, weights are per channel, and items gain ``has_heart`` (1.0 where the heart is known).

    With ``cares`` (one (S, S) bool map or None per sample) the lung channel's weight is zero outside the
    sample's map (None: everywhere counts): the map rides along as an extra mask channel, so pathology
    simulation and augmentation move it with the masks. It needs ``weight_map``. ``lungs`` (one (S, S)
    bool mask or None per sample) replaces a sample's lung mask where given.

    ``simulate(image, mask, rng)`` (pathology) runs on the raw image before intensity
    normalisation, as a sick patient's film would be normalised at inference;
    ``augment(image, mask, rng)`` runs after it, per item, with a generator seeded from ``seed``, the
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
        simulate: Simulate | None = None,
        hearts: Sequence[np.ndarray | None] | None = None,
        cares: Sequence[np.ndarray | None] | None = None,
        lungs: Sequence[np.ndarray | None] | None = None,
    ) -> None:
        if cares is not None and weight_map is None:
            raise ValueError("a dataset with cares (zones where the lung loss counts) needs a weight_map")
        start = time.perf_counter()
        lungs = [None] * len(samples) if lungs is None else lungs  # a given lung mask replaces the file's
        pairs = [load_pair(s, size, lung) for s, lung in zip(samples, lungs, strict=True)]
        self.names = [s.name for s in samples]
        self.intensity = intensity
        self.raw = np.stack([p[0] for p in pairs]) if simulate is not None and pairs else None
        normalized = [normalize_intensity(p[0], intensity) for p in pairs]
        self.images = np.stack(normalized) if pairs else np.zeros((0, size, size), np.float32)
        self.masks = np.stack([p[1] for p in pairs]) if pairs else np.zeros((0, size, size), bool)
        self.has_heart = None
        if hearts is not None:
            empty = np.zeros((size, size), bool)
            self.has_heart = np.array([h is not None for h in hearts], np.float32)
            heart = np.stack([empty if h is None else h for h in hearts]) if pairs else np.zeros_like(self.masks)
            self.masks = np.stack([self.masks, heart], axis=1)
        self.has_care = cares is not None and bool(pairs)
        if self.has_care:
            full = np.ones((size, size), bool)
            care = np.stack([full if c is None else np.asarray(c, bool) for c in cares])
            lead = self.masks if self.masks.ndim == 4 else self.masks[:, None]
            self.masks = np.concatenate([lead, care[:, None]], axis=1)
        self.augment = augment
        self.simulate = simulate
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
        rng = np.random.default_rng([self.seed, self.epoch, index])
        if self.simulate is not None and self.raw is not None:
            image, mask = self.simulate(self.raw[index], mask, rng)
            image = normalize_intensity(image, self.intensity)
        if self.augment is not None:
            image, mask = self.augment(image, mask, rng)
        care = None
        if self.has_care:
            care, mask = mask[-1], (mask[:-1] if len(mask) > 2 else mask[0])
        item = {"image": _tensor(image), "mask": _tensor(mask)}
        if self.weight_map is not None:
            weight = per_mask(self.weight_map, mask)
            if care is not None:
                (weight[0] if weight.ndim == 3 else weight)[~care] = 0.0
            item["weight"] = _tensor(weight)
        if self.has_heart is not None:
            item["has_heart"] = torch.tensor(self.has_heart[index])
        return item


def _tensor(array: np.ndarray) -> torch.Tensor:
    """(H, W) -> (1, H, W), (C, H, W) as it is; float32."""
    out = torch.from_numpy(np.ascontiguousarray(array, dtype=np.float32))
    return out[None] if out.ndim == 2 else out
