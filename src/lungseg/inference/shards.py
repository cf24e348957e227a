"""Job arrays without Ray (SLURM, PBS): ``segment --shard K/N`` and ``merge-measurements``.

Shard K of N (K counted from 0, like ``$SLURM_ARRAY_TASK_ID``) takes the K-th of N contiguous, disjoint
slices of the run's job list (the sorted order that a single ``segment`` run uses) and logs its rows in
``measurements.shard-K-of-N.csv``, so shards never share a file (advisory locks are unreliable on network file
systems). Joining the shard files in K order therefore gives the single-process run's ``measurements.csv``.
"""

from __future__ import annotations

import re
from pathlib import Path

from lungseg.inference.rowlog import folder_lock, read_rows, write_rows

SHARD_FILE = re.compile(r"measurements\.shard-(\d+)-of-(\d+)\.csv")


def parse_shard(spec: str) -> tuple[int, int]:
    """``"K/N"`` -> (K, N) with 0 <= K < N."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", spec or "")
    if not match or int(match[2]) < 1 or int(match[1]) >= int(match[2]):
        raise ValueError(f"--shard {spec!r}: use K/N with 0 <= K < N, e.g. --shard $SLURM_ARRAY_TASK_ID/8")
    return int(match[1]), int(match[2])


def shard_slice(items: list, index: int, count: int) -> list:
    """The ``index``-th of ``count`` contiguous slices of ``items`` (sizes differ by at most one)."""
    n = len(items)
    return items[index * n // count : (index + 1) * n // count]


def shard_file(index: int, count: int) -> str:
    return f"measurements.shard-{index}-of-{count}.csv"


def merge_measurements(out_dir: Path, as_json: bool = False) -> tuple[int, int]:
    """Join ``measurements.shard-K-of-N.csv`` (K = 0..N-1) into ``measurements.csv``; returns (shards, rows).

    Every shard of one N must be there (a missing one is named); the shard files are kept.
    """
    out_dir = Path(out_dir)
    found: dict[int, dict[int, Path]] = {}
    for path in out_dir.glob("measurements.shard-*-of-*.csv"):
        match = SHARD_FILE.fullmatch(path.name)
        if match:
            found.setdefault(int(match[2]), {})[int(match[1])] = path
    if not found:
        raise ValueError(f"{out_dir}: no measurements.shard-K-of-N.csv files; run segment --shard K/N -o {out_dir}")
    if len(found) > 1:
        raise ValueError(f"{out_dir}: shard files of several N ({sorted(found)}); delete the stale ones")
    count, shards = next(iter(found.items()))
    missing = [k for k in range(count) if k not in shards]
    if missing:
        listed = ", ".join(f"{k}/{count}" for k in missing)
        raise ValueError(f"{out_dir}: shard(s) {listed} have no measurements yet; run them, then merge again")
    rows: dict[str, dict] = {}
    for k in range(count):
        rows.update(read_rows(shards[k]))
    with folder_lock(out_dir):
        write_rows(rows, out_dir, as_json)
    return count, len(rows)
