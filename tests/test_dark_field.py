"""Round 59: a large dark field around the chest, with noise, made flat before histogram equalisation."""

from __future__ import annotations

import numpy as np
import pytest

import lungseg.inference.dark_field as dark_field_module
from lungseg.inference.dark_field import dark_field, fold_dark_field
from lungseg.inference.preprocess import equalize_histogram


def chest(size: int = 64) -> np.ndarray:
    """A body (0.7) with two dark lungs (0.25) inside, filling the whole film."""
    film = np.full((size, size), 0.7, np.float32)
    q = size // 8
    film[2 * q : 6 * q, q : 3 * q] = 0.25
    film[2 * q : 6 * q, 5 * q : 7 * q] = 0.25
    return film


def in_corner(noise: float, side: int = 128) -> tuple[np.ndarray, np.ndarray]:
    """(film, its field): the chest in the top-left 64 px of a black ``side`` px film, noise clipped at black."""
    film = np.zeros((side, side), np.float32)
    film[:64, :64] = chest()
    film = np.clip(film + np.random.default_rng(1).normal(0, noise, film.shape), 0, 1).astype(np.float32)
    field = np.ones((side, side), bool)
    field[:64, :64] = False
    return film, field


def test_the_black_field_around_a_chest_is_found_and_the_dark_lungs_are_not():
    film, field = in_corner(0.01)
    found = dark_field(film)
    assert found is not None
    assert (found == field).mean() > 0.99  # the blocks along the body's edge may go either way
    lungs = chest() < 0.5
    assert not found[:64, :64][lungs].any()  # dark, but inside the body: not connected to the border


def test_a_film_filled_by_the_chest_has_no_field():
    assert dark_field(chest(128)) is None


def test_a_field_under_a_fifth_of_the_film_is_left_alone():
    film = chest(100)
    film[:, :15] = 0.0  # 15% of the columns
    assert dark_field(film) is None
    film[:, :25] = 0.0
    assert dark_field(film) is not None


def test_fold_leaves_the_film_alone_when_switched_off_or_without_a_field(monkeypatch):
    film, _ = in_corner(0.01)
    assert fold_dark_field(film) is not film
    monkeypatch.setattr(dark_field_module, "FOLD", False)
    assert fold_dark_field(film) is film
    monkeypatch.setattr(dark_field_module, "FOLD", True)
    full = chest(128)
    assert fold_dark_field(full) is full


def test_equalising_a_noisy_field_spreads_it_over_the_range_unless_folded(monkeypatch):
    film, field = in_corner(0.01)
    monkeypatch.setattr(dark_field_module, "FOLD", False)
    spread = equalize_histogram(film)
    assert spread[field].max() > 0.5 and spread[field].mean() > 0.1  # sigma 0.01 of noise became grey speckle
    monkeypatch.setattr(dark_field_module, "FOLD", True)
    folded = equalize_histogram(film)
    inner = field.copy()
    inner[:68, :68] = False  # away from the blocks along the body's edge
    assert folded[inner].max() == 0.0
    lungs = np.zeros_like(field)
    lungs[:64, :64] = chest() < 0.5
    assert folded[lungs].mean() < folded[~field & ~lungs].mean()  # the lungs stay darker than the body


def test_a_flat_field_equalises_the_same_folded_or_not(monkeypatch):
    film, _ = in_corner(0.0)
    monkeypatch.setattr(dark_field_module, "FOLD", False)
    before = equalize_histogram(film)
    monkeypatch.setattr(dark_field_module, "FOLD", True)
    np.testing.assert_array_equal(equalize_histogram(film), before)


@pytest.mark.parametrize("shape", [(4, 100), (100, 7)])
def test_a_film_too_small_for_two_blocks_has_no_field(shape):
    assert dark_field(np.zeros(shape, np.float32)) is None


def test_a_flat_films_lungs_stay_out_of_its_field():
    """A flat portable film (range 0.25-0.30): every block lies within 0.05 of the darkest, but the lungs sit a third
    of the film's own spread above its dark field (round 59's first try, on an absolute margin, wiped such lungs)."""
    film = np.full((128, 128), 0.25, np.float32)  # the field: the left quarter
    film[:, 32:] = 0.25 + 0.07 * chest(128)[:, 16:112]  # lungs 0.2675 at columns 32-48 and 96-112, body 0.299
    film = film + np.random.default_rng(2).normal(0, 0.002, film.shape).astype(np.float32)
    found = dark_field(film)
    assert found is not None
    assert found[:, :28].all() and not found[:, 36:].any()
    lungs = np.zeros_like(found)
    lungs[:, 32:] = chest(128)[:, 16:112] < 0.5
    assert not (found & lungs).any()

def test_a_field_over_most_of_the_film_is_no_field():
    film = np.zeros((100, 100), np.float32)
    film[40:55, 40:55] = chest(15)  # 2% of the film holds anything
    assert dark_field(film) is None


def test_a_white_noisy_field_is_made_flat_only_with_bright_on(monkeypatch):
    """The corner film turned over (round 61: how the polarity veto sees a small chest in a noisy black field)."""
    film, field = in_corner(0.01)
    turned = (1.0 - film).astype(np.float32)
    assert fold_dark_field(turned) is turned  # no dark field in it, and BRIGHT is off by default
    spread = equalize_histogram(turned)
    monkeypatch.setattr(dark_field_module, "BRIGHT", True)
    folded = fold_dark_field(turned)
    inner = field.copy()
    inner[:68, :68] = False
    assert (folded[inner] == turned.max()).all()
    assert spread[inner].min() < 0.6 and (equalize_histogram(turned)[inner] == 1.0).all()


def test_the_share_limit_is_read_when_called(monkeypatch):
    """A chest in the corner of a field covering 0.836 of the film (round 63 judged a limit of 0.9 there)."""
    film = np.zeros((128, 128), np.float32)
    film[:48, :56] = chest(128)[:48, :56] + 0.05  # the body: 48 x 56 px of 128 x 128, brighter than the field
    assert dark_field(film) is None  # shipped limit 0.8
    monkeypatch.setattr(dark_field_module, "MAX_SHARE", 0.9)
    found = dark_field(film)
    assert found is not None and abs(found.mean() - (1 - 48 * 56 / 128**2)) < 0.01
    assert dark_field(film, max_share=0.8) is None  # an explicit limit wins
