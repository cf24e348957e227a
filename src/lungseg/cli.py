"""Command line: parses arguments and dispatches; the work lives in the library modules.

Exit codes: 0 success, 1 failure while running (bad data, bad input file), 2 usage error.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from lungseg import __version__
from lungseg.model.pretrained import licence_line

log = logging.getLogger("lungseg")


def echo(message: str) -> None:
    """The CLI's console: results for the user go to stdout, diagnostics to the log (stderr)."""
    sys.stdout.write(message + "\n")


def _add_train(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train a U-Net on a data folder")
    p.add_argument(
        "--data", nargs="+", help="data folder(s): Kaggle CXR_png/ + masks/, or images/ + masks/ (several: joined)"
    )
    p.add_argument("--mask-folder", dest="mask_folder", help="masks folder beside images/ (masks; masks_heart)")
    p.add_argument("--target", choices=["lungs", "heart"], help="what the masks show (lungs)")
    p.add_argument("--output", help="run folder for config, split, log, plot and checkpoints")
    p.add_argument("--config", help="YAML/TOML/JSON file of TrainConfig values")
    p.add_argument("--resume", metavar="RUN_DIR", help="continue the run in RUN_DIR from its last.pt")
    p.add_argument("--epochs", type=int)
    p.add_argument("--image-size", type=int, dest="image_size", help="working size in pixels (square)")
    p.add_argument("--batch-size", type=int, dest="batch_size")
    p.add_argument("--lr", type=float, help="peak learning rate (AdamW)")
    p.add_argument("--seed", type=int)
    p.add_argument("--limit", type=int, help="use only the first N training images (smoke runs)")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"])
    p.add_argument("--loss", help="bce, dice, dice_bce or weighted_ce (the U-Net paper's weighted loss)")
    p.add_argument(
        "--augment", choices=AUGMENT_PRESETS, help="augmentation preset (pathology: full + sick lungs)"
    )
    p.add_argument("--protocol", dest="split_protocol", help="split protocol: original, combined or random")
    p.add_argument("--split", dest="split_file", metavar="FILE", help="split JSON written by an earlier run")
    p.add_argument("--workers", type=int, dest="num_workers", help="DataLoader worker processes")
    p.add_argument("--patience", type=int, help="early stopping: epochs without val Dice gain")
    p.add_argument("--base-channels", type=int, dest="base_channels", help="U-Net width of the first level")
    p.add_argument("--depth", type=int, help="number of poolings")
    p.add_argument("--padding", choices=["same", "valid"])
    p.add_argument("--dropout", type=float, help="dropout at the end of the contracting path")
    p.add_argument(
        "--init-from", dest="init_from", metavar="MODEL", help="fine-tune: start from a checkpoint or bundled model"
    )


def _add_evaluate(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("evaluate", help="score a checkpoint against manual masks")
    p.add_argument("--model", required=True, help="checkpoint (.pt) written by lungseg train")
    p.add_argument("--data", required=True, nargs="+", help="data folder(s) with masks")
    p.add_argument("--split", default="test", help="test, val (from the checkpoint), all, or a split FILE")
    p.add_argument("--groups", metavar="FILE", help="CSV image,group: report every metric per group too")
    p.add_argument("--output", required=True, help="folder for per_image.csv and summary.json")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--threshold", type=float, help="probability threshold (default: the checkpoint's calibrated one)")
    p.add_argument("--no-postprocess", action="store_true", help="score the raw thresholded masks")


def _add_segment(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "segment",
        help="lung masks, labels, overlays and measurements for X-ray files or folders",
        description="Exit codes: 0 all inputs segmented, 1 some input failed (see the error column), 2 usage error.",
    )
    p.add_argument(
        "inputs", nargs="*", help="image/DICOM files or folders, searched recursively (default: bundled sample)"
    )
    p.add_argument("-o", "--output", default="lungseg_output", help="output folder (lungseg_output)")
    p.add_argument("--model", help="bundled model name or checkpoint .pt (default: the bundled default model)")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument(
        "--precision", default="auto", choices=["auto", "bf16", "fp32"], help="auto: bf16 where the hardware has it"
    )
    p.add_argument("--backend", default="torch", choices=["torch", "onnxruntime"], help="(torch; onnxruntime: pip "
                   "install 'lungseg[onnx]'; a .onnx --model always runs on onnxruntime)")  # fmt: skip
    p.add_argument("--batch-size", type=int, default=4, dest="batch_size")
    p.add_argument("--workers", type=int, default=0, help="processes that read and preprocess ahead (0)")
    p.add_argument("--tile", type=int, help="overlap-tile inference with tiles of this side (working-size pixels)")
    p.add_argument("--tile-overlap", type=float, default=0.5, dest="tile_overlap", help="for padded models (0.5)")
    p.add_argument("--no-postprocess", action="store_true", help="keep the raw thresholded mask")
    p.add_argument("--heart-model", dest="heart", default="auto", help="heart model name or file (auto: the bundled)")
    p.add_argument("--no-heart", dest="heart", action="store_const", const=None, help="lungs only: no heart, no CTR")
    p.add_argument("--probabilities", action="store_true", help="also write <stem>_prob.png (16-bit, p * 65535)")
    p.add_argument("--json", action="store_true", help="also write measurements.json")
    p.add_argument("--overwrite", action="store_true", help="redo inputs whose outputs exist")


def _add_preview(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("augment-preview", help="save a grid of augmented image/mask pairs")
    p.add_argument("--data", required=True, nargs="+", help="data folder(s) (either layout)")
    p.add_argument("--output", required=True, help="PNG file to write")
    p.add_argument("--config", help="training config file whose augmentation to show")
    p.add_argument("--augment", choices=AUGMENT_PRESETS, help="augmentation preset (default: the config's)")
    p.add_argument("--images", type=int, default=4, help="rows: number of X-rays")
    p.add_argument("--draws", type=int, default=5, help="augmented versions per X-ray")
    p.add_argument("--image-size", type=int, dest="image_size")
    p.add_argument("--seed", type=int)


def _add_export(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export", help="write a slim checkpoint (no optimizer state) or an ONNX file")
    p.add_argument("--model", required=True, help="checkpoint written by lungseg train, or a bundled model name")
    p.add_argument("-o", "--output", required=True, help="file to write (.pt or .onnx)")
    p.add_argument("--format", default="checkpoint", choices=["checkpoint", "onnx"], help="(checkpoint)")
    p.add_argument("--half", action="store_true", help="checkpoint: store the weights as float16 (half the size)")


class _Version(argparse.Action):
    """``--version``: the version and the licences of the code and the bundled weights, unwrapped."""

    def __call__(self, parser, namespace, values, option_string=None):
        echo(f"lungseg {__version__}\n{licence_line()}")
        parser.exit(0)


# names of lungseg.training.augment.PRESETS (+ pathology); not imported here so that --help stays fast
AUGMENT_PRESETS = ("none", "geometric", "elastic", "full", "pathology")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lungseg", description="Lung segmentation in chest X-rays (U-Net).")
    parser.add_argument("--version", action=_Version, nargs=0, help="version and licences, then exit")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)
    _add_train(sub)
    _add_evaluate(sub)
    _add_segment(sub)
    _add_preview(sub)
    _add_export(sub)
    return parser


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
    echo(f"best checkpoint: {best}")
    return 0


def apply_preset(config, preset: str):
    """Augmentation preset by name; 'pathology' is 'full' plus the sick-lung simulation."""
    from lungseg.training.augment import PRESETS

    if preset == "pathology":
        return config.replace(augment=PRESETS["full"], pathology={"enabled": True})
    return config.replace(augment=PRESETS[preset], pathology={"enabled": False})


def cmd_evaluate(args: argparse.Namespace) -> int:
    from lungseg.evaluation.evaluate import evaluate

    data = args.data[0] if len(args.data) == 1 else args.data
    s = evaluate(
        args.model, data, args.split, args.output, args.device, args.threshold, not args.no_postprocess, args.groups
    )
    post = "post-processed" if s["postprocess"] else "raw"
    echo(f"{s['n_images']} images  ({args.split}, threshold {s['threshold']:.2f}, {post} masks)")
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
    return 0


def cmd_segment(args: argparse.Namespace) -> int:
    from pathlib import Path

    from lungseg.inference.batch import SegmentOptions, find_jobs, run_segment, sample_path
    from lungseg.inference.segmenter import Segmenter
    from lungseg.model.pretrained import PRETRAINED

    if args.model is None and not PRETRAINED:
        log.error("no default model is bundled: train one with 'lungseg train' and pass --model RUN_DIR/best.pt")
        return 1
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
    segmenter = Segmenter.from_pretrained(
        args.model, device=args.device, tile=args.tile, tile_overlap=args.tile_overlap,
        postprocess=not args.no_postprocess, precision=args.precision, probabilities=args.probabilities,
        backend=args.backend, heart=args.heart,
    )  # fmt: skip
    opts = SegmentOptions(out, args.overwrite, args.probabilities, args.json, args.batch_size, args.workers)
    failed = run_segment(segmenter, jobs, opts)
    echo(f"{len(jobs) - failed} of {len(jobs)} inputs done; masks, overlays and measurements.csv in {out}/")
    return 1 if failed else 0


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


def cmd_export(args: argparse.Namespace) -> int:
    from pathlib import Path

    from lungseg.model.checkpoint import export_checkpoint

    if args.format == "onnx":
        from lungseg.inference.onnx_backend import export_onnx

        path = export_onnx(args.model, args.output)
    else:
        path = export_checkpoint(args.model, args.output, args.half)
    echo(f"exported {args.model} -> {path} ({Path(path).stat().st_size / 1e6:.1f} MB)")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code (tests call ``main([...])``)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO, format="%(levelname)s %(name)s: %(message)s"
    )
    handlers = {
        "train": cmd_train,
        "evaluate": cmd_evaluate,
        "segment": cmd_segment,
        "augment-preview": cmd_preview,
        "export": cmd_export,
    }
    try:
        return handlers[args.command](args)
    except ValueError as exc:
        log.error("%s", exc)
        return 1
    except OSError as exc:  # an unwritable or full output folder, a vanished file: one line, not a traceback
        log.error("%s; check that the folder exists, is writable and has space", exc)
        return 1
    except KeyboardInterrupt:
        log.error("interrupted; a training run continues with --resume RUN_DIR")
        return 130


if __name__ == "__main__":
    sys.exit(main())
