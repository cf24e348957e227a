"""The ONNX Runtime backend (optional: ``pip install lungseg[onnx]``), which never imports torch.

Without torch a one-image run starts about a second sooner and the process holds about 130 MB less.
A bundled model runs from an ONNX copy in the user's cache folder (``$LUNGSEG_CACHE``, else
``$XDG_CACHE_HOME/lungseg`` or ``~/.cache/lungseg``), keyed by the weights' sha256 and lungseg's version:
the first run writes it (that once with torch, :mod:`lungseg.inference.onnx_export`), later runs only read
it. A file from ``lungseg export --format onnx`` runs as it is.

Beside each copy the cache keeps ONNX Runtime's own optimized graph of it (``*.optimized``), keyed by the runtime's
version and this CPU's model and flags, since that graph may hold kernels for this CPU only: a session made from it
skips the graph optimizations, most of the time it takes to load the default and shape models (38 -> 20 ms for the
four models of a default run, more on a busy machine; the same outputs, bit for bit; ``benchmarks/onnx_load.md``).
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import logging
import os
import platform
import threading
from pathlib import Path
from typing import Any

import numpy as np

from lungseg import __version__, telemetry
from lungseg.io.atomic import atomic_path
from lungseg.model.pretrained import DEFAULT_MODEL, PRETRAINED, resolve_pretrained
from lungseg.model.shapes import ModelConfig

log = logging.getLogger(__name__)
_EXPORT = threading.Lock()  # torch's ONNX exporter keeps global state: one export at a time

INSTALL = "pip install 'lungseg[onnx]' (or: pip install onnxruntime onnx)"
META_KEY = "lungseg"


def require(module: str):
    """Import an optional package, or a ValueError that says how to install it (ONNX Runtime told first not to
    report usage, :mod:`lungseg.telemetry`)."""
    telemetry.opt_out()
    try:
        return __import__(module)
    except ImportError as exc:
        raise ValueError(f"the ONNX backend needs the {module} package; {INSTALL}") from exc


class OnnxModel:
    """A predictor like the torch backend's: ``.config`` and ``(N, C, S, S) array -> logits array``, in fp32."""

    backend = "onnxruntime"
    precision = "fp32"

    def __init__(
        self, data: bytes, threads: int | None = None, optimized: bool = False, save_optimized: Path | None = None
    ) -> None:
        """``optimized``: ``data`` is ONNX Runtime's optimized graph already (no optimizations run again);
        ``save_optimized``: write that graph there."""
        ort = require("onnxruntime")
        options = ort.SessionOptions()
        if threads:  # None: all the cores (`lungseg segment` gives each of its parallel batches a share)
            options.intra_op_num_threads = threads
        if optimized:
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        if save_optimized is not None:
            options.optimized_model_filepath = str(save_optimized)
            options.log_severity_level = 3  # its warning says what cpu_key() is for
        self.session = ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])
        self.meta: dict[str, Any] = json.loads(self.session.get_modelmeta().custom_metadata_map[META_KEY])
        self.config = ModelConfig(**self.meta["model_config"]) if "model_config" in self.meta else None
        self.channels = self.config.in_channels if self.config is not None else 1
        # the input side: a view model's thumbnail, or a segmentation model's working size
        self.size = int(self.meta.get("size") or self.meta.get("train_config", {}).get("image_size", 0))

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.session.run(None, {"image": np.ascontiguousarray(x, np.float32)})[0]


def is_bundled(name_or_path: str | Path | None) -> bool:
    """Whether ``name_or_path`` means a bundled model (None: the default; a name that is not a file here)."""
    return name_or_path is None or (str(name_or_path) in PRETRAINED and not Path(name_or_path).is_file())


def choose_backend(
    name_or_path: str | Path | None, device: str = "auto", precision: str = "auto", tile: int | None = None
) -> str:
    """What ``backend="auto"`` runs: ONNX Runtime where it is installed and runs the job as torch would (a bundled
    model or an .onnx file, on the CPU, in one pass, precision not forced to bf16), else torch.

    Why: without torch a run starts about a second sooner, holds about 130 MB less and is faster end to end on
    the CPU at every size of ``benchmarks/speed.md``; a checkpoint file would need torch to export it each run,
    and a GPU, tiles or bf16 are torch's."""
    if str(name_or_path or "").endswith(".onnx"):
        return "onnxruntime"
    if any(importlib.util.find_spec(m) is None for m in ("onnxruntime", "onnx")):
        return "torch"
    bundled = is_bundled(name_or_path)
    gpu = device == "cuda" or (device == "auto" and Path("/proc/driver/nvidia/version").exists())
    return "onnxruntime" if bundled and not gpu and not tile and precision != "bf16" else "torch"


