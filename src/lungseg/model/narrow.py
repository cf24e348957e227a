"""Shrink a trained U-Net to fewer channels, keeping each layer's strongest ones (to start a faster model).

A narrower model learned from scratch needs a full training run, which two CPU cores cannot afford; one cut
from a trained model keeps most of what it computes and recovers in a short fine-tune (with the wide model as
its teacher: ``distill_from``). Each feature map keeps the channels whose BatchNorm scale is largest in
magnitude (the transposed convolutions, which have no BatchNorm, the channels with the largest weights): a
channel whose scale is near zero carries little to the next layer (network slimming, Liu et al. 2017). The
inverse of :mod:`lungseg.model.widen`.
"""

from __future__ import annotations

import torch

from lungseg.model.unet import ModelConfig, UNet

# (convolution, its BatchNorm or "", the feature map it writes, the feature maps it reads side by side)
Layer = tuple[str, str, str, tuple[str, ...]]


def _layers(depth: int) -> list[Layer]:
    """Every convolution of a U-Net of ``depth``, in order, with the feature maps it reads and writes."""
    out: list[Layer] = [("inc.0", "inc.1", "inc.a", ("input",)), ("inc.3", "inc.4", "level0", ("inc.a",))]
    for i in range(depth):
        out += [(f"downs.{i}.0", f"downs.{i}.1", f"down{i}.a", (f"level{i}",)),
                (f"downs.{i}.3", f"downs.{i}.4", f"level{i + 1}", (f"down{i}.a",))]  # fmt: skip
    below = f"level{depth}"
    for j, i in enumerate(reversed(range(depth))):
        out += [(f"ups.{j}.up", "", f"up{j}.t", (below,)),
                (f"ups.{j}.conv.0", f"ups.{j}.conv.1", f"up{j}.a", (f"level{i}", f"up{j}.t")),
                (f"ups.{j}.conv.3", f"ups.{j}.conv.4", f"up{j}", (f"up{j}.a",))]  # fmt: skip
        below = f"up{j}"
    return [*out, ("head", "", "output", (below,))]


def _strongest(score: torch.Tensor, n: int) -> torch.Tensor:
    """The indices of the ``n`` largest entries of ``score``, in their original order."""
    return torch.sort(torch.topk(score.abs().float(), n).indices).values


def narrow(model: UNet, base_channels: int) -> UNet:
    """A copy of ``model`` with ``base_channels`` (<= its own): each feature map keeps its strongest channels.
    With a model whose other channels are dead (BatchNorm scale and shift 0), the logits are unchanged."""
    cfg = model.config
    if not 1 <= base_channels <= cfg.base_channels:
        raise ValueError(f"base_channels {base_channels}: narrow keeps between 1 and the model's {cfg.base_channels}")
    small = UNet.from_config(ModelConfig(**{**cfg.to_dict(), "base_channels": base_channels}))
    state, new_state = model.state_dict(), small.state_dict()
    kept = {"input": torch.arange(cfg.in_channels), "output": torch.arange(cfg.out_channels)}
    sizes = {"input": cfg.in_channels}
    for conv, bn, writes, reads in _layers(cfg.depth):
        weight = state[f"{conv}.weight"]
        transposed = conv.endswith(".up")
        n_old = weight.shape[1] if transposed else weight.shape[0]
        if writes != "output":
            n_new = new_state[f"{conv}.weight"].shape[1 if transposed else 0]
            score = state[f"{bn}.weight"] if bn else weight.abs().sum(dim=(0, 2, 3) if transposed else (1, 2, 3))
            kept[writes] = _strongest(score, n_new)
        sizes[writes] = n_old
        offsets = torch.cumsum(torch.tensor([0, *[sizes[r] for r in reads[:-1]]]), 0)
        inputs = torch.cat([kept[r] + o for r, o in zip(reads, offsets, strict=True)])
        out_idx = kept[writes]
        new_state[f"{conv}.weight"] = weight[inputs][:, out_idx] if transposed else weight[out_idx][:, inputs]
        if f"{conv}.bias" in state:
            new_state[f"{conv}.bias"] = state[f"{conv}.bias"][out_idx]
        for name in ("weight", "bias", "running_mean", "running_var") if bn else ():
            new_state[f"{bn}.{name}"] = state[f"{bn}.{name}"][out_idx]
        if bn:
            new_state[f"{bn}.num_batches_tracked"] = state[f"{bn}.num_batches_tracked"]
    small.load_state_dict(new_state)
    return small.train(model.training)
