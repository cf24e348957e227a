"""Scaling on this machine: 1 vs 2 processes for training (torchrun, gloo) and for segmentation (Ray, shards).

Run it with nothing else running. Training: ``lungseg train`` on 128 Montgomery/Shenzhen training films at
256 px, 2 epochs; images/s from the second epoch's time (log.csv; it includes rank 0's validation pass).
Segmentation: ``lungseg segment`` on 64 PNGs of 512x512 (start-up included): one process; ``--ray`` on a
local Ray instance; two ``--shard K/2`` processes at once, then ``merge-measurements``.

Usage: python benchmarks/scaling.py [--data PATH]   -> benchmarks/scaling.json and scaling.md
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
LUNGSEG = [sys.executable, "-m", "lungseg"]
TORCHRUN = [sys.executable, "-m", "torch.distributed.run", "--standalone"]
TRAIN_IMAGES = 128
SEGMENT_IMAGES = 64


def run(argv: list[str], threads: int, cwd: Path) -> float:
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    start = time.perf_counter()
    proc = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True)
    if proc.returncode not in (0,):
        raise RuntimeError(f"{argv} failed:\n{proc.stderr[-3000:]}")
    return time.perf_counter() - start


def train_case(data: Path, tmp: Path, name: str, processes: int, threads: int) -> dict:
    args = ["train", "--data", str(data), "--output", name, "--epochs", "2", "--limit", str(TRAIN_IMAGES)]
    args += ["--batch-size", "8"]
    prefix = LUNGSEG if processes == 1 else [*TORCHRUN, f"--nproc_per_node={processes}", "-m", "lungseg"]
    run([*prefix, *args], threads, tmp)
    rows = list(csv.DictReader((tmp / name / "log.csv").open()))
    seconds = float(rows[-1]["seconds"])
    return {"processes": processes, "threads_each": threads, "epoch_seconds": seconds,
            "images_per_s": round(TRAIN_IMAGES / seconds, 2)}  # fmt: skip


def segment_cases(data: Path, tmp: Path) -> list[dict]:
    folder = tmp / "png512"
    folder.mkdir()
    for p in sorted((data / "CXR_png").glob("*.png"))[:SEGMENT_IMAGES]:
        (folder / p.name).write_bytes(p.read_bytes())
    seg = [*LUNGSEG, "segment", str(folder)]
    out = [{"mode": "one process, 2 threads", "seconds": run([*seg, "-o", "one"], 2, tmp)}]
    out.append({"mode": "--ray (local Ray, 2 CPUs)", "seconds": run([*seg, "-o", "ray", "--ray"], 2, tmp)})
    start = time.perf_counter()
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    shards = [subprocess.Popen([*seg, "-o", "shards", "--shard", f"{k}/2"], env=env, cwd=tmp,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for k in (0, 1)]  # fmt: skip
    if any(p.wait() for p in shards):
        raise RuntimeError("a shard failed")
    run([*LUNGSEG, "merge-measurements", "shards"], 1, tmp)
    out.append({"mode": "2 x --shard K/2 (1 thread each) + merge", "seconds": time.perf_counter() - start})
    same = (tmp / "one" / "measurements.csv").read_bytes()
    for case, name in zip(out, ("one", "ray", "shards"), strict=True):
        case["images_per_s"] = round(SEGMENT_IMAGES / case["seconds"], 2)
        case["seconds"] = round(case["seconds"], 2)
        case["measurements_identical"] = (tmp / name / "measurements.csv").read_bytes() == same
    return out


def cpu_name() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines() if Path("/proc/cpuinfo").exists() else []:
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.machine()


def render(r: dict) -> str:
    lines = ["# Scaling on one machine (1 vs 2 processes)", "",
             f"`python benchmarks/scaling.py` on {r['cpu']} ({r['cores']} cores), nothing else running; "
             "every figure is from `scaling.json`.", "",
             f"## Training: {TRAIN_IMAGES} films at 256 px, epoch 2 (includes rank 0's validation pass)", "",
             "| processes x threads | epoch s | images/s |", "|---|---|---|"]  # fmt: skip
    for c in r["train"]:
        lines.append(f"| {c['processes']} x {c['threads_each']} | {c['epoch_seconds']} | {c['images_per_s']} |")
    lines += ["", f"## Segmentation: {SEGMENT_IMAGES} PNGs of 512x512, start-up included", "",
              "| mode | s | images/s | measurements.csv identical to one process |", "|---|---|---|---|"]
    for c in r["segment"]:
        lines.append(f"| {c['mode']} | {c['seconds']} | {c['images_per_s']} | {c['measurements_identical']} |")
    lines += ["", "Two cores cannot show much scaling: the point here is that the multi-process paths run and give",
              "the same results; a multi-GPU node or a Ray cluster is documented in the README, not measured here."]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=HERE.parent.parent / "shared" / "data" / "Lung Segmentation")
    args = parser.parse_args()
    result = {"cpu": cpu_name(), "cores": os.cpu_count()}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        result["train"] = [train_case(args.data.resolve(), tmp, f"t{p}x{t}", p, t) for p, t in
                           ((1, 1), (1, 2), (2, 1))]  # fmt: skip
        result["segment"] = segment_cases(args.data.resolve(), tmp)
    (HERE / "scaling.json").write_text(json.dumps(result, indent=1) + "\n")
    (HERE / "scaling.md").write_text(render(result))
    print(render(result))


if __name__ == "__main__":
    main()
