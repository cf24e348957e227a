"""Round 56: flat bands at a film's edges (shutters, padding), and no lung grown into them."""

from __future__ import annotations

import numpy as np

from lungseg.inference.film_bands import flat_bands, flat_lines, outside_bands
from lungseg.inference.shape_completion import complete_shape, shape_input

from .test_shape_apart import found


def textured(h: int = 100, w: int = 80) -> np.ndarray:
    return np.random.default_rng(0).uniform(0.2, 0.8, (h, w))


def test_a_film_without_shutters_has_no_band():
    assert flat_bands(textured()) == (0.0, 0.0, 0.0, 0.0)


def test_each_edges_band_is_measured_as_a_share_of_the_side():
    film = textured()
    film[:10] = 0.0  # top: 10 of 100 rows
    film[-5:] = 0.0  # bottom: 5 rows
    film[:, -8:] = 0.0  # right: 8 of 80 columns
    assert flat_bands(film) == (0.1, 0.05, 0.0, 0.1)


def test_a_shutter_of_one_value_across_padding_of_another_finds_both():
    film = textured()
    film[:, :16] = 0.05  # padding beside the chest
    film[:12] = 1.0  # a white shutter across the top, padding included: those columns are not flat along the film
    assert flat_bands(film) == (0.12, 0.0, 0.2, 0.0)


def test_noise_or_a_flat_film_is_no_band():
    film = textured()
    film[:10] = 0.5 + np.random.default_rng(1).normal(0, 0.05, (10, 80))  # a noisy band: not flat
    assert flat_bands(film)[0] == 0.0
    assert flat_bands(np.full((50, 50), 0.3)) == (0.0, 0.0, 0.0, 0.0)


def chest_like(h: int = 120, w: int = 100, sigma: float = 0.01) -> np.ndarray:
    """Smooth structure over many pixels (a chest's broad shapes), with a little noise on it."""
    yy, xx = np.mgrid[:h, :w] / np.array([h, w])[:, None, None]
    noise = np.random.default_rng(2).normal(0, sigma, (h, w))
    return 0.5 + 0.2 * np.sin(6 * xx + 1) * np.cos(5 * yy + 1) + 0.1 * xx + noise


def test_a_noisy_shutter_counts_when_noise_alone_explains_its_spread():
    film = chest_like()
    film[:15] = 0.9 + np.random.default_rng(3).normal(0, 0.015, (15, 100))  # detector noise on a white shutter
    assert flat_bands(film) == (0.0, 0.0, 0.0, 0.0)  # round 71's rule: too noisy to be flat
    assert flat_bands(film, noise_aware=True) == (0.125, 0.0, 0.0, 0.0)  # round 72's: 15 of 120 rows


def test_noise_aware_rows_across_structure_stay_unflat():
    film = chest_like(sigma=0.02)
    assert not flat_lines(film).any() and not flat_lines(film, noise_aware=True).any()
    assert flat_bands(film, noise_aware=True) == (0.0, 0.0, 0.0, 0.0)  # no band in from any edge
    strong = np.full((4, 100), 0.5) + np.random.default_rng(4).normal(0, 0.08, (4, 100))  # noise, but too much of it
    assert not flat_lines(strong, noise_aware=True).any()


def test_a_band_goes_on_over_a_label_burned_into_it():
    film = chest_like(200, 160, sigma=0.02)
    film[:20] = 1.0  # a white shutter over the top 20 rows ...
    film[5:12, 30:60] = 0.1  # ... with a dark label in it from row 5
    assert flat_bands(film) == (0.025, 0.0, 0.0, 0.0)  # round 71's rule stops at the label
    assert flat_bands(film, labels=True) == (0.1, 0.0, 0.0, 0.0)  # round 74's goes on to the shutter's edge


def test_a_label_band_never_starts_a_band_nor_runs_into_the_chest():
    film = chest_like(200, 160, sigma=0.02)
    film[0:8, 30:60] = 0.1  # a label at the very edge: no flat row before it, so no band
    film[:8, :30] = film[:8, 60:] = 1.0
    assert flat_bands(film, labels=True)[0] == 0.0
    film = chest_like(200, 160, sigma=0.02)
    film[:10] = 0.0  # black padding over rows whose chest part is narrow: the band stops where the chest starts
    assert flat_bands(film, labels=True) == (0.05, 0.0, 0.0, 0.0)


def test_outside_bands_scales_the_shares_to_the_masks_size():
    mask = np.ones((200, 160), bool)
    out = outside_bands(mask, (0.1, 0.0, 0.0, 0.25))
    assert not out[:20].any() and out[20:, :120].all() and not out[:, 120:].any()
    assert outside_bands(np.zeros((4, 4), bool) | (np.arange(4) == 0)[:, None], (0.25, 0, 0, 0)) is None


class Taller:
    """A model-free shape model taking the film: the two lungs of :func:`test_shape_apart.found` reaching 12 rows
    higher (rows 4-47), whatever it is given."""

    size = 32
    channels = 2

    def __call__(self, x: np.ndarray) -> np.ndarray:
        whole = np.zeros((64, 64), bool)
        whole[4:48] = found()[16:17].repeat(44, axis=0) > 0
        return np.where(shape_input(whole, self.size) > 0, 10.0, -10.0).astype(np.float32)


def test_no_lung_is_grown_into_a_shutter_band_but_is_below_it():
    labels = found()
    film = textured(32, 32)
    film[:4] = 0.0  # a shutter over the top 8 of 64 rows
    kw = {"min_width": 0, "image": film, "remove_below": 0.0}
    free = complete_shape(labels, None, Taller(), 0.5, shutter_bands=False, **kw)
    assert free[4:16, 20:28].all()  # the apices grown to row 4
    banded = complete_shape(labels, None, Taller(), 0.5, shutter_bands=True, **kw)
    assert not banded[:8].any() and banded[8:16, 20:28].all()  # not into the band, up to it
