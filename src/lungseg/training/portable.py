"""The look of a portable (bedside, ICU) film, drawn on a training X-ray: a flat, noisy exposure, shutter
borders, lower inspiration and off-centre framing. The geometric kinds move the masks with the film."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from lungseg.training.augment import per_mask


def low_contrast(image, rng):
    """A flat, noisy portable film: scatter veil, compressed range, quantum noise."""
    veil = rng.uniform(0.2, 0.5)
    out = image * (1 - veil) + veil * ndimage.gaussian_filter(image, 20)
    out = out * rng.uniform(0.3, 0.7) + rng.uniform(0.1, 0.4)
    return out + rng.normal(0, rng.uniform(0.005, 0.02), size=image.shape)


def collimation(image, rng):
    """Shutter borders: 1-4 sides set to a flat black or white band."""
    out = image.copy()
    h, w = image.shape
    value = float(rng.choice([0.0, 1.0, rng.uniform(0.6, 0.95)]))
    for side in np.nonzero(rng.random(4) < 0.5)[0]:
        depth = int(rng.uniform(0.02, 0.12) * (h if side < 2 else w))
        if side == 0:
            out[:depth] = value
        elif side == 1:
            out[h - depth :] = value
        elif side == 2:
            out[:, :depth] = value
        else:
            out[:, w - depth :] = value
    return out


def squash(image, mask, rng, scale=(0.8, 0.95)):
    """Lower inspiration: the chest shortened vertically about its top, the abdomen rising."""
    s = rng.uniform(*scale)
    h, w = image.shape
    yy, xx = np.mgrid[:h, :w].astype(np.float32)
    coords = np.stack([yy / s, xx])
    out = ndimage.map_coordinates(image, coords, order=1, mode="nearest")
    out_mask = per_mask(
        lambda m: ndimage.map_coordinates(m.astype(np.float32), coords, order=1, mode="constant") > 0.5, mask
    )
    return out, out_mask


def offcentre(image, mask, rng, pad=0.4):
    """The chest framed off-centre: one side padded by up to ``pad`` of the width, resized back."""
    w = image.shape[1]
    extra = int(rng.uniform(0.1, pad) * w)
    left = bool(rng.random() < 0.5)
    fill = float(rng.choice([0.0, np.percentile(image, 5)]))
    widths = ((0, 0), (extra, 0)) if left else ((0, 0), (0, extra))
    big = np.pad(image, widths, constant_values=fill)
    zoom = (1.0, w / big.shape[1])
    out = ndimage.zoom(big, zoom, order=1)[:, :w]
    out_mask = per_mask(lambda m: ndimage.zoom(np.pad(m, widths).astype(np.float32), zoom, order=1)[:, :w] > 0.5, mask)
    return out, out_mask
