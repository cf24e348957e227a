"""Would OpenVINO's bf16 make the default model fast enough for #11, and may lungseg use it? A probe, not a backend.

ONNX Runtime runs the default model in fp32 only on an x86 CPU, and at 512 px the fp32 forward pass alone is most of
what keeps ``lungseg segment`` under 25 images/s (``speed.md``). OpenVINO (``pip install openvino``, not a lungseg
dependency) runs the same ONNX graph in bf16 on a CPU that computes it natively. This measures, on the bundled
default model's ONNX copy: the forward pass per image at batch 4 (median of 20 after warm-up, 2 threads) in ONNX
Runtime fp32 and OpenVINO fp32 / bf16; how far OpenVINO's lung masks at the working size stray from ONNX Runtime's on
the Montgomery and Shenzhen test films (Dice of the two masks, lowest; largest probability gap); the import time of
each engine in a fresh process (median of 5); and what ``import openvino`` writes into an empty home folder (its
bundled usage telemetry: a client id it keeps there, and events it tries to send unless opted out).

Usage: pip install openvino; python benchmarks/openvino_probe.py [--data PATH]
  -> benchmarks/openvino_probe.json and openvino_probe.md
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from model_speed import cpu_features

from lungseg import __version__
from lungseg.data.layouts import discover, load_split, select
from lungseg.evaluation.metrics import overlap_metrics
from lungseg.inference.onnx_backend import bundled_onnx, cache_dir
from lungseg.inference.pipeline import to_working
from lungseg.io.reader import read_xray
from lungseg.model.pretrained import DEFAULT_MODEL, PRETRAINED
from lungseg.telemetry import OPT_OUTS

HERE = Path(__file__).resolve().parent
WHY = """faster here, but `import openvino` also starts Intel's usage telemetry (`openvino_telemetry`): unless the user
has opted out (`opt_in_out --opt_out`, which writes a consent file in their home folder) or a CI variable is set, it
stores a client id there and tries to send usage events to Google Analytics, and it offers no switch a library could
set for its users. ONNX Runtime reports usage too, but it has one (`ORT_DISABLE_TELEMETRY=1`, which lungseg sets
before loading it unless the user set it: `lungseg.telemetry`, `tests/test_telemetry.py`). A tool that runs on
hospital machines must not report on its users' behalf, nor should `make test` on a developer's machine. And the
model is not the whole run: at 512 px the default run reaches 17-18 images/s where its fp32 forward pass alone would
allow 31.5 (`speed.md`), so a forward pass twice as fast would not reach #11's 25 images/s by itself."""
SPLITS = ("montgomery_test.txt", "shenzhen_test.txt")


def films(data: Path) -> np.ndarray:
    """(N, 1, 256, 256) working-size inputs of the Montgomery and Shenzhen test films."""
    samples = discover(str(data / "Lung Segmentation"))[1]
    names = [n for split in SPLITS for n in load_split(HERE.parent / "splits" / split)["test"]]
    inputs = [to_working(read_xray(s.image), 256, "equalize") for s in select(samples, names)]
    return np.stack(inputs).reshape(-1, 1, 256, 256)


def per_image_ms(run, x: np.ndarray, batch: int = 4, repeats: int = 20) -> float:
    xb = np.ascontiguousarray(x[:batch])
    for _ in range(3):
        run(xb)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run(xb)
        times.append(time.perf_counter() - start)
    return round(statistics.median(times) / batch * 1000, 2)


def import_probe(module: str, extra: dict[str, str] | None = None) -> dict:
    """Seconds to import ``module`` in a fresh process (median of 5), and the files those imports left in an empty
    home folder (no CI variable, as on a user's machine: both runtimes keep quiet under CI=true on their own)."""
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    with tempfile.TemporaryDirectory() as home:
        env = {k: v for k, v in os.environ.items() if k not in ("CI", *OPT_OUTS)} | {"HOME": home} | (extra or {})
        runs = [float(subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                                     check=True).stdout) for _ in range(5)]  # fmt: skip
        files = sorted(str(p.relative_to(home)) for p in Path(home).rglob("*") if p.is_file())
    return {"seconds": round(statistics.median(runs), 3), "files": files}


