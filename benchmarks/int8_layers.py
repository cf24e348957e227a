"""Which layers to keep in fp32 when quantising the default model to int8 (``lungseg export --int8``)?

Each variant is the default model's fp32 ONNX export quantised as ``lungseg/inference/quantize.py`` does (static,
QDQ, per-channel 7-bit weights, activations calibrated on the 32 training films of ``benchmarks/onnx_int8.py``),
with some convolutions left out of the quantisation. Screened on validation films only (the 50 adult validation
films of ``splits/pathology.json`` and the 100 v7 pediatric validation films), at the model's own 256 px: the Dice
between each variant's lung mask (probability above 0.5) and the fp32 export's, per film, and the largest
difference in probability; and one forward pass (batch 1, the thread count ONNX Runtime picks: the median of 20 real
inputs, taken in turn for each variant five times over, the lowest of the five medians). Run it on a quiet machine.

Usage: python benchmarks/int8_layers.py [--data PATH]  -> benchmarks/int8_layers.json and int8_layers.md
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from model_speed import cpu_features
from onnx_int8 import calibration_films
from onnxruntime import quantization as quant

from lungseg.data.layouts import discover, load_split, select
from lungseg.inference.onnx_backend import META_KEY
from lungseg.inference.onnx_export import export_onnx
from lungseg.inference.pipeline import load_input
from lungseg.inference.quantize import film_readers

HERE = Path(__file__).resolve().parent
SPLITS = HERE.parent / "splits"
RUNS, ROUNDS = 20, 5


def inputs(paths: list[str], size: int, intensity: str) -> list[np.ndarray]:
    """(1, 1, S, S) float32 model inputs of the readable files."""
    items = (load_input(Path(p), i, size, intensity) for i, p in enumerate(paths))
    return [item["work"][None].astype(np.float32) for item in items if not item["error"]]


def validation_films(data: Path) -> list[str]:
    adults = select(discover([str(data / "Lung Segmentation"), str(data / "wingspan")])[1],
                    load_split(SPLITS / "pathology.json")["val"])  # fmt: skip
    children = select(discover(data / "v7_pediatric")[1], load_split(SPLITS / "v7_pediatric.json")["val"])
    return [s.image for s in adults] + [s.image for s in children]


def variants(model: onnx.ModelProto) -> dict[str, list[str]]:
    """name -> the convolutions kept in fp32."""
    convs = [n.name for n in model.graph.node if n.op_type == "Conv"]
    first = film_readers(model)
    return {"all int8": [], "first convolution fp32 (shipped)": first, "first two fp32": convs[:2],
            "full-resolution ones fp32": convs[:2] + convs[-3:]}  # fmt: skip


def quantised(fp32: Path, target: Path, calibration: list[np.ndarray], exclude: list[str]) -> Path:
    feed = iter(calibration)

    class Reader(quant.CalibrationDataReader):
        def get_next(self) -> dict | None:
            x = next(feed, None)
            return None if x is None else {"image": x}

    quant.quantize_static(str(fp32), str(target), Reader(), quant_format=quant.QuantFormat.QDQ, per_channel=True,
                          reduce_range=True, activation_type=quant.QuantType.QUInt8,
                          weight_type=quant.QuantType.QInt8, nodes_to_exclude=exclude)  # fmt: skip
    return target


def session(path: Path) -> ort.InferenceSession:
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def probabilities(model: ort.InferenceSession, xs: list[np.ndarray]) -> list[np.ndarray]:
    """Lung probabilities (S, S) per input."""
    name = model.get_inputs()[0].name
    return [1 / (1 + np.exp(-model.run(None, {name: x})[0][0, 0])) for x in xs]


def median_ms(model: ort.InferenceSession, xs: list[np.ndarray]) -> float:
    name, times = model.get_inputs()[0].name, []
    for x in xs[:RUNS]:
        start = time.perf_counter()
        model.run(None, {name: x})
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def timings(models: dict[str, ort.InferenceSession], xs: list[np.ndarray]) -> dict[str, float]:
    """Forward ms per model: ``ROUNDS`` medians taken in turn (so that a busy spell hits all alike), the lowest."""
    rounds = [{k: median_ms(m, xs) for k, m in models.items()} for _ in range(ROUNDS)]
    return {k: round(min(r[k] for r in rounds), 1) for k in models}


def agreement(ref: list[np.ndarray], probs: list[np.ndarray]) -> dict:
    pairs = list(zip(ref, probs, strict=True))
    dice = [2 * ((a > 0.5) & (b > 0.5)).sum() / max((a > 0.5).sum() + (b > 0.5).sum(), 1) for a, b in pairs]
    return {"min_dice": round(float(min(dice)), 4), "films_below_0.995": int(sum(d < 0.995 for d in dice)),
            "mean_dice": round(float(np.mean(dice)), 5),
            "max_prob_diff": round(max(float(np.abs(a - b).max()) for a, b in pairs), 3)}  # fmt: skip


def render(result: dict) -> str:
    lines = ["# int8: which layers stay fp32", "", f"Generated by `{result['command']}` (`int8_layers.json`). "
             + __doc__.split("\n\n")[1].replace("\n", " "), "", f"{result['n_films']} validation films. "
             f"fp32 forward: {result['fp32_ms']} ms. Machine: {result['machine']}.", "",
             "| variant | lowest agreement with fp32 | films below 0.995 | mean agreement | largest probability "
             "difference | forward ms |", "|---|---|---|---|---|---|"]  # fmt: skip
    for name, r in result["variants"].items():
        lines.append(f"| {name} | {r['min_dice']} | {r['films_below_0.995']} | {r['mean_dice']} | "
                     f"{r['max_prob_diff']} | {r['forward_ms']} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=HERE.parent.parent / "shared" / "data")
    parser.add_argument("--render", action="store_true", help="only rewrite int8_layers.md from the JSON")
    args = parser.parse_args()
    if args.render:
        (HERE / "int8_layers.md").write_text(render(json.loads((HERE / "int8_layers.json").read_text())))
        return
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = export_onnx("lungseg-unet-default", Path(tmp) / "fp32.onnx")
        model = onnx.load(str(fp32))
        cfg = json.loads({p.key: p.value for p in model.metadata_props}[META_KEY])["train_config"]
        size, intensity = int(cfg["image_size"]), cfg["intensity"]
        films = inputs(validation_films(args.data), size, intensity)
        calibration = inputs([str(p) for p in calibration_films(args.data)], size, intensity)
        models = {"fp32": session(fp32)}
        ref, rows = probabilities(models["fp32"], films), {}
        for k, (name, exclude) in enumerate(variants(model).items()):
            models[name] = session(quantised(fp32, Path(tmp) / f"{k}.onnx", calibration, exclude))
            rows[name] = agreement(ref, probabilities(models[name], films)) | {"fp32_nodes": exclude}
        ms = timings(models, films)
        for name, row in rows.items():
            row["forward_ms"] = ms[name]
            print(name, row, flush=True)
    result = {"command": "python benchmarks/int8_layers.py", "n_films": len(films), "fp32_ms": ms["fp32"],
              "variants": rows, "machine": f"CPU: {cpu_features()}"}  # fmt: skip
    (HERE / "int8_layers.json").write_text(json.dumps(result, indent=1) + "\n")
    (HERE / "int8_layers.md").write_text(render(result))


if __name__ == "__main__":
    main()
