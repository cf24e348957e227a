"""``lungseg segment``: files and folders in; masks, labels, overlays and measurements out.

Outputs mirror each input's path relative to the folder it was found in. Existing outputs are
skipped (an interrupted run resumes), inputs are never written, every file is written atomically,
and a bad input gets one log line and a row with ``error`` filled while the batch goes on.
"""

from __future__ import annotations

import logging
import math
import sys
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from lungseg.inference.deskew import levelled_overlay
from lungseg.inference.jobs import Job
from lungseg.inference.orientation import undo_turn
from lungseg.inference.pipeline import SegmentationResult, processing_shape
from lungseg.inference.preprocess import preview_xray
from lungseg.inference.readahead import ReadAhead
from lungseg.inference.render import overlay_image
from lungseg.inference.rowlog import RowLog, compact_rows, read_rows
from lungseg.inference.segmenter import Segmenter
from lungseg.inference.streaming import stream
from lungseg.io.atomic import is_stale_temporary, save_png_atomic
from lungseg.io.png import save_gray_png_atomic
from lungseg.io.reader import XRay, read_xray
from lungseg.io.thumbnails import save_thumbnail, thumbnail_path

log = logging.getLogger(__name__)

OUTPUT_KINDS = ("mask", "labels", "overlay")
OVERLAY_MAX_SIDE = 1024  # the overlay is bounded; masks and labels keep the input's full size
WRITE_QUEUE = 4  # inputs whose outputs may be in flight at once (bounds memory)
PARALLEL_ENCODE_PIXELS = 4_000_000  # above this, a result's full-size PNGs are encoded in parallel
FAST_PNG = 1  # zlib level: masks compress almost as well at 1 as at 6, several times faster
MEASUREMENTS = "measurements.csv"


def result_row(job: Job, result: SegmentationResult) -> dict:
    overlay = job.output("overlay")
    overlay = str(overlay.relative_to(job.root)) if result.ok and job.root is not None else ""
    values = {"path": str(job.source), "error": result.error, **result.measurements, "overlay": overlay}
    return {k: (("" if math.isnan(v) else f"{v:.6g}") if isinstance(v, float) else v) for k, v in values.items()}


def write_outputs(
    job: Job, result: SegmentationResult, probabilities: bool, out_dir: Path | None = None, thumbnail: bool = True
) -> None:
    """Save mask (0/255), labels (0/1/2/3), heart, overlay (RGB), its report thumbnail and optionally the
    16-bit probability map.

    Refuses to write over the input or, given ``out_dir``, anywhere outside it (a symlinked subfolder).
    """
    inputs = {job.source.resolve()}
    targets = [job.output(k) for k in (*OUTPUT_KINDS, "heart", "prob")]
    if any(t.resolve() in inputs for t in targets):
        raise ValueError(f"{job.source}: an output would overwrite the input; choose another -o folder")
    root = out_dir.resolve() if out_dir is not None else None
    if root is not None and any(root not in t.resolve().parents for t in targets):
        raise ValueError(f"{job.source}: its outputs would land outside {out_dir} (a symlink?); remove the link")
    full = [("mask", result.mask), ("labels", result.labels)]
    full += [("heart", result.heart)] if result.heart is not None else []
    # full-size PNGs of a large film are encoded at once, in bands (zlib releases the GIL): 3 x 0.1 s for 5000x6000
    with ThreadPoolExecutor(len(full) if result.mask.size > PARALLEL_ENCODE_PIXELS else 1) as encoders:
        saved = [encoders.submit(save_gray_png_atomic, job.output(kind), array) for kind, array in full]
        drawn = overlay_of(result)  # while they encode
    for done in saved:
        done.result()
    save_png_atomic(job.output("overlay"), drawn, FAST_PNG)
    if thumbnail and job.root is not None:  # the report's thumbnail, while the overlay is in memory (after it)
        save_thumbnail(drawn, job.root / thumbnail_path(job.output("overlay").relative_to(job.root)))
    if probabilities:
        save_png_atomic(job.output("prob"), np.round(result.probabilities * 65535).astype(np.uint16), FAST_PNG)


