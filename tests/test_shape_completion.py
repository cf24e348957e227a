"""The learned shape prior: zones put back where the shape model adds enough, healthy pairs left alone; the
training pairs remove zones of one lung only; the bundled model on a real manual mask."""

from pathlib import Path

import numpy as np
import pytest

from lungseg.inference.postprocess import LEFT_LUNG, RIGHT_LUNG
from lungseg.inference.shape_completion import complete_shape, shape_input
from lungseg.training.shape_masks import (
    ZONES_BESIDE_HEART,
    corrupt,
    drop_base,
    drop_beside_heart,
    drop_lung,
    moved,
    moved_pair,
    paint_lost,
)

REPO = Path(__file__).resolve().parents[1]


def dice(a: np.ndarray, b: np.ndarray) -> float:
    return 2 * (a & b).sum() / (a.sum() + b.sum())


def pair(size: int = 64) -> np.ndarray:
    """Two lungs, rows 8-55, columns 8-23 (image left) and 40-55 (image right)."""
    labels = np.zeros((size, size), np.uint8)
    labels[8:56, 8:24] = RIGHT_LUNG
    labels[8:56, 40:56] = LEFT_LUNG
    return labels


class Whole:
    """A model-free shape model: +10 logits on the whole pair (at its own side ``size``), -10 elsewhere."""

    size = 32

    def __init__(self) -> None:
        self.seen: list[np.ndarray] = []

    def __call__(self, x: np.ndarray) -> np.ndarray:
        self.seen.append(x)
        whole = shape_input(pair() > 0, self.size)
        return np.where(whole > 0, 10.0, -10.0).astype(np.float32)


def test_shape_input_is_the_box_average_cut_at_half():
    mask = np.zeros((8, 8), bool)
    mask[:, :5] = True  # the right-hand 4x4 boxes are a quarter lung
    x = shape_input(mask, 2)
    assert x.shape == (1, 1, 2, 2) and x.dtype == np.float32
    np.testing.assert_array_equal(x[0, 0], [[1, 0], [1, 0]])
    mask[:, :7] = True  # three quarters
    np.testing.assert_array_equal(shape_input(mask, 2)[0, 0], [[1, 1], [1, 1]])


def test_a_lost_base_is_put_back_and_kept_off_the_heart():
    labels = pair()
    labels[32:56, 40:56] = 0  # the image-right lung lost its lower half
    heart = np.zeros(labels.shape, bool)
    heart[48:60, 36:46] = True
    model = Whole()
    out = complete_shape(labels, heart, model, threshold=0.5, min_width=0, heart_blocks=True)  # 0.5: the 2x
    assert model.seen[0].shape == (1, 1, 32, 32)  # upsampling keeps corners
    np.testing.assert_array_equal(out == RIGHT_LUNG, pair() == RIGHT_LUNG)  # the partner is untouched
    np.testing.assert_array_equal(out == LEFT_LUNG, (pair() == LEFT_LUNG) & ~heart)
    into = complete_shape(labels, heart, model, threshold=0.5, min_width=0, heart_blocks=False)
    np.testing.assert_array_equal(into, pair())  # opaque lung taken for heart: the whole base back
    wide = complete_shape(labels, heart, model, threshold=0.5, min_width=1, heart_blocks=True)  # a wide zone: back
    assert ((wide == LEFT_LUNG) != (out == LEFT_LUNG)).sum() <= 8 and (wide == RIGHT_LUNG).sum() == 16 * 48


def test_growth_goes_only_where_the_lung_model_saw_some_lung():
    labels = pair()
    labels[32:56, 40:56] = 0  # the image-right lung lost its lower half
    prob = np.zeros(labels.shape, np.float32)
    prob[32:44, 40:56] = 0.3  # faint lung under the opacity's upper part; rows 44-55 look like the abdomen
    out = complete_shape(labels, None, Whole(), 0.5, prob=prob, floor=0.2, min_width=0)
    grown = (out == LEFT_LUNG) & ~(labels == LEFT_LUNG)
    assert np.array_equal(np.nonzero(grown.any(axis=1))[0], np.arange(32, 44)) and grown.sum() == 12 * 16
    assert (complete_shape(labels, None, Whole(), 0.5, prob=prob, floor=0.3, min_width=0) == labels).all()


