"""A picture of what training sees: augmented image/mask pairs with the mask drawn over the image."""

from __future__ import annotations

import functools
import random
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from lungseg.data.layouts import discover, labelled
from lungseg.inference.render import overlay
from lungseg.io.atomic import atomic_path
from lungseg.training.augment import Augmenter
from lungseg.training.config import TrainConfig
from lungseg.training.dataset import SegmentationDataset
from lungseg.training.pathology import simulate as pathology_simulate


def preview_grid(config: TrainConfig, n_images: int = 4, draws: int = 5) -> Image.Image:
    """Rows of samples: the unaugmented pair, then ``draws`` augmented ones (epochs 0..draws-1)."""
    if n_images < 1 or draws < 1:
        raise ValueError("augment-preview needs at least one image and one draw")
    samples = labelled(discover(config.data)[1])
    chosen = random.Random(config.seed).sample(samples, min(n_images, len(samples)))
    simulate = functools.partial(pathology_simulate, config=config.pathology) if config.pathology.enabled else None
    augment = Augmenter(config.augment)
    dataset = SegmentationDataset(chosen, config.image_size, config.intensity, augment, config.seed, simulate=simulate)
    rows = []
    for index in range(len(chosen)):  # the stored arrays are unaugmented; items are augmented
        cells = [overlay(dataset.images[index], dataset.masks[index])]
        for epoch in range(draws):
            dataset.set_epoch(epoch)
            item = dataset[index]
            cells.append(overlay(item["image"][0].numpy(), item["mask"][0].numpy() > 0.5))
        rows.append(np.concatenate(cells, axis=1))
    grid = Image.fromarray(np.concatenate(rows, axis=0))
    draw = ImageDraw.Draw(grid)
    draw.text((4, 4), "original", fill=(0, 255, 0))
    for k in range(draws):
        draw.text((4 + (k + 1) * config.image_size, 4), f"augmented {k + 1}", fill=(0, 255, 0))
    return grid


def save_preview(config: TrainConfig, output: str | Path, n_images: int = 4, draws: int = 5) -> Path:
    output = Path(output)
    grid = preview_grid(config, n_images, draws)
    with atomic_path(output) as tmp:
        grid.save(tmp, format="PNG")
    return output
