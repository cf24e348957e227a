"""U-Net (Ronneberger et al. 2015) as a pure ``nn.Module`` that returns logits.

No resizing, normalising or I/O happens here: callers bring tensors of a size the
network accepts (see :func:`check_input_size`, :func:`valid_output_size`,
:func:`valid_input_size`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

import torch
from torch import nn

Padding = Literal["same", "valid"]


@dataclass(frozen=True)
class ModelConfig:
    """Everything needed to rebuild a :class:`UNet`; stored in every checkpoint."""

    in_channels: int = 1
    out_channels: int = 1
    base_channels: int = 16
    depth: int = 4
    padding: Padding = "same"
    dropout: float = 0.0

    def __post_init__(self) -> None:
        if self.padding not in ("same", "valid"):
            raise ValueError(f"padding must be 'same' or 'valid', got {self.padding!r}")
        if self.depth < 1:
            raise ValueError(f"depth must be >= 1, got {self.depth}")
        if self.base_channels < 1 or self.in_channels < 1 or self.out_channels < 1:
            raise ValueError("channel counts must be positive")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")

    def to_dict(self) -> dict:
        return asdict(self)


class DoubleConv(nn.Sequential):
    """Two 3x3 convolutions, each followed by BatchNorm and ReLU."""

    def __init__(self, in_ch: int, out_ch: int, padding: Padding) -> None:
        pad = 1 if padding == "same" else 0
        super().__init__(
            nn.Conv2d(in_ch, out_ch, 3, padding=pad, bias=False),
            nn.BatchNorm2d(out_ch),
            nn.ReLU(inplace=True),
            nn.Conv2d(out_ch, out_ch, 3, padding=pad, bias=False),
            nn.BatchNorm2d(out_ch),
            nn.ReLU(inplace=True),
        )


def center_crop(x: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """Crop the spatial center of ``x`` (N, C, H, W) to ``height`` x ``width``."""
    top = (x.shape[-2] - height) // 2
    left = (x.shape[-1] - width) // 2
    return x[..., top : top + height, left : left + width]


class Up(nn.Module):
    """2x2 transposed convolution halving the channels, skip concatenation, DoubleConv."""

    def __init__(self, in_ch: int, out_ch: int, padding: Padding) -> None:
        super().__init__()
        self.up = nn.ConvTranspose2d(in_ch, out_ch, kernel_size=2, stride=2)
        self.conv = DoubleConv(2 * out_ch, out_ch, padding)

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        x = self.up(x)
        skip = center_crop(skip, x.shape[-2], x.shape[-1])
        return self.conv(torch.cat([skip, x], dim=1))


class UNet(nn.Module):
    """U-Net returning logits of shape (N, out_channels, H', W').

    ``padding="same"`` keeps H' = H (sides must be multiples of 2**depth);
    ``padding="valid"`` is the paper's unpadded variant (572 -> 388 at depth 4).
    """

    def __init__(
        self,
        in_channels: int = 1,
        out_channels: int = 1,
        base_channels: int = 16,
        depth: int = 4,
        padding: Padding = "same",
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        self.config = ModelConfig(in_channels, out_channels, base_channels, depth, padding, dropout)
        chans = [base_channels * 2**i for i in range(depth + 1)]
        self.inc = DoubleConv(in_channels, chans[0], padding)
        self.downs = nn.ModuleList(DoubleConv(chans[i], chans[i + 1], padding) for i in range(depth))
        self.pool = nn.MaxPool2d(2)
        self.dropout = nn.Dropout2d(dropout) if dropout > 0 else nn.Identity()
        self.ups = nn.ModuleList(Up(chans[i + 1], chans[i], padding) for i in reversed(range(depth)))
        self.head = nn.Conv2d(chans[0], out_channels, kernel_size=1)

    @classmethod
    def from_config(cls, config: ModelConfig | dict) -> UNet:
        cfg = config if isinstance(config, ModelConfig) else ModelConfig(**config)
        return cls(**cfg.to_dict())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input_size(x.shape[-2], x.shape[-1], self.config.depth, self.config.padding)
        skips = [self.inc(x)]
        for down in self.downs:
            skips.append(down(self.pool(skips[-1])))
        x = self.dropout(skips.pop())
        for up in self.ups:
            x = up(x, skips.pop())
        return self.head(x)


def _valid_output_side(size: int, depth: int) -> int | None:
    """Output side for an input side in "valid" mode, or None if the side is not valid."""
    s = size - 4
    for _ in range(depth):
        if s <= 0 or s % 2:
            return None
        s = s // 2 - 4
    if s <= 0:
        return None
    for _ in range(depth):
        s = 2 * s - 4
        if s <= 0:
            return None
    return s


def valid_output_size(size: int, depth: int = 4) -> int:
    """Output side of a "valid" U-Net for input side ``size`` (572 -> 388 at depth 4)."""
    out = _valid_output_side(size, depth)
    if out is None:
        raise ValueError(
            f"input side {size} is not valid for an unpadded U-Net of depth {depth}; "
            f"use {nearest_valid_input_size(size, depth)}"
        )
    return out


def valid_offset(size: int, depth: int = 4) -> int:
    """Pixels lost on each border in "valid" mode: output pixel i sees input pixel i + offset."""
    return (size - valid_output_size(size, depth)) // 2


def valid_input_size(output: int, depth: int = 4) -> int:
    """Smallest valid input side whose output side is at least ``output`` (388 -> 572)."""
    if output < 1:
        raise ValueError(f"output side must be positive, got {output}")
    size = 1
    while True:  # at most a few thousand cheap checks; valid sides are 2**depth apart
        out = _valid_output_side(size, depth)
        if out is not None and out >= output:
            return size
        size += 1


def nearest_valid_input_size(size: int, depth: int = 4) -> int:
    """The valid "valid"-mode input side closest to ``size`` (ties go up)."""
    candidates = [s for s in range(max(1, size - 2**depth), size + 2**depth + 1) if _valid_output_side(s, depth)]
    if not candidates:
        return valid_input_size(1, depth)
    return min(candidates, key=lambda s: (abs(s - size), -s))


def nearest_same_size(size: int, depth: int = 4) -> int:
    """The multiple of 2**depth closest to ``size`` (at least 2**depth)."""
    step = 2**depth
    return max(step, round(size / step) * step)


def check_input_size(height: int, width: int, depth: int, padding: Padding) -> None:
    """Raise ``ValueError`` naming the nearest accepted size if (height, width) cannot pass."""
    for name, side in (("height", height), ("width", width)):
        if padding == "same":
            if side % 2**depth or side < 2**depth:
                raise ValueError(
                    f"input {name} {side} must be a multiple of {2**depth} for a padded U-Net of depth "
                    f"{depth}; resize or pad to {nearest_same_size(side, depth)}"
                )
        elif _valid_output_side(side, depth) is None:
            raise ValueError(
                f"input {name} {side} is not valid for an unpadded U-Net of depth {depth}; "
                f"use {nearest_valid_input_size(side, depth)}"
            )


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