def test_a_healthy_pair_and_a_small_difference_are_left_alone():
    model = Whole()
    np.testing.assert_array_equal(complete_shape(pair(), None, model), pair())
    labels = pair()
    labels[55, 8:24] = 0  # 16 pixels of 1536: 1%, below a 2% minimum gain
    np.testing.assert_array_equal(complete_shape(labels, None, model, min_gain=0.02, min_width=0), labels)
    assert (complete_shape(labels, None, model, 0.5, min_gain=0.005, min_width=0) > 0).sum() == (pair() > 0).sum()
    assert (complete_shape(labels, None, model, 0.5, min_gain=0.0, min_width=0) > 0).sum() == (pair() > 0).sum()
    np.testing.assert_array_equal(complete_shape(labels, None, model, 0.5, 0.0, min_width=1), labels)  # a one-row rim


def test_growth_too_small_before_the_filters_skips_them(monkeypatch):
    """#11: the filters after the growth only take pixels away, so growth under the minimum gain ends there (on most
    films the shape model's rim is all it adds); growth above it still goes through them."""
    import lungseg.inference.shape_completion as sc

    calls = []
    real = sc.attached_growth
    monkeypatch.setattr(sc, "attached_growth", lambda *a, **k: calls.append(1) or real(*a, **k))
    labels = pair()
    labels[55, 8:24] = 0  # 1% of the lungs lost: below the 2% minimum gain
    np.testing.assert_array_equal(complete_shape(labels, None, Whole(), min_gain=0.02, min_width=0), labels)
    assert calls == []
    labels[48:56, 8:24] = 0  # 8% lost: grown back, after the filters ran
    assert (complete_shape(labels, None, Whole(), min_gain=0.02, min_width=0) > 0).sum() == (pair() > 0).sum()
    assert calls

def test_without_a_model_or_lungs_nothing_changes():
    labels = pair()
    labels[32:56, 40:56] = 0
    np.testing.assert_array_equal(complete_shape(labels, None, None), labels)
    empty = np.zeros((64, 64), np.uint8)
    np.testing.assert_array_equal(complete_shape(empty, None, Whole()), empty)


@pytest.mark.parametrize("zone", sorted(set(ZONES_BESIDE_HEART), key=lambda f: f.__name__))
def test_each_zone_removes_part_of_one_lung_only(zone):
    mask = pair() > 0
    lung = pair() == LEFT_LUNG
    for seed in range(5):
        out = zone(mask, lung, np.random.default_rng(seed))
        assert not (out & ~mask).any()  # nothing added
        np.testing.assert_array_equal(out & ~lung, mask & ~lung)  # the other lung untouched
        assert out.sum() <= mask.sum()


def test_a_lost_base_is_below_what_is_kept_and_a_lost_lung_keeps_at_most_its_top_two_fifths():
    mask, lung = pair() > 0, pair() == LEFT_LUNG
    for seed in range(10):
        rng = np.random.default_rng(seed)
        base = drop_base(mask, lung, rng)
        lost = lung & ~base
        assert lost.any()
        kept_rows = np.nonzero((base & lung).any(axis=1))[0]
        assert np.nonzero(lost.any(axis=1))[0].max() == 55 and kept_rows.min() == 8  # the base goes, the apex stays
        rows = np.nonzero((drop_lung(mask, lung, rng) & lung).any(axis=1))[0]
        assert len(rows) == 0 or rows.max() <= 8 + 0.4 * 47


def test_corrupt_never_changes_its_input_and_sometimes_keeps_the_whole_mask():
    mask = pair() > 0
    before = mask.copy()
    outs = [corrupt(mask, np.random.default_rng(seed)) for seed in range(40)]
    np.testing.assert_array_equal(mask, before)
    assert any(np.array_equal(o, mask) for o in outs) and any(o.sum() < 0.9 * mask.sum() for o in outs)


def test_moved_keeps_the_area_within_the_scale_range():
    mask = np.zeros((128, 128), bool)
    mask[34:94, 34:94] = True  # room on every side for the largest shift and scale
    for seed in range(5):
        out = moved(mask, np.random.default_rng(seed))
        assert 0.85**2 * 0.95 <= out.sum() / mask.sum() <= 1.15**2 * 1.05


class WholeWithFilm(Whole):
    """:class:`Whole` for a model that also takes the film (two input channels)."""

    channels = 2


