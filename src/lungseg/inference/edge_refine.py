"""The lung outline put onto the film's own edges at twice the lung model's working size.

The lung model works at 256 px; the masks it is scored against (and most outputs) are larger, and most of its wrong
pixels lie within a few pixels of the manual outline (``benchmarks/outline_errors.md``). An edge model (a small
U-Net at ``SIZE`` px, trained by ``benchmarks/edge_model.py``) takes the film at ``SIZE`` and the lung model's logits
enlarged bilinearly to it, and returns a correction to those logits: ``refine_logits`` adds it. What follows
(threshold, post-processing, the shape model) runs on the refined logits exactly as on the lung model's own.
Opt-in from Python (``Segmenter(edge_model=edge_model_file(PATH))``); none is bundled: on validation it moved the
outline toward one data set's drawing convention and away from another's (``MODEL_CARD.md``, round 37).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from lungseg.inference.preprocess import resize_bilinear

SIZE = 512  # the edge model's side: the masks' own resolution in every data set we score
EDGE_INPUT_SCALE = 0.25  # the logits enter the edge model as tanh(logit * this): bounded, still graded near 0

# (N, 2, S, S) float32 [film, tanh(logits * EDGE_INPUT_SCALE)] -> (N, 1, S, S) logit corrections, with ``.size`` = S
EdgeModel = Callable[[np.ndarray], np.ndarray]


def edge_input(film: np.ndarray, logits_up: np.ndarray) -> np.ndarray:
    """(1, 2, S, S) float32: the film at S (as the lung model normalises it) and the enlarged lung logits."""
    return np.stack([film, np.tanh(logits_up * EDGE_INPUT_SCALE)]).astype(np.float32)[None]


def refine_logits(logits: np.ndarray, film: np.ndarray, model: EdgeModel | None) -> np.ndarray:
    """Lung logits (1, s, s) -> (1, S, S) at the film's side S (``film``: (S, S)), moved onto the film's edges by
    ``model``; without a model, the logits as they are."""
    if model is None:
        return logits
    side = film.shape[-1]
    up = resize_bilinear(np.asarray(logits, np.float32)[0], side, side)
    return (up + np.asarray(model(edge_input(film, up)), np.float32)[0, 0])[None]


def edge_model_file(path) -> EdgeModel:
    """An edge model from a checkpoint file (``benchmarks/edge_model.py``), run by PyTorch."""
    from lungseg.inference.view import TorchViewModel
    from lungseg.model.checkpoint import load_model

    model, payload = load_model(path)
    if payload.get("train_config", {}).get("target") != "edge":
        raise ValueError(f"{path} is not an edge model (benchmarks/edge_model.py writes those)")
    return TorchViewModel(model.float(), int(payload["train_config"]["image_size"]))
