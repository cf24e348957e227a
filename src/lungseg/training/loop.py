"""Training loop: AdamW + warmup/cosine schedule, bf16 autocast, checkpoints, early stopping.

Randomness is re-seeded from (seed, epoch) at the start of every epoch, so a run that is
interrupted and resumed from ``last.pt`` ends with the same weights as one that was not.
"""

from __future__ import annotations

import csv
import functools
import io
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch.utils.data import DataLoader

from lungseg.data.layouts import discover, load_split, make_split, repeat_by_source, save_split, select
from lungseg.evaluation.calibrate import calibrate_checkpoint
from lungseg.inference.predict import resolve_device
from lungseg.io.atomic import write_text_atomic
from lungseg.model.checkpoint import load_initial_weights, load_model, read_checkpoint, save_checkpoint
from lungseg.model.pretrained import resolve_model
from lungseg.model.unet import UNet
from lungseg.training import distributed
from lungseg.training.augment import Augmenter
from lungseg.training.config import TrainConfig, save_config
from lungseg.training.conventions import anatomical_samples, anatomical_targets
from lungseg.training.dataset import SegmentationDataset
from lungseg.training.distributed import SINGLE, DistContext, unwrap
from lungseg.training.ema import weight_average
from lungseg.training.heart_labels import heart_masks
from lungseg.training.losses import get_loss, needs_weight_map, two_target_loss
from lungseg.training.pathology import simulate as pathology_simulate
from lungseg.training.plot import plot_history
from lungseg.training.steps import Teacher, train_one_epoch, validate
from lungseg.training.weightmap import unet_weight_map

log = logging.getLogger(__name__)

EpochCallback = Callable[[int, dict], None]


@dataclass
class TrainState:
    """What must survive an interruption besides the weights and optimizer."""

    epoch: int = 0
    best_dice: float = -1.0
    best_epoch: int = 0
    bad_epochs: int = 0
    history: list[dict] = field(default_factory=list)


def prepare_split(config: TrainConfig, run_dir: Path, write: bool = True) -> tuple[dict, list, list]:
    """Resolve the split (made or read), write it and the config to the run folder, return (split, train, val)."""
    layout, samples = discover(config.data, config.mask_folder)
    log.info("data: %s layout, %d images in %s", layout, len(samples), config.data)
    if config.split_file:
        split = load_split(config.split_file)
    else:
        split = make_split(samples, config.split_protocol, config.split_seed, config.split_fractions)
    if write:
        run_dir.mkdir(parents=True, exist_ok=True)
        save_split(split, run_dir / "split.json")
        save_config(config, run_dir / "config.yaml")
    train = select(samples, split["train"], "train")
    val = select(samples, split["val"], "val")
    if config.limit:
        train = train[: config.limit]
    train = repeat_by_source(train, config.source_repeat)
    if not train or not val:
        raise ValueError("the split has an empty train or val set; change the protocol, fractions or split file")
    log.info("split: %d train, %d val, %d test", len(train), len(val), len(split["test"]))
    return split, train, val


def make_scheduler(optimizer: torch.optim.Optimizer, config: TrainConfig, steps_per_epoch: int):
    """Linear warmup, then cosine decay to 1% of the peak learning rate, stepped per batch."""
    total = max(config.epochs * steps_per_epoch, 1)
    warmup = min(config.warmup_epochs * steps_per_epoch, total - 1)

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        progress = (step - warmup) / max(total - warmup, 1)
        return 0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def epoch_seed(seed: int, epoch: int) -> int:
    return seed * 100_003 + epoch


def make_datasets(config: TrainConfig, train_samples, val_samples):
    """Training set (augmented as configured) and validation set (never augmented)."""
    aug = config.augment
    augment = Augmenter(aug) if (aug.geometric or aug.elastic or aug.intensity) else None
    weights = None
    if needs_weight_map(config.loss):
        weights = functools.partial(unet_weight_map, w0=config.w0, sigma=config.weight_sigma)
    size, intensity = config.image_size, config.intensity
    simulate = None
    if config.pathology.enabled:
        simulate = functools.partial(pathology_simulate, config=config.pathology)
    extra, cares, lungs = [], None, None
    if config.anatomical_data:  # anatomical-convention films: lung loss on the agreement zone (and the heart)
        extra = anatomical_samples(config.anatomical_data, config.anatomical_split, config.anatomical_limit)
        teacher = config.heart_teacher if config.anatomical_heart else ""
        zones, targets = anatomical_targets(extra, size, teacher, config.device)
        cares, lungs = [None] * len(train_samples) + zones, [None] * len(train_samples) + targets
    train_hearts = val_hearts = None
    if config.target == "lungs+heart":  # validation: manual heart masks only; none for the anatomical films
        labeller = config.heart_teacher if config.teacher_hearts else ""
        train_hearts = heart_masks(train_samples, size, labeller, config.device) + [None] * len(extra)
        val_hearts = heart_masks(val_samples, size)
    train_ds = SegmentationDataset(
        [*train_samples, *extra], size, intensity, augment, config.seed, weights, simulate, train_hearts, cares, lungs
    )
    return train_ds, SegmentationDataset(val_samples, size, intensity, weight_map=weights, hearts=val_hearts)


