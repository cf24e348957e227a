"""U-Net (Ronneberger et al. 2015) as a pure ``nn.Module`` that returns logits.

No resizing, normalising or I/O happens here: callers bring tensors of a size the
network accepts (see :func:`check_input_size`, :func:`valid_output_size`,
:func:`valid_input_size`).
"""

from __future__ import annotations

import torch
from torch import nn

from lungseg.model.shapes import (  # noqa: F401  (re-exported: the config and size rules belong to the U-Net)
    ModelConfig,
    Padding,
    check_input_size,
    nearest_same_size,
    nearest_valid_input_size,
    valid_input_size,
    valid_offset,
    valid_output_size,
)


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


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
