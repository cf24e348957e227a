"""Training curves drawn with Pillow (no plotting library needed)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PIL import Image, ImageDraw

from lungseg.io.atomic import atomic_path

COLOURS = ((31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40))


def _panel(
    draw: ImageDraw.ImageDraw,
    box: tuple[int, int, int, int],
    title: str,
    series: dict[str, Sequence[float]],
) -> None:
    """Draw named series against epoch number inside ``box`` with min/max labels and a legend."""
    x0, y0, x1, y1 = box
    draw.rectangle(box, outline=(0, 0, 0))
    draw.text((x0 + 4, y0 - 14), title, fill=(0, 0, 0))
    values = [v for vs in series.values() for v in vs if v == v]  # drop NaN
    if not values:
        return
    lo, hi = min(values), max(values)
    hi = hi if hi > lo else lo + 1e-6
    n = max(len(vs) for vs in series.values())
    for i, (name, vs) in enumerate(series.items()):
        colour = COLOURS[i % len(COLOURS)]
        points = [
            (x0 + (x1 - x0) * (j / max(n - 1, 1)), y1 - (y1 - y0) * (v - lo) / (hi - lo))
            for j, v in enumerate(vs)
            if v == v
        ]
        if len(points) > 1:
            draw.line(points, fill=colour, width=2)
        for p in points:
            draw.ellipse((p[0] - 2, p[1] - 2, p[0] + 2, p[1] + 2), fill=colour)
        draw.text((x1 - 120, y0 + 4 + 12 * i), name, fill=colour)
    draw.text((x0 - 46, y0), f"{hi:.4g}", fill=(0, 0, 0))
    draw.text((x0 - 46, y1 - 10), f"{lo:.4g}", fill=(0, 0, 0))
    draw.text((x0, y1 + 4), "epoch 1", fill=(0, 0, 0))
    draw.text((x1 - 50, y1 + 4), f"epoch {n}", fill=(0, 0, 0))


def plot_history(history: list[dict[str, float]], path: str | Path) -> None:
    """Save a PNG with loss curves (left) and validation Dice / IoU (right)."""
    image = Image.new("RGB", (1000, 420), "white")
    draw = ImageDraw.Draw(image)
    col = lambda key: [float(h[key]) for h in history]  # noqa: E731
    _panel(draw, (60, 30, 480, 380), "loss", {"train": col("train_loss"), "val": col("val_loss")})
    _panel(draw, (560, 30, 980, 380), "validation", {"Dice": col("val_dice"), "IoU": col("val_iou")})
    with atomic_path(path) as tmp:
        image.save(tmp, format="PNG")
