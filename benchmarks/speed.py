"""End-to-end speed of ``lungseg segment`` (start-up included), this checkout against an older commit.

Run it with nothing else running (a training run takes both cores). Each case is one `lungseg segment`
process on a folder, default outputs; peak memory is the process's maximum resident set size.
Cases: 100 PNGs of 512x512 from the shared data; 5 X-rays of 2500x3000 as 16-bit PNG and as
uncompressed DICOM (Montgomery films upscaled); one 5000x6000 PNG; ``lungseg --version``; a one-image run.
Also checks that the new pipeline's full-size masks agree with the old pipeline's on the same (old) weights.

Usage: python benchmarks/speed.py [--old-commit 6865e69] [--data PATH]
Writes benchmarks/speed.json and benchmarks/speed.md (rendered from the JSON).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "tests"))
from model_speed import cpu_features, model_speed  # noqa: E402

from dicom_factory import write_dicom  # noqa: E402
from lungseg.model.pretrained import FAST_MODEL  # noqa: E402


def make_inputs(data: Path, tmp: Path) -> dict[str, Path]:
    kaggle = data / "Lung Segmentation" / "CXR_png"
    folders = {k: tmp / k for k in ("png512", "png2500", "dcm2500", "png5000", "one")}
    for f in folders.values():
        f.mkdir()
    names = sorted(p.name for p in kaggle.glob("MCUCXR_*.png"))[:50] + sorted(
        p.name for p in kaggle.glob("CHNCXR_*.png"))[:50]  # fmt: skip
    for n in names:
        (folders["png512"] / n).write_bytes((kaggle / n).read_bytes())
    for k, n in enumerate(names[:5]):
        big = Image.open(kaggle / n).convert("F").resize((2500, 3000), Image.Resampling.BICUBIC)
        arr = np.clip(np.asarray(big) * 257, 0, 65535).astype(np.uint16)
        Image.fromarray(arr).save(folders["png2500"] / f"big{k}.png")
        write_dicom(folders["dcm2500"] / f"big{k}.dcm", arr, monochrome1=False, spacing=(0.14, 0.14))
    huge = Image.open(kaggle / names[0]).convert("L").resize((5000, 6000), Image.Resampling.BICUBIC)
    huge.save(folders["png5000"] / "huge.png")
    (folders["one"] / names[0]).write_bytes((kaggle / names[0]).read_bytes())
    return folders


# a fresh parent per case, so that RUSAGE_CHILDREN's maximum is this case's own
PROBE = (
    "import resource, subprocess, sys, time; t = time.perf_counter(); "
    "rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE).returncode; "
    "w = time.perf_counter() - t; print(rc, w, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
)


def timed(argv: list[str], env: dict) -> tuple[float, float]:
    """(wall seconds, peak RSS MB) of one child process."""
    proc = subprocess.run([sys.executable, "-c", PROBE, *argv], env=env, capture_output=True, text=True)
    rc, wall, peak_kb = proc.stdout.split()
    if rc != "0":
        raise RuntimeError(f"{argv} failed: {proc.stderr[-2000:]}")
    return float(wall), int(peak_kb) / 1024


def first_mask_seconds(argv: list[str], env: dict, out: Path) -> float:
    """Seconds from the command's start until its first mask file exists."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while proc.poll() is None and not list(out.rglob("*_mask.png")):
        time.sleep(0.005)
    seconds = time.perf_counter() - start
    proc.wait()
    return seconds


SIZES = {"png512": 100, "png2500": 5, "dcm2500": 5, "png5000": 1}