def bounded(xray: XRay, labels: np.ndarray, max_side: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixels and labels scaled down (aspect kept) to at most ``max_side``: an overlay is for looking at."""
    if max(xray.shape) <= max_side:
        return xray.pixels, labels
    h, w = processing_shape(xray.shape, max_side)
    return preview_xray(xray, h, w), _nearest(labels, (h, w))


def _nearest(array: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Labels (uint8) or a mask (bool) resized by nearest neighbour, in bytes: no full-size float copy."""
    if array.shape == shape:
        return array
    small = np.asarray(Image.fromarray(array).resize(shape[::-1], Image.Resampling.NEAREST))
    return small.astype(bool) if array.dtype == bool else small


def overlay_of(result: SegmentationResult, max_side: int = OVERLAY_MAX_SIDE) -> Image.Image:
    """The result's overlay (palette image, at most ``max_side``): image, labels and heart scaled down together."""
    image, labels = bounded(result.xray, result.labels, max_side)
    heart = _nearest(result.heart, labels.shape) if result.heart is not None else None
    if result.tilt:  # the CTR's lines across the levelled chest, turned back with it
        return levelled_overlay(image, labels, heart, result.tilt)
    if result.turns:  # drawn on the upright film (the CTR's lines run across the chest), then turned back
        image, labels, heart = (None if a is None else np.rot90(a, result.turns) for a in (image, labels, heart))
        return undo_turn(overlay_image(image, labels, heart=heart), result.turns)
    return overlay_image(image, labels, heart=heart)


def is_done(job: Job, rows: dict[str, dict], probabilities: bool, heart: bool = False) -> bool:
    kinds = OUTPUT_KINDS + (("prob",) if probabilities else ()) + (("heart",) if heart else ())
    row = rows.get(str(job.source))
    return bool(row) and not row.get("error") and all(job.output(k).is_file() for k in kinds)


@dataclass
class SegmentOptions:
    output: Path
    overwrite: bool = False
    probabilities: bool = False
    as_json: bool = False
    batch_size: int = 4
    workers: int = 0
    parallel: int = 1  # batches segmented at once, in threads (see stream)
    rows_file: str = MEASUREMENTS  # a shard of a job array writes its own (see shards.py)
    thumbnails: bool = True  # the report's overlay thumbnails (off with --no-report)


def run_segment(segmenter: Segmenter, jobs: list[Job], opts: SegmentOptions, ahead: ReadAhead | None = None) -> int:
    """Segment ``jobs``; returns the number of failed inputs. ``ahead``: the first inputs, already being read
    (see :mod:`~lungseg.inference.readahead`).

    Outputs are encoded and written in a small thread pool (PNG encoding releases the GIL) while the
    next images are read and segmented; an input's row is logged only once its files are written.
    """
    try:
        return _run(segmenter, jobs, opts, ahead.read if ahead is not None else read_xray)
    finally:
        if ahead is not None:
            ahead.close()


def _run(segmenter: Segmenter, jobs: list[Job], opts: SegmentOptions, read: Callable[[Path], XRay]) -> int:
    """:func:`run_segment`'s loop, reading each path with ``read``."""
    rows, todo = prepare_run(jobs, opts, segmenter.has_heart)
    journal = RowLog(opts.output, fresh=opts.overwrite, name=opts.rows_file)
    pending: deque = deque()
    failed = 0
    with progress_bar(len(todo)) as bar, ThreadPoolExecutor(2) as pool:
        paths = [j.source for j in todo]
        results = stream(segmenter, paths, opts.batch_size, opts.workers, opts.parallel, read)
        for job, result in zip(todo, results, strict=True):
            write = (pool.submit(write_outputs, job, result, opts.probabilities, opts.output, opts.thumbnails)
                     if result.ok else None)  # fmt: skip
            pending.append((job, result, write))
            while len(pending) > WRITE_QUEUE or (pending and pending[0][2] is None):
                failed += _record(*pending.popleft(), rows, journal, bar)
        while pending:
            failed += _record(*pending.popleft(), rows, journal, bar)
    compact_rows(opts.output, opts.as_json, opts.rows_file)
    return failed


class _NoBar:
    """What a run without a terminal gets instead of tqdm's bar (which tqdm would disable there anyway)."""

    def __enter__(self) -> _NoBar:
        return self

    def __exit__(self, *exc) -> None:
        return None

    def update(self, n: int = 1) -> None:
        return None


def progress_bar(total: int):
    """tqdm's bar in images/s where stderr is a terminal; elsewhere a stand-in, so that a run in a pipeline or a job
    array does not import tqdm (30-45 ms of start-up, a tenth of a one-film run's imports)."""
    if not sys.stderr.isatty():
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, desc="segment", unit="img", disable=None)


def prepare_run(jobs: list[Job], opts: SegmentOptions, heart: bool) -> tuple[dict[str, dict], list[Job]]:
    """Rows of earlier runs and the jobs still to do (all of them with ``overwrite``); makes the folder."""
    rows = {} if opts.overwrite else read_rows(opts.output / opts.rows_file)
    todo = [j for j in jobs if opts.overwrite or not is_done(j, rows, opts.probabilities, heart)]
    if len(todo) < len(jobs):
        log.info("%d of %d inputs already done in %s (use --overwrite to redo)", len(jobs) - len(todo), len(jobs),
                 opts.output)  # fmt: skip
    opts.output.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(opts.output)
    return rows, todo


def remove_stale_temporaries(out_dir: Path) -> None:
    """Delete temporaries (``.<name>.<host>~<pid>~<hex>.tmp``) that a killed run left behind in the output
    folder, never those of a run still writing there (see :func:`~lungseg.io.atomic.is_stale_temporary`)."""
    for tmp in out_dir.rglob(".*.tmp"):
        if tmp.is_file() and is_stale_temporary(tmp):
            tmp.unlink(missing_ok=True)


def _record(job: Job, result: SegmentationResult, write, rows: dict, journal: RowLog, bar) -> int:
    """Wait for an input's writes, log its row; returns 1 if it failed."""
    if write is not None:
        try:
            write.result()
        except (ValueError, OSError) as exc:
            result = SegmentationResult(str(job.source), error=f"{job.source}: cannot write outputs ({exc})")
    bar.update(1)
    if not result.ok:
        log.error("%s", result.error)
    rows[str(job.source)] = result_row(job, result)
    journal.append(rows[str(job.source)])
    return 0 if result.ok else 1
