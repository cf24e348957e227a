"""A loaded film made ready for the lung model: turned upright when it arrived inverted, cropped to its body when a
small chest lies in a large dark field.

:class:`~lungseg.inference.segmenter.Segmenter` runs these on every item of a batch before the forward pass; they
need its model (the polarity veto runs it both ways), its working size and intensity, and its polarity check. Since
round 66 of #9 the crop comes first, so that the check judges the body the model sees (:func:`prepared`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from lungseg.inference import body_crop, polarity
from lungseg.inference.body_crop import band_box, body_box, cropped
from lungseg.inference.pipeline import View, to_working
from lungseg.inference.polarity import inverted, is_inverted, lungs_prefer_as_came, turned_for_veto
from lungseg.io.reader import XRay

if TYPE_CHECKING:
    from lungseg.inference.segmenter import Segmenter


def prepared(seg: Segmenter, item: dict) -> dict:
    """``item`` (from :func:`~lungseg.inference.pipeline.load_input`) turned upright and cropped to the body; since
    round 66 (:data:`body_crop.POLARITY_ON_CROP`) cropped first, so that the polarity check sees what the model sees."""
    if body_crop.POLARITY_ON_CROP:
        return upright(seg, crop(seg, item))
    return crop(seg, upright(seg, item))


def upright(seg: Segmenter, item: dict) -> dict:
    """The item turned back (``inverted``: True) when the polarity check calls it inverted and the lung model does
    not clearly find the lungs as it came (a forward pass of both ways, on those films only), else as it is; a
    cropped item (its ``box``) is judged on the crop and keeps its box."""
    box = item.get("box")
    seen = cropped(item["xray"], box) if box is not None else item["xray"]
    if not is_inverted(seen, seg.polarity_check):
        return item
    turned = inverted(seen)
    fold = polarity.VETO_FOLD and seg.target == "lungs"  # the veto's own film, resized only when it runs
    work = None if fold else to_working(turned, seg.image_size, seg.intensity)
    if seg.target == "lungs":
        veto = turned_for_veto(seen, seg.image_size, seg.intensity) if fold else work
        if lungs_prefer_as_came(seg.predict_working(np.stack([item["work"], veto]))):
            return item
    work = to_working(turned, seg.image_size, seg.intensity) if work is None else work
    return {**item, "xray": inverted(item["xray"]), "work": work, "inverted": True}


def crop(seg: Segmenter, item: dict) -> dict:
    """With :data:`body_crop.CROP`: a small chest in a large dark field becomes the model's whole input (the box kept
    as ``box`` for :meth:`~lungseg.inference.segmenter.Segmenter.finish_item`), and with :data:`body_crop.BAND_CROP`
    the film inside flat bands at its edges; else the item as it is (and as it is when :func:`crop_view` decided this
    at load: ``viewed``)."""
    if item.get("viewed"):
        return item
    facts = crop_facts(seg, item["xray"])
    if not facts:
        return item
    work = to_working(cropped(item["xray"], facts["box"]), seg.image_size, seg.intensity)
    return {**item, "work": work, **facts}


def crop_facts(seg: Segmenter, xray: XRay) -> dict:
    """``{"box": ..., "band": ...}`` of the crop :func:`crop` makes of ``xray``, or {} for none."""
    h = seg.heart
    beside = h is not None and (h.image_size, h.intensity) != (seg.image_size, seg.intensity)
    if not body_crop.CROP or seg.edge_model is not None or beside:  # those read the whole film's input
        return {}
    box, band = body_box(xray, seg.image_size), False
    if box is None and body_crop.BAND_CROP:  # round 71: shutters and padding at the film's edges cropped away
        box = band_box(xray, seg.image_size)
        band = box is not None
    return {"box": box, "band": band} if box is not None else {}


def crop_view(seg: Segmenter) -> View | None:
    """The :data:`~lungseg.inference.pipeline.View` for :func:`~lungseg.inference.pipeline.load_input` that makes
    :func:`crop`'s decision at load, so only the crop is resized; None where the polarity check comes first (without
    :data:`body_crop.POLARITY_ON_CROP` a film turned over is cropped after, as it was)."""
    if not body_crop.POLARITY_ON_CROP:
        return None

    def view(xray: XRay) -> tuple[XRay, dict]:
        facts = crop_facts(seg, xray)
        return (cropped(xray, facts["box"]) if facts else xray), facts

    return view
