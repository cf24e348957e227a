"""The Python API: ``Segmenter.from_pretrained()(path_or_array)`` -> mask, labels, probabilities, measurements.

The model sees each image at its working size; probabilities are resized back to the input's
own size, so every output has the input's width and height.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

from lungseg.inference.measure import measure
from lungseg.inference.postprocess import lung_labels, postprocess
from lungseg.inference.predict import autocast, predict_logits, resolve_device
from lungseg.inference.preprocess import preprocess
from lungseg.inference.tiling import model_tile_geometry, sliding_window
from lungseg.io.reader import XRay, from_array, read_xray
from lungseg.model.checkpoint import load_model
from lungseg.model.pretrained import resolve_model
from lungseg.model.unet import UNet

log = logging.getLogger(__name__)


@dataclass
class SegmentationResult:
    """Everything lungseg knows about one input; ``error`` is set (and arrays empty) if it failed."""

    source: str
    mask: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), bool))
    labels: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.uint8))
    probabilities: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32))
    measurements: dict = field(default_factory=dict)
    image: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32))
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error


class _Inputs(Dataset):
    """Reads and preprocesses inputs in DataLoader workers; a failure becomes an ``error`` string."""

    def __init__(self, items: list, size: int, intensity: str) -> None:
        self.items, self.size, self.intensity = items, size, intensity

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> dict:
        item = self.items[index]
        source = str(item) if isinstance(item, (str, Path)) else f"array[{index}]"
        try:
            xray = _as_xray(item)
            work = torch.from_numpy(preprocess(xray.pixels, self.size, self.intensity))[None]
        except ValueError as exc:
            return {"index": index, "source": source, "error": str(exc)}
        except Exception as exc:  # a reader bug must not end a batch of thousands
            return {"index": index, "source": source, "error": f"{source}: unexpected error {exc!r}"}
        return {"index": index, "source": source, "xray": xray, "work": work, "error": ""}


def _as_xray(item) -> XRay:
    if isinstance(item, XRay):
        return item
    if isinstance(item, (str, Path)):
        return read_xray(item)
    return from_array(item)


class Segmenter:
    """Lung segmentation with a trained U-Net; see :meth:`from_pretrained`."""

    def __init__(
        self,
        model: UNet,
        image_size: int,
        intensity: str = "equalize",
        device: str = "auto",
        tile: int | None = None,
        tile_overlap: float = 0.5,
        postprocess: bool = True,
        threshold: float = 0.5,
    ) -> None:
        if not 0.0 < threshold < 1.0:
            raise ValueError(f"threshold must be between 0 and 1, got {threshold}")
        self.device = resolve_device(device)
        self.model = model.eval().to(self.device, memory_format=torch.channels_last)
        self.image_size, self.intensity = image_size, intensity
        self.geometry = model_tile_geometry(model.config, tile, tile_overlap) if tile else None
        self.postprocess = postprocess
        self.threshold = threshold
        self.payload: dict = {}

    @classmethod
    def from_pretrained(
        cls, name_or_path: str | Path | None = None, threshold: float | None = None, **kwargs
    ) -> Segmenter:
        """The bundled default model, a bundled model by name, or a checkpoint file from ``lungseg train``.

        The threshold defaults to the one calibrated on validation data and stored in the checkpoint.
        """
        model, payload = load_model(resolve_model(name_or_path))
        cfg = payload.get("train_config", {})
        threshold = float(payload.get("threshold", 0.5)) if threshold is None else threshold
        size, intensity = int(cfg.get("image_size", 256)), cfg.get("intensity", "equalize")
        segmenter = cls(model, size, intensity, threshold=threshold, **kwargs)
        segmenter.payload = payload
        return segmenter

    def __call__(self, image: str | Path | np.ndarray | XRay) -> SegmentationResult:
        """Segment one file path, image array or XRay; raises ValueError for an unreadable input."""
        result = next(self.segment_many([image], batch_size=1))
        if result.error:
            raise ValueError(result.error)
        return result

    @torch.inference_mode()
    def predict_working(self, work: torch.Tensor) -> torch.Tensor:
        """Logits (N, 1, S, S) for preprocessed inputs (N, 1, S, S), in one pass or by tiles."""
        work = work.to(self.device, memory_format=torch.channels_last)
        with autocast(self.device):
            if self.geometry is None:
                return predict_logits(self.model, work).float()
            return sliding_window(work, self.model, self.geometry).float()

    def finish(self, xray: XRay, logits: torch.Tensor, source: str) -> SegmentationResult:
        """Resize logits (1, 1, S, S) to the input's size; threshold, clean up, label, measure."""
        logits = F.interpolate(logits[None].float(), size=xray.pixels.shape, mode="bilinear", align_corners=False)
        prob = torch.sigmoid(logits)[0, 0].cpu().numpy()
        mask = prob >= self.threshold
        if self.postprocess:
            mask = postprocess(mask)
        labels = lung_labels(mask)
        return SegmentationResult(source, mask, labels, prob, measure(labels, prob, xray.spacing), xray.pixels)

    def segment_many(
        self, items: Iterable, batch_size: int = 4, workers: int = 0, progress=None
    ) -> Iterator[SegmentationResult]:
        """Stream results in input order; reading and preprocessing run ahead in ``workers`` processes."""
        items = list(items)
        loader = DataLoader(
            _Inputs(items, self.image_size, self.intensity),
            batch_size=batch_size,
            num_workers=workers,
            collate_fn=list,
            prefetch_factor=2 if workers else None,
        )
        for batch in loader:
            good = [b for b in batch if not b["error"]]
            logits = self.predict_working(torch.stack([b["work"] for b in good])) if good else None
            outputs = {b["index"]: self.finish(b["xray"], logits[k], b["source"]) for k, b in enumerate(good)}
            for b in batch:
                yield outputs.get(b["index"]) or SegmentationResult(b["source"], error=b["error"])
                if progress is not None:
                    progress.update(1)
