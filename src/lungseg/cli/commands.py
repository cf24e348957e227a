"""Subcommand handlers: each turns parsed arguments into one library call and prints the result."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time

log = logging.getLogger("lungseg")


def echo(message: str) -> None:
    """The CLI's console: results for the user go to stdout, diagnostics to the log (stderr)."""
    sys.stdout.write(message + "\n")


MODEL_KEYS = ("base_channels", "depth", "padding", "dropout")


def cmd_train(args: argparse.Namespace) -> int:
    from lungseg.training.config import load_config
    from lungseg.training.loop import resume_config, train

    overrides = {k: v for k, v in vars(args).items() if k not in ("command", "verbose", "config", "resume")}
    model = {k: overrides.pop(k) for k in MODEL_KEYS if overrides.get(k) is not None}
    for k in MODEL_KEYS:
        overrides.pop(k, None)
    preset = overrides.pop("augment", None)
    if isinstance(overrides.get("data"), list) and len(overrides["data"]) == 1:
        overrides["data"] = overrides["data"][0]
    if args.resume:
        config = resume_config(args.resume, **{**overrides, "output": args.resume})
    else:
        config = load_config(args.config, **overrides)
        if not config.data or not config.output:
            log.error("lungseg train needs --data and --output (on the command line or in --config), or --resume")
            return 2
    if model:
        config = config.replace(model=model)
    if preset:
        config = apply_preset(config, preset)
    best = train(config, resume=bool(args.resume))
    if main_process():
        echo(f"best checkpoint: {best}")
    return 0


def main_process() -> bool:
    """False in torchrun's ranks other than 0 (read from the environment: no torch import here)."""
    import os

    return os.environ.get("RANK", "0") in ("", "0")


def apply_preset(config, preset: str):
    """Augmentation preset by name; 'pathology' is 'full' plus the sick-lung simulation."""
    from lungseg.training.augment import PRESETS

    if preset == "pathology":
        return config.replace(augment=PRESETS["full"], pathology={"enabled": True})
    return config.replace(augment=PRESETS[preset], pathology={"enabled": False})


def tta_scales(args: argparse.Namespace) -> tuple[float, ...]:
    """``--tta`` / ``--tta-scales`` -> the zoom scales: none without either, the default three with ``--tta``."""
    if not args.tta and not args.tta_scales:
        return ()
    from lungseg.inference.tta import DEFAULT_SCALES, check_scales

    return check_scales(args.tta_scales) if args.tta_scales else DEFAULT_SCALES


def cmd_evaluate(args: argparse.Namespace) -> int:
    from lungseg.evaluation.evaluate import evaluate

    data = args.data[0] if len(args.data) == 1 else args.data
    s = evaluate(
        args.model, data, args.split, args.output, args.device, args.threshold, not args.no_postprocess, args.groups,
        convention=args.convention, backend=args.backend, shape_model=args.shape_model, tta=tta_scales(args),
        precision=args.precision,
    )
    post = ("post-processed" if s["postprocess"] else "raw") + (" + shape model" if s["shape_model"] else "")
    echo(f"{s['n_images']} images  ({args.split}, threshold {s['threshold']:.2f}, {post} masks, {args.convention} "
         "lungs)")  # fmt: skip
    columns = [("all", s), *s["groups"].items()]
    heads = [f"{name} (n={g['n_images']})" for name, g in columns]
    echo(f"{'metric':<16}" + "".join(f"{h:>22}" for h in heads))
    echo(f"{'':<16}" + "".join(f"{'mean':>11}{'median':>11}" for _ in columns))
    metrics = ["dice", "iou", "precision", "recall", "pixel_accuracy", "hd95", "assd"]
    metrics += [m for m in ("heart_dice", "heart_hd95", "ctr_error") if f"{m}_mean" in s]
    for metric in metrics:
        cells = "".join(
            f"{g.get(metric + '_mean', float('nan')):>11.4f}{g.get(metric + '_median', float('nan')):>11.4f}"
            for _, g in columns
        )
        echo(f"{metric:<16}{cells}")
    echo(f"worst: {', '.join(s['worst'])}")
    echo(f"tables: {args.output}/per_image.csv, {args.output}/summary.json")
    if s["failed"]:
        echo(f"{len(s['failed'])} images could not be scored (their errors above and in summary.json's 'failed')")
    return 1 if s["failed"] else 0


def cmd_segment(args: argparse.Namespace) -> int:
    from pathlib import Path

    from lungseg.inference.jobs import find_jobs, sample_path  # light: no model, no scipy (see readahead.py)
    from lungseg.inference.lazy_scipy import import_ahead

    out = Path(args.output)
    if out.exists() and not out.is_dir():
        log.error("-o %s is a file, not a folder; choose a folder for the outputs", out)
        return 2
    try:
        jobs = find_jobs(args.inputs or [sample_path()], out)
    except FileNotFoundError as exc:
        log.error("%s", exc)
        return 2
    if not jobs:
        log.error("no X-ray files (PNG, JPEG, TIFF, BMP, DICOM) found in %s", " ".join(args.inputs))
        return 2
    parallel = args.parallel if args.parallel is not None else min(2, os.cpu_count() or 1)
    ahead = read_ahead(args, jobs, parallel)  # the first films decode while the libraries and models load
    import_ahead()  # and scipy.ndimage loads beside them (lazy_scipy.py)
    try:
        return segment_jobs(args, jobs, out, parallel, ahead)
    finally:
        if ahead is not None:
            ahead.close()


