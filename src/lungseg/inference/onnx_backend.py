"""ONNX export and an ONNX Runtime predictor (optional: ``pip install lungseg[onnx]``).

An exported file is self-describing like a checkpoint: the model config, working size, intensity
mode, calibrated threshold and smoothing, lungseg version and the weights' licence travel in the
ONNX metadata, so ``lungseg segment --model model.onnx`` needs nothing else. The batch axis is
dynamic; height and width are fixed at the working size the model was trained at.
"""

from __future__ import annotations

import io
import json
import logging
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch

from lungseg import __version__
from lungseg.io.atomic import atomic_path
from lungseg.model.checkpoint import load_model
from lungseg.model.pretrained import resolve_model
from lungseg.model.unet import ModelConfig

log = logging.getLogger(__name__)

INSTALL = "pip install 'lungseg[onnx]' (or: pip install onnxruntime onnx)"
META_KEY = "lungseg"


def _require(module: str):
    try:
        return __import__(module)
    except ImportError as exc:
        raise ValueError(f"the ONNX backend needs the {module} package; {INSTALL}") from exc


def onnx_bytes(name_or_path: str | Path | None) -> bytes:
    """The model of a checkpoint or bundled name as ONNX (opset 17, fp32, dynamic batch) with metadata."""
    onnx = _require("onnx")
    model, payload = load_model(resolve_model(name_or_path))
    model = model.float().eval()
    cfg = payload.get("train_config", {})
    size = int(cfg.get("image_size", 256))
    buffer = io.BytesIO()
    example = torch.zeros(1, model.config.in_channels, size, size)
    with warnings.catch_warnings():  # the tracer's notes on the size check, which runs once at export
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        torch.onnx.export(
            model, (example,), buffer, input_names=["image"], output_names=["logits"], opset_version=17,
            dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}}, dynamo=False,
        )  # fmt: skip
    proto = onnx.load_from_string(buffer.getvalue())
    meta = {
        "lungseg_version": __version__, "model_config": model.config.to_dict(),
        "train_config": {"image_size": size, "intensity": cfg.get("intensity", "equalize"),
                         "target": cfg.get("target", "lungs")},
        "threshold": float(payload.get("threshold", 0.5)), "smooth": float(payload.get("smooth", 0.0)),
        "heart_threshold": float(payload.get("heart_threshold", 0.5)),
        "heart_smooth": float(payload.get("heart_smooth", 0.0)),
        "split": payload.get("split"), "licence": payload.get("licence", ""),
    }  # fmt: skip
    entry = proto.metadata_props.add()
    entry.key, entry.value = META_KEY, json.dumps(meta)
    return proto.SerializeToString()


def export_onnx(source: str | Path | None, target: str | Path) -> Path:
    """Write ``source`` (checkpoint or bundled name) as a self-describing ONNX file, atomically."""
    target = Path(target)
    data = onnx_bytes(source)
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)
    return target


class OnnxModel:
    """A predictor with the U-Net's interface: ``.config`` and ``(N, C, S, S) tensor -> logits tensor``."""

    def __init__(self, data: bytes, config: ModelConfig, threads: int | None = None) -> None:
        ort = _require("onnxruntime")
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        self.session = ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])
        self.config = config

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        out = self.session.run(None, {"image": np.ascontiguousarray(x.float().cpu().numpy())})[0]
        return torch.from_numpy(out)


def load_onnx(name_or_path: str | Path | None) -> tuple[OnnxModel, dict[str, Any]]:
    """(predictor, payload-like metadata) from an .onnx file, or from a checkpoint exported in memory."""
    if name_or_path is not None and str(name_or_path).endswith(".onnx"):
        path = Path(name_or_path)
        if not path.is_file():
            raise ValueError(f"{path}: ONNX file not found; write one with 'lungseg export --format onnx'")
        data = path.read_bytes()
    else:
        data = onnx_bytes(name_or_path)
    onnx = _require("onnx")
    try:
        props = {p.key: p.value for p in onnx.load_from_string(data).metadata_props}
        meta = json.loads(props[META_KEY])
    except Exception as exc:  # a foreign or damaged ONNX file
        raise ValueError(f"{name_or_path}: not an ONNX file written by lungseg export ({exc})") from exc
    return OnnxModel(data, ModelConfig(**meta["model_config"])), meta
