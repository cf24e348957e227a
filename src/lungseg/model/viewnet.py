"""A tiny CNN that tells a frontal chest X-ray from anything else (a turned film, a photograph, a CT slice...).

The quality score's shape and image features catch most inputs that are not frontal chest X-rays, but not all
(an X-ray turned on its side can still give two plausible lungs). This model looks at the whole picture at
64 px and returns one logit, P(not a frontal chest X-ray); the quality model takes it as one more feature.
Like the U-Net it is a pure module returning logits: the thumbnail is made in ``lungseg.inference.view``.
Checkpoints are self-describing (weights + config + version), loaded with ``weights_only=True``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from lungseg.model.checkpoint import read_checkpoint, write_tagged

FORMAT = "lungseg-view-v1"


@dataclass(frozen=True)
class ViewConfig:
    """Everything needed to rebuild a :class:`ViewNet`; stored in its checkpoints."""

    size: int = 64  # input side (the thumbnail)
    channels: tuple[int, ...] = (16, 32, 64, 64)  # one conv block and one 2x pooling each

    def __post_init__(self) -> None:
        if self.size % (2 ** len(self.channels)):
            raise ValueError(f"view model size {self.size} must be divisible by 2**{len(self.channels)}")


class ViewNet(nn.Module):
    """(N, 1, S, S) standardised thumbnails -> (N,) logits of "not a frontal chest X-ray".

    The head sees the last feature map flattened, not pooled, so where things are (lungs beside each other, the
    bright abdomen below) counts: that is what tells an upright film from one turned or upside down.
    """

    def __init__(self, config: ViewConfig | None = None) -> None:
        super().__init__()
        self.config = config or ViewConfig()
        layers: list[nn.Module] = []
        c_in = 1
        for c in self.config.channels:
            layers += [nn.Conv2d(c_in, c, 3, padding=1, bias=False), nn.BatchNorm2d(c), nn.ReLU(inplace=True),
                       nn.MaxPool2d(2)]  # fmt: skip
            c_in = c
        self.features = nn.Sequential(*layers)
        side = self.config.size // 2 ** len(self.config.channels)
        self.head = nn.Sequential(nn.Flatten(), nn.Dropout(0.2), nn.Linear(c_in * side * side, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x)).squeeze(1)


def save_view_model(path: str | Path, model: ViewNet, **extra: Any) -> None:
    """Write weights + config + version (+ ``extra``: provenance, metrics) atomically."""
    config = {**asdict(model.config), "channels": list(model.config.channels)}
    write_tagged(path, FORMAT, config, model, **extra)


def load_view_model(path: str | Path) -> tuple[ViewNet, dict[str, Any]]:
    """Rebuild a :class:`ViewNet` from its checkpoint (eval mode); ValueError names a bad file."""
    payload = read_checkpoint(path, FORMAT, kind="lungseg view model")
    cfg = dict(payload["model_config"])
    model = ViewNet(ViewConfig(size=cfg["size"], channels=tuple(cfg["channels"])))
    model.load_state_dict(payload["state_dict"])
    return model.eval(), payload
