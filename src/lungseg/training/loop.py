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
from tqdm import tqdm

from lungseg.data.layouts import discover, load_split, make_split, repeat_by_source, save_split, select
from lungseg.evaluation.calibrate import calibrate_checkpoint
from lungseg.evaluation.metrics import overlap_from_counts
from lungseg.inference.predict import autocast, predict_logits, resolve_device
from lungseg.io.atomic import write_text_atomic
from lungseg.model.checkpoint import load_initial_weights, read_checkpoint, save_checkpoint
from lungseg.model.unet import UNet
from lungseg.training.augment import Augmenter
from lungseg.training.config import TrainConfig, save_config
from lungseg.training.dataset import SegmentationDataset
from lungseg.training.losses import get_loss, needs_weight_map
from lungseg.training.pathology import simulate as pathology_simulate
from lungseg.training.plot import plot_history
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


def prepare_split(config: TrainConfig, run_dir: Path) -> tuple[dict, list, list]:
    """Resolve the split (made or read), write it to the run folder, return (split, train, val)."""
    layout, samples = discover(config.data, config.mask_folder)
    log.info("data: %s layout, %d images in %s", layout, len(samples), config.data)
    if config.split_file:
        split = load_split(config.split_file)
    else:
        split = make_split(samples, config.split_protocol, config.split_seed, config.split_fractions)
    save_split(split, run_dir / "split.json")
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


def _unpack(batch: dict, device: torch.device):
    images = batch["image"].to(device, memory_format=torch.channels_last)
    weight = batch.get("weight")
    return images, batch["mask"].to(device), None if weight is None else weight.to(device)


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
    train_ds = SegmentationDataset(train_samples, size, intensity, augment, config.seed, weights, simulate)
    return train_ds, SegmentationDataset(val_samples, size, intensity, weight_map=weights)


def train_one_epoch(model, loader, optimizer, scheduler, loss_fn, device, desc: str) -> float:
    """One pass over ``loader``; returns the mean training loss."""
    model.train()
    total, count = 0.0, 0
    bar = tqdm(loader, desc=desc, leave=False, disable=None, unit="batch")
    for batch in bar:
        images, masks, weight = _unpack(batch, device)
        with autocast(device):
            logits = predict_logits(model, images)
        loss = loss_fn(logits.float(), masks, weight)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        scheduler.step()
        total += loss.item() * len(images)
        count += len(images)
        bar.set_postfix(loss=f"{loss.item():.4f}")
    return total / max(count, 1)


@torch.inference_mode()
def validate(model, loader, loss_fn, device) -> dict[str, float]:
    """Mean loss, Dice and IoU over the validation set at the working size."""
    model.eval()
    losses, dices, ious = [], [], []
    for batch in loader:
        images, masks, weight = _unpack(batch, device)
        with autocast(device):
            logits = predict_logits(model, images).float()
        losses.append(loss_fn(logits, masks, weight).item() * len(images))
        for counts in batch_confusion(logits > 0, masks.bool()):
            scores = overlap_from_counts(*counts)
            dices.append(scores["dice"])
            ious.append(scores["iou"])
    n = max(len(dices), 1)
    return {"val_loss": sum(losses) / n, "val_dice": sum(dices) / n, "val_iou": sum(ious) / n}


def batch_confusion(pred: torch.Tensor, target: torch.Tensor) -> list[tuple[int, int, int, int]]:
    """(tp, fp, fn, tn) per image of boolean (N, ...) tensors, for the shared metric core."""
    pred, target = pred.flatten(1), target.flatten(1)
    tp = (pred & target).sum(1)
    fp = (pred & ~target).sum(1)
    fn = (~pred & target).sum(1)
    tn = pred.shape[1] - tp - fp - fn
    return list(zip(tp.tolist(), fp.tolist(), fn.tolist(), tn.tolist(), strict=True))


def write_log(history: list[dict], path: Path) -> None:
    """Rewrite the per-epoch CSV log atomically."""
    buffer = io.StringIO()
    fields = ["epoch", "train_loss", "val_loss", "val_dice", "val_iou", "lr", "seconds"]
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


def _loaders(config: TrainConfig, train_ds, val_ds, epoch: int) -> tuple[DataLoader, DataLoader]:
    generator = torch.Generator().manual_seed(epoch_seed(config.seed, epoch))
    drop_last = len(train_ds) > config.batch_size
    common = {"batch_size": config.batch_size, "num_workers": config.num_workers}
    train_loader = DataLoader(train_ds, shuffle=True, generator=generator, drop_last=drop_last, **common)
    return train_loader, DataLoader(val_ds, shuffle=False, **common)


