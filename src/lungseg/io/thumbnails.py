"""Report thumbnails: small JPEGs of the overlays under ``OUT/report_files/thumbs/``.

``lungseg segment`` writes each one beside its overlay while the next images are segmented (the overlay is in
memory then); the report builder makes only the ones that are missing or older than their overlay.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from lungseg.io.atomic import atomic_path

THUMB_SIDE = 160
THUMBS = Path("report_files") / "thumbs"


def thumbnail_path(overlay: str | Path) -> Path:
    """Where the thumbnail of an overlay (a path relative to the output folder) goes, relative to that folder."""
    return (THUMBS / overlay).with_suffix(".jpg")


def save_thumbnail(image: np.ndarray | Image.Image, dest: Path) -> None:
    """A JPEG of at most THUMB_SIDE px, written atomically."""
    thumb = image if isinstance(image, Image.Image) else Image.fromarray(image)
    thumb = thumb.convert("RGB")
    thumb.thumbnail((THUMB_SIDE, THUMB_SIDE))
    dest.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(dest) as tmp:
        thumb.save(tmp, format="JPEG", quality=80)
