import numpy as np
import pytest
import torch
from scipy import ndimage

from lungseg.data.layouts import discover, labelled
from lungseg.training.augment import NO_AUGMENT, AugmentConfig, Augmenter, elastic_displacement, geometric, intensity
from lungseg.training.dataset import SegmentationDataset

from .conftest import ellipse_pair


def pair(size=64):
    image, mask = ellipse_pair(size)
    return image.astype(np.float32) / 255, mask > 0


def test_elastic_with_sigma_zero_is_the_identity():
    image, mask = pair()
    config = AugmentConfig(geometric=False, elastic=True, elastic_sigma=0.0, intensity=False)
    out, out_mask = geometric(image, mask, config, np.random.default_rng(0))
    np.testing.assert_allclose(out, image, atol=1e-5)
    np.testing.assert_array_equal(out_mask, mask)


def test_affine_without_motion_is_the_identity():
    image, mask = pair()
    config = AugmentConfig(rotate=0, shift=0, scale=(1, 1), elastic=False, intensity=False)
    out, out_mask = geometric(image, mask, config, np.random.default_rng(0))
    np.testing.assert_allclose(out, image, atol=1e-5)
    np.testing.assert_array_equal(out_mask, mask)


def test_displacement_spread_matches_sigma():
    rng = np.random.default_rng(0)
    nodes = []
    for _ in range(300):
        dy, dx = elastic_displacement((65, 65), grid=3, sigma=10.0, rng=rng)
        nodes += [dy[::32, ::32].ravel(), dx[::32, ::32].ravel()]  # the 3x3 lattice points
    values = np.concatenate(nodes)
    assert values.std() == pytest.approx(10.0, rel=0.05)
    assert abs(values.mean()) < 0.5
    # between nodes the cubic field is smooth: neighbouring pixels differ by far less than sigma
    dy, _ = elastic_displacement((256, 256), 3, 10.0, np.random.default_rng(1))
    assert np.abs(np.diff(dy, axis=0)).max() < 1.0


@pytest.mark.parametrize("seed", range(5))
def test_masks_stay_binary_and_move_with_the_image(seed):
    image, mask = pair(256)  # sigma 10 px is meant for the working size
    out, out_mask = Augmenter(AugmentConfig(intensity=False))(image, mask, np.random.default_rng(seed))
    assert out_mask.dtype == bool and out.shape == mask.shape
    # the bright background / dark lung contrast must still line up with the warped mask
    assert out[out_mask].mean() < out[~out_mask].mean() - 0.2
    assert 0.6 < out_mask.sum() / mask.sum() < 1.5


def test_intensity_changes_only_the_image_and_stays_in_range():
    image, mask = pair()
    out = intensity(image, AugmentConfig(), np.random.default_rng(3))
    assert out.min() >= 0 and out.max() <= 1 and not np.allclose(out, image)
    _, out_mask = Augmenter(AugmentConfig(geometric=False, elastic=False))(image, mask, np.random.default_rng(3))
    np.testing.assert_array_equal(out_mask, mask)


def test_no_vertical_flip_and_hflip_off_by_default():
    assert not AugmentConfig().hflip
    assert not any("vflip" in k or "vertical" in k for k in AugmentConfig().to_dict())
    # with everything off but hflip forced on, half the draws mirror the image left-right
    image, mask = pair()
    config = AugmentConfig(rotate=0, shift=0, scale=(1, 1), hflip=True, elastic=False, intensity=False)
    flipped = [
        np.allclose(geometric(image, mask, config, np.random.default_rng(s))[0], image[:, ::-1], atol=1e-5)
        for s in range(20)
    ]
    assert 3 < sum(flipped) < 17


def test_same_seed_same_sample_whatever_the_order(kaggle_tree):
    samples = labelled(discover(kaggle_tree)[1])[:3]
    a = SegmentationDataset(samples, 32, augment=Augmenter(AugmentConfig()), seed=7)
    b = SegmentationDataset(samples, 32, augment=Augmenter(AugmentConfig()), seed=7)
    first = [a[i]["image"] for i in (0, 1, 2)]
    second = [b[i]["image"] for i in (2, 1, 0)][::-1]
    assert all(torch.equal(x, y) for x, y in zip(first, second, strict=True))
    a.set_epoch(1)
    assert not torch.equal(a[0]["image"], first[0])
    c = SegmentationDataset(samples, 32, augment=Augmenter(AugmentConfig()), seed=8)
    assert not torch.equal(c[0]["image"], first[0])


