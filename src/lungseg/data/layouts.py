"""Finding image/mask pairs on disk and splitting them into train/val/test.

Two layouts are understood:

* ``kaggle``: the "Chest Xray Masks and Labels" layout, ``CXR_png/`` + ``masks/``. Montgomery
  masks share the image's name (``MCUCXR_0001_0.png``); Shenzhen masks add ``_mask``
  (``CHNCXR_0001_0_mask.png``).
* ``folders``: a generic ``images/`` + ``masks/`` pair with the same stems (a ``_mask`` suffix
  on the mask is allowed).
"""

from __future__ import annotations

import csv
import json
import logging
import random
from dataclasses import dataclass
from pathlib import Path

from lungseg.data.nlm import nlm_split, source_of
from lungseg.io.atomic import write_text_atomic
from lungseg.io.reader import IMAGE_SUFFIXES

log = logging.getLogger(__name__)

LAYOUTS = {"kaggle": ("CXR_png", "masks"), "folders": ("images", "masks")}
PROTOCOLS = ("original", "combined", "random")


@dataclass(frozen=True)
class Sample:
    """One X-ray and its mask (``None`` when it has none)."""

    name: str
    image: Path
    mask: Path | None
    source: str  # "shenzhen", "montgomery" or "other"
    heart: Path | None = None  # heart mask (masks_heart/), where the data has one
    ctr: float | None = None  # reference cardiothoracic ratio (ctr.csv: image,ctr), where given


def detect_layout(root: str | Path) -> str:
    """Name the layout found under ``root`` or raise a ValueError saying what was expected."""
    root = Path(root)
    if not root.is_dir():
        raise ValueError(f"{root}: data folder not found; pass --data with a folder holding the X-rays")
    for layout, (images, masks) in LAYOUTS.items():
        if (root / images).is_dir() and (root / masks).is_dir():
            return layout
    raise ValueError(
        f"{root}: no known layout; expected CXR_png/ + masks/ (Kaggle 'Chest Xray Masks and Labels') "
        "or images/ + masks/ with the same file names"
    )


def _image_files(folder: Path) -> dict[str, Path]:
    return {p.stem: p for p in sorted(folder.iterdir()) if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file()}


def discover(root: str | Path | list, mask_folder: str = "masks") -> tuple[str, list[Sample]]:
    """Return (layout, samples) for a data folder (or a list of them, layouts joined by '+');
    every image is listed, with or without a mask. ``mask_folder`` picks another folder of masks beside
    ``masks/`` (``masks_heart`` trains a heart model)."""
    if isinstance(root, list | tuple):
        found = [discover(r, mask_folder) for r in root]
        samples = [s for _, group in found for s in group]
        names = [s.name for s in samples]
        if len(set(names)) != len(names):
            dup = sorted({n for n in names if names.count(n) > 1})[:3]
            raise ValueError(f"image names repeat across the data folders {root} (e.g. {dup}); rename or drop one")
        return "+".join(layout for layout, _ in found), samples
    root = Path(root)
    layout = detect_layout(root)
    images_dir, masks_dir = (root / d for d in LAYOUTS[layout])
    if mask_folder != "masks":  # another target in the same tree, e.g. masks_heart/
        masks_dir = root / mask_folder
        if not masks_dir.is_dir():
            raise ValueError(f"{masks_dir}: mask folder not found; check --mask-folder (default: masks)")
    masks = _image_files(masks_dir)
    hearts = _image_files(root / "masks_heart") if (root / "masks_heart").is_dir() else {}
    ctrs = read_ctr_table(root / "ctr.csv")
    samples = []
    for stem, path in _image_files(images_dir).items():
        mask = masks.get(stem) or masks.get(f"{stem}_mask")
        heart = hearts.get(stem) or hearts.get(f"{stem}_mask")
        samples.append(Sample(stem, path, mask, source_of(stem), heart, ctrs.get(stem)))
    if not samples:
        raise ValueError(f"{images_dir}: no images (.png/.jpg/.tif/.bmp) found")
    return layout, samples


