"""lungseg: lung segmentation in chest X-rays with a U-Net."""

__version__ = "0.1.0"

__all__ = ["__version__"]
