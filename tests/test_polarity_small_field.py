"""Round 67: small films in a black field, for training the polarity model and for judging it."""

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from polarity_model import small_in_field
from polarity_small_field import errors


def test_small_in_field_shrinks_the_film_into_a_black_field():
    film = np.full((200, 160), 0.6, np.float32)
    for seed in range(20):
        out = small_in_field(film, np.random.default_rng(seed))
        assert out.shape == film.shape and out.min() >= 0 and out.max() <= 1
        body = out > 0.3  # the film (0.6 plus noise of sigma at most 0.02) against a black, noisy field
        share = body.mean()
        assert 0.4**2 * 0.9 <= share <= 0.75**2 * 1.1  # 40-75% of each side
        rows, cols = np.flatnonzero(body.any(axis=1)), np.flatnonzero(body.any(axis=0))
        assert body[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1].all()  # one block, in one place
        assert out[~body].mean() < 0.02


class CallsDarkFilmsInverted:
    """A model-free check: "inverted" when under 30% of the thumbnail lies above its mean (a dark film)."""

    size = 64

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return np.array([5.0 if (t > 0).mean() < 0.3 else -5.0 for t in x], np.float32)


def test_errors_counts_both_ways_on_each_film():
    image = np.full((100, 100), 0.7, np.float32)
    mask = np.zeros((100, 100), bool)
    films = [("a", image, mask), ("b", image, mask)]
    small = errors(CallsDarkFilmsInverted(), films, 0.4, 0.0)  # the black field fools the stub both ways
    assert small == {"upright_called_inverted": ["a", "b"], "inverted_missed": ["a", "b"]}
    halves = np.where(np.arange(100) < 50, 0.2, 0.8).astype(np.float32)[None].repeat(100, 0)
    full = errors(CallsDarkFilmsInverted(), [("c", halves, mask)], 1.0, 0.0)  # half above the mean either way
    assert full == {"upright_called_inverted": [], "inverted_missed": ["c"]}
