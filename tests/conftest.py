"""Shared fixtures: synthetic ellipse "lungs" with known geometry, and the real data path."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

REPO = Path(__file__).resolve().parents[1]


def real_data_dir() -> Path:
    """``$LUNGSEG_DATA`` or ``../shared/data/Lung Segmentation`` beside the repo."""
    base = Path(os.environ.get("LUNGSEG_DATA", REPO.parent / "shared" / "data"))
    return base / "Lung Segmentation" if (base / "Lung Segmentation").is_dir() else base


def ellipse_pair(size: int = 64, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A dark-background "X-ray" (uint8) with two bright ellipses and their 0/255 mask."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size] / size
    mask = np.zeros((size, size), bool)
    for cx in (0.3, 0.7):
        cx += rng.uniform(-0.03, 0.03)
        mask |= ((xx - cx) / 0.15) ** 2 + ((yy - 0.5) / 0.3) ** 2 <= 1
    image = np.where(mask, 60, 180) + rng.normal(0, 10, mask.shape)
    return np.clip(image, 0, 255).astype(np.uint8), (mask * 255).astype(np.uint8)


def write_kaggle_tree(root: Path, n_shenzhen: int = 6, n_montgomery: int = 4, size: int = 64) -> Path:
    """A Kaggle-layout tree; the last Shenzhen image has no mask."""
    (root / "CXR_png").mkdir(parents=True)
    (root / "masks").mkdir()
    names = [f"CHNCXR_{i:04d}_0" for i in range(1, n_shenzhen + 1)]
    names += [f"MCUCXR_{i:04d}_1" for i in range(1, n_montgomery + 1)]
    for k, name in enumerate(names):
        image, mask = ellipse_pair(size, seed=k)
        Image.fromarray(image).save(root / "CXR_png" / f"{name}.png")
        if name == names[n_shenzhen - 1]:
            continue
        mask_name = f"{name}_mask.png" if name.startswith("CHNCXR") else f"{name}.png"
        Image.fromarray(mask).save(root / "masks" / mask_name)
    return root


@pytest.fixture(scope="session", autouse=True)
def onnx_cache(tmp_path_factory) -> Path:
    """One ONNX cache folder for the whole run (the bundled models' ONNX copies are written once), never the
    user's own ~/.cache/lungseg."""
    folder = tmp_path_factory.mktemp("onnx_cache")
    os.environ["LUNGSEG_CACHE"] = str(folder)
    return folder


@pytest.fixture
def no_band_crop(monkeypatch) -> None:
    """The band crop (round 71) off: a synthetic film on a flat background has flat bands at its edges and would be
    cropped and resampled, where a test compares the masks pixel for pixel with what it drew; and a body as flat as
    the band around it lets round 74's band run on into the lungs (no real film is that flat)."""
    from lungseg.inference import body_crop

    monkeypatch.setattr(body_crop, "BAND_CROP", False)


@pytest.fixture
def kaggle_tree(tmp_path: Path) -> Path:
    return write_kaggle_tree(tmp_path / "kaggle")


def missing_data(message: str) -> None:
    """Skip on a developer's machine without the data; fail in CI (CI=true), where a skip would let a
    run without the data pass blind."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{message} (CI=true: the shared data must be there)")
    pytest.skip(message)


@pytest.fixture
def real_data() -> Path:
    path = real_data_dir()
    if not (path / "CXR_png").is_dir():
        missing_data(f"real data not found at {path}; set LUNGSEG_DATA")
    return path


@pytest.fixture
def shared_data() -> Path:
    """The folder holding every shared data set (``Lung Segmentation/``, ``wingspan/``, ``v7_pediatric/``)."""
    path = real_data_dir()
    base = path.parent if path.name == "Lung Segmentation" else path
    if not (base / "wingspan").is_dir() or not (base / "v7_pediatric").is_dir():
        missing_data(f"wingspan/ and v7_pediatric/ not found in {base}; set LUNGSEG_DATA")
    return base
