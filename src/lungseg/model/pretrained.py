"""The table of bundled models, with the preprocessing facts beside each.

Weights ship inside the package (``lungseg/weights/``), are found with importlib.resources and
are checked against their sha256 before loading; no network is ever used.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

DEFAULT_MODEL = "lungseg-unet-default"
FAST_MODEL = "lungseg-unet-fast"  # v6.2 (the default model then) cut to half its width and distilled
HEART_MODEL = "lungseg-unet-heart"  # run beside a lungs-only model (the default has a heart output of its own)
VIEW_MODEL = "lungseg-view"  # frontal chest X-ray or not: a feature of the quality score (lungseg/model/viewnet.py)
SHAPE_MODEL = "lungseg-shape"  # whole lungs from the lungs found and the film (shape_completion.py)
POLARITY_MODEL = "lungseg-polarity"  # is the film inverted (bone dark)? turned back before segmenting (polarity.py)
# The lung model is trained on the Shenzhen masks of Stirenko et al. 2018 (CC BY-NC-SA 4.0): non-commercial,
# share-alike. The heart model is fine-tuned from the lung model on Wingspan, so it carries the same terms.
WEIGHTS_LICENCE = "CC-BY-NC-SA-4.0"


@dataclass(frozen=True)
class PretrainedCfg:
    """One bundled model: where its weights are and how its inputs must be prepared."""

    name: str
    file: str
    sha256: str
    image_size: int
    padding: str
    intensity: str
    training_data: str
    licence: str  # SPDX id of the weights' licence (they inherit the training masks' terms)
    task: str = "segmentation"  # or "view" / "polarity" (a thumbnail CNN) or "shape" (a mask and the film in, a
    # mask out): never loaded as a segmentation model
    shape_completion: bool = False  # the shape model completes this model's lungs by default (chosen on its
    # validation outputs; other checkpoints run it only when asked)


PRETRAINED: dict[str, PretrainedCfg] = {
    DEFAULT_MODEL: PretrainedCfg(
        name=DEFAULT_MODEL,
        file="lungseg-unet-default.pt",
        sha256="d108864eccd1e195dcd4706c3ff3ab037a93b46859b784bb9daeb7440e23eb9f",
        image_size=256,
        padding="same",
        intensity="equalize",
        training_data=(
            "lungs and heart (two outputs): Shenzhen (509) + Montgomery training half (35, x4) + Wingspan (95), "
            "with pathology simulation (v2: configs/default_model.yaml), fine-tuned with lighter simulation "
            "(v3: configs/pathology_ft.yaml), then grown a heart output (v4: configs/joint.yaml; Wingspan heart "
            "masks, the heart model's masks on the other films), then fine-tuned with 200 v7 pediatric pneumonia "
            "films turned into the visible-field convention by the heart model (v5: configs/anatomical.yaml), "
            "fine-tuned with 400 v7 films (configs/anatomical_400_ft.yaml), then all 856 (v6: "
            "configs/anatomical_all_ft.yaml, last epoch), then 6 more epochs at lr 3e-4 (v6.1: "
            "configs/narrow16_ft.yaml, last epoch), then 6 more with the lung loss weighted 3x on the known heart "
            "(v6.2: configs/heart_exclusion_ft.yaml, last epoch); v6.3: 0.7 x (v6.2 + 8 epochs without Shenzhen's "
            "TB films, configs/no_shenzhen_abnormal_ft.yaml, best epoch: the 4th) + 0.3 x v6.2 (benchmarks/soup.py); "
            "v6.4: v6.2 + 8 epochs without Shenzhen's TB films with the heart's loss weighed 2x "
            "(configs/no_shenzhen_abnormal_heart2_ft.yaml, best epoch: the 4th); v6.5: v6.4 + 6 epochs with a whole "
            "sick portable film on 20% of the training films (configs/portable_ft.yaml, best epoch: the 5th; heart "
            "threshold by validation CTR error, benchmarks/heart_threshold.py); "
            "Montgomery validation half (34) + Wingspan validation (16) + v7 validation (100) select"
        ),
        licence=WEIGHTS_LICENCE,
        shape_completion=True,  # round 16: benchmarks/shape_model_image.md
    ),
    FAST_MODEL: PretrainedCfg(
        name=FAST_MODEL,
        file="lungseg-unet-fast.pt",
        sha256="943bef89bdc621c2bd1e318f03c978ed96591507fbff7cc86628df24ada13a1a",
        image_size=256,
        padding="same",
        intensity="equalize",
        training_data=(
            "the default model (v6.2) cut to width 8, each layer's strongest channels (lungseg/model/narrow.py), "
            "fine-tuned 8 epochs on v6.2's recipe and data (lungs and heart; Shenzhen, Montgomery training half x4, "
            "Wingspan, 856 v7 pediatric films on the zones both conventions agree on) with v6.2 as its teacher "
            "(distillation, weight 0.5; configs/fast_distill.yaml, last epoch); the same validation films select"
        ),
        licence=WEIGHTS_LICENCE,  # cut from the default model's weights (Shenzhen masks: CC BY-NC-SA 4.0)
        shape_completion=True,  # on validation: v7 pneumonia 0.8910 -> 0.9016, clean unchanged (validation_choice_fast)
    ),
    HEART_MODEL: PretrainedCfg(
        name=HEART_MODEL,
        file="lungseg-unet-heart.pt",
        sha256="60747f60e8147d1487689d43cf95eddc8dda9fbe06444ff91b5ad3bc806a62f7",
        image_size=256,
        padding="same",
        intensity="equalize",
        training_data=(
            "fine-tuned from the v2 lung model on Wingspan heart masks (95); Wingspan validation (16) selects "
            "(configs/heart.yaml); the teacher of the default model's heart output, run beside lungs-only models"
        ),
        licence=WEIGHTS_LICENCE,  # derived from the lung model's weights (Shenzhen masks: CC BY-NC-SA 4.0)
    ),
    VIEW_MODEL: PretrainedCfg(
        name=VIEW_MODEL,
        file="lungseg-view.pt",
        sha256="4eb3cc0d1647c1ad4c5e8762e8e0179485f6db3fba82a57dc857f60d4beba0f4",
        image_size=64,
        padding="same",
        intensity="standardize",  # per image: zero mean, unit standard deviation (lungseg/inference/view.py)
        training_data=(
            "images only, no masks: the training films of splits/pathology.json (Montgomery, Shenzhen, Wingspan) "
            "and splits/v7_pediatric.json (1,495 films) against drawn negatives (those films turned or upside "
            "down, scikit-image pictures, textures, blanks, CT and lateral phantoms); benchmarks/view_model.py"
        ),
        licence="CC-BY-4.0",  # v7 images (Kermany et al.); NLM images are public for research; Wingspan MIT
        task="view",
    ),
    SHAPE_MODEL: PretrainedCfg(
        name=SHAPE_MODEL,
        file="lungseg-shape.pt",
        sha256="bd9f34d18507e16a975ef2c10f0926cbb1e411e1c17136fed20c7480605000aa",
        image_size=128,
        padding="same",
        intensity="mask+equalize",  # the lungs found (0/1) and the film, equalised (shape_completion.py)
        training_data=(
            "the training films of splits/pathology.json (Shenzhen 509, Montgomery 35, Wingspan 95) at 128 px "
            "and their manual lung masks with zones taken away and painted opaque on the film "
            "(lungseg/training/shape_masks.py), and the 856 v7 pediatric training films with the v1 lung model's "
            "own lungs of each (its real losses under opacity), the adult films twice more with dense disease "
            "drawn, given the look of portable films (squashed, flat, shuttered, off-centre), and the v1 model's "
            "lungs on them (benchmarks/adult_failures.py), a fifth of the adult pairs with a gastric bubble or the "
            "mediastinum taken for lung (to take away); the completion's settings chosen on the validation films; "
            "benchmarks/shape_model.py --steps 6000 --image --children --real-failures runs/v1_default.pt --extras "
            "--heart-grid --adult-failures 2 --portable (MODEL_CARD.md, rounds 15, 16, 30, 32, 33, 39 and 41)"
        ),
        licence=WEIGHTS_LICENCE,  # learned from the Shenzhen masks (CC BY-NC-SA 4.0)
        task="shape",
    ),
    POLARITY_MODEL: PretrainedCfg(
        name=POLARITY_MODEL,
        file="lungseg-polarity.pt",
        sha256="e0f16f69d92fa23784fc45cf742efe55273b5a7b85ca6f806d498b9db2fb3fea",
        image_size=64,
        padding="same",
        intensity="standardize",  # the view model's thumbnail (lungseg/inference/view.py)
        training_data=(
            "images only, no masks: the training films of splits/pathology.json and splits/v7_pediatric.json "
            "(1,495 films), drawn (turns, crops, windowing, blocks; since round 42 a portable film's look on 30%: "
            "shutter bands, flat and noisy; since round 67 15% shrunk into a noisy black field) and inverted at "
            "random; benchmarks/polarity_model.py --portable --small-field --name polarity_model_small_field "
            "(MODEL_CARD.md rounds 42 and 67)"
        ),
        licence="CC-BY-4.0",  # as the view model: v7 images (Kermany et al.); NLM public for research; Wingspan MIT
        task="polarity",
    ),
}


def weights_path(cfg: PretrainedCfg) -> Path:
    return Path(str(resources.files("lungseg.model") / "weights" / cfg.file))


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def resolve_pretrained(name: str | None = None) -> Path:
    """Path of a bundled model's verified weights; ValueError if unknown, missing or altered."""
    name = name or DEFAULT_MODEL
    if name not in PRETRAINED:
        known = ", ".join(PRETRAINED) or "none yet"
        raise ValueError(
            f"no checkpoint file and no bundled model named {name!r} (bundled: {known}); "
            "pass the path of a checkpoint from 'lungseg train' or a bundled name"
        )
    cfg = PRETRAINED[name]
    path = weights_path(cfg)
    if not path.is_file():
        raise ValueError(f"bundled weights {path} are missing; reinstall lungseg")
    if sha256_of(path) != cfg.sha256:
        raise ValueError(f"bundled weights {path} do not match their sha256; reinstall lungseg")
    return path


