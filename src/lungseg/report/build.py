"""Build ``report.html`` from a run's files: ``measurements.csv`` + ``run.json`` (segment) or the rows of an
evaluation; thumbnails (JPEG, at most :data:`THUMB_SIDE` px) are written once under ``report_files/``.
"""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path

from PIL import Image

from lungseg import __version__
from lungseg.inference.rowlog import read_rows
from lungseg.io.atomic import write_text_atomic
from lungseg.io.thumbnails import save_thumbnail, thumbnail_path
from lungseg.report.page import histogram_svg, render

log = logging.getLogger(__name__)

SEGMENT_COLUMNS = ("lung_fraction", "area_mm2", "right_left_ratio", "ctr", "mean_confidence")


def record_run(out_dir: Path, info: dict) -> None:
    """``run.json``: what the report's summary shows about the run (model, version, time, counts)."""
    write_text_atomic(Path(out_dir) / "run.json", json.dumps({"lungseg_version": __version__, **info}, indent=1))


def overlay_thumbnail(out_dir: Path, overlay: str) -> str:
    """The thumbnail of ``out_dir/overlay`` (made if missing or older); its path relative to ``out_dir``."""
    source = out_dir / overlay
    rel = thumbnail_path(overlay)
    dest = out_dir / rel
    if not source.is_file():
        return ""
    if not dest.is_file() or dest.stat().st_mtime < source.stat().st_mtime:
        with Image.open(source) as img:
            save_thumbnail(img, dest)
    return rel.as_posix()


def _number(value) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def segment_rows(out_dir: Path) -> list[dict]:
    """The report's rows from ``measurements.csv`` (thumbnails made as needed)."""
    rows = []
    for path, row in read_rows(out_dir / "measurements.csv").items():
        overlay = row.get("overlay") or ""
        rows.append({
            "name": path, "href": overlay, "thumb": overlay_thumbnail(out_dir, overlay) if overlay else "",
            "quality": _number(row.get("quality")), "flags": [f for f in (row.get("flags") or "").split(";") if f],
            "error": row.get("error") or "", "values": {c: row.get(c, "") for c in SEGMENT_COLUMNS},
        })  # fmt: skip
    return rows


def _summary(rows: list[dict], info: dict) -> dict[str, str]:
    flagged = sum(bool(r["flags"]) for r in rows)
    errors = sum(bool(r["error"]) for r in rows)
    summary = {"inputs": str(len(rows)), "segmented": str(len(rows) - errors), "errors": str(errors),
               "flagged": str(flagged)}  # fmt: skip
    if "seconds" in info:
        summary["time"] = f"{info['seconds']:.1f} s"
    summary["model"] = str(info.get("model") or "bundled default")
    if info.get("backend"):
        summary["backend"] = str(info["backend"])
    summary["lungseg"] = str(info.get("lungseg_version", __version__))
    return summary


def write_report(out_dir: Path, title: str, rows: list[dict], columns: list[str], info: dict) -> Path:
    """Render and write ``out_dir/report.html`` atomically."""
    fractions = [v for r in rows if (v := _number(r["values"].get("lung_fraction"))) is not None]
    qualities = [r["quality"] for r in rows if r["quality"] is not None]
    hists = [histogram_svg(fractions, "lung fraction", 0.0, 0.6), histogram_svg(qualities, "quality")]
    if "dice" in columns:
        hists.append(histogram_svg([v for r in rows if (v := _number(r["values"].get("dice"))) is not None], "Dice"))
    page = render(title, _summary(rows, info), hists, rows, list(columns))
    path = Path(out_dir) / "report.html"
    write_text_atomic(path, page)
    return path


def segment_report(out_dir: str | Path) -> Path:
    """``report.html`` of a segment run folder (``lungseg report OUT`` rebuilds it)."""
    out_dir = Path(out_dir)
    if not (out_dir / "measurements.csv").is_file():
        raise ValueError(f"{out_dir}: no measurements.csv; run lungseg segment -o {out_dir} first")
    info_path = out_dir / "run.json"
    info = json.loads(info_path.read_text()) if info_path.is_file() else {}
    rows = segment_rows(out_dir)
    return write_report(out_dir, f"lungseg segment: {out_dir.name}", rows, list(SEGMENT_COLUMNS), info)


def evaluate_report(output: Path, rows: list[dict], info: dict) -> Path:
    """``report.html`` of an evaluation: Dice beside quality (rows carry ``overlay`` paths in ``output``)."""
    columns = ["dice", "hd95", "group", "lung_fraction"]
    columns += ["heart_dice", "ctr_error"] if any("heart_dice" in r for r in rows) else []
    page_rows = []
    for r in rows:
        overlay = r.get("overlay", "")
        values = {c: (f"{r[c]:.4f}" if isinstance(r.get(c), float) else r.get(c, "")) for c in columns}
        page_rows.append({"name": r["image"], "href": overlay, "thumb": overlay_thumbnail(output, overlay),
                          "quality": _number(r.get("quality")), "flags": r.get("flags", []), "error": "",
                          "values": values})  # fmt: skip
    return write_report(output, f"lungseg evaluate: {info.get('model', '')}", page_rows, columns, info)
