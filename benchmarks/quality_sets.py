"""Inputs for fitting and judging the quality score: corrupted chest X-rays (true Dice known) and inputs that
are not frontal chest X-rays (scikit-image's sample pictures, X-rays turned on their side or upside down,
blanks, synthetic CT slices and lateral-view phantoms). Everything is made from a seed, so ``part="fit"``
and ``part="eval"`` never share a picture or a draw.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from pathology_kinds import SEEN, UNSEEN
from scipy import ndimage

Pair = tuple[np.ndarray, np.ndarray]


def _rotate(image, mask, rng):
    deg = rng.uniform(8, 35) * rng.choice([-1, 1])
    img = ndimage.rotate(image, deg, reshape=False, order=1, mode="constant")
    return img, ndimage.rotate(mask.astype(np.float32), deg, reshape=False, order=1) > 0.5


def _zoom_out(image, mask, rng):
    h, w = image.shape
    p = int(h * rng.uniform(0.1, 0.3))
    img, msk = np.pad(image, p), np.pad(mask, p)
    zoom = (h / img.shape[0], w / img.shape[1])
    return ndimage.zoom(img, zoom, order=1)[:h, :w], ndimage.zoom(msk.astype(np.float32), zoom, order=1)[:h, :w] > 0.5


def _crop(image, mask, rng):
    """Cut away one side (part of a lung): the mask is cut the same way."""
    w = image.shape[1]
    c = int(w * rng.uniform(0.15, 0.4))
    return (image[:, c:], mask[:, c:]) if rng.random() < 0.5 else (image[:, : w - c], mask[:, : w - c])


def _occlude(image, mask, rng):
    """A dark or bright block over part of the chest (a detector fault, a lead apron)."""
    h, w = image.shape
    bh, bw = int(h * rng.uniform(0.2, 0.5)), int(w * rng.uniform(0.2, 0.5))
    y, x = rng.integers(0, h - bh), rng.integers(0, w - bw)
    out = image.copy()
    out[y : y + bh, x : x + bw] = rng.choice([0.0, 1.0])
    return out, mask


def _intensity(fn):
    return lambda image, mask, rng: (np.clip(fn(image, rng), 0, 1).astype(np.float32), mask)


def _mask_kept(kind):
    """A disease kind (image only): the anatomical lung mask stays."""
    return lambda image, mask, rng: (np.clip(kind(image, mask, rng), 0, 1), mask)


PERTURB: dict[str, Callable] = {
    "gamma": _intensity(lambda x, r: x ** r.choice([0.3, 0.5, 2.0, 3.0])),
    "low_contrast": _intensity(lambda x, r: (s := r.uniform(0.1, 0.4)) * x + r.uniform(0.1, 1 - s)),
    "blur": _intensity(lambda x, r: ndimage.gaussian_filter(x, r.uniform(2, 8) * x.shape[0] / 512)),
    "noise": _intensity(lambda x, r: x + r.normal(0, r.uniform(0.05, 0.3), x.shape)),
    "inverted": _intensity(lambda x, r: 1 - x),
    "rotate": _rotate,
    "zoom_out": _zoom_out,
    "crop": _crop,
    "occlude": _occlude,
    **{k: _mask_kept(f) for k, f in {**SEEN, **UNSEEN}.items()},
}


def perturbed(image: np.ndarray, mask: np.ndarray, rng: np.random.Generator, k: int = 4) -> list[tuple[str, Pair]]:
    """``k`` different corruptions of one X-ray (some chained in pairs, for harder cases)."""
    names = rng.choice(sorted(PERTURB), size=k + 2, replace=False)
    out = []
    for i in range(k):
        img, msk = PERTURB[names[i]](image, mask, rng)
        label = names[i]
        if i % 2:  # every other case gets a second corruption on top
            img, msk = PERTURB[names[k + i // 2]](img, msk, rng)
            label += "+" + names[k + i // 2]
        out.append((label, (np.clip(img, 0, 1).astype(np.float32), msk)))
    return out


def _photos(part: str) -> list[tuple[str, np.ndarray]]:
    import skimage.data as d
    from skimage.color import rgb2gray

    names = ["astronaut", "camera", "coffee", "chelsea", "coins", "moon", "page", "text", "rocket", "horse",
             "hubble_deep_field", "immunohistochemistry", "clock", "grass", "gravel", "brick", "checkerboard",
             "retina", "logo", "colorwheel", "microaneurysms", "binary_blobs", "shepp_logan_phantom",
             "cell"]  # fmt: skip
    out = []
    for name in names[(0 if part == "fit" else 1) :: 2]:
        img = np.asarray(getattr(d, name)(), np.float64)
        img = rgb2gray(img[..., :3]) if img.ndim == 3 else img
        out.append((f"photo:{name}", ((img - img.min()) / max(np.ptp(img), 1e-9)).astype(np.float32)))
    return out


def _ct_slice(rng: np.random.Generator, n: int = 384) -> np.ndarray:
    """An axial chest CT-like slice: a bright body ellipse, two dark lungs, a spine and a table."""
    yy, xx = np.mgrid[:n, :n] / n
    img = np.zeros((n, n))
    body = ((xx - 0.5) / rng.uniform(0.38, 0.45)) ** 2 + ((yy - 0.5) / rng.uniform(0.28, 0.34)) ** 2 <= 1
    img[body] = 0.55
    for cx in (0.33, 0.67):
        lung = ((xx - cx) / rng.uniform(0.1, 0.14)) ** 2 + ((yy - 0.47) / rng.uniform(0.16, 0.22)) ** 2 <= 1
        img[lung] = 0.08
    img[((xx - 0.5) / 0.05) ** 2 + ((yy - 0.72) / 0.05) ** 2 <= 1] = 0.95
    img[(yy > 0.86) & (yy < 0.88)] = 0.7
    return np.clip(ndimage.gaussian_filter(img + rng.normal(0, 0.03, img.shape), 1.5), 0, 1).astype(np.float32)


def _lateral(rng: np.random.Generator, n: int = 384) -> np.ndarray:
    """A lateral-view phantom: one tall chest outline, one lung field, the spine along the back."""
    yy, xx = np.mgrid[:n, :n] / n
    img = np.full((n, n), 0.05)
    chest = ((xx - 0.5) / rng.uniform(0.3, 0.38)) ** 2 + ((yy - 0.55) / 0.45) ** 2 <= 1
    img[chest] = 0.6
    lung = ((xx - 0.5) / rng.uniform(0.2, 0.26)) ** 2 + ((yy - 0.45) / 0.3) ** 2 <= 1
    img[lung] = 0.3
    img[(xx > 0.72) & (xx < 0.8) & chest] = 0.9
    img[((xx - 0.42) / 0.1) ** 2 + ((yy - 0.62) / 0.12) ** 2 <= 1] = 0.7  # the heart
    return np.clip(ndimage.gaussian_filter(img + rng.normal(0, 0.03, img.shape), 2), 0, 1).astype(np.float32)


def _blanks(rng: np.random.Generator) -> list[tuple[str, np.ndarray]]:
    n = 256
    ramp = np.linspace(0, 1, n, dtype=np.float32)
    return [("blank:constant", np.full((n, n), rng.uniform(0.1, 0.9), np.float32)),
            ("blank:gradient", np.tile(ramp, (n, 1)) if rng.random() < 0.5 else np.tile(ramp[:, None], (1, n))),
            ("blank:noise", rng.uniform(0, 1, (n, n)).astype(np.float32)),
            ("blank:near_uniform", np.clip(0.5 + rng.normal(0, 0.01, (n, n)), 0, 1).astype(np.float32))]  # fmt: skip


def not_frontal(xrays: list[np.ndarray], part: str) -> list[tuple[str, np.ndarray]]:
    """The labelled set of inputs that must be flagged: pictures, turned X-rays, blanks, CT and laterals."""
    rng = np.random.default_rng(0 if part == "fit" else 1)
    out = _photos(part)
    for i, x in enumerate(xrays):
        turn = ("rot90", np.rot90(x)) if i % 3 == 0 else ("rot270", np.rot90(x, 3)) if i % 3 == 1 else None
        out += [turn] if turn else []
        out.append(("upside_down", x[::-1].copy() if i % 2 else np.rot90(x, 2).copy()))
    for k in range(3 if part == "eval" else 6):  # the fit part: more phantoms, so a kind of 3 is not outweighed
        out += _blanks(rng) if k < 3 else []
        out += [("ct_slice", _ct_slice(rng)), ("lateral_phantom", _lateral(rng))]
    return [(name, np.ascontiguousarray(img, np.float32)) for name, img in out]
