"""Taking away what is not lung: the shape model's training pairs with a gastric bubble or the mediastinum taken
for lung (``add_extra``), and :func:`complete_shape` taking such pieces away, with a model-free shape model."""

import numpy as np

from lungseg.inference.postprocess import LEFT_LUNG, RIGHT_LUNG
from lungseg.inference.shape_completion import complete_shape
from lungseg.training.pathology import base_line, bubble_region, gastric_bubble
from lungseg.training.shape_masks import LARGE_BUBBLES, add_extra, bridge_lungs

from .test_shape_completion import Whole, pair  # two lungs, and a model-free shape model that returns them


def test_a_bubble_taken_for_lung_is_taken_away_unless_turned_off():
    labels = pair()
    labels[56:64, 42:54] = LEFT_LUNG  # the lung run on below its base into a bubble, 8 rows deep
    taken = complete_shape(labels, None, Whole(), remove_below=0.1, remove_width=1)
    np.testing.assert_array_equal(taken[:56], pair()[:56])  # the lungs kept as they were
    assert not taken[57:].any() and taken[56].sum() <= 12 * LEFT_LUNG  # gone, but for a rim under the shape
    # model's resampled outline (half of one of its pixels)
    np.testing.assert_array_equal(complete_shape(labels, None, Whole(), remove_below=0.0), labels)  # 0: never


def test_a_thin_rim_is_left_and_a_wide_piece_needs_a_wide_enough_setting():
    labels = pair()
    labels[56:58, 40:56] = LEFT_LUNG  # a 2-row rim: one pixel at the shape model's side
    np.testing.assert_array_equal(complete_shape(labels, None, Whole(), remove_below=0.1, remove_width=1), labels)
    labels = pair()
    labels[56:64, 42:54] = LEFT_LUNG  # 4 x 6 pixels at its side: too narrow for a width of 3 (7 wide)
    np.testing.assert_array_equal(complete_shape(labels, None, Whole(), remove_below=0.1, remove_width=3), labels)


def test_two_lungs_joined_across_the_mediastinum_are_parted():
    blob = pair() > 0
    blob[20:40, 24:40] = True  # one blob: both lungs and the mediastinum between them
    labels = blob.astype(np.uint8) * RIGHT_LUNG
    out = complete_shape(labels, None, Whole(), remove_below=0.1, remove_width=1)
    np.testing.assert_array_equal(out[:, 25:39], 0)  # the mediastinum taken away (but for a one-pixel rim)
    np.testing.assert_array_equal(out[:, :24], pair()[:, :24])  # two lungs again, each with its own label
    np.testing.assert_array_equal(out[:, 40:], pair()[:, 40:])


def test_bridge_lungs_joins_them_between_their_inner_edges_only():
    mask = pair() > 0
    for seed in range(10):
        out = bridge_lungs(mask, np.random.default_rng(seed))
        added = out & ~mask
        assert added.any() and (out & mask).sum() == mask.sum()  # nothing lost
        cols, rows = np.nonzero(added.any(axis=0))[0], np.nonzero(added.any(axis=1))[0]
        assert cols.min() == 24 and cols.max() == 39 and rows.min() >= 8 and rows.max() <= 55
        assert len(rows) >= 0.15 * (55 - rows.min()) - 1
    one = pair() == LEFT_LUNG
    np.testing.assert_array_equal(bridge_lungs(one, np.random.default_rng(0)), one)


def test_add_extra_adds_below_a_base_or_between_the_lungs_and_only_darkens_the_film():
    whole = pair(128).repeat(2, 0)[:128] > 0  # taller lungs: rows 16-111
    film = np.where(whole, 0.2, 0.7).astype(np.float32)
    kinds = set()
    for seed in range(20):
        out_film, kept = add_extra(film, whole, whole, np.random.default_rng(seed))
        added = kept & ~whole
        assert (kept & whole).sum() == whole.sum() and (out_film <= film + 1e-6).all()
        if (out_film < film - 0.05).any():  # a bubble: dark below the lungs, the mask run down into it
            kinds.add("bubble")
            assert np.nonzero(added.any(axis=1))[0].min() > 111
        elif added.any():
            kinds.add("bridge")
            assert np.nonzero(added.any(axis=0))[0].min() == 24
    assert kinds == {"bubble", "bridge"}


def test_bubble_region_is_the_painted_bubble_and_its_reach_starts_at_the_base():
    whole = pair(128) > 0
    image = np.where(whole, 0.2, 0.7).astype(np.float32)
    for seed in range(5):
        region, reach, lung = bubble_region(whole, np.random.default_rng(seed))
        painted = gastric_bubble(image, whole, np.random.default_rng(seed))
        assert region.any() and not (region & ~reach).any() and not (reach & whole).any()
        assert (painted[region] < 0.6).mean() > 0.5 and np.allclose(painted[~reach & ~whole], 0.7, atol=0.2)
        cols = np.nonzero(reach.any(axis=0))[0]
        assert all(np.nonzero(reach[:, c])[0].min() == base_line(lung)[c] + 1 for c in cols if base_line(lung)[c] >= 0)


def test_large_bubbles_are_wider_and_deeper_and_can_touch_the_base():
    whole = pair(128).repeat(2, 0)[:128] > 0  # taller lungs: rows 16-111
    sizes = {}
    for large in (False, True):
        depths, widths, gaps = [], [], []
        for seed in range(40):
            drawn = bubble_region(whole, np.random.default_rng(seed), **(LARGE_BUBBLES if large else {}))
            region = drawn[0]
            rows, cols = np.nonzero(region.any(axis=1))[0], np.nonzero(region.any(axis=0))[0]
            depths.append(len(rows)), widths.append(len(cols)), gaps.append(rows.min() - 112)
        sizes[large] = (np.mean(depths), np.mean(widths), min(gaps))
    assert sizes[True][0] > sizes[False][0] and sizes[True][1] > sizes[False][1]
    assert sizes[False][2] >= 1 and sizes[True][2] == 0  # only the large draws ever touch the base (no diaphragm)
    film = np.where(whole, 0.2, 0.7).astype(np.float32)
    for seed in range(5):  # large=False is the draw rounds 32-33 trained on
        a = add_extra(film, whole, whole, np.random.default_rng(seed))
        b = add_extra(film, whole, whole, np.random.default_rng(seed), large=False)
        np.testing.assert_array_equal(a[0], b[0]), np.testing.assert_array_equal(a[1], b[1])
