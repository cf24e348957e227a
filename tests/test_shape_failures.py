"""Round 39's pieces: a judging key read back as settings, the sick adult films' share of the draws, and the dense
disease drawn on a film (``benchmarks/shape_failures.py``, ``shape_model.pick``, ``adult_failures.dense``)."""

import sys

import numpy as np
import pytest

from lungseg.inference import shape_completion

from .test_docs_figures import BENCH


def bench(name: str):
    sys.path.insert(0, str(BENCH))
    return __import__(name)


def test_the_shipped_settings_key_reads_back_as_the_shipped_constants():
    s = bench("shape_failures").setting("t0.5_g0.02_f0.0_nh_r0.5_rw1")
    assert s == {"threshold": shape_completion.THRESHOLD, "gain": shape_completion.MIN_GAIN,
                 "floor": shape_completion.FLOOR, "width": shape_completion.MIN_WIDTH,
                 "removal": (shape_completion.REMOVE_BELOW, shape_completion.REMOVE_WIDTH),
                 "heart_blocks": shape_completion.HEART_BLOCKS}  # fmt: skip


def test_a_growth_only_key_takes_nothing_away_and_keeps_the_heart_block():
    s = bench("shape_failures").setting("t0.7_g0.0_f0.2_w2")
    assert s["removal"][0] == 0.0 and s["heart_blocks"] and s["width"] == 2 and s["threshold"] == 0.7


def test_a_bad_key_names_the_form_to_give():
    with pytest.raises(ValueError, match=r"t0\.5_g0\.02"):
        bench("shape_failures").setting("threshold=0.5")


def test_without_sick_films_the_draws_are_those_before_round_39():
    sm = bench("shape_model")
    old = np.random.default_rng(5)
    expected = [int(100 + old.integers(50) if old.random() < sm.CHILDREN else old.integers(100)) for _ in range(200)]
    rng = np.random.default_rng(5)
    assert [sm.pick(rng, 100, 150) for _ in range(200)] == expected


def test_sick_films_take_their_share_of_the_adult_draws_and_children_keep_theirs():
    sm = bench("shape_model")
    rng = np.random.default_rng(0)
    draws = np.array([sm.pick(rng, 100, 250, sick=50) for _ in range(20000)])  # adults 0-99, sick 100-149
    children, sick = (draws >= 150).mean(), ((draws >= 100) & (draws < 150)).mean()
    assert draws.min() >= 0 and draws.max() < 250
    assert children == pytest.approx(sm.CHILDREN, abs=0.015)
    assert sick == pytest.approx((1 - sm.CHILDREN) * sm.ADULT_FAILURES, abs=0.015)


def test_dense_disease_darkens_nothing_and_whitens_inside_the_lung():
    dense = bench("adult_failures").dense
    mask = np.zeros((128, 128), bool)
    mask[30:100, 15:55] = mask[30:100, 73:113] = True
    image = np.where(mask, 0.2, 0.7).astype(np.float32)  # dark lungs in a soft-tissue body
    for seed in range(6):
        sick = dense(image, mask, np.random.default_rng(seed))
        assert sick.shape == image.shape and (sick >= image - 1e-6).all() and sick.max() <= 1
        assert sick[mask].mean() > image[mask].mean() + 0.02  # opacity drawn in the lungs


def test_sick_films_go_between_the_adults_and_the_children_with_their_sources_masks():
    after_adults = bench("adult_failures").after_adults
    films = np.arange(5, dtype=np.float32)[:, None, None] * np.ones((5, 2, 2), np.float32)  # 3 adults, 2 children
    masks = films > 0
    cares = np.zeros((5, 2, 2), bool)
    kid_founds = np.full((1, 2, 2, 2), 7.0)
    sick, sources, sick_founds = np.full((2, 2, 2), 9.0, np.float32), np.array([2, 0]), np.full((1, 2, 2, 2), 8.0)
    f, m, c, fo, n = after_adults((films, masks, cares, kid_founds), 3, sick, sources, sick_founds)
    assert n == 2 and f[:, 0, 0].tolist() == [0, 1, 2, 9, 9, 3, 4]
    assert m[:, 0, 0].tolist() == [False, True, True, True, False, True, True]  # sick films take their sources' masks
    assert c[:, 0, 0].tolist() == [False] * 3 + [True] * 2 + [False] * 2  # the sick films' loss counts everywhere
    assert fo[0, :, 0, 0].tolist() == [8, 8, 7, 7]  # founds indexed from the first film after the adults