def read_ctr_table(path: Path) -> dict[str, float]:
    """image stem -> reference CTR from a CSV with columns ``image,ctr``; empty when there is no file."""
    if not path.is_file():
        return {}
    try:
        with path.open(newline="", encoding="utf-8") as f:
            return {Path(r["image"]).stem: float(r["ctr"]) for r in csv.DictReader(f) if r.get("ctr")}
    except (KeyError, ValueError, csv.Error) as exc:
        raise ValueError(f"{path}: a CTR table needs columns image,ctr with numbers ({exc})") from exc


def labelled(samples: list[Sample]) -> list[Sample]:
    """Samples that have a mask; logs one summary line for those left out."""
    kept = [s for s in samples if s.mask is not None]
    missing = len(samples) - len(kept)
    if missing:
        log.info("%d of %d images have no mask and are left out", missing, len(samples))
    return kept


def _random_split(names: list[str], seed: int, fractions: tuple[float, float, float]) -> dict[str, list[str]]:
    if len(fractions) != 3 or min(fractions) < 0 or abs(sum(fractions) - 1.0) > 1e-6:
        raise ValueError(f"fractions must be three non-negative numbers summing to 1, got {fractions}")
    shuffled = sorted(names)
    random.Random(seed).shuffle(shuffled)
    n_train = round(fractions[0] * len(shuffled))
    n_val = round(fractions[1] * len(shuffled))
    return {
        "train": sorted(shuffled[:n_train]),
        "val": sorted(shuffled[n_train : n_train + n_val]),
        "test": sorted(shuffled[n_train + n_val :]),
    }


def make_split(
    samples: list[Sample],
    protocol: str = "original",
    seed: int = 42,
    fractions: tuple[float, float, float] = (0.8, 0.1, 0.1),
) -> dict:
    """Split labelled samples by name.

    ``original``: train on all Shenzhen, validate on one half of Montgomery, test on the other.
    ``combined``: the same Montgomery test half; the other Montgomery half is cut again into a
    training and a validation half; 10% of Shenzhen is held out for testing, the rest trains.
    ``random``: shuffle everything with ``seed`` and cut by ``fractions`` (train, val, test).
    With ``original``/``combined``, images of other sets (names not CHNCXR_/MCUCXR_) are cut by
    ``fractions`` and added to each part.
    """
    names = [s.name for s in labelled(samples)]
    if protocol in ("original", "combined"):
        kaggle = [n for n in names if source_of(n) != "other"]
        split = nlm_split(kaggle, protocol, seed)
        others = [n for n in names if source_of(n) == "other"]
        if others:  # images of other sets (a second data folder) are cut by ``fractions``
            extra = _random_split(others, seed, fractions)
            split = {k: sorted(split[k] + extra[k]) for k in ("train", "val", "test")}
    elif protocol == "random":
        split = _random_split(names, seed, fractions)
    else:
        raise ValueError(f"unknown split protocol {protocol!r}; use one of {', '.join(PROTOCOLS)}")
    return {"protocol": protocol, "seed": seed, **split}


def save_split(split: dict, path: str | Path) -> None:
    write_text_atomic(path, json.dumps(split, indent=1) + "\n")


def load_split(path: str | Path) -> dict:
    """Read a split JSON (``train``/``val``/``test`` name lists) or a text file of names (= test)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"{path}: cannot read split file ({exc})") from exc
    if path.suffix.lower() != ".json":
        names = [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]
        return {"protocol": "file", "train": [], "val": [], "test": names}
    try:
        split = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON ({exc}); write it with 'lungseg train' or by hand") from exc
    if not isinstance(split, dict) or not all(isinstance(split.get(k, []), list) for k in ("train", "val", "test")):
        raise ValueError(f"{path}: a split file needs lists 'train', 'val' and 'test' of image names")
    return {"train": [], "val": [], "test": [], **split}


def select(samples: list[Sample], names: list[str], source: str = "") -> list[Sample]:
    """The samples named in ``names``; a ValueError lists names that are not in the data."""
    by_name = {s.name: s for s in samples}
    missing = [n for n in names if n not in by_name]
    if missing:
        raise ValueError(
            f"{len(missing)} image(s) of the split {source} are not in the data (e.g. {missing[:3]}); "
            "check --data or the split file"
        )
    return [by_name[n] for n in names]


def repeat_by_source(samples: list[Sample], repeat: dict[str, int]) -> list[Sample]:
    """Each sample ``repeat[source]`` times (default once): oversamples a small set in training."""
    return [s for s in samples for _ in range(repeat.get(s.source, 1))]
