"""The edge step (lungseg.inference.edge_refine) with model-free edge models whose answers are known."""

from __future__ import annotations

import numpy as np
import pytest

from lungseg.inference.edge_refine import EDGE_INPUT_SCALE, edge_input, edge_model_file, refine_logits
from lungseg.inference.preprocess import resize_bilinear
from lungseg.inference.segmenter import Segmenter
from lungseg.model.checkpoint import save_checkpoint
from lungseg.model.unet import UNet

from .test_segment import DarkIsLung, two_lungs


class Constant:
    """An edge model that adds ``value`` to every logit."""

    size = 64

    def __init__(self, value: float) -> None:
        self.value = value
        self.seen: list[np.ndarray] = []

    def __call__(self, x: np.ndarray) -> np.ndarray:
        self.seen.append(x)
        return np.full((x.shape[0], 1, *x.shape[2:]), self.value, np.float32)


class FilmEdge:
    """An edge model that puts the outline where the film is dark: its correction makes the logit exactly
    10 * (0.5 - film), whatever the lung model said."""

    size = 64

    def __call__(self, x: np.ndarray) -> np.ndarray:
        film, squashed = x[:, :1], x[:, 1:]
        logits = np.arctanh(np.clip(squashed, -0.999999, 0.999999)) / EDGE_INPUT_SCALE
        return 10 * (0.5 - film) - logits


def test_without_a_model_the_logits_pass_unchanged():
    logits = np.random.default_rng(0).normal(size=(1, 8, 8)).astype(np.float32)
    assert refine_logits(logits, np.zeros((16, 16), np.float32), None) is logits


def test_a_zero_correction_gives_the_bilinearly_enlarged_logits():
    logits = np.random.default_rng(1).normal(size=(1, 16, 16)).astype(np.float32)
    film = np.random.default_rng(2).random((32, 32)).astype(np.float32)
    model = Constant(0.0)
    out = refine_logits(logits, film, model)
    assert out.shape == (1, 32, 32)
    assert out[0] == pytest.approx(resize_bilinear(logits[0], 32, 32), abs=1e-6)
    x = model.seen[0]
    assert x.shape == (1, 2, 32, 32) and x[0, 0] == pytest.approx(film)
    assert x[0, 1] == pytest.approx(np.tanh(out[0] * EDGE_INPUT_SCALE), abs=1e-6)  # bounded, sign kept


def test_the_correction_is_added_to_the_enlarged_logits():
    logits = np.zeros((1, 8, 8), np.float32)
    assert refine_logits(logits, np.zeros((16, 16), np.float32), Constant(-3.0)) == pytest.approx(-3.0)


def test_edge_input_stacks_film_and_squashed_logits():
    x = edge_input(np.ones((4, 4), np.float32), np.full((4, 4), 100.0, np.float32))
    assert x.shape == (1, 2, 4, 4) and x.dtype == np.float32
    assert np.allclose(x[0, 0], 1) and np.allclose(x[0, 1], 1, atol=1e-6)


def test_segmenter_moves_a_shifted_outline_onto_the_film():
    """A lung model whose lungs sit 4 px to the right of the film's: the edge model puts them back."""

    class Shifted(DarkIsLung):
        def forward(self, x):
            return super().forward(x).roll(4, dims=-1)

    film = two_lungs(64, 64)
    truth = film < 100
    plain = Segmenter(Shifted(), 64, "none", threshold=0.5)(film).mask
    fixed = Segmenter(Shifted(), 64, "none", threshold=0.5, edge_model=FilmEdge())(film).mask
    assert (plain ^ truth).sum() > 100
    assert (fixed ^ truth).sum() < 10


def test_segmenter_runs_the_edge_model_at_its_own_side_on_the_lungs_only():
    model = Constant(0.0)
    seg = Segmenter(DarkIsLung(), 32, "none", threshold=0.5, edge_model=model)
    result = seg(two_lungs(100, 80))
    assert model.seen[0].shape == (1, 2, 64, 64)  # the edge model's side, not the lung model's nor the film's
    assert result.mask.shape == (100, 80)
    assert Segmenter(DarkIsLung(), 32, "none", threshold=0.5, target="heart", edge_model=model).edge_model is None


def test_edge_model_file_refuses_a_checkpoint_of_another_kind(tmp_path):
    lungs, edge = tmp_path / "lungs.pt", tmp_path / "edge.pt"
    save_checkpoint(lungs, UNet(base_channels=2, depth=2), train_config={"image_size": 32, "target": "lungs"})
    save_checkpoint(edge, UNet(2, 1, 2, 2), train_config={"image_size": 32, "target": "edge"})
    with pytest.raises(ValueError, match="not an edge model"):
        edge_model_file(lungs)
    model = edge_model_file(edge)
    assert model.size == 32 and model(np.zeros((1, 2, 32, 32), np.float32)).shape == (1, 1, 32, 32)
