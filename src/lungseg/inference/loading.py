"""Which backend runs a model, and loading it there: the first half of ``Segmenter.from_pretrained``.

Kept apart from the Segmenter so that choosing ONNX Runtime never imports torch, and so that a heart model loaded
beside a lung model goes through the same two steps.
"""

from __future__ import annotations

import logging
from pathlib import Path

from lungseg.model.pretrained import resolve_model

log = logging.getLogger(__name__)

BACKENDS = ("auto", "torch", "onnxruntime")


def resolve_backend(name_or_path: str | Path | None, backend: str, device: str = "auto", precision: str = "auto",
                    tile: int | None = None) -> str:  # fmt: skip
    """"torch" or "onnxruntime" for ``backend`` ("auto": :func:`~lungseg.inference.onnx_backend.choose_backend`);
    an .onnx file always runs on ONNX Runtime. A ValueError names the choices for anything else."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; use auto, torch or onnxruntime")
    if backend == "auto":
        from lungseg.inference.onnx_backend import choose_backend

        backend = choose_backend(name_or_path, device, precision, tile)
        log.info("backend: %s", backend)
    if str(name_or_path or "").endswith(".onnx"):
        backend = "onnxruntime"  # a heart model beside it runs there too
    return backend


def load_for(name_or_path: str | Path | None, backend: str, threads: int | None = None) -> tuple[object, dict]:
    """(model, payload) of a bundled name, checkpoint or .onnx file on ``backend`` ("torch" or "onnxruntime");
    ``threads`` per forward pass (torch's are the process's: ``torch.set_num_threads``)."""
    if backend == "onnxruntime":
        from lungseg.inference.onnx_backend import load_onnx  # optional dependency

        return load_onnx(name_or_path, threads)
    from lungseg.model.checkpoint import load_model  # torch

    model, payload = load_model(resolve_model(name_or_path))
    if threads:
        import torch

        torch.set_num_threads(threads)
    return model, payload