def test_an_image_model_gets_the_film_as_its_second_channel_and_a_mask_model_does_not():
    labels = pair()
    labels[32:56, 40:56] = 0
    film = np.linspace(0, 1, 32 * 32, dtype=np.float32).reshape(32, 32)
    with_film, mask_only = WholeWithFilm(), Whole()
    out = complete_shape(labels, None, with_film, 0.5, image=film, min_width=0)
    assert with_film.seen[0].shape == (1, 2, 32, 32)
    np.testing.assert_array_equal(with_film.seen[0][0, 1], film)
    np.testing.assert_array_equal(with_film.seen[0][0, 0], shape_input(labels > 0, 32)[0, 0])
    np.testing.assert_array_equal(out, pair())
    complete_shape(labels, None, mask_only, 0.5, image=film)
    assert mask_only.seen[0].shape == (1, 1, 32, 32)
    with pytest.raises(ValueError, match="takes the film too"):
        complete_shape(labels, None, WholeWithFilm(), 0.5)


def test_paint_lost_makes_only_the_lost_zone_dense_and_never_darkens():
    whole = pair() > 0
    kept = whole.copy()
    kept[32:56, 40:56] = False
    film = np.full(whole.shape, 0.2, np.float32)
    film[~whole] = 0.8  # soft tissue around the lungs
    painted = [paint_lost(film, whole, kept, np.random.default_rng(seed)) for seed in range(30)]
    lost = whole & ~kept
    far = np.zeros_like(whole)
    far[8:24, 8:24] = True  # the other lung's top: more than the blur's reach from the lost zone
    for out in painted:
        assert (out >= film - 1e-6).all() and np.allclose(out[far], 0.2)
    gains = [out[36:52, 44:52].mean() - 0.2 for out in painted]  # the lost zone's inside
    assert max(gains) > 0.35 and sum(g < 0.01 for g in gains) >= 1  # dense often; now and then left as it was
    assert np.array_equal(paint_lost(film, whole, whole, np.random.default_rng(0)), film)  # nothing lost
    assert not lost[far].any()


def test_moved_pair_moves_the_film_with_its_mask():
    film = np.zeros((128, 128), np.float32)
    film[34:94, 34:94] = 1.0
    for seed in range(5):
        moved_film, mask = moved_pair(film, film > 0.5, np.random.default_rng(seed))
        assert dice(moved_film > 0.5, mask) > 0.98
        np.testing.assert_array_equal(mask, moved(film > 0.5, np.random.default_rng(seed)))  # the same draw


def test_moved_pair_moves_a_models_own_mask_with_the_film():
    film = np.zeros((128, 128), np.float32)
    film[34:94, 34:94] = 1.0
    found = np.zeros((128, 128), bool)
    found[34:64, 34:94] = True  # the model's mask: the upper half of the manual one
    for seed in range(5):
        _, mask, moved_found = moved_pair(film, film > 0.5, np.random.default_rng(seed), found=found)
        np.testing.assert_array_equal(moved_found, moved(found, np.random.default_rng(seed)))  # the same draw
        assert 0.4 < moved_found.sum() / mask.sum() < 0.6 and not (moved_found & ~mask).sum() > 0.02 * mask.sum()


def test_the_bundled_shape_model_puts_back_lost_bases_on_real_films(real_data):
    """Montgomery test films (never trained on): whole, their lungs keep their outline (Dice >= 0.995 with the
    manual mask); with the lower 40% of one lung cut away, and that zone made opaque on the film as disease
    would, the bundled model puts most of it back."""
    from lungseg.inference.postprocess import clean_lung_labels
    from lungseg.inference.shape_completion import bundled_shape_model, shape_image
    from lungseg.io.reader import XRay, read_mask, read_xray

    model = bundled_shape_model("torch")
    names = (REPO / "splits" / "montgomery_test.txt").read_text().split()[:12]
    whole, before, after = [], [], []
    for name in names:
        manual = read_mask(real_data / "masks" / f"{name}.png")  # Montgomery masks share the image's name
        film = read_xray(real_data / "CXR_png" / f"{name}.png").pixels
        labels = clean_lung_labels(manual)
        whole.append(dice(complete_shape(labels, None, model, image=shape_image(XRay(film), model.size)) > 0, manual))
        rows = np.nonzero((labels == LEFT_LUNG).any(axis=1))[0]
        low = np.arange(labels.shape[0])[:, None] > rows[0] + 0.6 * (rows[-1] - rows[0])
        lost = low & (labels == LEFT_LUNG)
        cut = np.where(lost, 0, labels).astype(np.uint8)
        sick = np.where(lost, np.maximum(film, np.percentile(film[~manual], 85)), film).astype(np.float32)
        before.append(dice(cut > 0, manual))
        after.append(dice(complete_shape(cut, None, model, image=shape_image(XRay(sick), model.size)) > 0, manual))
    assert min(whole) >= 0.995
    assert np.mean(after) > np.mean(before) + 0.03 and np.mean(after) > 0.96 and min(np.subtract(after, before)) > 0


