"""kill -9 of ``lungseg segment`` at random moments, then a rerun: nothing half-written, one row per input.

Usage: python benchmarks/kill_segment.py [--kills 25] [--images 40] [--seed 0]
Writes benchmarks/kill_segment.json. tests/test_faults.py runs the same check with fewer kills.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

HERE = Path(__file__).resolve().parent


def make_folder(folder: Path, n: int) -> None:
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[:320, :256] / np.array([320, 256])[:, None, None]
    for k in range(n):
        right = ((xx - 0.3) / 0.13) ** 2 + ((yy - 0.5) / 0.3) ** 2 <= 1
        lungs = right | (((xx - 0.7) / 0.13) ** 2 + ((yy - 0.5) / 0.3) ** 2 <= 1)
        image = np.where(lungs, 60, 190) + rng.normal(0, 8, lungs.shape)
        Image.fromarray(np.clip(image, 0, 255).astype(np.uint8)).save(folder / f"img{k:03d}.png")


def check(out: Path, inputs: list[Path]) -> dict:
    """Every output PNG decodes completely; the CSV has exactly one row per input, none failed."""
    broken = []
    for png in out.rglob("*.png"):
        try:
            with Image.open(png) as im:
                im.load()
        except Exception:
            broken.append(png.name)
    with (out / "measurements.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    paths = sorted(r["path"] for r in rows)
    return {
        "broken_outputs": broken,
        "rows": len(rows),
        "one_row_per_input": paths == sorted(str(p) for p in inputs),
        "errors": [r["path"] for r in rows if r["error"]],
        "temporaries_left": [p.name for p in out.rglob(".*.tmp")],
    }


def kill_and_rerun(folder: Path, out: Path, kills: int, seed: int, cli: list[str]) -> dict:
    rng = random.Random(seed)
    argv = [*cli, "segment", str(folder), "-o", str(out), "--batch-size", "2"]
    moments = []
    for _ in range(kills):
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        moment = rng.uniform(0.5, 6.0)
        time.sleep(moment)
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        moments.append(round(moment, 2))
        # between kills, whatever is there must already be whole
        partial = check(out, []) if (out / "measurements.csv").exists() else {"broken_outputs": []}
        if partial["broken_outputs"]:
            return {"kills": len(moments), "broken_between_kills": partial["broken_outputs"]}
    final = subprocess.run(argv, capture_output=True, text=True)
    result = check(out, sorted(folder.glob("*.png")))
    return {"kills": kills, "kill_moments_s": moments, "final_exit_code": final.returncode, **result}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kills", type=int, default=25)
    parser.add_argument("--images", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as t:
        folder = Path(t) / "in"
        make_folder(folder, args.images)
        cli = [sys.executable, "-m", "lungseg"]
        result = kill_and_rerun(folder, Path(t) / "out", args.kills, args.seed, cli)
    options = f"--kills {args.kills} --images {args.images} --seed {args.seed}"
    result["command"] = f"python benchmarks/kill_segment.py {options}"
    (HERE / "kill_segment.json").write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
