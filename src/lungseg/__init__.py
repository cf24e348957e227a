"""lungseg: lung segmentation in chest X-rays with a U-Net."""

from __future__ import annotations

from typing import TYPE_CHECKING

__version__ = "0.1.0"

__all__ = ["Segmenter", "__version__"]

if TYPE_CHECKING:
    from lungseg.inference.segmenter import Segmenter


def __getattr__(name: str):
    """Import the Segmenter (and torch) only when it is asked for, so ``lungseg --help`` stays fast."""
    if name == "Segmenter":
        from lungseg.inference.segmenter import Segmenter

        return Segmenter
    raise AttributeError(f"module 'lungseg' has no attribute {name!r}")
