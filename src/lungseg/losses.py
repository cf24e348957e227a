"""Losses for binary segmentation as pure functions of logits and targets.

Shapes: ``logits`` and ``target`` are (N, 1, H, W); ``target`` holds 0/1 floats.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

LOSSES = ("bce", "dice", "dice_bce")


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


def get_loss(name: str) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    table = {"bce": bce_loss, "dice": soft_dice_loss, "dice_bce": dice_bce_loss}
    if name not in table:
        raise ValueError(f"unknown loss {name!r}; use one of {', '.join(LOSSES)}")
    return table[name]
