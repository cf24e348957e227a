"""The PyTorch backend as a predictor: numpy batches in, numpy logits out.

Everything torch-specific about running a U-Net for inference lives here (the device, bf16 autocast,
channels-last memory, folded BatchNorms, overlap-tile inference), so the steps in
:mod:`lungseg.inference.pipeline` and :class:`~lungseg.inference.segmenter.Segmenter` stay numpy only
and the ONNX Runtime backend runs without importing torch.
"""

from __future__ import annotations

import numpy as np
import torch

from lungseg.inference.predict import autocast, predict_logits, resolve_device, use_bf16
from lungseg.inference.tiling import model_tile_geometry, sliding_window
from lungseg.model.fuse import fused_for_inference
from lungseg.model.unet import ModelConfig, UNet


class TorchPredictor:
    """``(N, 1, S, S) float32 array -> (N, C, S, S) float32 logits`` with a U-Net, in one pass or by tiles.

    Works on its own copy of the model (BatchNorms folded): the caller's model keeps its mode and device.
    """

    backend = "torch"

    def __init__(
        self, model: UNet, device: str = "auto", precision: str = "auto", tile: int | None = None,
        tile_overlap: float = 0.5,
    ) -> None:  # fmt: skip
        self.device = resolve_device(device)
        self.model = fused_for_inference(model).to(self.device, memory_format=torch.channels_last)
        self.precision = "bf16" if use_bf16(self.device, precision) else "fp32"
        self.geometry = model_tile_geometry(model.config, tile, tile_overlap) if tile else None

    @property
    def config(self) -> ModelConfig:
        return self.model.config

    @torch.inference_mode()
    def __call__(self, work: np.ndarray) -> np.ndarray:
        x = torch.from_numpy(np.ascontiguousarray(work, np.float32)).to(self.device, memory_format=torch.channels_last)
        with autocast(self.device, self.precision):
            if self.geometry is None:
                out = predict_logits(self.model, x)
            else:
                out = sliding_window(x, self.model, self.geometry)
        return out.float().cpu().numpy()
