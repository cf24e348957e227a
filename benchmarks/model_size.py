"""Print parameter count, weight size and forward FLOPs of U-Net variants.

Usage: python benchmarks/model_size.py [--size 512]
"""

from __future__ import annotations

import argparse

import torch
from torch.utils.flop_counter import FlopCounterMode

from lungseg.model.unet import UNet, count_parameters, valid_input_size


def forward_flops(model: UNet, size: int) -> int:
    """FLOPs (2 per multiply-add) of one forward pass of a 1-channel size x size image."""
    if model.config.padding == "valid":
        size = valid_input_size(size, model.config.depth)
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        model.eval()(torch.zeros(1, 1, size, size))
    return counter.get_total_flops()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=512, help="output side in pixels")
    args = parser.parse_args()
    print(f"| base channels | depth | padding | parameters | fp32 MB | GFLOPs at {args.size}x{args.size} |")
    print("|---|---|---|---|---|---|")
    for base, depth, padding in [(8, 4, "same"), (16, 4, "same"), (32, 4, "same"), (64, 4, "same"), (16, 4, "valid")]:
        model = UNet(base_channels=base, depth=depth, padding=padding)
        params = count_parameters(model)
        gflops = forward_flops(model, args.size) / 1e9
        print(f"| {base} | {depth} | {padding} | {params:,} | {params * 4 / 1e6:.1f} | {gflops:.1f} |")


if __name__ == "__main__":
    main()
