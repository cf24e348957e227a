"""Data-parallel training under torchrun: one process per device, DistributedDataParallel, rank 0 writes.

torchrun (``torchrun --nproc_per_node=N -m lungseg train ...``, or its multi-node rendezvous) sets ``RANK``,
``LOCAL_RANK`` and ``WORLD_SIZE``; without them :func:`context` is a one-process context and training runs
exactly as it does without torchrun. The backend follows the device: NCCL on CUDA, gloo on the CPU.
"""

from __future__ import annotations

import datetime
import logging
import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn
from torch.utils.data import Dataset, DistributedSampler

log = logging.getLogger(__name__)

TIMEOUT = datetime.timedelta(minutes=60)  # rank 0 validates and calibrates while the others wait


@dataclass(frozen=True)
class DistContext:
    """Where this process stands in a torchrun job (rank 0 of 1 without torchrun)."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


SINGLE = DistContext()


def context() -> DistContext:
    """This process's place from torchrun's environment variables."""
    env = os.environ
    try:
        return DistContext(int(env.get("RANK", 0)), int(env.get("WORLD_SIZE", 1)), int(env.get("LOCAL_RANK", 0)))
    except ValueError as exc:
        raise ValueError(f"RANK/WORLD_SIZE/LOCAL_RANK must be integers (set by torchrun): {exc}") from None


def is_main_process() -> bool:
    return context().is_main


def start(ctx: DistContext, device: torch.device) -> torch.device:
    """Join the process group (NCCL on CUDA, gloo on the CPU); returns this process's device."""
    if not ctx.enabled:
        return device
    if device.type == "cuda":
        torch.cuda.set_device(ctx.local_rank)
        device = torch.device("cuda", ctx.local_rank)
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo", timeout=TIMEOUT)
    log.info("process %d of %d on %s (%s)", ctx.rank, ctx.world_size, device, dist.get_backend())
    return device


def stop(ctx: DistContext) -> None:
    """Leave the process group once every rank is done."""
    if ctx.enabled and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


def wrap(model: nn.Module, ctx: DistContext, device: torch.device, sync_bn: bool) -> nn.Module:
    """``model`` in DistributedDataParallel (BatchNorm synchronised across ranks if asked; CUDA only)."""
    if sync_bn and device.type != "cuda":
        raise ValueError("sync_bn needs CUDA devices (SyncBatchNorm has no CPU kernel); drop --sync-bn on the CPU")
    if not ctx.enabled:
        return model
    if sync_bn:
        model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    ids = [device.index] if device.type == "cuda" else None
    return nn.parallel.DistributedDataParallel(model, device_ids=ids)


def unwrap(model: nn.Module) -> nn.Module:
    """The plain model inside a DDP wrapper (what checkpoints and validation use)."""
    return model.module if isinstance(model, nn.parallel.DistributedDataParallel) else model


def sampler(dataset: Dataset, ctx: DistContext, seed: int, epoch: int) -> DistributedSampler | None:
    """This rank's disjoint share of the training set, reshuffled every epoch from the run's seed."""
    if not ctx.enabled:
        return None
    share = DistributedSampler(dataset, ctx.world_size, ctx.rank, shuffle=True, seed=seed, drop_last=True)
    share.set_epoch(epoch)
    return share


def mean_over_ranks(value: float, ctx: DistContext) -> float:
    """The mean of ``value`` over all ranks (a training loss for the log)."""
    if not ctx.enabled:
        return value
    tensor = torch.tensor([value], dtype=torch.float64, device=_collective_device())
    dist.all_reduce(tensor)
    return tensor.item() / ctx.world_size


def from_main(value: int, ctx: DistContext) -> int:
    """Rank 0's ``value`` on every rank (e.g. whether to stop early, which only rank 0 knows)."""
    if not ctx.enabled:
        return value
    tensor = torch.tensor([value], dtype=torch.int64, device=_collective_device())
    dist.broadcast(tensor, src=0)
    return int(tensor.item())


def _collective_device() -> torch.device:
    return torch.device("cuda", torch.cuda.current_device()) if dist.get_backend() == "nccl" else torch.device("cpu")
