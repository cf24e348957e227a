"""One training pass and one validation pass: the per-batch work of the training loop."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from tqdm import tqdm

from lungseg.evaluation.metrics import overlap_from_counts
from lungseg.inference.predict import autocast, predict_logits
from lungseg.training.losses import distill_loss


@dataclass(frozen=True)
class Teacher:
    """A trained model (eval mode) whose outputs also train the student, and the weight of that term."""

    model: torch.nn.Module
    weight: float

    @torch.no_grad()
    def logits(self, images: torch.Tensor) -> torch.Tensor:
        with autocast(images.device):
            return predict_logits(self.model, images).float()


def _unpack(batch: dict, device: torch.device):
    images = batch["image"].to(device, memory_format=torch.channels_last)
    weight = batch.get("weight")
    return images, batch["mask"].to(device), None if weight is None else weight.to(device)


def _loss(loss_fn, logits: torch.Tensor, masks, weight, batch: dict) -> torch.Tensor:
    """The batch's loss; a lungs + heart batch also passes which images have a heart mask."""
    if "has_heart" in batch:
        return loss_fn(logits, masks, weight, batch["has_heart"].to(logits.device))
    return loss_fn(logits, masks, weight)


def train_one_epoch(model, loader, optimizer, scheduler, loss_fn, device, desc: str, show: bool = True,
                    teacher: Teacher | None = None, after_step: Callable[[], None] | None = None) -> float:
    """One pass over ``loader``; returns the mean training loss. With a ``teacher`` (model, weight), the loss
    is (1 - weight) x the masks' loss + weight x :func:`distill_loss` to the teacher's outputs; ``after_step``
    runs after each optimizer step (the weight average's update)."""
    model.train()
    total, count = 0.0, 0
    bar = tqdm(loader, desc=desc, leave=False, disable=None if show else True, unit="batch")
    for batch in bar:
        images, masks, weight = _unpack(batch, device)
        with autocast(device):
            logits = predict_logits(model, images)
        loss = _loss(loss_fn, logits.float(), masks, weight, batch)
        if teacher is not None:
            loss = (1 - teacher.weight) * loss + teacher.weight * distill_loss(logits, teacher.logits(images))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        scheduler.step()
        if after_step is not None:
            after_step()
        total += loss.item() * len(images)
        count += len(images)
        bar.set_postfix(loss=f"{loss.item():.4f}")
    return total / max(count, 1)


@torch.inference_mode()
def validate(model, loader, loss_fn, device) -> dict[str, float]:
    """Mean loss, Dice and IoU over the validation set at the working size (the lungs: channel 0).

    A lungs + heart model also gets ``val_heart_dice`` over the images with a heart mask, and
    ``val_score``, the mean of the two Dice figures, which chooses its best epoch.
    """
    model.eval()
    losses, dices, ious, hearts = [], [], [], []
    for batch in loader:
        images, masks, weight = _unpack(batch, device)
        with autocast(device):
            logits = predict_logits(model, images).float()
        losses.append(_loss(loss_fn, logits, masks, weight, batch).item() * len(images))
        for counts in batch_confusion(logits[:, :1] > 0, masks[:, :1].bool()):
            scores = overlap_from_counts(*counts)
            dices.append(scores["dice"])
            ious.append(scores["iou"])
        if "has_heart" in batch:
            rows = batch["has_heart"] > 0
            pairs = batch_confusion(logits[rows, 1:] > 0, masks[rows, 1:].bool())
            hearts += [overlap_from_counts(*counts)["dice"] for counts in pairs]
    n = max(len(dices), 1)
    row = {"val_loss": sum(losses) / n, "val_dice": sum(dices) / n, "val_iou": sum(ious) / n}
    if hearts:
        row["val_heart_dice"] = sum(hearts) / len(hearts)
        row["val_score"] = (row["val_dice"] + row["val_heart_dice"]) / 2
    return row


def batch_confusion(pred: torch.Tensor, target: torch.Tensor) -> list[tuple[int, int, int, int]]:
    """(tp, fp, fn, tn) per image of boolean (N, ...) tensors, for the shared metric core."""
    pred, target = pred.flatten(1), target.flatten(1)
    tp = (pred & target).sum(1)
    fp = (pred & ~target).sum(1)
    fn = (~pred & target).sum(1)
    tn = pred.shape[1] - tp - fp - fn
    return list(zip(tp.tolist(), fp.tolist(), fn.tolist(), tn.tolist(), strict=True))
