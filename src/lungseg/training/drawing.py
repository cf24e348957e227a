"""Radiopaque things drawn over a chest film: lines, tubes, ECG leads, burned-in text and markers.

Drawn with PIL on a float layer at the image's size; dense objects are bright on an X-ray, so the
layer lifts pixels toward white and never darkens them.
"""

from __future__ import annotations

import itertools

import numpy as np
from PIL import Image, ImageDraw, ImageFont

WORDS = ("PORTABLE", "AP", "SUPINE", "ERECT", "L", "R", "ICU", "BEDSIDE", "12:41", "2020-03-17", "CHEST", "SEMI-ERECT")


def _canvas(shape: tuple[int, int]) -> tuple[Image.Image, ImageDraw.ImageDraw]:
    layer = Image.new("L", (shape[1], shape[0]), 0)
    return layer, ImageDraw.Draw(layer)


def _apply(image: np.ndarray, layer: Image.Image, strength: float) -> np.ndarray:
    alpha = np.asarray(layer, np.float32) / 255.0 * strength
    return image + alpha * (1.0 - image)


def _curve(rng: np.random.Generator, h: int, w: int, points: int = 4) -> list[tuple[float, float]]:
    """A smooth random path across the chest (quadratic-Bezier-like through random points)."""
    start = (rng.uniform(0, w), rng.uniform(0, h * 0.3))
    anchors = [start] + [(rng.uniform(0.1, 0.9) * w, rng.uniform(0.1, 1.0) * h) for _ in range(points - 1)]
    path = []
    for a, b in itertools.pairwise(anchors):
        for t in np.linspace(0, 1, 12, endpoint=False):
            path.append((a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t))
    path.append(anchors[-1])
    pts = np.array(path)
    kernel = np.ones(7) / 7  # smooth the polyline's corners
    xs = np.convolve(np.pad(pts[:, 0], 3, mode="edge"), kernel, "valid")
    ys = np.convolve(np.pad(pts[:, 1], 3, mode="edge"), kernel, "valid")
    return list(zip(xs.tolist(), ys.tolist(), strict=True))


def devices(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """1-4 lines or tubes (central lines, NG and endotracheal tubes, wires) and 0-5 ECG leads."""
    h, w = image.shape
    layer, draw = _canvas(image.shape)
    scale = max(h, w) / 256
    for _ in range(int(rng.integers(1, 5))):
        path = _curve(rng, h, w, int(rng.integers(2, 5)))
        width = max(1, int(rng.uniform(1, 3) * scale))
        draw.line(path, fill=int(rng.uniform(150, 255)), width=width, joint="curve")
        if rng.random() < 0.4:  # a tube: two walls
            shifted = [(x + 3 * scale, y) for x, y in path]
            draw.line(shifted, fill=int(rng.uniform(150, 255)), width=width)
    for _ in range(int(rng.integers(0, 6))):
        x, y, r = rng.uniform(0.1, 0.9) * w, rng.uniform(0.1, 0.9) * h, rng.uniform(4, 9) * scale
        draw.ellipse((x - r, y - r, x + r, y + r), outline=255, width=max(1, int(2 * scale)))
        draw.ellipse((x - r / 3, y - r / 3, x + r / 3, y + r / 3), fill=255)
    return _apply(image, layer, float(rng.uniform(0.5, 1.0)))


def burned_text(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """1-4 labels (side markers, 'PORTABLE', dates) anywhere on the film, possibly over a lung."""
    h, w = image.shape
    layer, draw = _canvas(image.shape)
    for _ in range(int(rng.integers(1, 5))):
        size = int(rng.uniform(0.03, 0.08) * h) + 6
        font = ImageFont.load_default(size=size)
        word = str(rng.choice(WORDS))
        xy = (rng.uniform(0, 0.85) * w, rng.uniform(0, 0.9) * h)
        if rng.random() < 0.3:  # a lead marker: letter in a box
            draw.rectangle((xy[0] - 2, xy[1] - 2, xy[0] + size, xy[1] + size + 2), outline=255, width=2)
        draw.text(xy, word, fill=255, font=font)
    return _apply(image, layer, float(rng.uniform(0.6, 1.0)))
