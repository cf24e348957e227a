"""The U-Net's configuration and the input sizes it accepts: plain Python, no torch.

The ONNX Runtime path (``lungseg segment --backend onnxruntime``) rebuilds a model's config and checks sizes
without importing torch, which costs a second at start-up; :mod:`lungseg.model.unet` re-exports all of this.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

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
