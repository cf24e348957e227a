"""Argument parsers of the subcommands (kept free of heavy imports, so ``--help`` stays fast)."""

from __future__ import annotations

import argparse

# names of lungseg.training.augment.PRESETS (+ pathology); not imported here so that --help stays fast
AUGMENT_PRESETS = ("none", "geometric", "elastic", "full", "pathology")


def _add_train(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train a U-Net on a data folder")
    p.add_argument(
        "--data", nargs="+", help="data folder(s): Kaggle CXR_png/ + masks/, or images/ + masks/ (several: joined)"
    )
    p.add_argument("--mask-folder", dest="mask_folder", help="masks folder beside images/ (masks; masks_heart)")
    p.add_argument(
        "--target", choices=["lungs", "heart", "lungs+heart"],
        help="what the model segments (lungs); lungs+heart: one model, heart from masks_heart/ where present",
    )  # fmt: skip
    p.add_argument("--heart-teacher", dest="heart_teacher",
                   help="lungs+heart: a heart model that labels the films without a heart mask")  # fmt: skip
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
    p.add_argument("--sync-bn", dest="sync_bn", action="store_true", default=None,
                   help="under torchrun on GPUs: BatchNorm over the global batch")  # fmt: skip


def _add_evaluate(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("evaluate", help="score a checkpoint against manual masks")
    p.add_argument("--model", required=True, help="checkpoint (.pt) written by lungseg train, a bundled name, or .onnx")
    p.add_argument("--data", required=True, nargs="+", help="data folder(s) with masks")
    p.add_argument("--split", default="test", help="test, val (from the checkpoint), all, or a split FILE")
    p.add_argument("--groups", metavar="FILE", help="CSV image,group: report every metric per group too")
    p.add_argument("--output", required=True, help="folder for per_image.csv and summary.json")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--threshold", type=float, help="probability threshold (default: the checkpoint's calibrated one)")
    p.add_argument("--no-postprocess", action="store_true", help="score the raw thresholded masks")
    _add_precision(p)
    _add_shape_model(p)
    _add_tta(p)
    _add_convention(p)
    _add_backend(p)


def _add_precision(p: argparse.ArgumentParser) -> None:
    p.add_argument("--precision", default="auto", choices=["auto", "bf16", "fp32"],
                   help="torch backend: auto is bf16 where the hardware has it (masks within a pixel or two of fp32)")


def _add_tta(p: argparse.ArgumentParser) -> None:
    p.add_argument("--tta", action="store_true",
                   help="test-time augmentation: also run the model on the film zoomed about its centre (0.9 and "
                   "1.1) and average; one forward pass per scale (heart Dice +0.0013 on validation, not on the "
                   "test films; MODEL_CARD.md)")  # fmt: skip
    p.add_argument("--tta-scales", dest="tta_scales", nargs="+", type=float, metavar="SCALE",
                   help="--tta with these zooms instead (1.0 among them), e.g. --tta-scales 0.85 1.0 1.15")


def _add_shape_model(p: argparse.ArgumentParser) -> None:
    p.add_argument("--shape-model", action=argparse.BooleanOptionalAction, default=None,
                   help="grow the lungs where the learned shape prior (lungseg-shape: the lungs found and the film "
                   "in) sees a zone lost under opacity, before the mirror-image completion; default: on for the "
                   "bundled default model (chosen on its validation films, benchmarks/shape_model_image.md), off for "
                   "a checkpoint or .onnx file of your own")  # fmt: skip


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
    p.add_argument("--model", help="bundled model name (lungseg-unet-default, or lungseg-unet-fast: faster, a little "
                   "less accurate) or checkpoint .pt (default: lungseg-unet-default)")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    _add_precision(p)
    _add_backend(p)
    p.add_argument("--batch-size", type=int, default=4, dest="batch_size")
    p.add_argument("--workers", type=int, default=0, help="processes that read and preprocess ahead (0)")
    p.add_argument("--parallel", type=_at_least_one, default=None, metavar="N",
                   help="batches segmented at once in threads (default: 2 with 2+ CPUs; 1: one after another)")
    p.add_argument("--tile", type=int, help="overlap-tile inference with tiles of this side (working-size pixels)")
    p.add_argument("--tile-overlap", type=float, default=0.5, dest="tile_overlap", help="for padded models (0.5)")
    p.add_argument("--no-postprocess", action="store_true", help="keep the raw thresholded mask")
    p.add_argument("--threshold", type=_probability, metavar="T",
                   help="lung probability threshold instead of the model's calibrated one (0.65 for the default "
                   "model): lower draws a wider lung; choose it on your own masked films with lungseg evaluate "
                   "--threshold T")  # fmt: skip
    p.add_argument("--no-complete-lungs", action="store_false", dest="complete_lungs",
                   help="keep a lung under half of its partner's area as found (default: completed from the "
                   "partner's mirror image; flag lung_completed)")  # fmt: skip
    _add_shape_model(p)
    _add_tta(p)
    _add_convention(p)
    p.add_argument("--polarity", default="auto", choices=["auto", "keep"],
                   help="auto (default): an input the bundled polarity model calls inverted (bone dark, air "
                   "bright) is turned back before segmenting, flag inverted_input; keep: the grey scale as it is")
    p.add_argument("--orientation", default="auto", choices=["auto", "keep"],
                   help="auto (default): a film the bundled view model finds on its side or upside down is "
                   "segmented upright, one whose lungs lie over 7.5 degrees off level is segmented levelled, and the "
                   "outputs are turned back to the input's orientation, flags turned_input, tilted_input; "
                   "keep: every film as it is")  # fmt: skip
    p.add_argument("--heart-model", dest="heart", default="auto", help="heart model name or file (auto: the bundled)")
    p.add_argument("--no-heart", dest="heart", action="store_const", const=None, help="lungs only: no heart, no CTR")
    p.add_argument("--probabilities", action="store_true", help="also write <stem>_prob.png (16-bit, p * 65535)")
    p.add_argument("--json", action="store_true", help="also write measurements.json")
    p.add_argument("--overwrite", action="store_true", help="redo inputs whose outputs exist")
    p.add_argument("--shard", metavar="K/N", type=_shard, help="job arrays: only the K-th of N slices (K from 0); then "
                   "lungseg merge-measurements OUT")  # fmt: skip
    p.add_argument("--no-report", dest="report", action="store_false", help="skip OUT/report.html")
    p.add_argument("--ray", nargs="?", const="local", metavar="ADDRESS", help="run on Ray (pip install "
                   "'lungseg[ray]'): a local instance, or ADDRESS (auto, ray://host:10001)")  # fmt: skip


def _probability(text: str) -> float:
    """A threshold strictly between 0 and 1 (0 or 1 would draw everything or nothing)."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(f"must be a number between 0 and 1, such as 0.5, got {text!r}")
    return value


def _at_least_one(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, got {text!r}")
    return value


def _shard(spec: str) -> tuple[int, int]:
    from lungseg.inference.shards import parse_shard  # only when --shard is given

    try:
        return parse_shard(spec)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _add_merge(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("merge-measurements", help="join the measurements of segment --shard runs in OUT")
    p.add_argument("output", metavar="OUT", help="the -o folder the shards wrote to")
    p.add_argument("--json", action="store_true", help="also write measurements.json")


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
    p.add_argument("--int8", action="store_true",
                   help="onnx: static int8 quantisation (about 2x faster than fp32 on a CPU; needs --calibration)")
    p.add_argument("--calibration", nargs="+", metavar="PATH",
                   help="--int8: chest X-ray files or folders (20-50 of your own films) to measure activations on")




def _add_report(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="rebuild OUT/report.html of a segment run")
    p.add_argument("output", metavar="OUT", help="the -o folder of a segment run")


def _add_serve(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="a local web page to try lungseg on one X-ray (pip install 'lungseg[serve]')")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=8000, help="(8000)")
    p.add_argument("--model", help="bundled model name (lungseg-unet-default, or lungseg-unet-fast: faster, a little "
                   "less accurate) or checkpoint .pt (default: lungseg-unet-default)")
    p.add_argument("--max-upload-mb", type=float, default=50.0, dest="max_upload_mb", help="upload size limit (50)")
    _add_convention(p)
    _add_backend(p)


def _add_backend(p: argparse.ArgumentParser) -> None:
    p.add_argument("--backend", default="auto", choices=["auto", "torch", "onnxruntime"], help="(auto: onnxruntime "
                   "for a bundled model on the CPU where it is installed, pip install 'lungseg[onnx]': it starts "
                   "sooner without torch, fp32; else torch. A .onnx --model always runs on onnxruntime)")  # fmt: skip


def _add_convention(p: argparse.ArgumentParser) -> None:
    p.add_argument("--convention", default="visible", choices=["visible", "anatomical"],
                   help="lung masks: visible (the lung field up to the heart border, as Montgomery and Shenzhen "
                   "draw it; default) or anatomical (also the lung behind the heart, down to the diaphragm, as V7's "
                   "masks draw it; estimated from the lungs and the heart, so it needs the heart)")  # fmt: skip


SUBCOMMANDS = (_add_train, _add_evaluate, _add_segment, _add_merge, _add_report, _add_serve, _add_preview,
               _add_export)  # fmt: skip
