"""Static int8 quantisation of an exported model with ONNX Runtime (optional: ``pip install lungseg[onnx]``).

Weights are quantised per channel and activations with ranges measured on the user's own films (QDQ format), so
the result runs on any CPU's integer units, faster than fp32 at the same Dice (``benchmarks/onnx_int8.md``: about
2x on a 2-core VM with VNNI, about 15% on one without), which matters most on CPUs without native bf16.
Weights keep 7 bits (``reduce_range``): on a CPU with AVX2 but no VNNI, ONNX Runtime's u8 x s8 kernels add
pairs of products in 16 bits, which full 8-bit weights can overflow (seen on such a machine: one Montgomery test
film's mask fell to Dice 0.981 against fp32's; 7-bit weights keep it above 0.99, ``tests/test_onnx.py``).
The first convolution, which reads the film itself, stays fp32: quantising it (its input, 9 weights per channel and
its output) is what moves the masks most, and keeping it costs almost no speed (``benchmarks/int8_layers.md``, the
150 validation films at 256 px: the lowest agreement with fp32's mask 0.9839 with it quantised, 0.9948 without; 46
films below 0.995, then 1; the forward pass 23.3 -> 23.6 ms, fp32 39.3, on the 2-core AVX-512 VM).
"""

from __future__ import annotations

import importlib
import json
import logging
import tempfile
from pathlib import Path

import numpy as np

from lungseg.inference.onnx_backend import META_KEY, require
from lungseg.inference.onnx_export import export_onnx
from lungseg.inference.pipeline import load_input
from lungseg.io.atomic import atomic_path

log = logging.getLogger(__name__)
MIN_FILMS = 8


def calibration_inputs(files: list[Path], size: int, intensity: str) -> list[np.ndarray]:
    """Preprocessed (1, 1, S, S) inputs of the readable files; unreadable ones are logged and skipped."""
    out = []
    for index, path in enumerate(files):
        item = load_input(path, index, size, intensity)
        if item["error"]:
            log.warning("calibration: %s", item["error"])
            continue
        out.append(item["work"][None])
    if len(out) < MIN_FILMS:
        raise ValueError(f"int8 calibration needs at least {MIN_FILMS} readable chest X-rays, got {len(out)}; "
                         "pass more with --calibration FILES_OR_FOLDERS (20-50 of your own films)")  # fmt: skip
    return out


def with_metadata(model, metadata_props):
    """``model`` (an onnx ModelProto) with lungseg's metadata (threshold, config) in place of its own: quantisers
    drop it, and ``lungseg segment --model FILE.onnx`` needs it."""
    del model.metadata_props[:]
    model.metadata_props.extend(metadata_props)
    return model


def film_readers(model) -> list[str]:
    """Names of the convolutions that read the graph's input (the film) directly: kept in fp32."""
    inputs = {i.name for i in model.graph.input}
    return [n.name for n in model.graph.node if n.op_type == "Conv" and n.input[0] in inputs]


def export_int8(source: str | Path | None, target: str | Path, films: list[Path]) -> Path:
    """Write ``source`` (checkpoint or bundled name) as a statically quantised int8 ONNX file, atomically, with
    the same lungseg metadata as the fp32 export."""
    onnx = require("onnx")
    require("onnxruntime")
    quant = importlib.import_module("onnxruntime.quantization")
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = export_onnx(source, Path(tmp) / "fp32.onnx")
        meta = list(onnx.load(str(fp32)).metadata_props)
        cfg = json.loads({p.key: p.value for p in meta}[META_KEY])["train_config"]
        inputs = iter(calibration_inputs(films, int(cfg["image_size"]), cfg["intensity"]))

        class Reader(quant.CalibrationDataReader):
            def get_next(self) -> dict | None:
                x = next(inputs, None)
                return None if x is None else {"image": x}

        int8 = Path(tmp) / "int8.onnx"
        quant.quantize_static(str(fp32), str(int8), Reader(), quant_format=quant.QuantFormat.QDQ, per_channel=True,
                              reduce_range=True, activation_type=quant.QuantType.QUInt8,
                              weight_type=quant.QuantType.QInt8, nodes_to_exclude=film_readers(onnx.load(str(fp32))))
        model = with_metadata(onnx.load(str(int8)), meta)
        with atomic_path(target) as out:
            out.write_bytes(model.SerializeToString())
    return Path(target)
