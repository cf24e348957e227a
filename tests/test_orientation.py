"""Films on their side or upside down: found by the view model's logit over the quarter turns, segmented upright, and
handed back in the input's orientation (masks, labels, heart, overlay), flagged turned_input."""

from __future__ import annotations

import csv
import math

import numpy as np
import pytest
from PIL import Image

from lungseg.cli import main
from lungseg.inference.jobs import sample_path
from lungseg.inference.orientation import (
    FLAG,
    check_orientation,
    quarter_turns,
    turned,
    turned_back,
    undo_turn,
)
from lungseg.inference.pipeline import SegmentationResult
from lungseg.inference.polarity import FLAG as POLARITY_FLAG
from lungseg.inference.segmenter import Segmenter
from lungseg.io.reader import XRay, read_xray


class MarkerView:
    """A model-free view model: "frontal" (logit -5) where the brightest quadrant of a thumbnail is its top left."""

    size = 16

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, x: np.ndarray) -> np.ndarray:
        self.calls += 1
        h = self.size // 2
        quads = [x[:, 0, :h, :h], x[:, 0, :h, h:], x[:, 0, h:, :h], x[:, 0, h:, h:]]
        top_left = np.argmax(np.stack([q.mean(axis=(1, 2)) for q in quads]), axis=0) == 0
        return np.where(top_left, -5.0, 5.0).astype(np.float32)


def marked(k: int = 0) -> XRay:
    film = np.zeros((60, 40), np.float32)
    film[:20, :15] = 1.0  # the marker, top left when upright
    return XRay(np.ascontiguousarray(np.rot90(film, k)), (0.2, 0.1))


@pytest.mark.parametrize("k", [1, 2, 3])
def test_quarter_turns_finds_the_turn_that_makes_the_film_upright(k):
    model = MarkerView()
    assert quarter_turns(marked(k), model) == (4 - k) % 4
    assert model.calls == 2  # the film as it came, then it and its three turns in one batch


def test_an_upright_film_costs_one_look_and_a_known_logit_none():
    model = MarkerView()
    assert quarter_turns(marked(0), model) == 0 and model.calls == 1
    assert quarter_turns(marked(0), model, logit=-3.0) == 0 and model.calls == 1
    assert quarter_turns(marked(1), model, logit=math.nan) == 0 and model.calls == 1  # no view: nothing is turned


def test_no_turn_is_taken_when_none_looks_frontal():
    class NeverFrontal(MarkerView):
        def __call__(self, x):
            return np.full(len(x), 5.0, np.float32)

    assert quarter_turns(marked(1), NeverFrontal()) == 0


class FixedLogits(MarkerView):
    """A view model that gives the film as it came ``first`` and its three turns ``turns``."""

    def __init__(self, first: float, turns: tuple[float, float, float]) -> None:
        super().__init__()
        self.first, self.turns = first, turns

    def __call__(self, x):
        self.calls += 1
        return np.array([self.first] if len(x) == 1 else [self.first, *self.turns], np.float32)


@pytest.mark.parametrize(
    ("first", "turns", "want"),
    [
        (0.67, (-0.45, 7.5, 0.04), 0),  # a validation film with a portable look, unsure both ways: left as it came
        (3.0, (9.0, -1.5, 8.0), 2),  # clearly frontal upside down: turned
        (0.5, (-1.2, 4.0, 4.0), 0),  # below -1 but not 2 below the film's own logit
        (-0.5, (-9.0, 9.0, 9.0), 0),  # frontal as it came: its turns are not even tried
    ],
)
def test_a_turn_needs_a_clearly_frontal_logit_well_below_the_films_own(first, turns, want):
    model = FixedLogits(first, turns)
    assert quarter_turns(marked(0), model) == want
    assert model.calls == (1 if first <= 0 else 2)


def test_turned_copies_the_film_and_swaps_the_spacing_on_a_quarter_turn():
    film = marked(0)
    once, twice = turned(film, 1), turned(film, 2)
    assert once.shape == (40, 60) and once.spacing == (0.1, 0.2) and once.data.flags["C_CONTIGUOUS"]
    assert twice.shape == (60, 40) and twice.spacing == (0.2, 0.1)
    np.testing.assert_array_equal(turned(once, 3).pixels, film.pixels)


