"""int8 quantisation of the lung model with ONNX Runtime: does its Dice stay within 0.002 of fp32, and is it faster?

Variants: the bundled model in torch (bf16 where the CPU has it, as `lungseg segment` runs it), its fp32 ONNX
export, dynamic int8 (weights int8, activations quantised on the fly) and static int8 (`lungseg export --int8`:
QDQ, per-channel weights, activations calibrated on 32 training films of `splits/pathology.json`, never test
films). Dice: `lungseg evaluate` on the Montgomery test half and the Shenzhen held-out part; latency: one 256x256
forward, batch 1, median of 20.

Usage: python benchmarks/onnx_int8.py [--data PATH]   -> benchmarks/onnx_int8.json and onnx_int8.md
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path

import onnx
import torch
from model_speed import cpu_features, cpu_name, forward_ms, median_s
from onnxruntime.quantization import QuantType, quantize_dynamic

from lungseg.data.layouts import discover, load_split
from lungseg.evaluation.evaluate import evaluate
from lungseg.inference.onnx_backend import load_onnx
from lungseg.inference.onnx_export import export_onnx
from lungseg.inference.predict import cpu_has_native_bf16
from lungseg.inference.quantize import export_int8, with_metadata
from lungseg.model.checkpoint import load_model
from lungseg.model.pretrained import PRETRAINED, resolve_model, weights_path

HERE = Path(__file__).resolve().parent
SPLITS = HERE.parent / "splits"
TESTS = {"montgomery_test": "montgomery_test.txt", "shenzhen_test": "shenzhen_test.txt"}


def calibration_films(data: Path, count: int = 32) -> list[Path]:
    """The first ``count`` training films of ``splits/pathology.json`` (never test films)."""
    names = set(load_split(SPLITS / "pathology.json")["train"])
    samples = discover(str(data / "Lung Segmentation"))[1]
    return [Path(s.image) for s in samples if s.name in names][:count]


def variants(data: Path, tmp: Path) -> dict[str, str]:
    fp32 = export_onnx("lungseg-unet-default", tmp / "fp32.onnx")
    quantize_dynamic(str(fp32), str(tmp / "dynamic.onnx"), weight_type=QuantType.QInt8)
    dynamic = with_metadata(onnx.load(str(tmp / "dynamic.onnx")), onnx.load(str(fp32)).metadata_props)
    onnx.save(dynamic, str(tmp / "dynamic.onnx"))
    export_int8("lungseg-unet-default", tmp / "static.onnx", calibration_films(data))  # lungseg export --int8
    return {"torch": "lungseg-unet-default", "onnx_fp32": str(fp32), "onnx_int8_dynamic": str(tmp / "dynamic.onnx"),
            "onnx_int8_static": str(tmp / "static.onnx")}  # fmt: skip


def latency_ms(model: str) -> float:
    x = torch.rand(1, 1, 256, 256)
    if model.endswith(".onnx"):
        predictor = load_onnx(model)[0]
        return median_s(lambda: predictor(x.numpy())) * 1000


    return forward_ms(load_model(resolve_model(model))[0], 256, bf16=cpu_has_native_bf16())


def render(result: dict) -> str:
    lines = ["# int8 quantisation (ONNX Runtime)", "", f"`{result['command']}` writes `onnx_int8.json`; "
             "`tests/test_docs_figures.py` checks this file against it. " + __doc__.split("\n\n")[1].replace("\n", " "),
             "", "| variant | MB | Montgomery test Dice | Shenzhen test Dice | forward ms |", "|---|---|---|---|---|"]
    for name, r in result["variants"].items():
        lines.append(f"| {name} | {r['mb']} | {r['montgomery_test']} | {r['shenzhen_test']} | {r['forward_ms']} |")
    lines += ["", result["verdict"], "", f"Machine: {result['machine']}."]
    return "\n".join(lines) + "\n"


def verdict(v: dict) -> str:
    ref = v["onnx_fp32"]
    out = []
    for name in ("onnx_int8_dynamic", "onnx_int8_static"):
        drop = max(ref[k] - v[name][k] for k in TESTS)
        ok = "within" if drop <= 0.002 else "**not** within"
        out.append(f"{name}: Dice drop at most {drop:.4f} ({ok} 0.002 of fp32), forward {v[name]['forward_ms']} ms "
                   f"vs {ref['forward_ms']} ms fp32 ONNX and {v['torch']['forward_ms']} ms torch.")
    return " ".join(out) + (" Static int8 is available as `lungseg export --int8` (then `lungseg segment --model "
                             "int8.onnx`); the default, `--backend auto`, runs the fp32 ONNX copy where onnxruntime "
                             "is installed, else torch (bf16 where the CPU has it).")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=HERE.parent.parent / "shared" / "data")
    parser.add_argument("--render", action="store_true", help="only rewrite onnx_int8.md from the JSON")
    args = parser.parse_args()
    if args.render:
        (HERE / "onnx_int8.md").write_text(render(json.loads((HERE / "onnx_int8.json").read_text())))
        return
    results = {}
    with tempfile.TemporaryDirectory() as t:
        for name, model in variants(args.data, Path(t)).items():
            file = Path(model) if model.endswith(".onnx") else weights_path(PRETRAINED[model])
            size = file.stat().st_size
            row = {"mb": round(size / 1e6, 1), "forward_ms": round(latency_ms(model), 2)}
            for test, split in TESTS.items():
                summary = evaluate(model, args.data / "Lung Segmentation", str(SPLITS / split), Path(t) / "eval",
                                   device="cpu")  # fmt: skip
                row[test] = round(summary["dice_mean"], 4)
            results[name] = row
            print(name, row, flush=True)
    result = {"command": "python benchmarks/onnx_int8.py", "variants": results,
              "machine": f"{cpu_name()}, {os.cpu_count()} cores ({cpu_features()})"}
    result["verdict"] = verdict(results)
    (HERE / "onnx_int8.json").write_text(json.dumps(result, indent=1) + "\n")
    (HERE / "onnx_int8.md").write_text(render(result))


if __name__ == "__main__":
    main()
