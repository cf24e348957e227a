"""Training's basal fill (round 78): a lower zone made as dense as the abdomen below it, with no outline left."""

import numpy as np

from lungseg.training.basal_fill import basal_fill, fill_region, filled
from lungseg.training.pathology import PathologyConfig, simulate
from lungseg.training.shape_masks import fill_lost

SIZE = 128


def chest() -> tuple[np.ndarray, np.ndarray]:
    """A film with known levels: body 0.5, two dark lungs 0.1 (rows 20-89), a bright abdomen 0.8 from row 90."""
    image = np.full((SIZE, SIZE), 0.5, np.float32)
    mask = np.zeros((SIZE, SIZE), bool)
    mask[20:90, 16:56] = mask[20:90, 72:112] = True
    image[mask] = 0.1
    image[90:] = 0.8
    return image, mask


def test_the_lower_zone_takes_the_abdomens_density_and_the_top_is_untouched():
    image, mask = chest()
    out = basal_fill(image, mask, np.random.default_rng(0), height=(0.4, 0.4), both=1.0)
    for cols in (slice(20, 52), slice(76, 108)):  # both lungs, away from their sides
        assert (float(out[80:88, cols].mean()) - 0.1) / (0.8 - 0.1) > 0.8  # the base: most of the way to the abdomen
        np.testing.assert_array_equal(out[20:30, cols], image[20:30, cols])  # the apex: as it was
        step = abs(float(out[86:89, cols].mean()) - float(out[92:95, cols].mean()))
        assert step < 0.2 * 0.7  # the lung's lower edge (0.1 against 0.8 below it) all but gone


def test_one_lung_only_leaves_the_other_as_it_was():
    image, mask = chest()
    out = basal_fill(image, mask, np.random.default_rng(3), height=(0.4, 0.4), both=0.0)
    filled = [abs(float(out[80:88, c].mean()) - 0.1) > 0.3 for c in (slice(20, 52), slice(76, 108))]
    assert sorted(filled) == [False, True]


def test_the_fill_runs_out_past_the_chest_wall_and_fades():
    _, mask = chest()
    lung = mask.copy()
    lung[:, 64:] = False  # the lung on the image's left: its chest wall lies to the left
    region = fill_region((SIZE, SIZE), lung, np.random.default_rng(1), (0.4, 0.4))
    assert region[100, 36] > 0.9 and region[100, 10] > 0.05  # under the lung, and over the wall beside it
    assert region[100, 0] < region[100, 10] < region[100, 36] and region[25, 36] < 0.01


def test_simulate_keeps_the_mask_and_draws_nothing_more_when_off(monkeypatch):
    image, mask = chest()
    still = {"squash": 0.0, "offcentre": 0.0, "portable": 0.0}  # no kind that moves the film
    off = PathologyConfig(enabled=True, **still)
    before, _ = simulate(image, mask, np.random.default_rng(0), off)
    out, masks = simulate(image, mask, np.random.default_rng(0), PathologyConfig(enabled=True, basal_fill=1.0, **still))
    np.testing.assert_array_equal(masks, mask)
    assert not np.array_equal(out, before)
    from lungseg.training import basal_fill as module

    def never(*args, **kwargs):
        raise AssertionError("basal_fill drawn while off")

    monkeypatch.setattr(module, "basal_fill", never)  # off (0): not drawn, and no random draw spent on it,
    again, _ = simulate(image, mask, np.random.default_rng(0), off)  # so older recipes draw as they did
    np.testing.assert_array_equal(again, before)


def test_the_shape_models_pair_keeps_the_lung_above_the_fill_and_loses_what_it_covers():
    image, mask = chest()
    for seed in range(6):
        film, kept = fill_lost(image, mask, np.random.default_rng(seed))
        lost = mask & ~kept
        assert not (kept & ~mask).any() and lost.any()  # only lung is lost, and some always is
        assert np.nonzero(lost)[0].min() > np.nonzero(kept)[0].min() + 20  # from the base up: the apex stays
        assert np.array_equal(kept[20:40], mask[20:40]) and np.array_equal(film[20:30], image[20:30])
        darker = film[lost] - image[lost]  # the lost lung (0.1) went most of the way to the abdomen (0.8)
        assert float(np.median(darker)) > 0.3


def test_filled_reports_where_it_drew_and_basal_fill_is_its_image():
    image, mask = chest()
    out, cover = filled(image, mask, np.random.default_rng(2), (0.4, 0.4), both=1.0)
    np.testing.assert_array_equal(out, basal_fill(image, mask, np.random.default_rng(2), (0.4, 0.4), both=1.0))
    untouched = cover == 0
    assert untouched.any() and np.array_equal(out[untouched], image[untouched])
    assert cover[85, 36] > 0.8 and cover[85, 92] > 0.8 and cover[25, 36] == 0  # both bases, not the apices


def test_the_negative_pair_fills_up_to_the_base_and_loses_nothing():
    image, mask = chest()
    for seed in range(6):
        film, kept = fill_lost(image, mask, np.random.default_rng(seed), below=1.0)
        assert np.array_equal(kept, mask)  # nothing lost: the target is the mask the model was given
        assert np.array_equal(film[20:60], image[20:60])  # the lungs' upper half untouched
        body = float(np.abs(film[:, 20:52] - image[:, 20:52]).mean(axis=1)[50:80].mean())
        assert body < 0.1  # the lung's lower zone above its base: little of the fill reaches it
    film, _ = fill_lost(image, mask, np.random.default_rng(0), below=1.0)
    assert not np.array_equal(film, image)  # a fill was drawn, below the base
