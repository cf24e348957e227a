"""``measurements.csv`` of a segment run: one row per input, appended as inputs finish, compacted at the end.

Appends and the compaction hold an advisory lock on the output folder, so a killed run loses nothing it
logged and two processes writing to one folder keep each other's rows.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

from lungseg.inference.measure import MEASUREMENT_FIELDS
from lungseg.io.atomic import write_text_atomic

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; one process per output folder there
    fcntl = None

CSV_FIELDS = ("path", *MEASUREMENT_FIELDS, "error", "overlay")  # overlay: its path relative to the output folder
LOCK_NAME = ".lungseg.lock"


def read_rows(path: Path) -> dict[str, dict]:
    """Rows of an earlier run by input path (the last row of a path wins; a cut-off last row is ignored)."""
    if not path.is_file():
        return {}
    with path.open(newline="", encoding="utf-8") as f:
        return {row["path"]: row for row in csv.DictReader(f) if row.get("error") is not None}


def _csv_line(row: dict) -> str:
    buffer = io.StringIO()
    csv.DictWriter(buffer, fieldnames=CSV_FIELDS, extrasaction="ignore").writerow(row)
    return buffer.getvalue()


@contextlib.contextmanager
def folder_lock(out_dir: Path) -> Iterator[None]:
    """An exclusive lock on the output folder (``.lungseg.lock``), held while measurements.csv changes, so
    that two ``segment`` processes writing to one folder never lose each other's rows."""
    with open(out_dir / LOCK_NAME, "a") as handle:
        if fcntl is not None:
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            if fcntl is not None:
                fcntl.flock(handle, fcntl.LOCK_UN)


class RowLog:
    """``measurements.csv`` grown one row per finished input (appended under the folder lock, so the cost is
    linear in the batch), then compacted once at the end to one row per input by :func:`compact_rows`.

    A row cut off by a killed run is dropped before appending, so the file always parses.
    """

    def __init__(self, out_dir: Path, fresh: bool, name: str = "measurements.csv") -> None:
        self.out_dir, self.path = out_dir, out_dir / name
        with folder_lock(out_dir):
            if fresh or not self.path.is_file() or self.path.stat().st_size == 0:
                write_text_atomic(self.path, ",".join(CSV_FIELDS) + "\n")
            else:
                data = self.path.read_bytes()
                if not data.endswith(b"\n"):
                    with self.path.open("r+b") as f:
                        f.truncate(data.rfind(b"\n") + 1)

    def append(self, row: dict) -> None:
        with folder_lock(self.out_dir), self.path.open("a", newline="", encoding="utf-8") as f:
            f.write(_csv_line(row))


def write_rows(rows: dict[str, dict], out_dir: Path, as_json: bool, name: str = "measurements.csv") -> None:
    """``name`` (CSV, one row per input in ``rows``' order) and, if asked, the same as ``.json``."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_FIELDS, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows.values())
    write_text_atomic(out_dir / name, buffer.getvalue())
    if as_json:
        path = (out_dir / name).with_suffix(".json")
        write_text_atomic(path, json.dumps(list(rows.values()), indent=1) + "\n")


def compact_rows(out_dir: Path, as_json: bool, name: str = "measurements.csv") -> None:
    """One row per input (the last logged wins), from everything any process appended."""
    with folder_lock(out_dir):
        write_rows(read_rows(out_dir / name), out_dir, as_json, name)