def _restore(run_dir: Path, model, optimizer, scheduler) -> TrainState:
    payload = read_checkpoint(run_dir / "last.pt")
    model.load_state_dict(payload["state_dict"])
    optimizer.load_state_dict(payload["optimizer"])
    scheduler.load_state_dict(payload["scheduler"])
    state = TrainState(**payload["train_state"])
    log.info("resumed %s at epoch %d (best val Dice %.4f)", run_dir, state.epoch, state.best_dice)
    return state


def _update_state(state: TrainState, config: TrainConfig, row: dict) -> bool:
    """Record an epoch; return True when it is the best so far."""
    state.epoch = row["epoch"]
    state.history.append(row)
    if state.best_epoch == 0 or row["val_dice"] > state.best_dice + config.min_delta:
        state.best_dice, state.best_epoch, state.bad_epochs = row["val_dice"], row["epoch"], 0
        return True
    state.bad_epochs += 1
    return False


def resume_config(run_dir: str | Path, **overrides) -> TrainConfig:
    """The config saved in ``run_dir/last.pt``, with non-None ``overrides`` (e.g. more epochs)."""
    payload = read_checkpoint(Path(run_dir) / "last.pt")
    config = TrainConfig.from_dict(payload["train_config"])
    return config.replace(**{k: v for k, v in overrides.items() if v is not None})


def train(config: TrainConfig, resume: bool = False, on_epoch_end: EpochCallback | None = None) -> Path:
    """Train per ``config``; write the run folder; return the path of ``best.pt``."""
    run_dir = Path(config.output)
    if not resume and (run_dir / "last.pt").exists():
        raise ValueError(f"{run_dir} already holds a run; use --resume {run_dir} or another --output")
    run_dir.mkdir(parents=True, exist_ok=True)
    device = resolve_device(config.device)
    split, train_samples, val_samples = prepare_split(config, run_dir)
    save_config(config, run_dir / "config.yaml")
    train_ds, val_ds = make_datasets(config, train_samples, val_samples)
    model, optimizer = build(config, device)
    steps = len(_loaders(config, train_ds, val_ds, 0)[0])
    scheduler = make_scheduler(optimizer, config, steps)
    state = _restore(run_dir, model, optimizer, scheduler) if resume else TrainState()
    extra = {"train_config": config.to_dict(), "split": split}
    run_epochs(config, run_dir, (model, optimizer, scheduler), (train_ds, val_ds), state, extra, on_epoch_end)
    plot_history(state.history, run_dir / "curves.png")
    log.info("best val Dice %.4f at epoch %d; checkpoints in %s", state.best_dice, state.best_epoch, run_dir)
    if config.calibrate_threshold:
        calibrate_checkpoint(run_dir / "best.pt", val_samples, config.device)
    return run_dir / "best.pt"


def run_epochs(config, run_dir, parts, datasets, state: TrainState, extra, on_epoch_end) -> None:
    """The epoch loop from ``state.epoch`` to the end or early stop."""
    model, optimizer, scheduler = parts
    device = next(model.parameters()).device
    loss_fn = get_loss(config.loss)
    for epoch in range(state.epoch + 1, config.epochs + 1):
        if state.bad_epochs >= config.patience:
            log.info("early stop: no val Dice gain for %d epochs", state.bad_epochs)
            break
        start = time.perf_counter()
        torch.manual_seed(epoch_seed(config.seed, epoch))
        datasets[0].set_epoch(epoch)
        train_loader, val_loader = _loaders(config, *datasets, epoch)
        lr = optimizer.param_groups[0]["lr"]
        train_loss = train_one_epoch(
            model, train_loader, optimizer, scheduler, loss_fn, device, f"epoch {epoch}/{config.epochs}"
        )
        row = {"epoch": epoch, "train_loss": train_loss, **validate(model, val_loader, loss_fn, device), "lr": lr}
        row["seconds"] = round(time.perf_counter() - start, 2)
        is_best = _update_state(state, config, row)
        save_epoch(run_dir, parts, state, extra, row, is_best)
        log.info(
            "epoch %d/%d  train loss %.4f  val loss %.4f  val Dice %.4f  IoU %.4f  %.1f s",
            epoch, config.epochs, train_loss, row["val_loss"], row["val_dice"], row["val_iou"], row["seconds"],
        )  # fmt: skip
        if on_epoch_end is not None:
            on_epoch_end(epoch, row)


def save_epoch(run_dir: Path, parts, state: TrainState, extra: dict, row: dict, is_best: bool) -> None:
    """Write log.csv, last.pt and (when improved) best.pt, each atomically."""
    model, optimizer, scheduler = parts
    write_log(state.history, run_dir / "log.csv")
    payload = {**extra, "epoch": row["epoch"], "metrics": row}
    if is_best:
        save_checkpoint(run_dir / "best.pt", model, **payload)
    save_checkpoint(
        run_dir / "last.pt",
        model,
        **payload,
        optimizer=optimizer.state_dict(),
        scheduler=scheduler.state_dict(),
        train_state=state.__dict__,
    )
