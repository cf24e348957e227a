"""Training configuration: one dataclass, loadable from YAML or TOML, saved with every run."""

from __future__ import annotations

import dataclasses
import json
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from lungseg.data.layouts import PROTOCOLS
from lungseg.data.nlm import SOURCES
from lungseg.inference.preprocess import INTENSITY_MODES
from lungseg.io.atomic import write_text_atomic
from lungseg.model.unet import ModelConfig
from lungseg.training.augment import AugmentConfig
from lungseg.training.losses import LOSSES
from lungseg.training.pathology import PathologyConfig

TARGETS = ("lungs", "heart", "lungs+heart")


@dataclass
class TrainConfig:
    """Every knob of a training run. ``model`` is the U-Net's own config."""

    data: str | list[str] = ""  # one folder, or several (e.g. Montgomery/Shenzhen + Wingspan)
    output: str = ""
    mask_folder: str = "masks"  # the target: masks/ (lungs) or e.g. masks_heart/ for a heart model
    target: str = "lungs"  # "lungs", "heart" (masks/ or masks_heart/), or "lungs+heart": one model, two outputs
    heart_teacher: str = ""  # lungs+heart: a heart model whose masks label the images that have no heart mask
    teacher_hearts: bool = True  # False: the teacher only converts anatomical films; the heart learns from own masks
    heart_weight: float = 1.0  # lungs+heart: weight of the heart channel's loss beside the lungs'
    heart_loss: str = ""  # lungs+heart: the heart channel's own loss (one of LOSSES); "" = the lungs' loss
    heart_exclusion: float = 1.0  # lungs+heart: lung-loss weight x this on a known heart where no lung is
    anatomical_data: str = ""  # a set whose masks draw the anatomical lung (v7_pediatric): lung loss on the
    anatomical_split: str = ""  # ... zones both conventions agree on; its films: this split JSON's train list
    anatomical_limit: int = 0  # the first N of those films (0 = all)
    anatomical_heart: bool = False  # turn those masks into the visible field with heart_teacher's heart masks
    distill_from: str = ""  # a teacher (bundled name or checkpoint) whose probabilities also train this model
    distill_weight: float = 0.5  # with distill_from: loss = (1 - w) x the masks' loss + w x BCE to the teacher
    model: ModelConfig = field(default_factory=ModelConfig)
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    pathology: PathologyConfig = field(default_factory=PathologyConfig)
    image_size: int = 256
    intensity: str = "equalize"
    epochs: int = 40
    batch_size: int = 8
    lr: float = 2e-3
    weight_decay: float = 1e-4
    warmup_epochs: int = 1
    loss: str = "weighted_ce"  # best validation Dice in benchmarks/ablation.md
    w0: float = 10.0  # weighted_ce: border weight
    weight_sigma: float = 5.0  # weighted_ce: border width in pixels at the working size
    seed: int = 0
    split_protocol: str = "original"
    split_seed: int = 42
    split_fractions: tuple[float, float, float] = (0.8, 0.1, 0.1)
    split_file: str = ""
    limit: int = 0
    source_repeat: dict[str, int] = field(default_factory=dict)  # e.g. {montgomery: 4}: oversample a set
    init_from: str = ""  # checkpoint path or bundled model name to start from (fine-tuning)
    device: str = "auto"
    num_workers: int = 0
    sync_bn: bool = False  # under torchrun on GPUs: BatchNorm statistics over the global batch
    patience: int = 10
    calibrate_threshold: bool = True  # pick the probability threshold on the validation set after training
    min_delta: float = 1e-4
    ema_decay: float = 0.0  # > 0: validate and save an average of the weights over the steps (training/ema.py)

    def __post_init__(self) -> None:
        self.model = _nested(ModelConfig, self.model, "model")
        self.augment = _nested(AugmentConfig, self.augment, "augment")
        self.pathology = _nested(PathologyConfig, self.pathology, "pathology")
        self.split_fractions = tuple(self.split_fractions)
        if self.target == "lungs+heart" and self.model.out_channels == 1:  # the heart channel the target implies
            self.model = dataclasses.replace(self.model, out_channels=2)
        self.validate()

    def validate(self) -> None:
        """Raise ValueError with the fix for any out-of-range value."""
        checks = [
            (self.target in TARGETS, f"target must be one of {', '.join(TARGETS)}, got {self.target!r}"),
            (
                self.model.out_channels == (2 if self.target == "lungs+heart" else 1),
                f"target {self.target} needs model out_channels {2 if self.target == 'lungs+heart' else 1}",
            ),
            (self.heart_weight >= 0, f"heart_weight must be >= 0, got {self.heart_weight}"),
            (self.heart_loss in ("", *LOSSES), f"heart_loss must be one of {', '.join(LOSSES)} or empty"),
            (self.heart_exclusion > 0, f"heart_exclusion must be positive, got {self.heart_exclusion}"),
            (0 <= self.distill_weight <= 1, f"distill_weight must be within [0, 1], got {self.distill_weight}"),
            (0 <= self.ema_decay < 1, f"ema_decay must be 0 (off) or in (0, 1), e.g. 0.998; got {self.ema_decay}"),
            (self.heart_exclusion == 1.0 or self.loss == "weighted_ce",
             "heart_exclusion scales the weight map: use loss weighted_ce, or heart_exclusion 1"),
            (self.image_size > 0, f"image_size must be positive, got {self.image_size}"),
            (self.epochs > 0, f"epochs must be positive, got {self.epochs}"),
            (self.batch_size > 0, f"batch_size must be positive, got {self.batch_size}"),
            (self.lr > 0, f"lr must be positive, got {self.lr}"),
            (self.limit >= 0, f"limit must be >= 0 (0 = all), got {self.limit}"),
            (self.anatomical_limit >= 0, f"anatomical_limit must be >= 0 (0 = all), got {self.anatomical_limit}"),
            (not self.anatomical_heart or self.heart_teacher, "anatomical_heart needs heart_teacher (a heart model)"),
            (
                not self.anatomical_data or (self.anatomical_split and self.loss == "weighted_ce"),
                "anatomical_data needs anatomical_split (a split JSON naming its training films) and the "
                "weighted_ce loss (its weight map masks out the zones the conventions disagree on)",
            ),
            (
                all(k in SOURCES and isinstance(v, int) and v >= 1 for k, v in self.source_repeat.items()),
                f"source_repeat maps {', '.join(SOURCES)} to whole numbers >= 1, got {self.source_repeat}",
            ),
            (self.loss in LOSSES, f"loss must be one of {', '.join(LOSSES)}, got {self.loss!r}"),
            (self.intensity in INTENSITY_MODES, f"intensity must be one of {INTENSITY_MODES}"),
            (self.split_protocol in PROTOCOLS, f"split_protocol must be one of {PROTOCOLS}"),
            (self.device in ("auto", "cpu", "cuda"), f"device must be auto, cpu or cuda, got {self.device!r}"),
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(message)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["split_fractions"] = list(self.split_fractions)
        out["augment"] = {k: list(v) if isinstance(v, tuple) else v for k, v in out["augment"].items()}
        out["pathology"] = self.pathology.to_dict()
        return out

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> TrainConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown config key(s) {unknown}; known keys: {sorted(known)}")
        return cls(**values)

    def replace(self, **changes: Any) -> TrainConfig:
        """A copy with ``changes`` applied; ``model``, ``augment`` and ``pathology`` may be partial dicts."""
        for key in ("model", "augment", "pathology"):
            if isinstance(changes.get(key), dict):
                changes[key] = dataclasses.replace(getattr(self, key), **changes[key])
        return dataclasses.replace(self, **changes)


def _nested(cls: type, values: Any, name: str) -> Any:
    """Build a nested config dataclass from a dict, naming unknown keys in a ValueError."""
    if not isinstance(values, dict):
        return values
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ValueError(f"unknown {name} config key(s) {unknown}; known keys: {sorted(known)}")
    return cls(**values)


def read_config_file(path: str | Path) -> dict[str, Any]:
    """Read a YAML (.yaml/.yml), TOML (.toml) or JSON config file into a dict."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"{path}: cannot read config file ({exc})") from exc
    suffix = path.suffix.lower()
    try:
        if suffix in (".yaml", ".yml"):
            values = yaml.safe_load(text) or {}
        elif suffix == ".toml":
            values = tomllib.loads(text)
        elif suffix == ".json":
            values = json.loads(text)
        else:
            raise ValueError(f"{path}: config files must end in .yaml, .yml, .toml or .json")
    except (yaml.YAMLError, tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: cannot parse config ({exc})") from exc
    if not isinstance(values, dict):
        raise ValueError(f"{path}: a config file must hold a mapping of keys to values")
    return values


def load_config(path: str | Path | None = None, **overrides: Any) -> TrainConfig:
    """Defaults, then the file's values, then non-None ``overrides`` (the command line)."""
    values = read_config_file(path) if path else {}
    config = TrainConfig.from_dict(values)
    return config.replace(**{k: v for k, v in overrides.items() if v is not None})


def save_config(config: TrainConfig, path: str | Path) -> None:
    write_text_atomic(path, yaml.safe_dump(config.to_dict(), sort_keys=False))