def agreement(a: np.ndarray, b: np.ndarray) -> dict:
    dice = [overlap_metrics(p[0] > 0, q[0] > 0)["dice"] for p, q in zip(a, b, strict=True)]
    gap = float(np.abs(1 / (1 + np.exp(-a[:, 0])) - 1 / (1 + np.exp(-b[:, 0]))).max())
    return {"lowest_mask_dice": round(min(dice), 4), "mean_mask_dice": round(float(np.mean(dice)), 5),
            "largest_probability_gap": round(gap, 4)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=str(HERE.parent.parent / "shared" / "data"))
    args = parser.parse_args()
    import openvino as ov

    x = films(Path(args.data))
    reference = bundled_onnx(DEFAULT_MODEL, threads=2)  # writes the ONNX copy where it is missing
    cfg = PRETRAINED[DEFAULT_MODEL]
    onnx = cache_dir() / f"{cfg.name}-{cfg.sha256[:16]}-{__version__}.onnx"
    core, out = ov.Core(), {"cpu": cpu_features(), "films": len(x), "openvino": ov.__version__}
    ref = np.concatenate([reference(x[i : i + 4]) for i in range(0, len(x), 4)])
    out["onnxruntime_fp32_ms"] = per_image_ms(reference, x)
    for precision, hint in (("fp32", "f32"), ("bf16", "bf16")):
        compiled = core.compile_model(str(onnx), "CPU", {"INFERENCE_PRECISION_HINT": hint, "INFERENCE_NUM_THREADS": 2})
        request = compiled.create_infer_request()
        run = lambda b, r=request: r.infer({0: b})[0]  # noqa: E731
        got = np.concatenate([run(x[i : i + 4]) for i in range(0, len(x), 4)])
        out[f"openvino_{precision}_ms"] = per_image_ms(run, x)
        out[f"openvino_{precision}_vs_onnxruntime"] = agreement(got, ref)
    out["import"] = {"onnxruntime": import_probe("onnxruntime"),
                     "onnxruntime_opted_out": import_probe("onnxruntime", {"ORT_DISABLE_TELEMETRY": "1"}),
                     "openvino": import_probe("openvino")}  # fmt: skip
    (HERE / "openvino_probe.json").write_text(json.dumps(out, indent=1) + "\n")
    (HERE / "openvino_probe.md").write_text(render(out))
    print(render(out))


def render(r: dict) -> str:
    label = {"onnxruntime": "`import onnxruntime`", "openvino": "`import openvino`",
             "onnxruntime_opted_out": "`import onnxruntime` with ORT_DISABLE_TELEMETRY=1"}  # fmt: skip
    imports = [f"| {label[m]} | {v['seconds']} | {', '.join(f'`{f}`' for f in v['files']) or 'none'} |"
               for m, v in r["import"].items()]  # fmt: skip
    engines = [f"| ONNX Runtime fp32 (the default backend) | {r['onnxruntime_fp32_ms']} | | |"]
    for name, key in (("OpenVINO fp32", "fp32"), ("OpenVINO bf16", "bf16")):
        a = r[f"openvino_{key}_vs_onnxruntime"]
        engines.append(f"| {name} | {r[f'openvino_{key}_ms']} | {a['lowest_mask_dice']} | "
                       f"{a['largest_probability_gap']} |")  # fmt: skip
    lines = [
        "# OpenVINO bf16 for the default model: measured, not adopted (#11)", "",
        "Generated by `python benchmarks/openvino_probe.py` (`openvino_probe.json`; needs `pip install openvino`, "
        f"which lungseg does not depend on). CPU: {r['cpu']}; OpenVINO {r['openvino']}; nothing else running.", "",
        "The default model's forward pass per image (batch 4, 2 threads, median of 20), and how far each engine's lung "
        f"masks at the working size stray from ONNX Runtime's on the {r['films']} Montgomery and Shenzhen test films:",
        "", "| engine | ms per image | lowest Dice of the two masks | largest probability gap |", "|---|---|---|---|",
        *engines, "",
        "Import in a fresh process (median of 5), and the files the imports left in an empty home folder (no `CI` "
        "variable, as on a user's machine):", "", "| import | seconds | files left |", "|---|---|---|", *imports, "",
        f"Why lungseg does not use it: bf16 makes the model {r['onnxruntime_fp32_ms'] / r['openvino_bf16_ms']:.1f}x "
        + WHY,
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
