"""Heart masks for a lungs + heart model: the data's own where it has them, else a teacher's.

Only Wingspan has manual heart masks (95 training films). A heart model trained on them (the
``heart_teacher``) labels the other training films, so the heart output of the joint model learns from
every film (pseudo-labels, as large heart models are trained) while the manual masks alone judge it:
validation films never get a teacher's mask.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from lungseg.data.layouts import Sample
from lungseg.inference.preprocess import resize_mask
from lungseg.io.reader import read_mask

log = logging.getLogger(__name__)


def heart_masks(samples: Sequence[Sample], size: int, teacher: str = "", device: str = "auto") -> list:
    """One (size, size) bool heart mask per sample (its own, else the teacher's), or None where neither."""
    unique = {s.name: s for s in samples}.values()  # a set repeated per epoch (source_repeat) is read once
    own = {s.name: resize_mask(read_mask(s.heart), size, size) for s in unique if s.heart is not None}
    missing = [s for s in unique if s.heart is None]
    taught = teacher_masks(missing, size, teacher, device) if teacher and missing else {}
    log.info("heart masks: %d own, %d from the teacher %s, %d without", len(own), len(taught),
             teacher or "(none)", len(missing) - len(taught))  # fmt: skip
    return [own.get(s.name, taught.get(s.name)) for s in samples]


def teacher_masks(samples: Sequence[Sample], size: int, teacher: str, device: str = "auto") -> dict:
    """name -> the teacher's post-processed heart mask at ``size`` (its own threshold and clean-up)."""
    from lungseg.inference.pipeline import binary_mask, probabilities_at, to_working  # inference side
    from lungseg.inference.segmenter import Segmenter
    from lungseg.io.reader import read_xray

    model = Segmenter.from_pretrained(teacher, heart=None, device=device)
    if model.target != "heart":
        raise ValueError(f"heart_teacher {teacher}: not a heart model (trained with target: heart)")
    out = {}
    for sample in samples:
        work = to_working(read_xray(sample.image).pixels, model.image_size, model.intensity)
        prob = probabilities_at(model.predict_working(work[None])[0], (size, size))
        out[sample.name] = binary_mask(prob, model.threshold, True, model.smooth, "heart")
    return out
