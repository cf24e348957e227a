"""Losses for binary segmentation as pure functions of logits and targets.

Shapes: ``logits``, ``target`` and ``weight`` are (N, 1, H, W); ``target`` holds 0/1 floats.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

LOSSES = ("bce", "dice", "dice_bce", "weighted_ce")

LossFn = Callable[[torch.Tensor, torch.Tensor, torch.Tensor | None], torch.Tensor]


def bce_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean binary cross-entropy over all pixels."""
    return F.binary_cross_entropy_with_logits(logits.float(), target.float())


def soft_dice_loss(logits: torch.Tensor, target: torch.Tensor, smooth: float = 1.0) -> torch.Tensor:
    """1 - soft Dice, computed per image on sigmoid probabilities and averaged over the batch.

    ``smooth`` keeps the loss defined (and 0) for an empty mask predicted empty.
    """
    prob = torch.sigmoid(logits.float()).flatten(1)
    tgt = target.float().flatten(1)
    inter = (prob * tgt).sum(1)
    dice = (2 * inter + smooth) / (prob.sum(1) + tgt.sum(1) + smooth)
    return 1 - dice.mean()


def dice_bce_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Sum of soft Dice loss and binary cross-entropy."""
    return soft_dice_loss(logits, target) + bce_loss(logits, target)


def weighted_bce_loss(logits: torch.Tensor, target: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """The U-Net paper's weighted cross-entropy: mean of w(x) * BCE(x) over all pixels.

    For two classes, softmax cross-entropy on (background, lung) logits equals binary
    cross-entropy on their difference, so one output channel suffices.
    """
    pixel = F.binary_cross_entropy_with_logits(logits.float(), target.float(), reduction="none")
    return (weight.float() * pixel).mean()


def distill_loss(logits: torch.Tensor, teacher_logits: torch.Tensor) -> torch.Tensor:
    """Mean BCE of a student's logits against a teacher's probabilities, over every channel and pixel.

    Shapes: both (N, C, H, W). The teacher's soft outputs carry what it learned beyond the masks (its
    lungs under simulated disease, its hearts on films without a heart mask), so a smaller student learns
    more per epoch than from the masks alone (knowledge distillation).
    """
    return F.binary_cross_entropy_with_logits(logits.float(), torch.sigmoid(teacher_logits.float()))


def needs_weight_map(name: str) -> bool:
    return name == "weighted_ce"


def get_loss(name: str) -> LossFn:
    """A loss callable ``(logits, target, weight_or_None)`` by name."""
    if name == "weighted_ce":

        def weighted(logits, target, weight):
            if weight is None:
                raise ValueError("the weighted_ce loss needs a weight map per sample")
            return weighted_bce_loss(logits, target, weight)

        return weighted
    table = {"bce": bce_loss, "dice": soft_dice_loss, "dice_bce": dice_bce_loss}
    if name not in table:
        raise ValueError(f"unknown loss {name!r}; use one of {', '.join(LOSSES)}")
    plain = table[name]
    return lambda logits, target, weight=None: plain(logits, target)


def two_target_loss(
    loss_fn: LossFn,
    logits: torch.Tensor,
    target: torch.Tensor,
    weight: torch.Tensor | None,
    has_heart: torch.Tensor,
    heart_weight: float = 1.0,
    heart_fn: LossFn | None = None,
    heart_exclusion: float = 1.0,
) -> torch.Tensor:
    """Lungs + heart in one model: ``loss_fn`` on channel 0 for every image plus ``heart_weight`` times
    ``loss_fn`` on channel 1 for the images whose heart is known (``has_heart`` (N,) > 0).

    Shapes: ``logits``, ``target`` and ``weight`` (N, 2, H, W). Images without a heart mask add nothing
    to the heart term, so sets with and without heart masks train together. ``heart_fn`` (default
    ``loss_fn``) scores the heart channel: a loss of its own, e.g. one without the class-balance weight.
    ``heart_exclusion`` multiplies the lung term's weight where a known heart has no lung (see heart_excluded).
    """
    lung_w = None if weight is None else weight[:, :1]
    if heart_exclusion != 1.0 and lung_w is not None:
        lung_w = heart_excluded(lung_w, target, has_heart, heart_exclusion)
    lung = loss_fn(logits[:, :1], target[:, :1], lung_w)
    rows = has_heart > 0
    if heart_weight == 0 or not bool(rows.any()):
        return lung + 0.0 * logits[:, 1:].sum()  # keeps the heart channel in the graph (DDP)
    heart_w = None if weight is None else weight[rows, 1:]
    return lung + heart_weight * (heart_fn or loss_fn)(logits[rows, 1:], target[rows, 1:], heart_w)


def heart_excluded(weight: torch.Tensor, target: torch.Tensor, has_heart: torch.Tensor, factor: float) -> torch.Tensor:
    """The lung channel's weight (N, 1, H, W) times ``factor`` on the pixels of a known heart (``target``
    channel 1, images with ``has_heart`` (N,) > 0) that are not lung: with ``factor`` > 1 a lung spilling over
    the heart costs more, the failure that sick children's films (opaque lung beside the heart) teach."""
    known = (has_heart > 0).view(-1, 1, 1, 1)
    zone = known & (target[:, 1:] > 0.5) & (target[:, :1] < 0.5)
    return torch.where(zone, weight * factor, weight)
