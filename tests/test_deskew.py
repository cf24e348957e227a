"""Films tilted in their plane: the tilt read from the first pass's lungs, the film segmented levelled, its outputs
turned back to the film as it came, flagged tilted_input; the lung model's confidence has the last word."""

from __future__ import annotations

import csv
import math

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage

from lungseg.cli import main
from lungseg.evaluation.metrics import overlap_metrics
from lungseg.inference import deskew
from lungseg.inference.deskew import (
    FLAG,
    LEVEL,
    RESIDUAL_BEYOND,
    SURE_BEYOND,
    SURER_BY,
    SURER_NEAR_LEVEL,
    TILT_BEYOND,
    lung_axis_degrees,
    segmented_level,
    tilt_of,
    turn,
)
from lungseg.inference.jobs import sample_path
from lungseg.inference.pipeline import SegmentationResult
from lungseg.inference.polarity import FLAG as POLARITY_FLAG
from lungseg.inference.segmenter import Segmenter
from lungseg.io.reader import XRay, read_xray


def two_lungs(shape: tuple[int, int] = (200, 240), degrees: float = 0.0) -> np.ndarray:
    """Labels of two upright rectangular "lungs" (1 on the image's left, 2 on its right), turned by ``degrees`` as
    ``scipy.ndimage.rotate`` turns an image (counter-clockwise on screen: the line between them then slopes up)."""
    labels = np.zeros(shape, np.uint8)
    h, w = shape
    labels[h // 5 : 4 * h // 5, w // 6 : 5 * w // 12] = 1
    labels[h // 5 : 4 * h // 5, 7 * w // 12 : 5 * w // 6] = 2
    return ndimage.rotate(labels, degrees, reshape=False, order=0) if degrees else labels


def test_the_lung_axis_is_the_angle_of_the_line_between_the_lungs_centres():
    labels = np.zeros((3000, 4000), np.uint8)  # read at a stride: the answer must not depend on it
    labels[1000:1400, 800:1200], labels[600:1000, 2800:3200] = 1, 2  # centres (1200, 1000) and (800, 3000)
    assert lung_axis_degrees(labels) == pytest.approx(math.degrees(math.atan2(-400, 2000)), abs=0.2)
    assert lung_axis_degrees(two_lungs()) == pytest.approx(0.0, abs=0.5)
    assert math.isnan(lung_axis_degrees(np.where(labels == 2, 0, labels)))  # one lung: no axis


@pytest.mark.parametrize("degrees", [-30.0, -20.0, 20.0, 30.0])
def test_a_tilted_pair_of_lungs_is_turned_level_and_a_level_one_is_left(degrees):
    labels = two_lungs(degrees=degrees)
    tilt = tilt_of(labels)
    assert tilt == pytest.approx(-degrees - LEVEL, abs=1.0)
    assert lung_axis_degrees(turn(labels, tilt)) == pytest.approx(LEVEL, abs=1.0)  # levelled as upright films lie
    assert tilt_of(two_lungs(degrees=degrees / 8)) == 0.0  # within TILT_BEYOND of level: left as it is
    assert tilt_of(np.where(labels == 2, 0, labels).astype(np.uint8)) == 0.0  # one lung: nothing to read


def test_turning_back_undoes_the_turn_for_labels_masks_and_floats():
    labels = two_lungs()
    for array in (labels, labels > 0, labels.astype(np.float32) / 2):
        there = turn(array, 25.0)
        assert there.dtype == array.dtype and there.shape == array.shape
        assert not np.array_equal(there, array)
        back = turn(there, 25.0, back=True)
        inner = (slice(40, 160), slice(40, 200))  # corners turned out of the frame and back in are lost
        same = np.mean(np.isclose(back[inner], array[inner], atol=0.26))
        assert same > 0.99


def result_of(labels: np.ndarray, confidence: float, xray: XRay, heart: np.ndarray | None = None) -> SegmentationResult:
    m = {"mean_confidence": confidence, "flags": "low_confidence", "width": labels.shape[1], "height": labels.shape[0],
         "area_px": int((labels == 1).sum() + (labels == 2).sum()), "ctr": 0.47}  # fmt: skip
    if heart is not None:
        m |= {"heart_area_px": int(heart.sum()), "heart_width_px": 50, "thorax_width_px": 150}
    return SegmentationResult("f.png", np.isin(labels, (1, 2)), labels, np.zeros((0, 0), np.float32), m, xray,
                              heart=heart)  # fmt: skip


class LevelSegmenter:
    """What segmented_level needs of a Segmenter: results of a given confidence, the lungs found level."""

    image_size, intensity, heart, edge_model, orientation_check = 32, "equalize", None, None, object()

    def __init__(self, confidence: float) -> None:
        self.confidence, self.items = confidence, []

    def segment_prepared(self, items):
        self.items += items
        labels = two_lungs(items[0]["xray"].shape, degrees=-LEVEL)  # as upright films lie
        heart = np.zeros(labels.shape, bool)
        heart[120:170, 100:150] = True
        return [result_of(labels, self.confidence, items[0]["xray"], heart)]


@pytest.mark.parametrize(("level_confidence", "levelled"), [(0.9, True), (0.5, False), (0.6 + SURER_BY / 2, False)])
def test_a_tilted_film_is_segmented_level_and_handed_back_as_it_came_unless_less_sure(level_confidence, levelled):
    film = XRay(np.random.default_rng(0).random((200, 240), np.float32), (0.2, 0.2))
    as_came = result_of(two_lungs(degrees=20.0), 0.6, film)
    seg = LevelSegmenter(level_confidence)
    out = segmented_level(seg, {"index": 0, "source": "f.png"}, as_came)
    assert seg.items[0]["tilt"] == pytest.approx(-20.0 - LEVEL, abs=1.0) and seg.items[0]["source"] == "f.png"
    if not levelled:
        assert out is as_came
        return
    assert out.tilt == round(seg.items[0]["tilt"], 1) and out.xray is film and out.labels.shape == film.shape
    assert out.measurements["flags"] == f"low_confidence;{FLAG}" and out.measurements["ctr"] == 0.47  # as levelled
    counted = int(np.isin(out.labels, (1, 2)).sum())
    assert out.measurements["area_px"] == counted == int(out.mask.sum())  # counted again on what is written
    assert out.measurements["heart_area_px"] == int(out.heart.sum())
    assert lung_axis_degrees(out.labels) == pytest.approx(lung_axis_degrees(as_came.labels), abs=1.5)  # as it came
    assert out.measurements["right_area_mm2"] == pytest.approx(0.04 * (out.labels == 1).sum())


class ShortSegmenter(LevelSegmenter):
    """The first levelled pass finds the lungs still ``short`` degrees off level (a first pass that read the tilt
    short), the next one level; each pass with its own confidence."""

    def __init__(self, confidences: list[float], short: float) -> None:
        super().__init__(0.0)
        self.confidences, self.short = confidences, short

    def segment_prepared(self, items):
        self.items += items
        off = self.short if len(self.items) == 1 else 0.0
        labels = two_lungs(items[0]["xray"].shape, degrees=-LEVEL - off)
        return [result_of(labels, self.confidences[len(self.items) - 1], items[0]["xray"])]


@pytest.mark.parametrize(("confidences", "chosen"), [([0.7, 0.9], 1), ([0.7, 0.65], 0), ([0.5, 0.55], None)])
def test_a_tilt_read_short_is_levelled_again_by_what_the_levelled_pass_reads_and_the_surest_pass_stands(
    confidences, chosen
):
    film = XRay(np.random.default_rng(0).random((200, 240), np.float32))
    as_came = result_of(two_lungs(degrees=20.0), 0.6, film)
    seg = ShortSegmenter(confidences, short=10.0)
    out = segmented_level(seg, {"index": 0, "source": "f.png"}, as_came)
    first, second = (item["tilt"] for item in seg.items)
    assert first == pytest.approx(-20.0 - LEVEL, abs=1.0) and second == pytest.approx(first + 10.0, abs=1.0)
    assert out is as_came if chosen is None else out.tilt == round((first, second)[chosen], 1)
    once = ShortSegmenter([0.9, 0.95], short=RESIDUAL_BEYOND / 2)  # close enough to level: no further pass
    assert segmented_level(once, {"index": 0, "source": "f.png"}, as_came).tilt == round(first, 1)
    assert len(once.items) == 1


@pytest.mark.parametrize(("gain", "levelled"), [(SURER_NEAR_LEVEL / 2, False), (SURER_NEAR_LEVEL * 2, True)])
def test_a_film_read_near_level_is_levelled_only_where_the_model_is_much_surer(gain, levelled):
    film = XRay(np.random.default_rng(0).random((200, 240), np.float32))
    as_came = result_of(two_lungs(degrees=-8.0), 0.6, film)  # 10 off LEVEL: past TILT_BEYOND, within SURE_BEYOND
    assert TILT_BEYOND < abs(tilt_of(as_came.labels)) < SURE_BEYOND
    out = segmented_level(LevelSegmenter(0.6 + gain), {"index": 0, "source": "f.png"}, as_came)
    assert (out is not as_came) == levelled and gain > SURER_BY


def test_a_level_film_and_a_film_already_levelled_cost_no_second_pass():
    film = XRay(np.zeros((200, 240), np.float32))
    seg = LevelSegmenter(0.9)
    level = result_of(two_lungs(degrees=5.0), 0.6, film)
    assert segmented_level(seg, {"index": 0, "source": "f.png"}, level) is level
    tilted = result_of(two_lungs(degrees=20.0), 0.6, film)
    assert segmented_level(seg, {"index": 0, "source": "f.png", "tilt": 22.0}, tilted) is tilted
    seg.orientation_check = None  # orientation="keep"
    assert segmented_level(seg, {"index": 0, "source": "f.png"}, tilted) is tilted
    assert seg.items == []


@pytest.fixture(scope="module")
def segmenters():
    return Segmenter.from_pretrained(), Segmenter.from_pretrained(orientation="keep")


def test_the_bundled_models_segment_a_tilted_film_as_the_upright_one(segmenters):
    auto, keep = segmenters
    film = read_xray(sample_path()).pixels
    upright = auto(XRay(film))
    assert upright.tilt == 0.0 and FLAG not in upright.measurements["flags"]
    tilted = ndimage.rotate(film, 35, reshape=False, order=1)
    truth = ndimage.rotate(upright.mask.astype(np.float32), 35, reshape=False, order=1) > 0.5
    levelled, kept = auto(XRay(tilted)), keep(XRay(tilted))
    assert abs(levelled.tilt) > TILT_BEYOND and FLAG in levelled.measurements["flags"] and kept.tilt == 0.0
    assert overlap_metrics(levelled.mask, truth)["dice"] > 0.98 > overlap_metrics(kept.mask, truth)["dice"]
    assert levelled.measurements["ctr"] == pytest.approx(upright.measurements["ctr"], abs=0.02)


def test_a_tilted_film_found_inverted_keeps_both_flags(segmenters):
    auto, _ = segmenters
    film = ndimage.rotate(read_xray(sample_path()).pixels, 35, reshape=False, order=1)
    upright = auto(XRay(film))
    dark = auto(XRay(1.0 - film))  # its grey scale turned over: the polarity check turns it back, then it is levelled
    assert set(dark.measurements["flags"].split(";")) >= {POLARITY_FLAG, FLAG} and dark.tilt == upright.tilt
    assert overlap_metrics(dark.mask, upright.mask)["dice"] > 0.99


def test_segment_flags_a_tilted_film_and_writes_its_outputs_as_it_came(tmp_path, monkeypatch):
    pixels = np.asarray(Image.open(sample_path()))
    (tmp_path / "in").mkdir()
    Image.fromarray(ndimage.rotate(pixels, -30, reshape=False, order=1)).save(tmp_path / "in" / "tilted.png")
    assert main(["segment", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--no-report"]) == 0
    row = next(csv.DictReader((tmp_path / "out" / "measurements.csv").open()))
    assert FLAG in row["flags"] and (row["width"], row["height"]) == ("256", "256")
    labels = np.asarray(Image.open(tmp_path / "out" / "tilted_labels.png"))
    assert row["area_px"] == str(int(np.isin(labels, (1, 2)).sum()))
    assert lung_axis_degrees(labels) == pytest.approx(30 + LEVEL, abs=4.0)  # as the film came: still tilted
    from lungseg.inference.render import LINE_INDEX

    overlay = np.asarray(Image.open(tmp_path / "out" / "tilted_overlay.png"))  # palette indices
    rows, cols = np.nonzero(overlay == LINE_INDEX["thorax"])
    assert abs(math.degrees(math.atan(np.polyfit(cols, rows, 1)[0]))) > 10  # across the chest as it lies in the film
    monkeypatch.setattr(deskew, "TILT_BEYOND", 1000.0)  # the rule, not something else, made the flag
    assert main(["segment", str(tmp_path / "in"), "-o", str(tmp_path / "off"), "--no-report"]) == 0
    assert FLAG not in (tmp_path / "off" / "measurements.csv").read_text()


def test_a_levelled_films_overlay_draws_the_ctr_widths_across_the_tilted_chest():
    from lungseg.inference.deskew import levelled_overlay
    from lungseg.inference.render import LINE_INDEX

    level = two_lungs((400, 480))
    heart = np.zeros(level.shape, bool)
    heart[200:300, 180:320] = True
    labels, tilted_heart = two_lungs((400, 480), degrees=20.0), ndimage.rotate(heart, 20.0, reshape=False, order=0)
    drawn = np.asarray(levelled_overlay(np.full(labels.shape, 0.5, np.float32), labels, tilted_heart, tilt_of(labels)))
    for name in ("thorax", "heart"):
        rows, cols = np.nonzero(drawn == LINE_INDEX[name])
        assert len(rows) > 50
        slope = np.polyfit(cols, rows, 1)[0]  # rows downward: the chest turned counter-clockwise on screen
        assert math.degrees(math.atan(-slope)) == pytest.approx(20.0 + LEVEL, abs=2.0), name


def test_a_large_film_is_levelled_as_a_bounded_copy_and_handed_back_at_its_own_size(monkeypatch):
    monkeypatch.setattr(deskew, "LEVEL_SIDE", 120)  # the film below stands for a 5000x6000 one
    film = XRay(np.random.default_rng(1).random((200, 240), np.float32), (0.2, 0.1))
    as_came = result_of(two_lungs(degrees=20.0), 0.6, film)
    seg = LevelSegmenter(0.9)
    out = segmented_level(seg, {"index": 0, "source": "f.png"}, as_came)
    seen = seg.items[0]["xray"]
    assert seen.shape == (100, 120) and seen.spacing == pytest.approx((0.4, 0.2))  # levelled at 120 px, spacing along
    assert out.labels.shape == out.mask.shape == out.heart.shape == film.shape and out.xray is film
    m = out.measurements
    assert (m["width"], m["height"], m["pixel_spacing_mm"]) == (240, 200, "0.2x0.1")
    assert m["area_px"] == int(np.isin(out.labels, (1, 2)).sum()) == int(out.mask.sum())
    assert m["right_area_mm2"] == pytest.approx(0.02 * (out.labels == 1).sum())
    assert lung_axis_degrees(out.labels) == pytest.approx(lung_axis_degrees(as_came.labels), abs=1.5)
    level = two_lungs((100, 120), degrees=-LEVEL)  # what the fake found on the copy
    assert m["area_px"] == pytest.approx(4 * np.isin(level, (1, 2)).sum(), rel=0.05)  # 2x each way
    assert (m["heart_width_px"], m["thorax_width_px"], m["ctr"]) == (100, 300, 0.47)  # the copy's widths, doubled
