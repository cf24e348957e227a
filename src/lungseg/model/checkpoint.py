"""Self-describing checkpoints: weights + model config + training config + version.

The model is always rebuilt from the stored config, never guessed from tensor shapes, and
files are loaded with ``weights_only=True`` so a checkpoint cannot run code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from lungseg import __version__
from lungseg.io.atomic import atomic_path
from lungseg.model.narrow import narrow
from lungseg.model.pretrained import resolve_model
from lungseg.model.unet import ModelConfig, UNet
from lungseg.model.widen import widen

FORMAT = "lungseg-checkpoint-v1"


def write_tagged(path: str | Path, fmt: str, model_config: dict, model: torch.nn.Module, **extra: Any) -> None:
    """Write weights + config + version under the format tag ``fmt`` (and ``extra``) atomically."""
    payload = {
        "format": fmt,
        "lungseg_version": __version__,
        "model_config": model_config,
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        **extra,
    }
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)


def save_checkpoint(path: str | Path, model: UNet, **extra: Any) -> None:
    """Write ``model`` and ``extra`` entries (configs, epoch, metrics, optimizer...) atomically."""
    write_tagged(path, FORMAT, model.config.to_dict(), model, **extra)


def read_checkpoint(path: str | Path, fmt: str = FORMAT, kind: str = "lungseg checkpoint") -> dict[str, Any]:
    """Load a checkpoint dict tagged ``fmt`` safely; a ValueError names the file and the problem."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path}: checkpoint not found; pass the best.pt or last.pt of a training run")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for corrupt or foreign files
        raise ValueError(f"{path}: not a readable {kind} ({exc})") from exc
    if not isinstance(payload, dict) or payload.get("format") != fmt:
        raise ValueError(f"{path}: not a {kind} (no '{fmt}' format tag)")
    return payload


def load_model(path: str | Path) -> tuple[UNet, dict[str, Any]]:
    """Rebuild the U-Net from a checkpoint's config, load its weights, return (model in eval mode, payload)."""
    payload = read_checkpoint(path)
    model = UNet.from_config(ModelConfig(**payload["model_config"]))
    model.load_state_dict(payload["state_dict"])
    model.eval()
    return model, payload


def load_initial_weights(model: UNet, source: str | Path) -> dict[str, Any]:
    """Copy the weights of a checkpoint or bundled model name into ``model`` to fine-tune it.

    The architectures must match (dropout aside, which has no weights), except that a model with more
    output channels may start from one with fewer (a lung model growing a heart output): the shared
    channels are copied and the new ones keep their fresh initialisation; and a wider model (more
    ``base_channels``) may start from a narrower one, grown by :func:`lungseg.model.widen.widen` so that it
    starts out computing the same logits; a narrower one from a wider, cut by :func:`lungseg.model.narrow.narrow`
    to its strongest channels. Returns the source payload.
    """
    path = resolve_model(source)
    payload = read_checkpoint(path)
    theirs, ours = dict(payload["model_config"]), model.config.to_dict()
    grows = theirs.get("out_channels", 1) < ours["out_channels"]
    wider = theirs.get("base_channels", ours["base_channels"]) < ours["base_channels"]
    narrower = theirs.get("base_channels", ours["base_channels"]) > ours["base_channels"]
    free = {"dropout"} | ({"out_channels"} if grows else set()) | ({"base_channels"} if wider or narrower else set())
    differ = sorted(k for k in ours if k not in free and theirs.get(k) != ours[k])
    if differ:
        wanted = ", ".join(f"{k}: {theirs.get(k)}" for k in differ)
        raise ValueError(f"{path}: its model differs in {', '.join(differ)}; set model {wanted} to start from it")
    state = dict(payload["state_dict"])
    if wider or narrower:  # grown without changing the logits (model/widen.py), or cut (model/narrow.py)
        source = UNet.from_config(ModelConfig(**{**ours, **theirs, "out_channels": theirs.get("out_channels", 1)}))
        source.load_state_dict(state)
        resized = widen(source, ours["base_channels"]) if wider else narrow(source, ours["base_channels"])
        state = resized.state_dict()
    if grows:
        own = model.state_dict()
        for key in ("head.weight", "head.bias"):
            grown = own[key].clone()
            grown[: state[key].shape[0]] = state[key]
            state[key] = grown
    model.load_state_dict(state)
    return payload


KEEP_ON_EXPORT = (
    "train_config", "split", "epoch", "metrics", "threshold", "smooth", "threshold_val_dice",
    "heart_threshold", "heart_smooth", "heart_threshold_val_dice",
)  # fmt: skip


def export_checkpoint(source: str | Path, target: str | Path, half: bool = False) -> Path:
    """Write a slim copy for shipping: weights (fp16 with ``half``), configs, split and metrics only.

    Optimizer and resume state are dropped; the file still rebuilds the model from its config.
    """
    target = Path(target)
    if target.exists() and target.resolve() == Path(source).resolve():
        raise ValueError(f"{target}: export target is the source checkpoint; choose another --output")
    model, payload = load_model(source)
    if half:
        model = model.half()
    extra = {k: payload[k] for k in KEEP_ON_EXPORT if k in payload}
    save_checkpoint(target, model, exported_from=str(source), **extra)
    return target
