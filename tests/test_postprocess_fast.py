"""The cropped, lazily-labelled clean-up gives the whole-image answer; the palette overlay draws what it says."""

import numpy as np
import pytest
from PIL import Image

from lungseg.inference.postprocess import (
    LEFT_LUNG,
    RIGHT_LUNG,
    bounding_box,
    clean_lung_labels,
    heart_postprocess,
    lung_labels,
    postprocess,
)
from lungseg.inference.render import LABEL_COLOURS, OUTLINE, PALETTE, overlay, overlay_image


def two_lungs(shape=(96, 96), offset=(0, 0)) -> np.ndarray:
    """Two lungs with a hole each, plus 30 one-pixel specks, placed at ``offset``."""
    mask = np.zeros(shape, bool)
    y, x = offset
    mask[y + 10 : y + 60, x + 8 : x + 30] = True
    mask[y + 12 : y + 62, x + 50 : x + 70] = True
    mask[y + 30, x + 15] = mask[y + 35, x + 60] = False  # holes
    rng = np.random.default_rng(0)
    for r, c in rng.integers(0, min(shape), (30, 2)):
        if not mask[max(r - 1, 0) : r + 2, max(c - 1, 0) : c + 2].any():
            mask[r, c] = True
    return mask


def test_bounding_box_with_margin_is_clipped_to_the_image():
    mask = np.zeros((20, 30), bool)
    mask[5:8, 2:25] = True
    assert bounding_box(mask, 3) == (slice(2, 11), slice(0, 28))
    assert bounding_box(np.zeros((4, 4), bool), 3) == (slice(0, 0), slice(0, 0))


@pytest.mark.parametrize("smooth", [0.0, 0.02])
def test_clean_up_does_not_depend_on_where_the_lungs_are(smooth):
    """The crop makes no difference: the same lungs further inside a larger image give the same labels."""
    small = clean_lung_labels(two_lungs(), smooth)
    big_mask = np.zeros((200, 200), bool)
    big_mask[50:146, 60:156] = two_lungs() & (clean_lung_labels(two_lungs(), 0) > 0)  # the specks would move
    big = clean_lung_labels(big_mask, smooth * 96 / 200)  # the same sigma in pixels
    assert (big[50:146, 60:156] == small).all() and big.sum() == small.sum()


def test_clean_labels_two_hole_free_lungs_on_their_sides():
    labels = clean_lung_labels(two_lungs())
    assert set(np.unique(labels)) == {0, RIGHT_LUNG, LEFT_LUNG}
    assert labels[30, 15] == RIGHT_LUNG and labels[35, 60] == LEFT_LUNG  # holes filled, sides kept
    assert (labels == RIGHT_LUNG).sum() == 50 * 22 and (labels == LEFT_LUNG).sum() == 50 * 20  # specks gone
    assert (postprocess(two_lungs()) == (labels > 0)).all()
    assert (lung_labels(labels > 0) == labels).all()


def test_smoothed_lungs_that_touch_keep_their_own_labels():
    mask = np.zeros((80, 80), bool)
    mask[10:70, 10:39] = True
    mask[10:70, 41:70] = True  # two lungs two pixels apart: smoothing may join their outlines
    labels = clean_lung_labels(mask, 0.05)
    assert (labels[:, :38] != LEFT_LUNG).all() and (labels[:, 42:] != RIGHT_LUNG).all()


def test_heart_keeps_the_largest_piece_without_holes():
    mask = np.zeros((64, 64), bool)
    mask[20:50, 20:44] = True
    mask[30, 30] = False
    mask[2:4, 2:4] = True
    out = heart_postprocess(mask)
    assert out.sum() == 30 * 24 and out[30, 30] and not out[2, 2]


def test_palette_overlay_tints_outlines_and_saves_as_that_rgb(tmp_path):
    image = np.full((64, 64), 0.5, np.float32)
    labels = np.zeros((64, 64), np.uint8)
    labels[10:40, 5:25], labels[10:40, 35:60] = 1, 2
    rgb = overlay(image, labels)
    assert np.abs(rgb[0, 0].astype(int) - 128).max() <= 1 and len(set(rgb[0, 0])) == 1  # gray, to the palette step
    assert tuple(rgb[10, 10]) == OUTLINE and tuple(rgb[39, 40]) == OUTLINE
    for value, colour in ((v, LABEL_COLOURS[v]) for v in (1, 2)):
        inside = rgb[25, 15 if value == 1 else 45].astype(float)
        assert np.abs(inside - (0.65 * 127.5 + 0.35 * np.array(colour))).max() <= 4
    overlay_image(image, labels).save(tmp_path / "o.png")
    assert (np.asarray(Image.open(tmp_path / "o.png").convert("RGB")) == rgb).all()
    assert PALETTE.shape == (256, 3)


def test_upsampling_only_the_box_matches_the_whole_image_resize():
    from lungseg.inference.preprocess import resize_mask, upsample_mask

    yy, xx = np.mgrid[:100, :120]
    for centre, radius in (((40, 30), 18), ((70, 100), 25), ((0, 0), 30)):  # inside, at an edge, in a corner
        disc = (yy - centre[0]) ** 2 + (xx - centre[1]) ** 2 < radius**2
        fast, whole = upsample_mask(disc, 433, 517), resize_mask(disc, 433, 517)
        assert (fast != whole).sum() <= 0.002 * whole.sum()  # only where the indicator is 0.5 to rounding
        assert fast.sum() == pytest.approx(disc.mean() * 433 * 517, rel=0.02)
    assert not upsample_mask(np.zeros((10, 10), bool), 40, 40).any()


def test_a_slab_beside_the_chest_larger_than_either_lung_does_not_displace_one():
    """Round 46: padding taken for lung on a flat portable film, larger than each lung but spanning other rows; the
    largest-first rule kept it with the nearer lung and dropped the other lung."""
    mask = np.zeros((120, 140), bool)
    mask[10:60, 50:72] = True  # image-left lung, 1,100 px
    mask[12:62, 85:107] = True  # image-right lung, 1,100 px
    mask[45:115, 5:30] = True  # slab in the padding, 1,750 px, rows 45-114
    labels = clean_lung_labels(mask)
    assert (labels[10:60, 50:72] == RIGHT_LUNG).all() and (labels[12:62, 85:107] == LEFT_LUNG).all()
    assert not labels[45:115, 5:30].any()


def test_two_specks_beside_a_merged_blob_are_not_taken_for_the_lungs():
    """A pair without the largest piece must outweigh it: a merged blob of both lungs is cut at its waist, not
    dropped for two small side-by-side pieces."""
    mask = np.zeros((120, 140), bool)
    mask[10:70, 20:60] = mask[10:70, 80:120] = True
    mask[50:70, 60:80] = True  # the two lungs joined low down: a waist at rows 10-49
    mask[90:96, 2:8] = mask[90:96, 130:136] = True  # two specks side by side, 72 px together
    labels = clean_lung_labels(mask)
    assert not labels[90:96].any()
    assert (labels[20:40, 20:60] == RIGHT_LUNG).all() and (labels[20:40, 80:120] == LEFT_LUNG).all()