def write_log(history: list[dict], path: Path) -> None:
    """Rewrite the per-epoch CSV log atomically."""
    buffer = io.StringIO()
    fields = ["epoch", "train_loss", "val_loss", "val_dice", "val_iou", "val_heart_dice", "lr", "seconds"]
    writer = csv.DictWriter(buffer, fieldnames=fields, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(history)
    write_text_atomic(path, buffer.getvalue())


def build(config: TrainConfig, device: torch.device):
    torch.manual_seed(config.seed)
    model = UNet.from_config(config.model)
    if config.init_from:
        load_initial_weights(model, config.init_from)
        log.info("starting from the weights of %s", config.init_from)
    model = model.to(device, memory_format=torch.channels_last)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    return model, optimizer


def _loaders(config: TrainConfig, train_ds, val_ds, epoch: int, ctx: DistContext = SINGLE):
    """Per-epoch loaders; under torchrun each rank takes its share of a shuffle seeded by (seed, epoch)."""
    generator = torch.Generator().manual_seed(epoch_seed(config.seed, epoch))
    share = distributed.sampler(train_ds, ctx, config.seed, epoch)
    per_rank = len(train_ds) // ctx.world_size
    drop_last = per_rank > config.batch_size
    common = {"batch_size": config.batch_size, "num_workers": config.num_workers}
    train_loader = DataLoader(
        train_ds, shuffle=share is None, sampler=share, generator=generator, drop_last=drop_last, **common
    )
    return train_loader, DataLoader(val_ds, shuffle=False, **common)


def _restore(run_dir: Path, model, optimizer, scheduler) -> TrainState:
    payload = read_checkpoint(run_dir / "last.pt")
    model.load_state_dict(payload.get("raw_state_dict", payload["state_dict"]))  # with ema_decay: the trained weights
    optimizer.load_state_dict(payload["optimizer"])
    scheduler.load_state_dict(payload["scheduler"])
    state = TrainState(**payload["train_state"])
    log.info("resumed %s at epoch %d (best val Dice %.4f)", run_dir, state.epoch, state.best_dice)
    return state


def _update_state(state: TrainState, config: TrainConfig, row: dict) -> bool:
    """Record an epoch; return True when it is the best so far."""
    state.epoch = row["epoch"]
    state.history.append(row)
    score = row.get("val_score", row["val_dice"])  # lungs + heart: the mean of both Dice figures
    if state.best_epoch == 0 or score > state.best_dice + config.min_delta:
        state.best_dice, state.best_epoch, state.bad_epochs = score, row["epoch"], 0
        return True
    state.bad_epochs += 1
    return False


def resume_config(run_dir: str | Path, **overrides) -> TrainConfig:
    """The config saved in ``run_dir/last.pt``, with non-None ``overrides`` (e.g. more epochs)."""
    payload = read_checkpoint(Path(run_dir) / "last.pt")
    config = TrainConfig.from_dict(payload["train_config"])
    return config.replace(**{k: v for k, v in overrides.items() if v is not None})


def train(config: TrainConfig, resume: bool = False, on_epoch_end: EpochCallback | None = None) -> Path:
    """Train per ``config``; write the run folder; return the path of ``best.pt``.

    Under torchrun every rank trains its share of each batch (DistributedDataParallel); rank 0 alone
    validates, logs, plots, calibrates and writes the run folder.
    """
    fit(config, resume, on_epoch_end)
    return Path(config.output) / "best.pt"


def fit(config: TrainConfig, resume: bool = False, on_epoch_end: EpochCallback | None = None) -> torch.nn.Module:
    """:func:`train`, returning this process's trained model (what the multi-process tests compare)."""
    run_dir, ctx = Path(config.output), distributed.context()
    if not resume and (run_dir / "last.pt").exists():
        raise ValueError(f"{run_dir} already holds a run; use --resume {run_dir} or another --output")
    device = distributed.start(ctx, resolve_device(config.device))
    try:
        split, train_samples, val_samples = prepare_split(config, run_dir, write=ctx.is_main)
        train_ds, val_ds = make_datasets(config, train_samples, val_samples)
        model, optimizer = build(config, device)
        scheduler = make_scheduler(optimizer, config, len(_loaders(config, train_ds, val_ds, 0, ctx)[0]))
        state = _restore(run_dir, model, optimizer, scheduler) if resume else TrainState()
        ema = weight_average(config, model, run_dir if resume else None)
        wrapped = distributed.wrap(model, ctx, device, config.sync_bn)
        log.info("batch size %d per process, %d global (%d process%s)", config.batch_size,
                 config.batch_size * ctx.world_size, ctx.world_size, "es" if ctx.enabled else "")  # fmt: skip
        extra = {"train_config": config.to_dict(), "split": split, "world_size": ctx.world_size}
        parts = (wrapped, optimizer, scheduler, ema)
        run_epochs(config, run_dir, parts, (train_ds, val_ds), state, extra, on_epoch_end if ctx.is_main else None)
        if ctx.is_main:
            plot_history(state.history, run_dir / "curves.png")
            log.info("best val Dice %.4f at epoch %d; checkpoints in %s", state.best_dice, state.best_epoch, run_dir)
            if config.calibrate_threshold:
                calibrate_checkpoint(run_dir / "best.pt", val_samples, config.device)
    finally:
        distributed.stop(ctx)
    return model


def run_epochs(config, run_dir, parts, datasets, state: TrainState, extra, on_epoch_end) -> None:
    """The epoch loop from ``state.epoch`` to the end or early stop (rank 0 decides, all ranks follow)."""
    model, optimizer, scheduler, ema = parts
    after_step = (lambda: ema.update(unwrap(model))) if ema is not None else None
    ctx = distributed.context()
    device = next(model.parameters()).device
    loss_fn = get_loss(config.loss)
    if config.target == "lungs+heart":
        heart_fn = get_loss(config.heart_loss) if config.heart_loss else None
        loss_fn = functools.partial(two_target_loss, loss_fn, heart_weight=config.heart_weight, heart_fn=heart_fn,
                                    heart_exclusion=config.heart_exclusion)  # fmt: skip
    teacher = load_teacher(config, unwrap(model), device) if config.distill_from else None
    for epoch in range(state.epoch + 1, config.epochs + 1):
        if distributed.from_main(int(state.bad_epochs >= config.patience), ctx):
            log.info("early stop: no val Dice gain for %d epochs", state.bad_epochs)
            break
        start = time.perf_counter()
        torch.manual_seed(epoch_seed(config.seed, epoch))
        datasets[0].set_epoch(epoch)
        train_loader, val_loader = _loaders(config, *datasets, epoch, ctx)
        lr = optimizer.param_groups[0]["lr"]
        desc = f"epoch {epoch}/{config.epochs}"
        train_loss = train_one_epoch(model, train_loader, optimizer, scheduler, loss_fn, device, desc, ctx.is_main,
                                     teacher, after_step)  # fmt: skip
        train_loss = distributed.mean_over_ranks(train_loss, ctx)
        if not ctx.is_main:
            continue
        scored = ema.model if ema is not None else unwrap(model)  # what best.pt and last.pt hold
        row = {"epoch": epoch, "train_loss": train_loss, **validate(scored, val_loader, loss_fn, device)}
        row.update(lr=lr, seconds=round(time.perf_counter() - start, 2))
        is_best = _update_state(state, config, row)
        save_epoch(run_dir, parts, state, extra, row, is_best)
        heart = f"  heart Dice {row['val_heart_dice']:.4f}" if "val_heart_dice" in row else ""
        log.info(
            "epoch %d/%d  train loss %.4f  val loss %.4f  val Dice %.4f  IoU %.4f%s  %.1f s",
            epoch, config.epochs, train_loss, row["val_loss"], row["val_dice"], row["val_iou"], heart, row["seconds"],
        )  # fmt: skip
        if on_epoch_end is not None:
            on_epoch_end(epoch, row)


def load_teacher(config: TrainConfig, student: UNet, device: torch.device) -> Teacher:
    """``config.distill_from`` in eval mode (fp32) on ``device``; its outputs and input must be the student's."""
    model, payload = load_model(resolve_model(config.distill_from))
    theirs = payload.get("train_config") or {}
    if model.config.out_channels != student.config.out_channels:
        raise ValueError(f"distill_from {config.distill_from}: {model.config.out_channels} output channels, the "
                         f"student has {student.config.out_channels}; distil from a model with the same outputs")
    for key in ("image_size", "intensity"):
        if key in theirs and theirs[key] != getattr(config, key):
            raise ValueError(f"distill_from {config.distill_from}: {key} {theirs[key]!r}, this run's is "
                             f"{getattr(config, key)!r}; set {key}: {theirs[key]!r}")
    log.info("distilling from %s (weight %.2f)", config.distill_from, config.distill_weight)
    return Teacher(model.float().to(device, memory_format=torch.channels_last).eval(), config.distill_weight)


def save_epoch(run_dir: Path, parts, state: TrainState, extra: dict, row: dict, is_best: bool) -> None:
    """Write log.csv, last.pt and (when improved) best.pt, each atomically. With a weight average, both hold the
    average (what was validated) and last.pt also the trained weights, to resume from."""
    model, optimizer, scheduler, ema = parts
    write_log(state.history, run_dir / "log.csv")
    payload = {**extra, "epoch": row["epoch"], "metrics": row}
    scored = ema.model if ema is not None else unwrap(model)
    if is_best:
        save_checkpoint(run_dir / "best.pt", scored, **payload)
    if ema is not None:
        payload["raw_state_dict"] = unwrap(model).state_dict()
    save_checkpoint(
        run_dir / "last.pt",
        scored,
        **payload,
        optimizer=optimizer.state_dict(),
        scheduler=scheduler.state_dict(),
        train_state=state.__dict__,
    )
