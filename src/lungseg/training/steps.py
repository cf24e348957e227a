"""One training pass and one validation pass: the per-batch work of the training loop."""

from __future__ import annotations

import torch
from tqdm import tqdm

from lungseg.evaluation.metrics import overlap_from_counts
from lungseg.inference.predict import autocast, predict_logits


def _unpack(batch: dict, device: torch.device):
    images = batch["image"].to(device, memory_format=torch.channels_last)
    weight = batch.get("weight")
    return images, batch["mask"].to(device), None if weight is None else weight.to(device)


def train_one_epoch(model, loader, optimizer, scheduler, loss_fn, device, desc: str, show: bool = True) -> float:
    """One pass over ``loader``; returns the mean training loss."""
    model.train()
    total, count = 0.0, 0
    bar = tqdm(loader, desc=desc, leave=False, disable=None if show else True, unit="batch")
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