def segment_jobs(args: argparse.Namespace, jobs: list, out, parallel: int, ahead) -> int:
    """``lungseg segment`` once its inputs are listed: the models, the run (local or Ray), the report."""
    from lungseg.inference.batch import SegmentOptions, run_segment
    from lungseg.inference.segmenter import Segmenter
    from lungseg.model.pretrained import PRETRAINED

    if args.model is None and not PRETRAINED:
        log.error("no default model is bundled: train one with 'lungseg train' and pass --model RUN_DIR/best.pt")
        return 1
    model_args = dict(
        name_or_path=args.model, threshold=args.threshold, device=args.device, tile=args.tile,
        tile_overlap=args.tile_overlap,
        postprocess=not args.no_postprocess, precision=args.precision, probabilities=args.probabilities,
        complete_lungs=args.complete_lungs, shape_model=args.shape_model, convention=args.convention,
        polarity=args.polarity, orientation=args.orientation, backend=args.backend, heart=args.heart,
        tta=tta_scales(args),
    )  # fmt: skip
    # each batch in flight on its share of the cores (runs contending for one pool of all of them are slower):
    # ONNX Runtime's sessions, torch's process-wide threads
    model_args["threads"] = max(1, (os.cpu_count() or 1) // parallel)
    opts = SegmentOptions(out, args.overwrite, args.probabilities, args.json, args.batch_size, args.workers,
                          parallel=parallel, thumbnails=args.report)
    if args.shard:
        from lungseg.inference.shards import shard_file, shard_slice

        k, n = args.shard
        jobs = shard_slice(jobs, k, n)
        opts.rows_file, opts.as_json = shard_file(k, n), False
        log.info("shard %d/%d: %d inputs", k, n, len(jobs))
    started = time.time()
    backend = args.backend  # "auto" resolves per process; a local run records what it resolved to
    if args.ray:
        from lungseg.inference.ray_runner import run_segment_ray

        failed = run_segment_ray(model_args, jobs, opts, None if args.ray == "local" else args.ray)
    else:
        segmenter = Segmenter.from_pretrained(**model_args)
        backend = segmenter.backend
        failed = run_segment(segmenter, jobs, opts, ahead)
    echo(f"{len(jobs) - failed} of {len(jobs)} inputs done; masks, overlays and {opts.rows_file} in {out}/")
    if args.report and not args.shard:
        from lungseg.report.build import record_run, segment_report

        try:  # the masks are what matters: a report that cannot be written is a warning, not a failure
            record_run(out, {"model": args.model, "heart_model": args.heart, "backend": backend, "inputs": len(jobs),
                             "threshold": args.threshold,
                             "failed": failed, "seconds": time.time() - started, "ray": args.ray or "",
                             "tta": list(model_args["tta"])})  # fmt: skip
            echo(f"report: {segment_report(out)}")
        except (OSError, ValueError) as exc:
            log.warning("report.html not written (%s); rebuild it with: lungseg report %s", exc, out)
    return 1 if failed else 0


def read_ahead(args: argparse.Namespace, jobs: list, parallel: int):
    """A :class:`~lungseg.inference.readahead.ReadAhead` on the films of the first ``parallel`` batches, for a
    local run that reads in its own process (not with --workers, --ray or a shard: those read elsewhere or later),
    when they are large enough for it to pay."""
    if args.workers or args.ray or args.shard:
        return None
    from lungseg.inference.readahead import ReadAhead, first_batches, worth_reading_ahead

    firsts = first_batches([j.source for j in jobs], args.batch_size, parallel)
    return ReadAhead(firsts) if worth_reading_ahead(firsts) else None


def cmd_report(args: argparse.Namespace) -> int:
    from lungseg.report.build import segment_report

    echo(f"report: {segment_report(args.output)}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from lungseg.serve.app import serve

    serve(args.host, args.port, args.model, int(args.max_upload_mb * 1024 * 1024), args.convention, args.backend)
    return 0


def cmd_merge(args: argparse.Namespace) -> int:
    from pathlib import Path

    from lungseg.inference.shards import merge_measurements
    from lungseg.report.build import segment_report

    shards, rows = merge_measurements(Path(args.output), args.json)
    echo(f"merged {shards} shard files: {rows} rows in {args.output}/measurements.csv")
    echo(f"report: {segment_report(args.output)}")
    return 0


def cmd_preview(args: argparse.Namespace) -> int:
    from lungseg.training.config import load_config
    from lungseg.training.preview import save_preview

    data = args.data[0] if len(args.data) == 1 else args.data
    config = load_config(args.config, data=data, image_size=args.image_size, seed=args.seed)
    if args.augment:
        config = apply_preset(config, args.augment)
    path = save_preview(config, args.output, args.images, args.draws)
    echo(f"augmentation preview: {path}")
    return 0


def _export_int8(args: argparse.Namespace):
    from lungseg.inference.jobs import input_files
    from lungseg.inference.quantize import export_int8

    if args.format != "onnx" or not args.calibration:
        raise ValueError("--int8 writes an ONNX file from your films: add --format onnx --calibration FILES_OR_FOLDERS")
    return export_int8(args.model, args.output, [given for given, _ in input_files(args.calibration).values()])


def cmd_export(args: argparse.Namespace) -> int:
    from pathlib import Path

    from lungseg.model.checkpoint import export_checkpoint

    if args.int8:
        path = _export_int8(args)
    elif args.format == "onnx":
        from lungseg.inference.onnx_export import export_onnx

        path = export_onnx(args.model, args.output)
    else:
        path = export_checkpoint(args.model, args.output, args.half)
    echo(f"exported {args.model} -> {path} ({Path(path).stat().st_size / 1e6:.1f} MB)")
    return 0