def test_turned_back_returns_every_array_to_the_input_orientation():
    original = marked(1)  # 40x60 as it came; upright after 3 more quarter turns
    upright = np.rot90(original.data, 3)
    labels = np.zeros(upright.shape, np.uint8)
    labels[5:30, 3:12], labels[5:30, 25:36] = 1, 2
    heart = np.zeros(upright.shape, bool)
    heart[30:45, 10:28] = True
    result = SegmentationResult("f.png", labels > 0, labels, np.zeros((0, 0), np.float32),
                                {"width": 40, "height": 60, "flags": "low_confidence", "ctr": 0.45}, heart=heart)
    back = turned_back(result, original, 3)
    np.testing.assert_array_equal(back.labels, np.rot90(labels, -3))
    np.testing.assert_array_equal(back.heart, np.rot90(heart, -3))
    assert back.mask.shape == back.labels.shape == original.shape and back.probabilities.size == 0
    assert back.measurements["width"] == 60 and back.measurements["height"] == 40 and back.measurements["ctr"] == 0.45
    assert back.measurements["flags"] == f"low_confidence;{FLAG}" and back.turns == 3 and back.xray is original


@pytest.mark.parametrize("k", [1, 2, 3])
def test_undo_turn_turns_a_picture_drawn_upright_back(k):
    picture = np.arange(12, dtype=np.uint8).reshape(3, 4)
    drawn = Image.fromarray(np.ascontiguousarray(np.rot90(picture, k)))
    np.testing.assert_array_equal(np.asarray(undo_turn(drawn, k)), picture)


def test_unknown_orientation_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="auto, keep"):
        check_orientation("sideways")


@pytest.fixture(scope="module")
def segmenters():
    return Segmenter.from_pretrained(), Segmenter.from_pretrained(orientation="keep")


@pytest.mark.parametrize("k", [1, 2, 3])
def test_the_bundled_models_segment_a_turned_film_as_the_upright_one(segmenters, k):
    auto, keep = segmenters
    film = read_xray(sample_path())
    upright = auto(film)
    assert upright.turns == 0 and FLAG not in upright.measurements["flags"]
    result = auto(turned(film, k))
    np.testing.assert_array_equal(result.labels, np.rot90(upright.labels, k))
    np.testing.assert_array_equal(result.heart, np.rot90(upright.heart, k))
    assert result.turns == (4 - k) % 4 and FLAG in result.measurements["flags"]
    assert result.measurements["ctr"] == upright.measurements["ctr"]
    kept = keep(turned(film, k))
    assert FLAG not in kept.measurements["flags"] and "not_frontal_cxr" in kept.measurements["flags"]


def test_a_turned_film_found_inverted_keeps_both_flags(segmenters):
    auto, _ = segmenters
    film = read_xray(sample_path()).pixels
    upright = auto(XRay(film))
    dark = auto(XRay(np.ascontiguousarray(np.rot90(1.0 - film, 1))))  # on its side, its grey scale turned over
    assert set(dark.measurements["flags"].split(";")) >= {POLARITY_FLAG, FLAG} and dark.turns == 3
    same = np.rot90(upright.labels, 1)
    assert np.mean(dark.labels == same) > 0.999  # the grey scale turned over and back: a few pixels at the edge


