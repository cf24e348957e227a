"""Round 54: with both lungs found, the shape model grows no piece apart from them (a piece grown on the dark
field beside the body displaced a lung found); with a lung lost whole, growth apart from them still puts it back."""

from __future__ import annotations

import numpy as np

from lungseg.inference.postprocess import LEFT_LUNG, RIGHT_LUNG
from lungseg.inference.shape_completion import attached_growth, complete_shape, shape_input, two_lungs_found


def found(size: int = 64) -> np.ndarray:
    """Two narrow lungs, rows 16-47: image left columns 20-27, image right 36-43 (256 pixels each)."""
    labels = np.zeros((size, size), np.uint8)
    labels[16:48, 20:28] = RIGHT_LUNG
    labels[16:48, 36:44] = LEFT_LUNG
    return labels


class Painted:
    """A model-free shape model: the lungs of :func:`found` with ``extra`` (row and column slices) added as whole
    lung, whatever it is given."""

    size = 32

    def __init__(self, *extra: tuple[slice, slice]) -> None:
        self.whole = found() > 0
        for rows, cols in extra:
            self.whole[rows, cols] = True

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return np.where(shape_input(self.whole, self.size) > 0, 10.0, -10.0).astype(np.float32)


def Both() -> Painted:
    """The two lungs of :func:`found`."""
    return Painted()


def WithStray() -> Painted:
    """Both lungs where they were found, and a larger piece (rows 8-59, columns 0-11) on the field beside the body,
    apart from them."""
    return Painted((slice(8, 60), slice(0, 12)))


def Joined() -> Painted:
    """The two lungs of :func:`found` and the mediastinum between them, one block with no waist to cut it at
    (:func:`postprocess.lung_sides` keeps it whole, as one lung)."""
    return Painted((slice(16, 48), slice(20, 44)))


def test_two_lungs_found_needs_two_comparable_lungs_covering_enough_of_the_image():
    assert two_lungs_found(found())
    sliver = found()
    sliver[16:48, 36:43] = 0  # the image-right lung down to a 1-column sliver: 32 < 0.25 x 256
    assert not two_lungs_found(sliver)
    big = np.zeros((256, 256), np.uint8)
    big[:64, :64] = found()  # the same lungs on a film 16x the area: 0.8% of it, under 2% (BOUND_COVER)
    assert not two_lungs_found(big)
    small_chest = np.zeros((128, 128), np.uint8)
    small_chest[64:, 64:] = found()  # 3.1%: a chest small in a corner of its film (round 60; 5% before it)
    assert two_lungs_found(small_chest)


def test_with_both_lungs_found_a_stray_piece_no_longer_displaces_one():
    labels = found()
    free = complete_shape(labels, None, WithStray(), 0.5, min_width=0, apart_when_paired=False)
    assert free[8:60, 0:12].any() and not (free[labels > 0] > 0).all()  # without the guard: a lung found is lost
    guarded = complete_shape(labels, None, WithStray(), 0.5, min_width=0, apart_when_paired=True)
    np.testing.assert_array_equal(guarded, labels)


def test_a_lung_lost_whole_is_still_put_back_apart_from_the_one_found():
    labels = found()
    labels[labels == RIGHT_LUNG] = 0  # one lung found: the guard does not apply
    out = complete_shape(labels, None, Both(), 0.5, min_width=0, apart_when_paired=True)
    assert (out[16:48, 36:44] == LEFT_LUNG).all()
    assert (out[16:48, 20:28] == RIGHT_LUNG).mean() > 0.9  # the lost lung, apart from the one found, comes back


def edge_piece_taken_for_a_lung(size: int = 64) -> np.ndarray:
    """Round 55's failure: the image-right lung lost, and a piece at a shutter's edge (columns 58-63, 192 pixels) found
    as that lung instead; both "lungs" found pass :func:`two_lungs_found`."""
    labels = found(size)
    labels[labels == LEFT_LUNG] = 0
    labels[16:48, 58:64] = LEFT_LUNG
    return labels


def test_the_real_lung_grown_between_a_lung_and_an_edge_piece_is_kept_when_only_lateral_pieces_drop():
    labels = edge_piece_taken_for_a_lung()
    assert two_lungs_found(labels)
    strict = complete_shape(labels, None, Both(), 0.5, min_width=0, apart_when_paired=True, apart_lateral=False)
    assert not strict[16:48, 36:44].any()  # round 54: apart from the lungs found, so dropped
    lateral = complete_shape(labels, None, Both(), 0.5, min_width=0, apart_when_paired=True, apart_lateral=True)
    assert (lateral[16:48, 36:44] > 0).mean() > 0.9  # its centre lies between the two: kept
    assert (lateral[16:48, 20:28] == RIGHT_LUNG).all()


def test_a_stray_piece_outside_the_lungs_columns_is_still_dropped_when_only_lateral_pieces_drop():
    labels = found()
    out = complete_shape(labels, None, WithStray(), 0.5, min_width=0, apart_when_paired=True, apart_lateral=True)
    np.testing.assert_array_equal(out, labels)


def test_within_columns_keeps_the_pieces_apart_whose_mean_column_lies_between_the_lungs_outer_columns():
    lungs = np.zeros((40, 60), bool)
    lungs[10:30, 10:20] = lungs[10:30, 40:50] = True  # the lungs span columns 10-49
    added = np.zeros_like(lungs)
    added[2:5, 25:35] = True  # apart, mean column 29.5: kept
    added[35:38, 5:12] = True  # apart, mean column 8: dropped although it reaches column 11
    added[35:38, 44:56] = True  # apart, mean column 49.5: dropped (past the last lung column, 49)
    added[30:33, 12:15] = True  # touches a lung: kept
    out = attached_growth(added, lungs, one_lung=False, within_columns=True)
    np.testing.assert_array_equal(out, added & ~(np.arange(40)[:, None] >= 35))
    strict = attached_growth(added, lungs, one_lung=False)
    np.testing.assert_array_equal(strict, added & (np.arange(40)[:, None] >= 30) & (np.arange(40)[:, None] < 33))


def test_a_completion_that_joins_two_lungs_found_into_one_is_not_used_with_keep_pair():
    labels = found()
    joined = complete_shape(labels, None, Joined(), 0.5, min_width=0, keep_pair=False)
    assert len(set(np.unique(joined).tolist()) - {0}) == 1 and joined[16:48, 28:36].all()  # one lung over both
    np.testing.assert_array_equal(complete_shape(labels, None, Joined(), 0.5, min_width=0, keep_pair=True), labels)
    single = labels.copy()
    single[single == LEFT_LUNG] = 0  # one lung found: the guard does not apply, growth as before
    grown = complete_shape(single, None, Joined(), 0.5, min_width=0, keep_pair=True)
    assert (grown > 0).sum() > (single > 0).sum()
