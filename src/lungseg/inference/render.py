"""Drawing masks and labels over X-rays."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from lungseg.inference.ctr import cardiothoracic_ratio

# label -> RGB: 1 = patient's right lung (orange-red), 2 = patient's left lung (blue), 3 = heart (magenta)
LABEL_COLOURS = {1: (255, 80, 0), 2: (0, 140, 255), 3: (230, 0, 200)}
OUTLINE = (255, 230, 0)
THORAX_LINE, HEART_LINE = (0, 255, 120), (255, 0, 120)


def overlay(
    image: np.ndarray, labels: np.ndarray, alpha: float = 0.35, heart: np.ndarray | None = None
) -> np.ndarray:
    """RGB uint8: the [0, 1] image in gray, each label tinted in its colour, outlines in yellow; with a
    ``heart`` mask also the cardiothoracic ratio's two widths as lines.

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
    if heart is not None and heart.any():
        draw_ctr_lines(rgb, heart, (labels == 1) | (labels == 2), thickness)
    return rgb.astype(np.uint8)


def draw_ctr_lines(rgb: np.ndarray, heart: np.ndarray, lungs: np.ndarray, thickness: int) -> None:
    """The two widths of the cardiothoracic ratio as horizontal lines: thorax (green) and heart (pink)."""
    ctr = cardiothoracic_ratio(heart, lungs)
    for extent, colour in ((ctr.thorax, THORAX_LINE), (ctr.heart, HEART_LINE)):
        if extent.width:
            top = max(extent.row - thickness, 0)
            rgb[top : extent.row + thickness + 1, extent.left : extent.right + 1] = colour