def test_bad_ranges_are_value_errors():
    with pytest.raises(ValueError, match="elastic_grid"):
        AugmentConfig(elastic_grid=1)
    with pytest.raises(ValueError, match="scale"):
        AugmentConfig(scale=(1.2, 0.8))
    assert not (NO_AUGMENT.geometric or NO_AUGMENT.elastic or NO_AUGMENT.intensity)


def test_aspect_stretch_and_blur():
    image, mask = pair(128)
    config = AugmentConfig(rotate=0, shift=0, scale=(1, 1), aspect=0.3, elastic=False, intensity=False)
    _, out_mask = geometric(image, mask, config, np.random.default_rng(2))
    rows, cols = np.nonzero(out_mask)
    rows0, cols0 = np.nonzero(mask)
    ratio = (np.ptp(rows) / np.ptp(cols)) / (np.ptp(rows0) / np.ptp(cols0))
    assert abs(ratio - 1) > 0.05  # the mask's height/width ratio changed
    blurred = intensity(image, AugmentConfig(blur=3.0, gamma=(1, 1), contrast=0, brightness=0, noise=0),
                        np.random.default_rng(0))  # fmt: skip
    assert np.abs(np.diff(blurred, axis=1)).max() < np.abs(np.diff(image, axis=1)).max()


def test_lungs_and_heart_masks_move_together():
    """A (2, H, W) stack (lungs + heart) takes exactly the warp a single mask takes with the same draw."""
    image, mask = pair()
    heart = np.zeros_like(mask)
    heart[30:50, 20:40] = True
    cfg = AugmentConfig(rotate=15, shift=0.1)
    _, single = geometric(image, mask, cfg, np.random.default_rng(3))
    _, heart_alone = geometric(image, heart, cfg, np.random.default_rng(3))
    _, both = geometric(image, np.stack([mask, heart]), cfg, np.random.default_rng(3))
    assert both.shape == (2, *mask.shape) and (both[0] == single).all() and (both[1] == heart_alone).all()
    assert not (single == mask).all()  # it did move


def test_pathology_moves_both_masks_and_places_findings_in_the_lungs():
    from lungseg.training.pathology import PathologyConfig, simulate

    image, mask = pair()
    heart = np.zeros_like(mask)
    heart[30:50, 20:40] = True
    squash_only = PathologyConfig(enabled=True, **{k: 0.0 for k in (
        "consolidation", "ground_glass", "effusion", "whiteout", "devices", "text", "collimation",
        "low_contrast", "offcentre")}, squash=1.0)  # fmt: skip
    _, single = simulate(image, mask, np.random.default_rng(5), squash_only)
    _, both = simulate(image, np.stack([mask, heart]), np.random.default_rng(5), squash_only)
    assert (both[0] == single).all() and both[1].sum() < heart.sum()  # the heart is squashed too
    dense = PathologyConfig(enabled=True, consolidation=1.0, squash=0.0, **{k: 0.0 for k in (
        "ground_glass", "effusion", "whiteout", "devices", "text", "collimation", "low_contrast", "offcentre")})
    painted, kept = simulate(image, np.stack([mask, heart]), np.random.default_rng(5), dense)
    change = np.abs(painted - image)
    assert change[mask].mean() > 5 * change[~mask].mean() and (kept[1] == heart).all()


def test_dataset_with_hearts_gives_two_channels_and_flags(kaggle_tree):
    samples = labelled(discover(kaggle_tree)[1])[:3]
    heart = np.zeros((32, 32), bool)
    heart[10:20, 12:22] = True
    ds = SegmentationDataset(samples, 32, hearts=[heart, None, heart], weight_map=lambda m: m + 1.0)
    item = ds[0]
    assert item["mask"].shape == (2, 32, 32) and item["weight"].shape == (2, 32, 32)
    assert item["mask"][1].bool().numpy().tolist() == heart.tolist() and float(item["has_heart"]) == 1.0
    assert float(ds[1]["has_heart"]) == 0.0 and ds[1]["mask"][1].sum() == 0


def test_base_line_is_the_lowest_lung_row_per_column():
    from lungseg.training.pathology import base_line

    lung = np.zeros((40, 40), bool)
    lung[10:21, 5:16] = True
    base = base_line(lung)
    assert (base[5:16] == 20).all() and (base[:5] == -1).all() and (base[16:] == -1).all()