def completes_shape(name_or_path: str | Path | None = None) -> bool:
    """Whether the shape model runs by default after this model: a bundled model that was chosen with it; never
    a checkpoint file of your own (its outputs were not what the completion was chosen on)."""
    if name_or_path is not None and Path(name_or_path).is_file():
        return False
    cfg = PRETRAINED.get(str(name_or_path or DEFAULT_MODEL))
    return bool(cfg and cfg.shape_completion)


def resolve_model(name_or_path: str | Path | None = None) -> Path:
    """An existing checkpoint file as given, else the verified weights of a bundled model by name."""
    if name_or_path is not None and Path(name_or_path).is_file():
        return Path(name_or_path)
    cfg = PRETRAINED.get(str(name_or_path))
    if cfg is not None and cfg.task != "segmentation":
        segmenting = ", ".join(k for k, c in PRETRAINED.items() if c.task == "segmentation")
        raise ValueError(f"{name_or_path!r} is the bundled {cfg.task} model, not a segmentation model; "
                         f"use {segmenting}")
    return resolve_pretrained(None if name_or_path is None else str(name_or_path))


def licence_line() -> str:
    """One line for ``lungseg --version``: the code's licence and each bundled model's."""
    models = "; ".join(f"{cfg.name}: {cfg.licence}" for cfg in PRETRAINED.values()) or "none"
    return f"code: MIT; bundled weights ({models}); CC-BY-NC-SA-4.0 means non-commercial use, see MODEL_CARD.md"
