"""Drawing masks and labels over X-rays."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

# label -> RGB: 1 = patient's right lung (orange-red), 2 = patient's left lung (blue)
LABEL_COLOURS = {1: (255, 80, 0), 2: (0, 140, 255)}
OUTLINE = (255, 230, 0)


def overlay(image: np.ndarray, labels: np.ndarray, alpha: float = 0.35) -> np.ndarray:
    """RGB uint8: the [0, 1] image in gray, each label tinted in its colour, outlines in yellow.

    Outlines thicken with the image size so they stay visible on large radiographs.
    """
    gray = np.clip(image * 255, 0, 255).astype(np.uint8)
    rgb = np.repeat(gray[..., None], 3, axis=-1).astype(np.float32)
    labels = np.asarray(labels)
    for label, colour in LABEL_COLOURS.items():
        region = labels == label
        rgb[region] = (1 - alpha) * rgb[region] + alpha * np.array(colour, np.float32)
    mask = labels > 0
    outline = mask & ~ndimage.binary_erosion(mask)
    thickness = max(1, min(labels.shape) // 512)
    if thickness > 1:
        outline = ndimage.binary_dilation(outline, iterations=thickness - 1)
    rgb[outline] = OUTLINE
    return rgb.astype(np.uint8)
