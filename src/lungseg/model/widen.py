"""Grow a trained U-Net to more channels without changing what it computes (to fine-tune a wider model).

Every layer keeps its trained channels; the new ones start fresh, and every weight that would carry a new
channel into an old one starts at zero, so the wider model's logits equal the narrow model's exactly at the
start (in the spirit of Net2Net, Chen et al. 2016, with zero outgoing weights instead of copied channels).
Training then grows the zero weights where the extra capacity pays. Why: a wider model learned from scratch
needs a full training run, which two CPU cores cannot afford; growing one costs a fine-tune.
"""

from __future__ import annotations

import torch

from lungseg.model.unet import ModelConfig, UNet


def _segments(model: UNet) -> dict[str, tuple[list[int], list[int]]]:
    """Each weight's channel layout, (output segments, input segments): a decoder's first convolution
    takes the skip and the upsampled map side by side, so its input is two segments, not one."""
    cfg = model.config
    chans = [cfg.base_channels * 2**i for i in range(cfg.depth + 1)]
    layout = {"inc.0": ([chans[0]], [cfg.in_channels]), "inc.3": ([chans[0]], [chans[0]])}
    for i in range(cfg.depth):
        layout[f"downs.{i}.0"] = ([chans[i + 1]], [chans[i]])
        layout[f"downs.{i}.3"] = ([chans[i + 1]], [chans[i + 1]])
    for j, i in enumerate(reversed(range(cfg.depth))):
        layout[f"ups.{j}.up"] = ([chans[i]], [chans[i + 1]])  # its weight is stored (in, out, k, k)
        layout[f"ups.{j}.conv.0"] = ([chans[i]], [chans[i], chans[i]])
        layout[f"ups.{j}.conv.3"] = ([chans[i]], [chans[i]])
    layout["head"] = ([cfg.out_channels], [chans[0]])
    return layout


def _positions(old: list[int], new: list[int]) -> torch.Tensor:
    """Where each old channel sits in the new layout (segment by segment, each at its segment's start)."""
    starts = [sum(new[:k]) for k in range(len(new))]
    return torch.cat([torch.arange(n) + s for n, s in zip(old, starts, strict=True)])


def widen(model: UNet, base_channels: int, seed: int = 0) -> UNet:
    """A copy of ``model`` with ``base_channels`` (>= its own) whose logits equal ``model``'s in eval mode."""
    cfg = model.config
    if base_channels < cfg.base_channels:
        raise ValueError(f"base_channels {base_channels} < the model's {cfg.base_channels}: widen only grows")
    with torch.random.fork_rng(devices=[]):  # the new channels' start is seeded; the caller's RNG is left alone
        torch.manual_seed(seed)
        wide = UNet.from_config(ModelConfig(**{**cfg.to_dict(), "base_channels": base_channels}))
    old_layout, new_layout = _segments(model), _segments(wide)
    state, new_state = model.state_dict(), wide.state_dict()
    for key, value in state.items():
        layer, name = key.rsplit(".", 1)
        if layer.endswith((".1", ".4")):  # a DoubleConv's BatchNorm: the output channels of the convolution before it
            layer = f"{layer[:-1]}{int(layer[-1]) - 1}"
        out_pos = _positions(old_layout[layer][0], new_layout[layer][0])
        in_pos = _positions(old_layout[layer][1], new_layout[layer][1])
        target = new_state[key]
        if name == "num_batches_tracked":
            target.copy_(value)
        elif value.dim() == 1:
            target[out_pos] = value.to(target.dtype)
        else:
            _place(target, value, out_pos, in_pos, transposed=layer.endswith(".up"))
    wide.load_state_dict(new_state)
    return wide.train(model.training)


def _place(target: torch.Tensor, value: torch.Tensor, out_pos, in_pos, transposed: bool) -> None:
    """Copy a trained weight into its place in the wider one; zero what feeds new channels into old ones."""
    if transposed:  # (in, out, k, k)
        target[:, out_pos] = 0
        target[in_pos[:, None], out_pos] = value.to(target.dtype)
    else:
        target[out_pos] = 0
        target[out_pos[:, None], in_pos] = value.to(target.dtype)