def test_segment_writes_a_turned_films_outputs_as_it_came_unless_told_to_keep_it(tmp_path):
    pixels = np.asarray(Image.open(sample_path()))
    wide = np.pad(pixels, ((0, 0), (32, 32)))  # 320 wide, 256 high: a quarter turn makes it 256 x 320
    (tmp_path / "in").mkdir()
    Image.fromarray(np.ascontiguousarray(np.rot90(wide, 1))).save(tmp_path / "in" / "side.png")
    Image.fromarray(wide).save(tmp_path / "in" / "up.png")
    assert main(["segment", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--no-report"]) == 0
    rows = {r["path"].rsplit("/", 1)[-1]: r for r in csv.DictReader((tmp_path / "out" / "measurements.csv").open())}
    assert FLAG in rows["side.png"]["flags"] and FLAG not in rows["up.png"]["flags"]
    assert (rows["side.png"]["width"], rows["side.png"]["height"]) == ("256", "320")
    assert rows["side.png"]["ctr"] == rows["up.png"]["ctr"]
    up_labels = np.asarray(Image.open(tmp_path / "out" / "up_labels.png"))
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "out" / "side_labels.png")), np.rot90(up_labels, 1))
    up_overlay = np.asarray(Image.open(tmp_path / "out" / "up_overlay.png"))
    side_overlay = np.asarray(Image.open(tmp_path / "out" / "side_overlay.png"))
    np.testing.assert_array_equal(side_overlay, np.rot90(up_overlay, 1))  # the CTR's lines still run across the chest
    assert main(["segment", str(tmp_path / "in"), "-o", str(tmp_path / "kept"), "--no-report",
                 "--orientation", "keep"]) == 0  # fmt: skip
    assert FLAG not in (tmp_path / "kept" / "measurements.csv").read_text()


class FakeSegmenter:
    """What segmented_upright needs of a Segmenter: a view model, a working size, and results of given confidence."""

    image_size, intensity, heart, edge_model = 32, "equalize", None, None

    def __init__(self, confidence: float) -> None:
        self.orientation_check = FixedLogits(3.0, (9.0, -5.0, 9.0))  # upside down, clearly
        self.confidence, self.items = confidence, []

    def segment_prepared(self, items):
        self.items += items
        x = items[0]["xray"]
        return [SegmentationResult(items[0]["source"], np.ones(x.shape, bool), np.ones(x.shape, np.uint8),
                                   measurements={"mean_confidence": self.confidence, "flags": ""}, xray=x)]


@pytest.mark.parametrize(("upright_confidence", "turned"), [(0.9, True), (0.5, False)])
def test_a_turn_stands_only_where_the_lung_model_is_surer_upright(upright_confidence, turned):
    from lungseg.inference.orientation import segmented_upright

    film = marked(0)
    as_came = SegmentationResult("f.png", np.zeros(film.shape, bool), np.zeros(film.shape, np.uint8),
                                 measurements={"mean_confidence": 0.6, "flags": ""}, xray=film,
                                 quality_features={"view": 3.0})  # fmt: skip
    seg = FakeSegmenter(upright_confidence)
    out = segmented_upright(seg, {"index": 0, "source": "f.png"}, as_came)
    assert seg.items[0]["turns"] == 2 and seg.items[0]["source"] == "f.png"  # segmented upside down once
    assert (out.turns, FLAG in out.measurements["flags"]) == ((2, True) if turned else (0, False))
    assert out.mask.shape == film.shape and (out is as_came) != turned
    assert segmented_upright(seg, {"index": 0, "source": "f.png", "turns": 2}, as_came) is as_came  # not twice


def test_an_upright_film_whose_logit_is_known_costs_nothing(monkeypatch):
    """#11: the check starts from the quality score's view logit; for an upright film it makes no thumbnail."""
    import lungseg.inference.orientation as orientation

    monkeypatch.setattr(orientation, "thumbnail", lambda *a: pytest.fail("a thumbnail was made"))
    model = MarkerView()
    assert quarter_turns(marked(1), model, logit=-4.0) == 0 and model.calls == 0


def test_no_lung_found_as_the_film_came_is_no_confidence_to_keep():
    from lungseg.inference.orientation import upright_is_surer

    def result(conf: float, area: int) -> SegmentationResult:
        return SegmentationResult("f", measurements={"mean_confidence": conf, "area_px": area})

    assert upright_is_surer(result(0.8, 500), result(1.0, 0))  # nothing found as it came (confidence 1.0 by rule)
    assert not upright_is_surer(result(0.8, 500), result(0.9, 400))