def test_it_runs_by_default_after_the_default_model_and_when_asked_after_others(monkeypatch, tmp_path):
    """On for the bundled default model (its validation chose it, round 16), off for a checkpoint file of your own
    unless --shape-model; --no-shape-model or --no-complete-lungs turn it off; the pipeline asks for it with the
    segmenter's backend."""
    from lungseg.cli import build_parser
    from lungseg.inference import pipeline
    from lungseg.inference.segmenter import Segmenter
    from lungseg.model.pretrained import completes_shape, resolve_pretrained

    parse = build_parser().parse_args
    assert parse(["segment"]).shape_model is None and parse(["segment", "--shape-model"]).shape_model
    assert parse(["segment", "--no-shape-model"]).shape_model is False
    assert parse(["evaluate", "--model", "m", "--data", "d", "--output", "o", "--shape-model"]).shape_model
    assert completes_shape(None) and completes_shape("lungseg-unet-default")
    own = tmp_path / "own.pt"
    own.write_bytes(resolve_pretrained().read_bytes())  # the same weights, as a file of your own
    assert not completes_shape(own) and not completes_shape("lungseg-unet-heart")
    asked = []
    monkeypatch.setattr(pipeline, "bundled_shape_model", lambda backend: asked.append(backend) or Whole())
    image = np.zeros((64, 64), np.float32)
    image[8:56, 6:58] = 0.8
    image[pair() > 0] = 0.1  # two dark lungs on a bright body
    assert not Segmenter.from_pretrained(own, backend="torch").options.shape
    assert Segmenter.from_pretrained(own, backend="torch", shape_model=True).options.shape
    assert not Segmenter.from_pretrained(backend="torch", shape_model=False).options.shape
    assert not Segmenter.from_pretrained(complete_lungs=False).options.shape
    Segmenter.from_pretrained(backend="torch", shape_model=False)(image)
    assert asked == []
    Segmenter.from_pretrained(backend="torch")(image)
    assert asked == ["torch"]


def test_the_flag_marks_a_completion_not_an_outline_moved_by_a_pixel(monkeypatch):
    """lung_completed: set when the completion draws more than 2% of the lung area."""
    from lungseg.inference import pipeline

    model = Whole()
    model.size = 64  # the film's own side: no resampling
    monkeypatch.setattr(pipeline, "bundled_shape_model", lambda backend: model)
    options, prob = pipeline.FinishOptions(complete=True, shape=True), np.full((64, 64), 0.9, np.float32)
    labels = pair()
    labels[53:56, 8:16] = 0  # 24 pixels of 1536 lost (a corner, three pixels high): under the 2% minimum gain
    small, flag_small = pipeline.completed_lungs(labels, None, options, prob)
    assert (small > 0).sum() <= (labels > 0).sum() + 24 and not flag_small
    labels[32:56, 40:56] = 0  # and the image-right lung's lower half
    big, flag_big = pipeline.completed_lungs(labels, None, options, prob)
    assert (big > 0).sum() > (labels > 0).sum() + 300 and flag_big


def test_a_base_beside_the_heart_is_lost_from_the_medial_edge_of_either_lung():
    mask = pair() > 0
    for label, medial in ((LEFT_LUNG, 40), (RIGHT_LUNG, 23)):  # image-right lung: its left edge is medial
        lung = pair() == label
        for seed in range(5):
            lost = mask & ~drop_beside_heart(mask, lung, np.random.default_rng(seed))
            rows, cols = np.nonzero(lost)
            assert lost.any() and not (lost & ~lung).any() and medial in cols
            assert np.ptp(cols) <= 0.7 * 15 + 1 and rows.min() >= 8 + 0.35 * 47 and rows.max() == 55



