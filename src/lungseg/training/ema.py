"""An exponential moving average of a model's weights, updated after every optimizer step (``ema_decay``).

Why: a fine-tune's figures on the sick children's films swing between neighbouring epochs and seeds by more than
the gains the rounds chase (MODEL_CARD.md, round 26); the average over the last few hundred steps is one model that
sits between those swings, instead of one draw of them.
"""

from __future__ import annotations

import copy
import logging
from pathlib import Path
from typing import TYPE_CHECKING

import torch

from lungseg.model.checkpoint import read_checkpoint

if TYPE_CHECKING:
    from lungseg.training.config import TrainConfig

log = logging.getLogger(__name__)


class WeightAverage:
    """``model``'s parameters and float buffers averaged as ``avg <- decay * avg + (1 - decay) * current``.

    Starts from ``model``'s weights (a fine-tune's starting point, or the restored average of a resumed run);
    integer buffers (BatchNorm's batch counter) are copied, not averaged. ``model`` may be wrapped
    (DistributedDataParallel): pass the module itself.
    """

    def __init__(self, model: torch.nn.Module, decay: float) -> None:
        if not 0.0 < decay < 1.0:
            raise ValueError(f"ema_decay must be between 0 and 1 (e.g. 0.998), got {decay}")
        self.decay = decay
        self.model = copy.deepcopy(model).eval()
        for p in self.model.parameters():
            p.requires_grad_(False)

    @torch.no_grad()
    def update(self, model: torch.nn.Module) -> None:
        """One step of the average toward ``model``'s current weights."""
        current = model.state_dict()
        for name, avg in self.model.state_dict().items():
            if avg.dtype.is_floating_point:
                avg.lerp_(current[name].to(avg.dtype), 1.0 - self.decay)
            else:
                avg.copy_(current[name])


def weight_average(config: TrainConfig, model: torch.nn.Module, resume_from: Path | None) -> WeightAverage | None:
    """The run's weight average (None without ``config.ema_decay``), from ``model``'s weights, or the average a
    resumed run saved (its last.pt holds the average as ``state_dict`` and the trained weights beside it)."""
    if not config.ema_decay:
        return None
    ema = WeightAverage(model, config.ema_decay)
    if resume_from is not None:
        payload = read_checkpoint(resume_from / "last.pt")
        if "raw_state_dict" in payload:
            ema.model.load_state_dict(payload["state_dict"])
    log.info("validating and saving the weights' moving average (decay %g per step)", config.ema_decay)
    return ema
