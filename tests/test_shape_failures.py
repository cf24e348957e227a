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
    s = bench("shape_failures").setting("t0.5_g0.02_f0.0_nh_r0.5_rw1_apl_kp")  # round 58: _apl_kp ships
    assert s == {"threshold": shape_completion.THRESHOLD, "gain": shape_completion.MIN_GAIN,
                 "floor": shape_completion.FLOOR, "width": shape_completion.MIN_WIDTH,
                 "removal": (shape_completion.REMOVE_BELOW, shape_completion.REMOVE_WIDTH),
                 "heart_blocks": shape_completion.HEART_BLOCKS, "attached": shape_completion.ATTACHED,
                 "lateral": shape_completion.LATERAL, "mirror_margin": shape_completion.MIRROR_MARGIN,
                 "min_kept": shape_completion.MIN_KEPT,
                 "apart_when_paired": shape_completion.APART_WHEN_PAIRED,
                 "apart_lateral": shape_completion.APART_LATERAL,
                 "shutter_bands": shape_completion.SHUTTER_BANDS,
                 "keep_pair": shape_completion.KEEP_PAIR}  # fmt: skip
    round55 = bench("shape_failures").setting("t0.5_g0.02_f0.0_nh_r0.5_rw1_apl")
    assert round55 == {**s, "keep_pair": False}
    assert bench("shape_failures").setting("t0.5_g0.02_f0.0_nh_r0.5_rw1_apl_sb_kp") == {**s, "shutter_bands": True}
    round54 = bench("shape_failures").setting("t0.5_g0.02_f0.0_nh_r0.5_rw1_ap")
    assert round54 == {**round55, "apart_lateral": False}
    before = bench("shape_failures").setting("t0.5_g0.02_f0.0_nh_r0.5_rw1")  # rounds 41-53's shipped setting
    assert before == {**round55, "apart_when_paired": False, "apart_lateral": False}
    s = before
    assert bench("shape_failures").setting("t0.5_g0.02_f0.0_nh_r0.5_rw1_att") == {**s, "attached": True}
    assert bench("shape_failures").setting("t0.5_g0.02_f0.0_nh_r0.5_rw1_lat") == {**s, "lateral": True}
    assert bench("shape_failures").setting("t0.5_g0.02_f0.0_nh_r0.5_rw1_mb0.15") == {**s, "mirror_margin": 0.15}
    assert bench("shape_failures").setting("t0.5_g0.02_f0.0_nh_r0.5_rw1_k0.75") == {**s, "min_kept": 0.75}


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


def _chest(size: int = 128) -> tuple[np.ndarray, np.ndarray]:
    mask = np.zeros((size, size), bool)
    mask[30:100, 15:55] = mask[30:100, 73:113] = True
    return np.where(mask, 0.2, 0.7).astype(np.float32), mask  # dark lungs in a soft-tissue body


def test_a_sick_copy_without_the_portable_look_is_round_39s_draw():
    af = bench("adult_failures")
    image, mask = _chest()
    for seed in [(0, 0), (3, 1)]:
        film, lung = af.sick_copy(image, mask, seed, portable=False)
        assert np.array_equal(film, af.dense(image, mask, np.random.default_rng([39, *seed])))
        assert lung is mask


def test_a_portable_sick_copy_moves_its_mask_with_the_film():
    af = bench("adult_failures")
    image, mask = _chest()
    moved = 0
    for i in range(12):
        film, lung = af.sick_copy(image, mask, (i, 0), portable=True)
        assert film.shape == image.shape and film.min() >= 0 and film.max() <= 1
        assert lung.sum() <= mask.sum() * 1.01  # squashed or framed smaller, never larger
        moved += not np.array_equal(lung, mask)  # (squash moves masks with films: test_augment)
    assert 2 <= moved <= 10  # squash 0.35, off-centre 0.25: about half move


def test_the_portable_kind_moves_the_reference_with_the_film():
    kinds = bench("pathology_kinds")
    image, mask = _chest()
    for i in range(3):  # mass, nodules, lobar in turn: none covers a whole lung, so lung stays darker than body
        film, ref = kinds.portable(image, mask, i)
        again, ref2 = kinds.portable(image, mask, i)
        assert np.array_equal(film, again) and np.array_equal(ref, ref2)  # fixed seeds
        assert not np.array_equal(ref, mask)  # always squashed or off-centre
        dark = film < np.median(film)
        assert (dark & ref).sum() / ref.sum() > (dark & mask).sum() / mask.sum()  # the moved reference fits better


def test_portable_sick_films_take_their_own_masks():
    after_adults = bench("adult_failures").after_adults
    films = np.zeros((4, 2, 2), np.float32)
    masks = np.zeros((4, 2, 2), bool)  # 2 adults, 2 children, no lung
    own = np.ones((1, 2, 2), bool)
    _, m, _, _, n = after_adults((films, masks, masks.copy(), np.zeros((1, 2, 2, 2))), 2, np.ones((1, 2, 2)),
                                 np.array([0]), np.zeros((1, 1, 2, 2)), own)  # fmt: skip
    assert n == 1 and m[:, 0, 0].tolist() == [False, False, True, False, False]