def test_attached_growth_keeps_pieces_grown_from_the_lungs_and_drops_a_stray_one():
    from lungseg.inference.shape_completion import attached_growth

    lungs = pair() > 0
    added = np.zeros_like(lungs)
    added[56:60, 40:56] = True  # a base grown on below the image-right lung: touches it
    added[8:56, 58:64] = True  # a stray piece in the field beside the body (round 43's portable films)
    added[2:5, 30:34] = True  # a small stray piece
    kept = attached_growth(added, lungs, one_lung=False)
    np.testing.assert_array_equal(kept, added & (np.arange(64)[:, None] >= 56) & (np.arange(64)[None, :] < 58))
    lost = attached_growth(added, lungs, one_lung=True)  # a lung lost whole: its largest piece apart comes back
    assert lost[8:56, 58:64].all() and not lost[2:5, 30:34].any() and lost[56:60, 40:56].all()
    assert attached_growth(added & ~kept & ~lost, lungs, one_lung=False) is None


def test_attached_growth_leaves_a_lost_base_and_a_lost_lung_to_be_put_back():
    labels = pair()
    labels[32:56, 40:56] = 0  # a lost base grows from its lung
    out = complete_shape(labels, None, Whole(), 0.5, min_width=0, attached=True)
    np.testing.assert_array_equal(out, complete_shape(labels, None, Whole(), 0.5, min_width=0))
    one = pair()
    one[one == LEFT_LUNG] = 0  # a lung lost whole: apart from the found one, and put back
    back = complete_shape(one, None, Whole(), 0.5, min_width=0, attached=True)
    assert ((back > 0) == (pair() > 0)).all()


def test_lateral_growth_keeps_pieces_between_fragments_and_drops_those_beside_the_lungs():
    from lungseg.inference.shape_completion import attached_growth

    lungs = np.zeros((64, 64), bool)
    lungs[8:24, 8:24] = True  # an upper fragment of the image-left lung
    lungs[8:56, 40:56] = True
    added = np.zeros_like(lungs)
    added[30:50, 10:22] = True  # a lower zone apart from its fragment, within the lungs' columns
    added[8:56, 58:64] = True  # beside the lungs: the field beside the body
    kept = attached_growth(added, lungs, one_lung=False, within_columns=True)
    assert kept[30:50, 10:22].all() and not kept[:, 58:].any()
    assert attached_growth(added, lungs, one_lung=False) is None  # round 44's guard drops both


def test_thorax_columns_mirror_the_farther_lung_about_the_mediastinum():
    from lungseg.inference.shape_completion import thorax_columns

    labels = pair()  # image-left lung columns 8-23, image-right 40-55: mid 31.5, both outer edges 23.5 away
    assert thorax_columns(labels, 0.0) == (8, 55)
    assert thorax_columns(labels, 0.5) == (0, 67)  # 31.5 -+ 35.25, clipped at the first column
    labels[8:56, 8:16] = 0  # the image-left lung lost its outer half: the partner's mirror still bounds that side
    assert thorax_columns(labels, 0.0) == (8, 55)
    labels[labels == LEFT_LUNG] = 0
    assert thorax_columns(labels, 0.15) is None  # one lung: no bound


class Wide:
    """A model-free shape model: the pair (as :class:`Whole`) plus a wide band beside each lung, as if it grew the
    lungs sideways into the arms (round 47)."""

    size = 32

    def __call__(self, x: np.ndarray) -> np.ndarray:
        whole = pair() > 0
        whole[8:56, 0:8] = whole[8:56, 56:64] = True
        return np.where(shape_input(whole, self.size) > 0, 10.0, -10.0).astype(np.float32)


def test_mirror_margin_stops_sideways_growth_past_the_lungs_but_puts_back_a_lost_base():
    labels = pair()
    labels[40:56, 40:56] = 0  # a lost base of the image-right lung
    free = complete_shape(labels, None, Wide(), 0.5, min_width=0)
    bound = complete_shape(labels, None, Wide(), 0.5, min_width=0, mirror_margin=0.15)
    assert free[8:56, 58:].any() and free[8:56, :6].any()  # grown into the arms without the bound
    assert not bound[:, 60:].any() and not bound[:, :4].any()  # 31.5 -+ 23.5 * 1.15: columns 4-59
    assert (bound[40:56, 40:56] == LEFT_LUNG).all()  # the lost base is still put back


