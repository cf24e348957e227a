"""Writing models as ONNX (needs torch and the onnx package: ``pip install lungseg[onnx]``).

An exported file is self-describing like a checkpoint: the model config, working size, intensity
mode, calibrated threshold and smoothing, lungseg version and the weights' licence travel in the
ONNX metadata, so ``lungseg segment --model model.onnx`` needs nothing else. The batch axis is
dynamic; height and width are fixed at the working size the model was trained at.
"""

from __future__ import annotations

import io
import json
import warnings
from pathlib import Path

import torch

from lungseg import __version__
from lungseg.inference.onnx_backend import META_KEY, require
from lungseg.io.atomic import atomic_path
from lungseg.model.checkpoint import load_model
from lungseg.model.pretrained import resolve_model


def _traced(model: torch.nn.Module, example: torch.Tensor, output: str) -> bytes:
    """``model`` traced to ONNX (opset 17, dynamic batch) as bytes."""
    buffer = io.BytesIO()
    with warnings.catch_warnings():  # the tracer's notes on the size check, which runs once at export
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        torch.onnx.export(
            model, (example,), buffer, input_names=["image"], output_names=[output], opset_version=17,
            dynamic_axes={"image": {0: "batch"}, output: {0: "batch"}}, dynamo=False,
        )  # fmt: skip
    return buffer.getvalue()


def _with_metadata(data: bytes, meta: dict) -> bytes:
    onnx = require("onnx")
    proto = onnx.load_from_string(data)
    entry = proto.metadata_props.add()
    entry.key, entry.value = META_KEY, json.dumps(meta)
    return proto.SerializeToString()


def onnx_bytes(name_or_path: str | Path | None) -> bytes:
    """The model of a checkpoint or bundled name as ONNX (opset 17, fp32, dynamic batch) with metadata."""
    require("onnx")
    model, payload = load_model(resolve_model(name_or_path))
    model = model.float().eval()
    cfg = payload.get("train_config", {})
    size = int(cfg.get("image_size", 256))
    data = _traced(model, torch.zeros(1, model.config.in_channels, size, size), "logits")
    meta = {
        "lungseg_version": __version__, "model_config": model.config.to_dict(),
        "train_config": {"image_size": size, "intensity": cfg.get("intensity", "equalize"),
                         "target": cfg.get("target", "lungs")},
        "threshold": float(payload.get("threshold", 0.5)), "smooth": float(payload.get("smooth", 0.0)),
        "heart_threshold": float(payload.get("heart_threshold", 0.5)),
        "heart_smooth": float(payload.get("heart_smooth", 0.0)),
        "split": payload.get("split"), "licence": payload.get("licence", ""),
    }  # fmt: skip
    return _with_metadata(data, meta)


def view_onnx_bytes(path: Path) -> bytes:
    """The view model (:mod:`lungseg.model.viewnet`) checkpoint at ``path`` as ONNX: thumbnails -> logits."""
    from lungseg.model.viewnet import load_view_model

    model, payload = load_view_model(path)
    size = model.config.size
    data = _traced(model.float().eval(), torch.zeros(1, 1, size, size), "logit")
    return _with_metadata(data, {"lungseg_version": __version__, "size": size, "licence": payload.get("licence", "")})


def export_onnx(source: str | Path | None, target: str | Path) -> Path:
    """Write ``source`` (checkpoint or bundled name) as a self-describing ONNX file, atomically."""
    target = Path(target)
    data = onnx_bytes(source)
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)
    return target