def cache_dir() -> Path:
    """Where ONNX copies of the bundled models are kept."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(os.environ.get("LUNGSEG_CACHE") or Path(base) / "lungseg")


def bundled_onnx(name: str, threads: int | None = None) -> OnnxModel:
    """A bundled model (segmentation, shape, view or polarity) under ONNX Runtime, from the cache or written to
    it first."""
    cfg = PRETRAINED[name]
    path = cache_dir() / f"{cfg.name}-{cfg.sha256[:16]}-{__version__}.onnx"
    with _EXPORT:  # segmenting threads may ask for a model first at once: the second finds the first's file
        return _cached_or_written(name, path, threads)


@functools.lru_cache(maxsize=1)
def cpu_key() -> str:
    """ONNX Runtime's version and this CPU's model and flags, hashed: what an optimized graph is valid for (read
    once per process: a run loads up to four models)."""
    ort = require("onnxruntime")
    try:
        lines = [x for x in Path("/proc/cpuinfo").read_text().splitlines() if x.startswith(("model name", "flags"))]
    except OSError:
        lines = []
    text = "|".join([ort.__version__, platform.machine(), platform.processor(), *sorted(set(lines))])
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _optimizing(data: bytes, threads: int | None, target: Path) -> OnnxModel:
    """A session for ``data`` that also keeps its optimized graph at ``target`` (without it where it cannot)."""
    try:
        with atomic_path(target) as tmp:
            return OnnxModel(data, threads, save_optimized=tmp)
    except OSError as exc:
        log.debug("cannot keep the optimized graph at %s (%s)", target, exc)
        return OnnxModel(data, threads)


def _cached_or_written(name: str, path: Path, threads: int | None) -> OnnxModel:
    optimized = path.with_name(f"{path.name}.{cpu_key()}.optimized")
    for source, ready in ((optimized, True), (path, False)):
        if source.is_file():
            try:
                if ready:
                    return OnnxModel(source.read_bytes(), threads, optimized=True)
                return _optimizing(source.read_bytes(), threads, optimized)
            except Exception as exc:  # a damaged or foreign file in the cache: rebuilt below
                log.warning("%s: unusable cached ONNX model (%s); writing it again", source, exc)
    log.info("writing the ONNX Runtime copy of %s to %s (once)", name, path)
    from lungseg.inference import onnx_export  # torch, this once

    weights, cfg = resolve_pretrained(name), PRETRAINED[name]
    unet = cfg.task in ("segmentation", "shape")  # a U-Net checkpoint; else a thumbnail model (view, polarity)
    data = onnx_export.onnx_bytes(weights) if unet else onnx_export.view_onnx_bytes(weights)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as tmp:
            tmp.write_bytes(data)
    except OSError as exc:
        log.warning("cannot keep the ONNX copy in %s (%s); set LUNGSEG_CACHE to a writable folder", path.parent, exc)
    return _optimizing(data, threads, optimized)


def load_onnx(name_or_path: str | Path | None, threads: int | None = None) -> tuple[OnnxModel, dict[str, Any]]:
    """(predictor, payload-like metadata) from an .onnx file, a bundled model's name (None: the default), or a
    checkpoint file (exported in memory, with torch); ``threads`` per run (None: all the cores)."""
    require("onnxruntime")
    if name_or_path is not None and str(name_or_path).endswith(".onnx"):
        path = Path(name_or_path)
        if not path.is_file():
            raise ValueError(f"{path}: ONNX file not found; write one with 'lungseg export --format onnx'")
        data = path.read_bytes()
    elif is_bundled(name_or_path):
        name = str(name_or_path or DEFAULT_MODEL)
        if PRETRAINED[name].task != "segmentation":
            raise ValueError(f"{name!r} is the bundled {PRETRAINED[name].task} model, not a segmentation model; "
                             f"use {DEFAULT_MODEL}")  # fmt: skip
        model = bundled_onnx(name, threads)
        return model, model.meta
    else:
        from lungseg.inference.onnx_export import onnx_bytes  # torch

        data = onnx_bytes(name_or_path)
    try:
        model = OnnxModel(data, threads)
    except Exception as exc:  # a foreign or damaged ONNX file
        raise ValueError(f"{name_or_path}: not an ONNX file written by lungseg export ({exc})") from exc
    if model.config is None:
        raise ValueError(f"{name_or_path}: not a segmentation model written by lungseg export")
    return model, model.meta