class Elsewhere:
    """A model-free shape model that puts the image-left lung 30 columns further out: it takes the found one away
    and grows another beside the body (round 51's validation film MCUCXR_0080_0#2)."""

    size = 32

    def __call__(self, x: np.ndarray) -> np.ndarray:
        whole = np.zeros((64, 64), bool)
        whole[8:56, 40:56] = True  # the image-right lung where it was found
        whole[8:56, 0:6] = True  # the image-left lung moved to the field beside the body
        return np.where(shape_input(whole, self.size) > 0, 10.0, -10.0).astype(np.float32)


def test_min_kept_lets_the_lungs_found_stand_when_a_completion_would_take_most_of_one_away():
    labels = pair()
    moved = complete_shape(labels, None, Elsewhere(), 0.5, min_width=0, apart_when_paired=False)  # round 54's off
    assert not moved[8:56, 8:24].any() and moved[8:56, 0:6].any()  # without the guards: the found lung is gone
    kept = complete_shape(labels, None, Elsewhere(), 0.5, min_width=0, min_kept=0.75, apart_when_paired=False)
    np.testing.assert_array_equal(kept, labels)
    labels[40:56, 40:56] = 0  # a lost base is still put back: the completion keeps every lung found
    assert (complete_shape(labels, None, Whole(), 0.5, min_width=0, min_kept=0.75)[40:56, 40:56] == LEFT_LUNG).all()


def test_with_the_apex_cap_no_lung_grows_above_the_highest_apex_found(monkeypatch):
    """Round 68 (``APEX_CAP``): an upper zone lost in one lung grows back up to the other lung's apex, but a pair
    whose apices were both found lower than the shape model says does not grow upwards."""
    import lungseg.inference.shape_completion as sc

    model = Whole()
    one_lost = pair()
    one_lost[8:24, 40:56] = 0  # the image-right lung lost its upper third
    both_low = pair()
    both_low[8:16] = 0  # both apices found 8 rows lower than the whole pair's
    monkeypatch.setattr(sc, "APEX_CAP", False)
    assert (complete_shape(one_lost, None, model, threshold=0.5, min_width=0, min_gain=0.0) == pair()).all()
    assert (complete_shape(both_low, None, model, threshold=0.5, min_width=0, min_gain=0.0) == pair()).all()
    monkeypatch.setattr(sc, "APEX_CAP", True)
    assert (complete_shape(one_lost, None, model, threshold=0.5, min_width=0, min_gain=0.0) == pair()).all()
    capped = complete_shape(both_low, None, model, threshold=0.5, min_width=0, min_gain=0.0)
    assert (capped == both_low).all()  # nothing above row 16 to grow into, and nothing else was lost


def test_with_the_heart_ratio_rule_growth_enters_only_a_wide_heart(monkeypatch):
    """Round 70 (``HEART_RATIO_OPEN``): the lost base beside the heart grows into a heart whose width is at least
    the given share of the lungs' outer width, and stays out of a narrower one."""
    import lungseg.inference.shape_completion as sc

    labels = pair()
    labels[32:56, 40:56] = 0  # the image-right lung lost its lower half
    heart = np.zeros(labels.shape, bool)
    heart[48:60, 36:46] = True  # 10 columns of the lungs' 48: ratio 0.21
    assert sc.width_ratio(heart, labels > 0) == 10 / 48
    model = Whole()
    monkeypatch.setattr(sc, "HEART_RATIO_OPEN", 0.0)  # off: growth enters any heart (round 35)
    np.testing.assert_array_equal(complete_shape(labels, heart, model, threshold=0.5, min_width=0), pair())
    monkeypatch.setattr(sc, "HEART_RATIO_OPEN", 0.5)
    narrow = complete_shape(labels, heart, model, threshold=0.5, min_width=0)
    np.testing.assert_array_equal(narrow == LEFT_LUNG, (pair() == LEFT_LUNG) & ~heart)
    monkeypatch.setattr(sc, "HEART_RATIO_OPEN", 0.2)  # this heart counts as wide now
    np.testing.assert_array_equal(complete_shape(labels, heart, model, threshold=0.5, min_width=0), pair())
