"""``segment --ray``: the same per-image work as :func:`~lungseg.inference.batch.run_segment`, on a Ray cluster.

Ray Data reads and preprocesses the files in parallel tasks, a pool of model actors (one per GPU where the
cluster has GPUs, otherwise CPU actors) segments them and writes each input's files (atomically, with the
single-process names), and the driver writes one ``measurements.csv`` in the single-process order.
Ray is an optional extra: ``pip install 'lungseg[ray]'``.
"""

from __future__ import annotations

import logging
import pickle
from pathlib import Path
from typing import Any

import numpy as np

from lungseg import telemetry
from lungseg.inference.batch import SegmentOptions, prepare_run, result_row, write_outputs
from lungseg.inference.jobs import Job
from lungseg.inference.pipeline import SegmentationResult, load_input
from lungseg.inference.rowlog import RowLog, folder_lock, write_rows
from lungseg.inference.segmenter import Segmenter

log = logging.getLogger(__name__)


def _ray():
    telemetry.opt_out()  # no usage statistics from the clusters lungseg starts (lungseg.telemetry)
    try:
        import ray
        import ray.data  # the Data library ships in the [data] extra
    except ImportError:
        raise ValueError("--ray needs Ray Data: pip install 'lungseg[ray]'") from None
    return ray


def _read(row: dict[str, Any], size: int, intensity: str) -> dict[str, Any]:
    """Ray Data stage 1 (parallel tasks): read and preprocess one file; the result travels pickled."""
    item = load_input(row["source"], int(row["index"]), size, intensity)
    return {**row, "payload": pickle.dumps(item, protocol=pickle.HIGHEST_PROTOCOL)}


class _SegmentActor:
    """Ray Data stage 2 (actors): one model per actor; segments a batch and writes its outputs."""

    def __init__(self, model_args: dict, out_dir: str, probabilities: bool) -> None:
        self.segmenter = Segmenter.from_pretrained(**model_args)
        self.out_dir, self.probabilities = Path(out_dir), probabilities

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        items = [pickle.loads(p) for p in batch["payload"]]
        rows = []
        for source, stem, result in zip(batch["source"], batch["stem"], self.segmenter.segment_prepared(items),
                                        strict=True):  # fmt: skip
            job = Job(Path(source), Path(stem), self.out_dir.resolve())
            rows.append(pickle.dumps(result_row(job, self._write(job, result))))
        return {"index": batch["index"], "row": np.array(rows, dtype=object)}

    def _write(self, job: Job, result: SegmentationResult) -> SegmentationResult:
        if not result.ok:
            return result
        try:
            write_outputs(job, result, self.probabilities, self.out_dir)
        except (ValueError, OSError) as exc:
            return SegmentationResult(str(job.source), error=f"{job.source}: cannot write outputs ({exc})")
        return result


def actor_pool(resources: dict[str, float]) -> tuple[int, dict[str, int]]:
    """(number of model actors, resources of each): one per GPU, else one CPU actor per two CPUs (at least
    one), leaving CPUs to the reading tasks and the driver."""
    gpus = int(resources.get("GPU", 0))
    if gpus:
        return gpus, {"num_gpus": 1}
    return max(1, int(resources.get("CPU", 1)) // 2), {"num_cpus": 1}


def run_segment_ray(model_args: dict, jobs: list[Job], opts: SegmentOptions, address: str | None = None) -> int:
    """Segment ``jobs`` on Ray (``address``: a cluster, "auto", or None for a local instance, unless one is
    already initialised); returns the number of failed inputs. Outputs match :func:`run_segment`'s."""
    ray = _ray()
    local = Segmenter.from_pretrained(**model_args)  # fails here, not in every actor, on a bad model
    rows, todo = prepare_run(jobs, opts, local.has_heart)
    started = not ray.is_initialized()
    if started:
        ray.init(address=address, logging_level=logging.WARNING)
    try:
        new_rows = _segment(ray, model_args, todo, opts, local)
    finally:
        if started:
            ray.shutdown()
    journal = RowLog(opts.output, fresh=opts.overwrite)
    failed = 0
    for job in todo:  # the single-process order, whatever order the actors finished in
        row = new_rows[str(job.source)]
        journal.append(row)
        rows[str(job.source)] = row
        failed += bool(row.get("error"))
        if row.get("error"):
            log.error("%s", row["error"])
    with folder_lock(opts.output):
        write_rows(rows, opts.output, opts.as_json)
    return failed


def _segment(ray, model_args: dict, todo: list[Job], opts: SegmentOptions, local: Segmenter) -> dict[str, dict]:
    if not todo:
        return {}
    actors, each = actor_pool(ray.cluster_resources())
    if each.get("num_gpus"):
        model_args = {**model_args, "device": "cuda"}
    log.info("Ray: %d inputs, %d model actor(s) on %s", len(todo), actors, "GPUs" if "num_gpus" in each else "CPUs")
    items = [{"index": i, "source": str(j.source), "stem": str(j.out_stem)} for i, j in enumerate(todo)]
    reader = {"size": local.image_size, "intensity": local.intensity}
    ds = ray.data.from_items(items).map(_read, fn_kwargs=reader)
    ds = ds.map_batches(
        _SegmentActor,
        fn_constructor_args=(model_args, str(opts.output), opts.probabilities),
        batch_size=opts.batch_size,
        batch_format="numpy",
        compute=ray.data.ActorPoolStrategy(size=actors),
        **each,
    )
    rows = {}
    for out in ds.iter_rows():
        row = pickle.loads(out["row"])
        rows[row["path"]] = row
    return rows
