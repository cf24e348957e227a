"""Mask clean-up and left/right lung labels.

On a standard frontal (PA/AP) view the patient's right lung is on the image's left. Labels:
0 background, 1 = the patient's right lung (image left), 2 = the patient's left lung (image right).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

RIGHT_LUNG, LEFT_LUNG = 1, 2


def _components(mask: np.ndarray) -> tuple[np.ndarray, int]:
    return ndimage.label(mask, structure=ndimage.generate_binary_structure(2, 2))


def split_merged(mask: np.ndarray, component: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Split one component that spans both halves at its thinnest column near the middle.

    Returns (image-left part, image-right part).
    """
    width = mask.shape[1]
    lo, hi = int(width * 0.3), max(int(width * 0.7), int(width * 0.3) + 1)
    column = lo + int(np.argmin(component[:, lo:hi].sum(axis=0)))
    left, right = component.copy(), component.copy()
    left[:, column:] = False
    right[:, :column] = False
    return left, right


def lung_sides(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(image-left lung, image-right lung): the largest component on each side of the midline.

    A single component with a large share on both halves (lungs touching through the mediastinum)
    is cut at its thinnest column first. Components are assigned by their center of mass.
    """
    mask = np.asarray(mask, bool)
    labels, n = _components(mask)
    if n == 0:
        return np.zeros_like(mask), np.zeros_like(mask)
    sizes = ndimage.sum_labels(mask, labels, index=np.arange(1, n + 1))
    largest = labels == 1 + int(np.argmax(sizes))
    mid = mask.shape[1] / 2
    left_share = largest[:, : int(mid)].sum() / max(largest.sum(), 1)
    if 0.25 < left_share < 0.75:  # one blob across both halves
        return split_merged(mask, largest)
    sides: list[tuple[np.ndarray, float]] = [(np.zeros_like(mask), 0.0), (np.zeros_like(mask), 0.0)]
    centers = ndimage.center_of_mass(mask, labels, index=np.arange(1, n + 1))
    for k, ((_, cx), size) in enumerate(zip(centers, sizes, strict=True)):
        side = 0 if cx < mid else 1
        if size > sides[side][1]:
            sides[side] = (labels == k + 1, float(size))
    return sides[0][0], sides[1][0]


def postprocess(mask: np.ndarray) -> np.ndarray:
    """Keep the largest component per lung side and fill holes in each."""
    left, right = lung_sides(mask)
    return ndimage.binary_fill_holes(left) | ndimage.binary_fill_holes(right)


def lung_labels(mask: np.ndarray) -> np.ndarray:
    """uint8 labels: 1 = patient's right lung (image left), 2 = patient's left lung (image right).

    Every mask pixel gets a label: pixels outside the two main components go to the nearer side
    of the midline, so the labels cover exactly the mask (also without post-processing).
    """
    mask = np.asarray(mask, bool)
    image_left, image_right = lung_sides(mask)
    labels = np.zeros(mask.shape, np.uint8)
    half = mask.shape[1] // 2
    labels[:, :half][mask[:, :half]] = RIGHT_LUNG
    labels[:, half:][mask[:, half:]] = LEFT_LUNG
    labels[image_left] = RIGHT_LUNG
    labels[image_right] = LEFT_LUNG
    return labels