NO_OTHER_KIND = {k: 0.0 for k in ("consolidation", "ground_glass", "effusion", "whiteout", "devices", "text",
                                  "collimation", "low_contrast", "offcentre", "squash")}  # fmt: skip


def test_gastric_bubble_darkens_below_the_lung_base_and_leaves_the_mask():
    """Gas under a hemidiaphragm: as dark as lung, below the lung, mostly on the image's right; mask unchanged."""
    from lungseg.training.pathology import PathologyConfig, base_line, simulate

    image, mask = pair(128)
    config = PathologyConfig(enabled=True, gastric_bubble=1.0, **NO_OTHER_KIND)
    below = np.arange(128)[:, None] > base_line(mask)[None, :]  # under the lung's lowest pixel in each column
    right = 0
    for seed in range(40):
        out, out_mask = simulate(image, mask, np.random.default_rng(seed), config)
        assert (out_mask == mask).all() and (out <= image + 1e-6).all()  # darker only, the mask untouched
        darkening = image - out
        assert darkening[below].sum() > 0.95 * darkening.sum() > 0  # under the lungs, none in them
        halfway = (image[mask].mean() + image[~mask].mean()) / 2
        assert np.percentile(out[darkening > 0.1], 10) < halfway  # nearer the lung's darkness than soft tissue's
        right += np.nonzero(darkening > 0.05)[1].mean() > 64
    assert 20 <= right < 40  # mostly under the image-right lung (the patient's left), not always


def test_gastric_bubble_depth_and_gap_are_the_configs():
    """Deeper bubbles reach further down; with no gap the gas starts right under the lung's base."""
    from lungseg.training.pathology import PathologyConfig, base_line, simulate

    image, mask = pair(128)
    base = base_line(mask)

    def lowest_and_gap(**bubble) -> tuple[int, int]:
        config = PathologyConfig(enabled=True, gastric_bubble=1.0, **NO_OTHER_KIND, **bubble)
        dark = (image - simulate(image, mask, np.random.default_rng(3), config)[0]) > 0.05
        rows, cols = np.nonzero(dark)
        return rows.max(), int((rows - base[cols]).min())

    shallow, _ = lowest_and_gap(gastric_bubble_depth=(0.5, 0.5))
    deep, _ = lowest_and_gap(gastric_bubble_depth=(2.0, 2.0))
    assert deep > shallow + 5
    _, banded = lowest_and_gap(gastric_bubble_gap=(0.05, 0.05))
    _, touching = lowest_and_gap(gastric_bubble_gap=(0.0, 0.0))
    assert touching <= 2 < banded


def test_portable_film_is_flat_and_noisy_over_the_padding_and_moves_both_masks():
    """A whole portable film: the masks move with the frame (lungs and heart alike), the range is compressed, and
    the flat, noisy look covers an off-centre frame's padding too (simulate's own order leaves it clean)."""
    from lungseg.training.pathology import PathologyConfig, simulate

    image, mask = pair(128)
    heart = np.zeros_like(mask)
    heart[60:90, 50:80] = True
    config = PathologyConfig(enabled=True, portable=1.0, devices=0.0, text=0.0)
    noisy_padding = moved = 0
    for seed in range(12):
        out, masks = simulate(image, np.stack([mask, heart]), np.random.default_rng(seed), config)
        assert out.dtype == np.float32 and out.min() >= 0 and out.max() <= 1 and masks.shape == (2, 128, 128)
        moved += not (masks[0] == mask).all() and not (masks[1] == heart).all()
        values, counts = np.unique(out, return_counts=True)
        film = out[~np.isin(out, values[counts > 0.01 * out.size])]  # shutter bands left out
        assert np.ptp(np.percentile(film, [1, 99])) < 0.9 * np.ptp(np.percentile(image, [1, 99]))  # flat
        assert (out - ndimage.gaussian_filter(out, 2))[~np.isin(out, values[counts > 0.01 * out.size])].std() > 0.003
        for side in (out[:, :4], out[:, -4:]):  # an off-centre frame's padding: grey and noisy, unless shuttered
            noisy_padding += side.std() > 0.003 and side.mean() > 0.05
    assert moved == 12 and noisy_padding >= 16
    with pytest.raises(ValueError, match="portable"):
        PathologyConfig(enabled=True, portable=1.5)
