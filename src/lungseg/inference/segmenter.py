"""The Python API: ``Segmenter.from_pretrained()(path_or_array)`` -> mask, labels, probabilities, measurements.

A thin object over the steps in :mod:`lungseg.inference.pipeline`: it holds the model, its working
size, intensity mode, threshold and options, and streams inputs through the steps in batches.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from lungseg.inference import body_crop
from lungseg.inference.body_crop import cropped, paste_logits, placed
from lungseg.inference.convention import CONVENTIONS
from lungseg.inference.deskew import segmented_level
from lungseg.inference.edge_refine import EdgeModel, refine_logits
from lungseg.inference.loading import load_for, resolve_backend
from lungseg.inference.orientation import check_orientation, segmented_upright
from lungseg.inference.pipeline import (
    PROCESSING_MAX_SIDE,
    FinishOptions,
    Predictor,
    SegmentationResult,
    add_flag,
    finish,
    load_input,
    predict_batch,
    to_working,
)
from lungseg.inference.polarity import FLAG as POLARITY_FLAG
from lungseg.inference.polarity import check_polarity
from lungseg.inference.polarity import polarity_model as polarity_model_for
from lungseg.inference.prepare import crop_view, prepared
from lungseg.inference.shape_completion import bundled_shape_model
from lungseg.inference.tta import TTAPredictor
from lungseg.inference.view import bundled_view_model
from lungseg.io.reader import XRay
from lungseg.model.pretrained import HEART_MODEL, PRETRAINED, completes_shape

if TYPE_CHECKING:  # torch is imported only by the torch backend (lungseg.inference.torch_predictor)
    from lungseg.model.unet import UNet

log = logging.getLogger(__name__)


class Segmenter:
    """Lung segmentation with a trained U-Net; see :meth:`from_pretrained`.

    The constructor takes the threshold explicitly (a checkpoint's calibrated one is what
    :meth:`from_pretrained` passes) and works on its own copy of ``model``: the caller's model keeps
    its mode and device. ``model`` is a U-Net (run by PyTorch) or an ONNX Runtime predictor
    (:class:`~lungseg.inference.onnx_backend.OnnxModel`); only the first imports torch.
    """

    def __init__(
        self,
        model: UNet,
        image_size: int,
        intensity: str,
        *,
        threshold: float,
        device: str = "auto",
        tile: int | None = None,
        tile_overlap: float = 0.5,
        postprocess: bool = True,
        smooth: float = 0.0,
        precision: str = "auto",
        probabilities: bool = True,
        target: str = "lungs",
        quality: bool = True,
        heart_threshold: float = 0.5,
        heart_smooth: float = 0.0,
        complete_lungs: bool = True,
        shape_model: bool = False,
        convention: str = "visible",
        polarity: str = "keep",
        polarity_model: str | Path | None = None,
        orientation: str = "keep",
        processing_side: int = PROCESSING_MAX_SIDE,
        tta: tuple[float, ...] = (),
        edge_model: EdgeModel | None = None,
    ) -> None:
        if not 0.0 < threshold < 1.0 or not 0.0 < heart_threshold < 1.0:
            raise ValueError(f"thresholds must be between 0 and 1, got {threshold} and {heart_threshold}")
        if processing_side < image_size:
            raise ValueError(f"processing_side {processing_side} is below the model's working size {image_size}; "
                             f"give at least {image_size}")  # fmt: skip
        if convention not in CONVENTIONS:
            raise ValueError(f"unknown lung convention {convention!r}; use one of {', '.join(CONVENTIONS)}")
        self.predictor = _predictor(model, device, precision, tile, tile_overlap)
        if tta:  # zoomed copies too, their logits averaged (tta.py); the model's attributes pass through
            self.predictor = TTAPredictor(self.predictor, tta)
        self.model = getattr(self.predictor, "model", model)  # the (folded) U-Net, or the ONNX predictor
        self.backend = getattr(model, "backend", "torch")
        self.image_size, self.intensity = image_size, intensity
        self.postprocess = postprocess
        self.complete_lungs = complete_lungs and postprocess  # a lost lung completed by the shape prior
        self.shape_model = shape_model  # the lungs grown by the learned shape prior first (shape_completion.py)
        self.convention = convention  # "anatomical": the lungs also behind the heart (needs a heart; convention.py)
        self.smooth = smooth
        self.threshold = threshold
        self.processing_side = processing_side  # larger inputs are post-processed at this side (pipeline.py)
        self.keep_probabilities = probabilities
        self.target = "lungs" if target == "lungs+heart" else target
        self.quality = quality and self.target == "lungs"  # the quality score and not_frontal_cxr flag
        self.heart: Segmenter | None = None  # a heart model run beside this lung model (see with_heart)
        # a lungs + heart model: logits channel 1 is the heart, finished with these options (None: unused)
        self.own_heart: FinishOptions | None = None
        if getattr(model.config, "out_channels", 1) == 2:
            self.own_heart = FinishOptions(
                heart_threshold, postprocess, heart_smooth, probabilities=False, target="heart"
            )
        self.precision = getattr(self.predictor, "precision", "fp32")  # ONNX Runtime: fp32 on the CPU
        # "auto" (from_pretrained's default): an input the polarity model calls inverted is turned back first
        # (polarity.py); "keep" (a model object given here: the caller knows its inputs): as it is
        auto = check_polarity(polarity) == "auto"
        self.polarity_check = polarity_model_for(self.backend, polarity_model) if auto else None
        # "auto" (from_pretrained's default): a film the view model finds on its side or upside down is segmented
        # upright and its outputs turned back (orientation.py); "keep": as it is
        turn = check_orientation(orientation) == "auto" and self.target == "lungs"
        self.orientation_check = bundled_view_model(self.backend) if turn else None
        if self.complete_lungs and shape_model:  # loaded here, once, not by the first film of each thread
            bundled_shape_model(self.backend)
        self.edge_model = edge_model if self.target == "lungs" else None  # the outline onto the film's edges
        self.payload: dict = {}

    @classmethod
    def from_pretrained(
        cls,
        name_or_path: str | Path | None = None,
        threshold: float | None = None,
        backend: str = "torch",
        heart: str | Path | None = "auto",
        threads: int | None = None,
        **kwargs,
    ) -> Segmenter:
        """The bundled default model, a bundled model by name, a checkpoint file from ``lungseg train``, or
        an ONNX file from ``lungseg export --format onnx`` (run with ONNX Runtime).

        The threshold defaults to the one calibrated on validation data and stored with the model.
        ``backend="onnxruntime"`` runs a checkpoint or bundled model through ONNX Runtime; "auto" runs a bundled
        model there where it is installed and the job allows (:func:`~lungseg.inference.onnx_backend.choose_backend`).
        ``heart``: "auto"
        takes the model's own heart output (a lungs + heart model) or else the bundled heart model when
        there is one; a heart model's name or file runs that one beside the lung model; None runs none.
        ``threads``: threads per forward pass (None: all the cores). ONNX Runtime's are the session's own; torch's
        are the process's (``torch.set_num_threads``): `lungseg segment` gives each of its two batches in flight
        one core each rather than two batches contending for both (``benchmarks/archive_speed.md``).
        ``polarity`` (a keyword, default "auto"): turn an input the bundled polarity model calls inverted back
        before segmenting (flag inverted_input); "keep" takes every input as it is. ``orientation`` (a keyword,
        default "auto"): segment a film the view model finds on its side or upside down turned upright, and one
        whose lungs lie over 7.5 degrees off level levelled, its outputs turned back (flags turned_input,
        tilted_input; orientation.py, deskew.py); "keep": as it is. ``shape_model`` (a keyword):
        the learned shape prior on or off; by default on for a bundled model chosen with it (the default model),
        off for a checkpoint or .onnx file.
        """
        backend = resolve_backend(name_or_path, backend, kwargs.get("device", "auto"), kwargs.get("precision", "auto"),
                                  kwargs.get("tile"))  # fmt: skip
        model, payload = load_for(name_or_path, backend, threads)
        cfg = payload.get("train_config", {})
        threshold = float(payload.get("threshold", 0.5)) if threshold is None else threshold
        size, intensity = int(cfg.get("image_size", 256)), cfg.get("intensity", "equalize")
        kwargs.setdefault("smooth", float(payload.get("smooth", 0.0)))
        kwargs.setdefault("target", cfg.get("target", "lungs"))
        kwargs.setdefault("heart_threshold", float(payload.get("heart_threshold", 0.5)))
        kwargs.setdefault("heart_smooth", float(payload.get("heart_smooth", 0.0)))
        kwargs.setdefault("polarity", "auto")  # a trained model has seen upright films only (polarity.py)
        kwargs.setdefault("orientation", "auto")  # ... and upright chests (orientation.py)
        if kwargs.get("shape_model") is None:  # None: as the model's table entry says (on for the default model)
            kwargs["shape_model"] = completes_shape(name_or_path)
        segmenter = cls(model, size, intensity, threshold=threshold, **kwargs)
        segmenter.payload = payload
        if heart != "auto":
            segmenter.own_heart = None  # another heart model, or none at all
        elif segmenter.own_heart is not None:
            heart = None
        else:
            heart = HEART_MODEL if HEART_MODEL in PRETRAINED else None
        if heart is not None and segmenter.target == "lungs":
            keep = {k: v for k, v in kwargs.items() if k in ("device", "precision", "postprocess")}
            keep["polarity"] = "keep"  # it sees the lung model's inputs, already turned upright
            segmenter.with_heart(cls.from_pretrained(heart, backend=backend, heart=None, threads=threads, **keep))
        if segmenter.convention == "anatomical" and not segmenter.has_heart:
            raise ValueError("the anatomical convention draws the lung behind the heart, so it needs a heart: "
                             "drop --no-heart, or give a heart model with --heart-model")  # fmt: skip
        return segmenter

    def with_heart(self, heart: Segmenter | None) -> Segmenter:
        """Run ``heart`` (a Segmenter of a heart model) beside this one: results gain the heart and CTR."""
        if heart is not None and heart.target != "heart":
            raise ValueError("the heart model must be trained with target: heart (configs/heart.yaml)")
        self.heart = heart
        return self

    @property
    def device(self) -> str:
        """Where the forward pass runs: "cpu" or "cuda" (ONNX Runtime: always the CPU)."""
        return str(getattr(self.predictor, "device", "cpu"))

    @property
    def has_heart(self) -> bool:
        """Whether results carry the heart and the CTR (from this model's own output or a heart model)."""
        return self.heart is not None or self.own_heart is not None

    def __call__(self, image: str | Path | np.ndarray | XRay) -> SegmentationResult:
        """Segment one file path, image array or XRay; raises ValueError for an unreadable input."""
        result = next(self.segment_many([image], batch_size=1))
        if result.error:
            raise ValueError(result.error)
        return result

    def predict_working(self, work: np.ndarray) -> np.ndarray:
        """Logits (N, C, S, S) for preprocessed inputs (N, 1, S, S), in one pass or by tiles; C = 2 for a
        lungs + heart model (channel 0 the lungs, 1 the heart)."""
        return predict_batch(self.predictor, work)

    @property
    def options(self) -> FinishOptions:
        return FinishOptions(
            self.threshold,
            self.postprocess,
            self.smooth,
            max_side=self.processing_side,
            probabilities=self.keep_probabilities,
            target=self.target,
            quality=self.quality,
            complete=self.complete_lungs,
            shape=self.complete_lungs and self.shape_model,
            convention=self.convention,
            backend=self.backend,
        )

    def finish(self, xray: XRay, logits: np.ndarray, source: str, heart_logits=None):
        """Steps 4-8 (resize, threshold, post-process, label, measure) with this segmenter's settings."""
        heart_options = self.heart.options if self.heart is not None else self.own_heart
        return finish(xray, logits[:1], source, self.options, heart_logits, heart_options)

    def _heart_logits(self, good: list[dict], work: np.ndarray, logits: np.ndarray) -> np.ndarray | None:
        if self.heart is None:
            return logits[:, 1:2] if self.own_heart is not None else None
        h = self.heart
        if (h.image_size, h.intensity) != (self.image_size, self.intensity):
            work = np.stack([to_working(b["xray"], h.image_size, h.intensity) for b in good])
        return h.predict_working(work)

    def refined(self, xray: XRay, lungs: np.ndarray) -> np.ndarray:
        """Lung logits (1, S, S), moved onto the film's edges at the edge model's side when there is one."""
        if self.edge_model is None:
            return lungs
        return refine_logits(lungs, to_working(xray, self.edge_model.size, self.intensity)[0], self.edge_model)

    def finish_item(self, item: dict, lungs: np.ndarray, heart: np.ndarray | None) -> SegmentationResult:
        """One item's result from its logits (C, S, S); a cropped item's (:func:`~lungseg.inference.prepare.crop`)
        finished on the whole film with its logits put back there, or (:data:`body_crop.FINISH_ON_CROP`) on the crop
        and then put back; a band crop's (round 71) on the whole film only with :data:`body_crop.BAND_FINISH_WHOLE`."""
        xray, box = item["xray"], item.get("box")
        on_crop = body_crop.FINISH_ON_CROP and not (item.get("band") and body_crop.BAND_FINISH_WHOLE)
        if box is not None and on_crop:  # completion sees the body as the lung model did
            part = cropped(xray, box)
            return placed(self.finish(part, self.refined(part, lungs[:1]), item["source"], heart), xray, box)
        if box is not None:  # the body's box: its logits put back on the whole film
            lungs = paste_logits(lungs, box, xray.shape)
            heart = paste_logits(heart, box, xray.shape) if heart is not None else None
        return self.finish(xray, self.refined(xray, lungs[:1]), item["source"], heart)

    def segment_prepared(self, batch: list[dict]) -> list[SegmentationResult]:
        """Results for items from :func:`~lungseg.inference.pipeline.load_input`, in their order."""
        good = [prepared(self, b) for b in batch if not b["error"]]  # upright, cropped (prepare.py)
        outputs = {}
        if good:
            work = np.stack([b["work"] for b in good])
            logits = self.predict_working(work)
            hearts = self._heart_logits(good, work, logits)
            for k, b in enumerate(good):
                outputs[b["index"]] = result = self.finish_item(b, logits[k], hearts[k] if hearts is not None else None)
                if b.get("inverted"):
                    add_flag(result.measurements, POLARITY_FLAG)
        results = [outputs.get(b["index"]) or SegmentationResult(b["source"], error=b["error"]) for b in batch]
        return [segmented_level(self, b, segmented_upright(self, b, r)) for b, r in zip(batch, results, strict=True)]

    def segment_many(self, items: Iterable, batch_size: int = 4) -> Iterator[SegmentationResult]:
        """Stream results in input order, ``batch_size`` inputs per forward pass; a failed input yields a
        result with ``error`` set. (``lungseg segment`` also reads ahead in worker processes.)"""
        batch: list[dict] = []
        view = crop_view(self)
        for index, item in enumerate(items):
            batch.append(load_input(item, index, self.image_size, self.intensity, view=view))
            if len(batch) == batch_size:
                yield from self.segment_prepared(batch)
                batch = []
        if batch:
            yield from self.segment_prepared(batch)


def _predictor(model, device: str, precision: str, tile: int | None, tile_overlap: float) -> Predictor:
    """The model as a numpy predictor: an ONNX Runtime one as it is (CPU, fp32, one pass), a U-Net wrapped by
    the torch backend (device, bf16, tiles)."""
    if getattr(model, "backend", "torch") != "torch":
        if tile:
            raise ValueError("--tile runs with the torch backend only; drop --tile or use --backend torch")
        if device not in ("auto", "cpu"):
            raise ValueError(f"the ONNX Runtime backend runs on the CPU; drop --device {device} or use --backend torch")
        return model
    from lungseg.inference.torch_predictor import TorchPredictor

    return TorchPredictor(model, device, precision, tile, tile_overlap)
