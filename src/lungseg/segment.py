"""Segment X-ray files or folders with a checkpoint and write one binary mask per input.

Outputs mirror each input's path relative to the folder it was found in; existing outputs
are skipped unless ``overwrite``; a bad input is logged and the batch goes on.
"""

from __future__ import annotations

import logging
from importlib import resources
from pathlib import Path

import numpy as np
from tqdm import tqdm

from .checkpoint import load_model
from .imageio import IMAGE_SUFFIXES, read_image, save_png_atomic
from .inference import predict_probability, resolve_device

log = logging.getLogger(__name__)

SAMPLE = "sample_cxr.png"


def sample_path() -> Path:
    """The bundled sample X-ray (a downscaled Montgomery image; see assets/README.md)."""
    return Path(str(resources.files("lungseg") / "assets" / SAMPLE))


def find_inputs(inputs: list[str]) -> list[tuple[Path, Path]]:
    """(file, path relative to the folder it was found in) for files and folders (recursive)."""
    found = []
    for item in map(Path, inputs):
        if item.is_dir():
            files = sorted(p for p in item.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
            found += [(p, p.relative_to(item)) for p in files]
        elif item.is_file():
            found.append((item, Path(item.name)))
        else:
            raise ValueError(f"{item}: no such file or folder; check the path")
    return found


def mask_path(output: Path, relative: Path) -> Path:
    return output / relative.parent / f"{relative.stem}_mask.png"


def segment_file(model, image_path: Path, out_path: Path, size: int, intensity: str, device) -> None:
    """Predict the lung mask of one file at its own size and save it as 0/255 PNG."""
    prob = predict_probability(model, read_image(image_path), size, intensity, device)
    save_png_atomic(out_path, np.where(prob >= 0.5, 255, 0).astype(np.uint8))


def segment_cli(inputs: list[str], output: str, model_path: str | None, device: str, overwrite: bool) -> int:
    """Run segmentation over ``inputs``; returns 0 if every input succeeded, else 1."""
    if model_path is None:
        log.warning(
            "no default model yet: lungseg does not bundle trained weights in this version; "
            "train one with 'lungseg train' and pass --model RUN_DIR/best.pt"
        )
        return 0
    model, payload = load_model(model_path)
    dev = resolve_device(device)
    model.to(dev)
    cfg = payload.get("train_config", {})
    size, intensity = int(cfg.get("image_size", 256)), cfg.get("intensity", "equalize")
    files = find_inputs(inputs or [str(sample_path())])
    out_dir, failed = Path(output), 0
    for path, rel in tqdm(files, desc="segment", unit="img", disable=None):
        target = mask_path(out_dir, rel)
        if target.exists() and not overwrite:
            continue
        try:
            segment_file(model, path, target, size, intensity, dev)
        except ValueError as exc:
            failed += 1
            log.error("%s", exc)
    log.info("%d of %d inputs segmented into %s", len(files) - failed, len(files), out_dir)
    return 1 if failed else 0
