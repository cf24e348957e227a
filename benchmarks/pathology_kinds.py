"""The pathology benchmark's own generator (fixed seeds), apart from the training simulator.

Three kinds are never used in training, so the benchmark does not just replay the augmentation:
- ``mass``: one to three large, round, well-defined dense lesions (tumour, round pneumonia);
- ``nodules``: dozens of small dense nodules over both lungs (miliary TB, metastases);
- ``lobar``: an upper- or lower-zone consolidation with a sharp straight fissure border.
Three kinds replay the training simulator's families with the benchmark's own seeds, for reference:
consolidation, effusion and white-out of a hemithorax. All leave the mask unchanged.
:func:`portable` (round 41, shape_failures' ``portable`` kind): an unseen kind on a film then given the look of a
portable ICU film, the reference moved with it.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import ndimage

from lungseg.training import pathology

Kind = Callable[[np.ndarray, np.ndarray, np.random.Generator], np.ndarray]


def _dense(image: np.ndarray, mask: np.ndarray) -> float:
    return float(np.percentile(image[~mask], 85)) if (~mask).any() else 0.8


def _lung_pixels(mask: np.ndarray, rng: np.random.Generator, n: int) -> np.ndarray:
    ys, xs = np.nonzero(mask)
    pick = rng.integers(len(ys), size=n)
    return np.stack([ys[pick], xs[pick]], axis=1)


def mass(image: np.ndarray, mask: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """1-3 round lesions of 8-18% of the image side, sharp-edged, centred inside a lung."""
    h, w = image.shape
    yy, xx = np.mgrid[:h, :w]
    alpha = np.zeros(image.shape, np.float32)
    for cy, cx in _lung_pixels(mask, rng, int(rng.integers(1, 4))):
        r = rng.uniform(0.04, 0.09) * max(h, w)
        ry, rx = r * rng.uniform(0.8, 1.2), r * rng.uniform(0.8, 1.2)
        alpha = np.maximum(alpha, (((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1).astype(np.float32))
    alpha = ndimage.gaussian_filter(alpha, 1.0) * rng.uniform(0.8, 1.0)
    return pathology.blend(image, alpha, _dense(image, mask))


def nodules(image: np.ndarray, mask: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """30-120 small nodules (0.5-1.5% of the side) scattered over the lungs."""
    h, w = image.shape
    alpha = np.zeros(image.shape, np.float32)
    for cy, cx in _lung_pixels(mask, rng, int(rng.integers(30, 121))):
        r = rng.uniform(0.005, 0.015) * max(h, w)
        y0, y1, x0, x1 = int(cy - r - 1), int(cy + r + 2), int(cx - r - 1), int(cx + r + 2)
        yy, xx = np.mgrid[max(y0, 0) : min(y1, h), max(x0, 0) : min(x1, w)]
        alpha[yy, xx] = np.maximum(alpha[yy, xx], ((yy - cy) ** 2 + (xx - cx) ** 2 <= r * r).astype(np.float32))
    alpha = ndimage.gaussian_filter(alpha, 0.7) * rng.uniform(0.6, 0.9)
    return pathology.blend(image, alpha, _dense(image, mask))


def lobar(image: np.ndarray, mask: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One lung's upper or lower zone made dense up to a straight, slightly tilted fissure line."""
    halves = pathology.lung_halves(mask)
    lung = halves[int(rng.integers(len(halves)))]
    ys = np.nonzero(lung)[0]
    h, w = image.shape
    yy, xx = np.mgrid[:h, :w]
    level = ys.min() + rng.uniform(0.35, 0.6) * (ys.max() - ys.min())
    line = level + np.tan(np.radians(rng.uniform(-10, 10))) * (xx - w / 2)
    zone = lung & ((yy < line) if rng.random() < 0.5 else (yy > line))
    alpha = ndimage.gaussian_filter(zone.astype(np.float32), 1.0) * rng.uniform(0.85, 1.0)
    return pathology.blend(image, alpha, _dense(image, mask))


def consolidation(image, mask, rng):
    return pathology.consolidation(image, mask, rng)


def effusion(image, mask, rng):
    return pathology.effusion(image, mask, rng, (0.3, 0.6))


def whiteout(image, mask, rng):
    return pathology.whiteout(image, mask, rng)


UNSEEN: dict[str, Kind] = {"mass": mass, "nodules": nodules, "lobar": lobar}
SEEN: dict[str, Kind] = {"consolidation": consolidation, "effusion": effusion, "whiteout": whiteout}


def portable_stages(image: np.ndarray, mask: np.ndarray, i: int,
                    draw: int = 0) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(stage, film, mask) after each step of :func:`portable`'s case ``i``: the ``i``-th unseen kind in turn (mass,
    nodules, lobar) from seed [4000, i]; then squashed or framed off-centre (half each), made flat and noisy, and
    shuttered, in that order from seed [4001, i]. ``draw`` > 0: another case of the same film (the ``i + draw``-th
    kind, seeds [4000, i, draw] and [4001, i, draw]), for a larger validation sample (round 50)."""
    seeds = [i] if draw == 0 else [i, draw]
    kind = list(UNSEEN.values())[(i + draw) % len(UNSEEN)]
    image = np.clip(kind(image, mask, np.random.default_rng([4000, *seeds])), 0, 1)
    stages = [("disease", image, mask)]
    rng = np.random.default_rng([4001, *seeds])
    shift = pathology.squash if rng.random() < 0.5 else pathology.offcentre
    image, mask = shift(image, mask, rng)
    stages.append(("moved", image, mask))
    image = pathology.low_contrast(image, rng)
    stages.append(("flat", np.clip(image, 0, 1), mask))
    stages.append(("shuttered", np.clip(pathology.collimation(image, rng), 0, 1), mask))
    return [(name, film.astype(np.float32), m) for name, film, m in stages]


def portable(image: np.ndarray, mask: np.ndarray, i: int) -> tuple[np.ndarray, np.ndarray]:
    """(film, moved mask) of case ``i``: :func:`portable_stages`' last."""
    _, film, mask = portable_stages(image, mask, i)[-1]
    return film, mask