def run_version(src: Path, folders: dict, tmp: Path, label: str, extra: tuple = (), startup: bool = True) -> dict:
    """Each case as one ``lungseg segment`` process (``extra`` arguments added), then the start-up times.

    One unmeasured run first, as an installed package has run before: Python's bytecode is compiled (pip
    compiles it at install) and, for ONNX Runtime, the bundled models' ONNX copies are written to a cache of
    this benchmark's own (that run's time is ``cache_write_s``)."""
    env = {**os.environ, "PYTHONPATH": str(src), "LUNGSEG_CACHE": str(tmp / "onnx_cache")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    cli = [sys.executable, "-m", "lungseg"]
    out: dict = {}
    wall = timed([*cli, "segment", str(folders["one"]), "-o", str(tmp / f"{label}_first"), *extra], env)[0]
    if "onnxruntime" in extra:
        out["cache_write_s"] = round(wall, 2)
    for case, n in SIZES.items():
        dest = tmp / f"{label}_{case}"
        wall, peak = timed([*cli, "segment", str(folders[case]), "-o", str(dest), *extra], env)
        out[case] = {"images": n, "seconds": round(wall, 2), "images_per_s": round(n / wall, 2),
                     "peak_rss_mb": round(peak)}  # fmt: skip
        print(label, case, out[case], flush=True)
    if not startup:
        return out
    out["version_s"] = round(min(timed([*cli, "--version"], env)[0] for _ in range(3)), 3)
    one = tmp / f"{label}_one"
    argv = [*cli, "segment", str(folders["one"]), "-o", str(one), *extra]
    out["first_mask_s"] = round(first_mask_seconds(argv, env, one), 2)
    print(label, "version", out["version_s"], "first mask", out["first_mask_s"], flush=True)
    return out


INT8_COMMAND = ("lungseg export --model lungseg-unet-default --format onnx --int8 --calibration FILMS -o int8.onnx "
                "(FILMS: the 32 training films of benchmarks/onnx_int8.py)")


def int8_model(data: Path, tmp: Path) -> Path:
    """The bundled model as static int8 ONNX, calibrated as ``benchmarks/onnx_int8.py`` does (never test films)."""
    from onnx_int8 import calibration_films

    target = tmp / "int8.onnx"
    films = [str(f) for f in calibration_films(data)]
    argv = [sys.executable, "-m", "lungseg", "export", "--model", "lungseg-unet-default", "--format", "onnx",
            "--int8", "--calibration", *films, "-o", str(target)]  # fmt: skip
    subprocess.run(argv, env={**os.environ, "PYTHONPATH": str(ROOT / "src")}, check=True, capture_output=True)
    return target


def same_model_runs(old_tree: Path, folders: dict, tmp: Path) -> None:
    """The new pipeline with the old commit's weights and no heart: masks comparable with the old run's."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    weights = old_tree / "src" / "lungseg" / "weights" / "lungseg-unet-default.pt"
    for case in ("png512", "png2500", "png5000"):
        argv = [sys.executable, "-m", "lungseg", "segment", str(folders[case]), "-o", str(tmp / f"same_{case}"),
                "--model", str(weights), "--no-heart"]  # fmt: skip
        subprocess.run(argv, env=env, check=True, capture_output=True)


def agreement(tmp: Path, case: str, new_label: str = "same", old_label: str = "old") -> list[float]:
    """Dice per image between two runs' full-size masks of one case."""
    dice = []
    for new in sorted((tmp / f"{new_label}_{case}").rglob("*_mask.png")):
        old = tmp / f"{old_label}_{case}" / new.relative_to(tmp / f"{new_label}_{case}")
        a, b = np.asarray(Image.open(new)) > 0, np.asarray(Image.open(old)) > 0
        dice.append(round(float(2 * (a & b).sum() / max(a.sum() + b.sum(), 1)), 5))
    return dice


CASES = {"png512": "100 PNGs, 512x512", "png2500": "5 X-rays, 2500x3000, 16-bit PNG",
         "dcm2500": "5 X-rays, 2500x3000, uncompressed DICOM", "png5000": "1 PNG, 5000x6000"}  # fmt: skip


def render(results: dict) -> str:
    """benchmarks/speed.md from speed.json (tests/test_docs_figures.py checks they agree)."""
    old, new = results["old"], results["new"]
    onnx, lungs, int8 = results["new_onnxruntime"], results["new_lungs_only"], results["new_onnxruntime_int8"]
    lines = ["# Speed end to end", "", f"Generated from `speed.json` by `{results['command']}` "
             "(`--render` rewrites this file from the JSON).", f"Machine: {results['machine']}. "
             "`lungseg segment` on a folder, default outputs (mask, labels, heart, overlay), start-up included (each "
             "configuration ran once before, unmeasured: bytecode compiled as after pip install); "
             "peak memory = the process's maximum resident set. Old = the first product commit; new = this",
             "checkout with `--backend torch` (bf16 where the CPU has it), with `--backend onnxruntime` (what the",
             "default `--backend auto` runs where onnxruntime is installed; fp32, no",
             "torch imported; the bundled models' ONNX copies already in the cache: the run that wrote them took "
             f"{onnx.get('cache_write_s', '-')} s), with a static int8 ONNX model (`{results['int8_command']}`, "
             "then `--model int8.onnx --shape-model`), and with `--no-heart` (lungs only, torch).", "",
             "| case | old img/s | new (torch) img/s | onnxruntime (default) img/s | int8 onnxruntime img/s | "
             "lungs only (torch) img/s | old s | "
             "new s | onnxruntime s | int8 s | old peak MB | new peak MB | onnxruntime peak MB | int8 peak MB |",
             "|---" * 14 + "|"]  # fmt: skip
    for case, title in CASES.items():
        o, n, x, q = old[case], new[case], onnx[case], int8[case]
        lines.append(f"| {title} | {o['images_per_s']} | {n['images_per_s']} | **{x['images_per_s']}** "
                     f"| {q['images_per_s']} | {lungs[case]['images_per_s']} | {o['seconds']} | {n['seconds']} "
                     f"| {x['seconds']} | {q['seconds']} | {o['peak_rss_mb']} | {n['peak_rss_mb']} "
                     f"| {x['peak_rss_mb']} | {q['peak_rss_mb']} |")  # fmt: skip
    for key, title in (("version_s", "`lungseg --version` (s)"), ("first_mask_s", "first mask of a one-image run (s)")):
        lines.append(f"| {title} | | | | | | {old[key]} | {new[key]} | {onnx[key]} | {int8[key]} | | | | |")
    lines.append("")
    if "new_onnxruntime_no_shape" in results:  # since round 16 the shape model runs by default (MODEL_CARD.md)
        off = results["new_onnxruntime_no_shape"]
        lines += ["What the learned shape model costs (onnxruntime, the same run, `--no-shape-model` against the "
                  "default): " + ", ".join(f"{CASES[c]} {off[c]['images_per_s']} -> {onnx[c]['images_per_s']} img/s"
                                           for c in CASES) + ".", ""]  # fmt: skip
    if "new_onnxruntime_fast" in results:  # #11: the default model cut to half its width and distilled
        fast = results["new_onnxruntime_fast"]
        lines += [f"The fast model (`--model {FAST_MODEL}`, onnxruntime, the same run; `MODEL_CARD.md`): "
                  + ", ".join(f"{CASES[c]} {fast[c]['images_per_s']} img/s ({fast[c]['seconds']} s, "
                              f"{fast[c]['peak_rss_mb']} MB)" for c in CASES)
                  + f"; `lungseg --version` {fast['version_s']} s, first mask {fast['first_mask_s']} s. Its "
                  "full-size masks against the default model's (Dice per image, minimum): "
                  + ", ".join(f"{CASES[c]} {min(v):.4f}" for c, v in results["fast_vs_default_dice"].items())
                  + "; its test Dice: `benchmarks/accuracy.md`.", ""]  # fmt: skip
    m = results["model"]
    lines += ["## The model alone", "",
              f"CPU: {m['cpu']}, {m['threads']} torch threads. Matmul peak (2048x2048): fp32 "
              f"{m['matmul_gflops_fp32']} GFLOP/s, " + (f"bf16 {m['matmul_gflops_bf16']} GFLOP/s." if
              m["matmul_gflops_bf16"] is not None else "bf16 not native here (not measured)."), "",
              "| model | input | precision | GFLOP per image | forward ms (median of 20, batch 1) | GFLOP/s |",
              "|---|---|---|---|---|---|",
              f"| lungseg default (width 16, depth 4) | 256x256 | {m['default_precision']} | "
              f"{m['default_gflop']} | "
              f"{m['default_forward_ms']} | {m['default_gflops_achieved']} |",
              *([f"| lungseg fast (width 8, depth 4) | 256x256 | {m['default_precision']} | {m['fast_gflop']} | "
                 f"{m['fast_forward_ms']} | {m['fast_gflops_achieved']} |"] if "fast_gflop" in m else []),
              f"| original project's U-Net (width 64, depth 4) | 512x512 | fp32 | {m['original_gflop']} | "
              f"{m['original_forward_ms']} | {m['original_gflops_achieved']} |", "",
              f"Per image the default model is **{m['ratio_original_over_default']}x** faster than the original "
              "architecture, at a higher Dice (`MODEL_CARD.md`, `benchmarks/accuracy.md`).", ""]  # fmt: skip
    agree = results["mask_agreement_dice"]
    lines.append("The new pipeline's full-size masks against the old pipeline's, both with the old weights and no "
                 "heart (Dice per image, minimum): "
                 + ", ".join(f"{CASES[c]} {min(v):.4f}" for c, v in agree.items() if v) + ".")  # fmt: skip
    lines += ["", "The int8 ONNX model's full-size masks against the torch backend's, this checkout (Dice per image, "
              "minimum): " + ", ".join(f"{CASES[c]} {min(v):.4f}" for c, v in results["int8_vs_torch_dice"].items())
              + "; its test Dice: `benchmarks/onnx_int8.md`."]  # fmt: skip
    return "\n".join(lines + gpu_lines()) + "\n"


def _gpu_label(row: dict) -> str:
    return row["model"] if "px" in row["model"] else f"{row['model']} ({row['size']} px)"


def gpu_lines() -> list[str]:
    """A pointer to the GPU figures (``benchmarks/gpu_speed.py``, run where a GPU was lent), where they exist."""
    path = Path(__file__).with_name("gpu_speed.json")
    if not path.is_file():
        return []
    gpu = json.loads(path.read_text())
    rows = ", ".join(f"{_gpu_label(r)} {r['inference_images_per_s']:,} / {r['training_images_per_s']:,}"
                     for r in gpu["rows"])  # fmt: skip
    return ["", "## On a GPU", "", f"Inference / training images/s at batch {gpu['rows'][0]['batch']} with "
            f"{gpu['precision']} on one {gpu['card']}: {rows} (`benchmarks/gpu_speed.md`, model throughput only)."]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--old-commit", default="6865e69")
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    parser.add_argument("--render", action="store_true", help="only rewrite speed.md from speed.json")
    args = parser.parse_args()
    if args.render:
        (HERE / "speed.md").write_text(render(json.loads((HERE / "speed.json").read_text())))
        return
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        old = tmp / "old_tree"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(old), args.old_commit], check=True,
                       capture_output=True)  # fmt: skip
        try:
            folders = make_inputs(Path(args.data), tmp)
            results = {"old": run_version(old / "src", folders, tmp, "old"),
                       "new": run_version(ROOT / "src", folders, tmp, "new", ("--backend", "torch")),
                       "new_onnxruntime": run_version(ROOT / "src", folders, tmp, "onnx", ("--backend", "onnxruntime")),
                       "new_onnxruntime_int8": run_version(ROOT / "src", folders, tmp, "int8",
                                                           ("--model", str(int8_model(Path(args.data), tmp)),
                                                            "--shape-model")),  # as the bundled model runs
                       "new_onnxruntime_no_shape": run_version(ROOT / "src", folders, tmp, "noshape",
                                                               ("--backend", "onnxruntime", "--no-shape-model"),
                                                               startup=False),
                       "new_lungs_only": run_version(ROOT / "src", folders, tmp, "lungs",
                                                     ("--backend", "torch", "--no-heart"), startup=False),
                       "new_onnxruntime_fast": run_version(ROOT / "src", folders, tmp, "fast",
                                                           ("--backend", "onnxruntime", "--model", FAST_MODEL)),
                       }  # fmt: skip
            same_model_runs(old, folders, tmp)
            results["mask_agreement_dice"] = {c: agreement(tmp, c) for c in ("png512", "png2500", "png5000")}
            results["int8_vs_torch_dice"] = {c: agreement(tmp, c, "int8", "new") for c in SIZES}
            results["fast_vs_default_dice"] = {c: agreement(tmp, c, "fast", "onnx") for c in SIZES}
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(old)], check=False)
    results["model"] = model_speed()
    results["command"] = f"python benchmarks/speed.py --old-commit {args.old_commit}"
    results["int8_command"] = INT8_COMMAND
    results["machine"] = f"{os.cpu_count()} CPU cores ({cpu_features()}); nothing else running"
    (HERE / "speed.json").write_text(json.dumps(results, indent=1) + "\n")
    (HERE / "speed.md").write_text(render(results))


if __name__ == "__main__":
    main()
