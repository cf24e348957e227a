"""Single-pass prediction for any input size, and device / precision helpers.

The U-Net only accepts certain sizes; these helpers mirror-pad an input to one it accepts
and crop the output back, so callers can feed arbitrary (H, W).
"""

from __future__ import annotations

import contextlib
import functools
from pathlib import Path

import torch
import torch.nn.functional as F

from lungseg.model.unet import UNet, valid_input_size, valid_output_size


def resolve_device(name: str = "auto") -> torch.device:
    """'auto' picks CUDA when present; asking for CUDA without one is a ValueError."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device cuda was asked for but no CUDA GPU is available; use --device cpu")
    if name not in ("cpu", "cuda"):
        raise ValueError(f"unknown device {name!r}; use auto, cpu or cuda")
    return torch.device(name)


PRECISIONS = ("auto", "bf16", "fp32")


@functools.cache
def cpu_has_native_bf16() -> bool:
    """True when the CPU computes bf16 in hardware (AVX512-BF16 or AMX); elsewhere bf16 is emulated
    and slower than fp32. Read from /proc/cpuinfo (Linux); other systems answer False."""
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return any(flag in text.split() for flag in ("avx512_bf16", "amx_bf16"))


def use_bf16(device: torch.device, precision: str = "auto") -> bool:
    """Whether to run in bf16: asked for explicitly, or 'auto' on a device that computes it natively."""
    if precision not in PRECISIONS:
        raise ValueError(f"unknown precision {precision!r}; use one of {', '.join(PRECISIONS)}")
    if precision != "auto":
        return precision == "bf16"
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    return device.type == "cpu" and cpu_has_native_bf16()


def autocast(device: torch.device, precision: str = "auto") -> contextlib.AbstractContextManager:
    """bf16 autocast where :func:`use_bf16` says so (about 3x faster on a CPU with native bf16), else fp32."""
    if not use_bf16(device, precision):
        return contextlib.nullcontext()
    return torch.autocast(device.type, dtype=torch.bfloat16)


def mirror_pad(x: torch.Tensor, top: int, bottom: int, left: int, right: int) -> torch.Tensor:
    """Reflect-pad (N, C, H, W) by any amount, reflecting repeatedly when a pad exceeds the side."""
    while top or bottom or left or right:
        h, w = x.shape[-2:]
        step = [min(left, w - 1), min(right, w - 1), min(top, h - 1), min(bottom, h - 1)]
        if h == 1 or w == 1:  # nothing to reflect: repeat the edge
            return F.pad(x, (left, right, top, bottom), mode="replicate")
        x = F.pad(x, step, mode="reflect")
        left, right, top, bottom = (a - b for a, b in zip((left, right, top, bottom), step, strict=True))
    return x


def _side_pads(side: int, model: UNet) -> tuple[int, int]:
    """(pad before, pad after) for one side; output pixel i is always image pixel i.

    Padding only at the far end in "same" mode and exactly the receptive-field offset in front in
    "valid" mode keeps the pooling grid anchored at the image origin, as overlap-tile inference does.
    """
    config = getattr(model, "module", model).config  # a DistributedDataParallel wrapper holds it in .module
    depth = config.depth
    if config.padding == "same":
        return 0, -side % 2**depth
    in_size = valid_input_size(side, depth)
    offset = (in_size - valid_output_size(in_size, depth)) // 2
    return offset, in_size - side - offset


def predict_logits(model: UNet, x: torch.Tensor) -> torch.Tensor:
    """Logits (N, C, H, W) for an input (N, C, H, W) of any size, via mirror padding and cropping."""
    h, w = x.shape[-2:]
    top, bottom = _side_pads(h, model)
    left, right = _side_pads(w, model)
    return model(mirror_pad(x, top, bottom, left, right))[..., :h, :w]
