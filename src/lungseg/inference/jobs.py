"""What ``lungseg segment`` works on: the input files found under its arguments, each with the stem of its outputs.

Kept free of the model and of scipy, so that the command can list its inputs and start reading the first ones
(:mod:`lungseg.inference.readahead`) while the model loads.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from lungseg.io.dicom_meta import DICOM_SUFFIXES, file_head, has_preamble, non_image_kind_in
from lungseg.io.reader import IMAGE_SUFFIXES

log = logging.getLogger(__name__)

SAMPLE = "sample_cxr.png"


def sample_path() -> Path:
    """The bundled sample X-ray (a downscaled Montgomery image; see assets/README.md)."""
    return Path(str(resources.files("lungseg") / "assets" / SAMPLE))


@dataclass(frozen=True)
class Job:
    """One input file and the stem of its outputs (``out_dir/relative/parent/stem``)."""

    source: Path
    out_stem: Path
    root: Path | None = None  # the output folder, for output paths relative to it in measurements.csv

    def output(self, kind: str, suffix: str = ".png") -> Path:
        return self.out_stem.with_name(f"{self.out_stem.name}_{kind}{suffix}")


def _x_ray_or_skipped(path: Path, skipped: Counter) -> bool:
    """Whether a file found in a folder is an input: an image, or a DICOM (by suffix, or by its preamble) that may
    hold one. A PACS export's DICOMDIR index, presentation states, structured reports and the like
    (:func:`~lungseg.io.dicom_meta.non_image_kind`) hold none; they are counted in ``skipped`` instead of failing the
    run one by one. A DICOM's head is read once, for its preamble and its SOP Class alike."""
    suffix = path.suffix.lower()
    if suffix in IMAGE_SUFFIXES:
        return True
    if suffix not in DICOM_SUFFIXES and suffix != "":
        return False
    head = file_head(path)
    if suffix == "" and not has_preamble(head):
        return False
    kind = non_image_kind_in(head)
    if kind is not None:
        skipped[kind] += 1
    return kind is None


def find_jobs(inputs: list[str | Path], out_dir: Path) -> list[Job]:
    """Jobs for files and folders (searched recursively; hidden files and ``out_dir`` skipped).

    A file reached twice (given twice, or through a file and a folder argument) is one job. Output
    names: ``<stem>_<kind>.png``; where two inputs would share an output stem in one folder (``x.png``
    and ``x.jpg``, or names differing only in case), each of them uses ``<stem>_<ext>`` instead
    (``x_png_mask.png``, ``x_jpg_mask.png``), and a numbered suffix if that still collides. The rule
    depends only on the set of inputs, so reruns give the same names.
    """
    out_dir = out_dir.resolve()
    found = input_files(inputs, skip=out_dir)
    return [Job(source, out_dir / stem, out_dir) for source, stem in unique_stems(list(found.values()))]


def input_files(inputs: list[str | Path], skip: Path | None = None) -> dict[Path, tuple[Path, Path]]:
    """Image and DICOM files under ``inputs`` (folders searched recursively; hidden files, anything under ``skip`` and
    DICOM objects without an X-ray left out), each once: resolved path -> (path as given, output stem relative to its
    argument)."""
    found: dict[Path, tuple[Path, Path]] = {}
    not_x_rays: Counter = Counter()
    for item in map(Path, inputs):
        if item.is_dir():
            for p in sorted(item.rglob("*")):
                rel = p.relative_to(item)
                hidden = any(part.startswith(".") for part in rel.parts)
                skipped = skip is not None and skip in p.resolve().parents
                if p.is_file() and not hidden and not skipped and _x_ray_or_skipped(p, not_x_rays):
                    found.setdefault(p.resolve(), (p, rel.parent / p.stem))
        elif item.is_file():
            found.setdefault(item.resolve(), (item, Path(item.stem)))
        else:
            raise FileNotFoundError(f"{item}: no such file or folder; check the path")
    if not_x_rays:
        log.info("left out %d DICOM files that hold no X-ray: %s", sum(not_x_rays.values()),
                 ", ".join(f"{n} {kind}" for kind, n in sorted(not_x_rays.items())))  # fmt: skip
    return found


def unique_stems(pairs: list[tuple[Path, Path]]) -> list[tuple[Path, Path]]:
    """(source, output stem) pairs with output stems made unique, case-insensitively (see find_jobs)."""
    def key(stem: Path) -> str:
        return str(stem).casefold()

    counts: dict[str, int] = {}
    for _, stem in pairs:
        counts[key(stem)] = counts.get(key(stem), 0) + 1
    renamed = []
    for source, stem in pairs:
        if counts[key(stem)] > 1:
            ext = source.suffix.lstrip(".").lower() or "noext"
            stem = stem.with_name(f"{stem.name}_{ext}")
        renamed.append((source, stem))
    seen: dict[str, int] = {}
    out = []
    for source, stem in sorted(renamed, key=lambda p: str(p[0])):
        n = seen.get(key(stem), 0)
        seen[key(stem)] = n + 1
        out.append((source, stem if n == 0 else stem.with_name(f"{stem.name}_{n + 1}")))
    order = {str(s): k for k, (s, _) in enumerate(pairs)}
    return sorted(out, key=lambda p: order[str(p[0])])
