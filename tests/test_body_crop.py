"""Round 64: a small chest in a large dark field, segmented from a crop of the body (lungseg.inference.body_crop)."""

from __future__ import annotations

import numpy as np
import pytest

import lungseg.inference.body_crop as body_crop_module
from lungseg.evaluation.metrics import overlap_metrics
from lungseg.inference.body_crop import BACKGROUND, band_box, body_box, cropped, paste_logits
from lungseg.inference.pipeline import probabilities_at
from lungseg.inference.segmenter import Segmenter
from lungseg.io.reader import XRay
from lungseg.model.shapes import ModelConfig


def lungs(size: int) -> np.ndarray:
    """Two dark ellipses (the lungs) on a square body."""
    yy, xx = np.mgrid[:size, :size] / size
    left = ((xx - 0.3) / 0.15) ** 2 + ((yy - 0.5) / 0.3) ** 2 <= 1
    right = ((xx - 0.7) / 0.13) ** 2 + ((yy - 0.5) / 0.28) ** 2 <= 1
    return left | right


def small_chest(side: int = 256, top: int = 10, chest: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """(film, lung mask): a body of ``chest`` px (0.7, lungs 0.25) at (top, top) in a black ``side`` px film."""
    film, mask = np.zeros((side, side), np.float32), np.zeros((side, side), bool)
    inner = lungs(chest)
    film[top : top + chest, top : top + chest] = np.where(inner, 0.25, 0.7)
    mask[top : top + chest, top : top + chest] = inner
    return film, mask


def test_the_body_box_is_the_chest_with_its_margin():
    film, _ = small_chest()
    margin = body_crop_module.MARGIN * 256
    y0, y1, x0, x1 = body_box(XRay(film), 64)
    assert y0 == x0 == 0  # 10 px - 12.8 px of margin, clipped at the film's edge
    assert abs(y1 - (110 + margin)) <= 4 and abs(x1 - (110 + margin)) <= 4  # within one 4 px block of the 64 px grid


def test_a_mark_in_the_field_does_not_widen_the_box():
    film, _ = small_chest()
    film[200:220, 230:250] = 1.0  # a burned-in marker far from the body
    assert body_box(XRay(film), 64)[1] < 140


def test_no_box_for_a_film_the_chest_fills_or_a_body_over_half_the_film():
    assert body_box(XRay(np.where(lungs(256), 0.25, 0.7).astype(np.float32)), 64) is None
    film, _ = small_chest(chest=170)  # with its margin the box covers more than half the film
    assert body_box(XRay(film), 64) is None


def test_cropped_shares_the_integers():
    data = np.arange(100, dtype=np.uint16).reshape(10, 10)
    part = cropped(XRay(data, scale=1 / 99), (2, 5, 3, 9))
    assert part.shape == (3, 6) and np.shares_memory(part.data, data) and part[:1, :1][0, 0] == pytest.approx(23 / 99)


def test_pasted_logits_land_on_the_box():
    box, shape = (40, 140, 60, 200), (300, 400)
    pasted = paste_logits(np.full((2, 64, 64), 5.0, np.float32), box, shape)
    assert pasted.shape[0] == 2 and pasted.min() == BACKGROUND
    inside = probabilities_at(pasted[:1], shape) > 0.5
    truth = np.zeros(shape, bool)
    truth[40:140, 60:200] = True
    assert (inside != truth).sum() <= 2 * (100 + 140)  # at most a one-pixel rim of the box


class DarkGreyIsLung:
    """A model-free predictor (run as ONNX Runtime would be): lung where the input is grey-dark, not black; it
    keeps what it was given."""

    backend = "onnxruntime"
    config = ModelConfig(base_channels=2, depth=2)

    def __init__(self) -> None:
        self.inputs: list[np.ndarray] = []

    def __call__(self, x: np.ndarray) -> np.ndarray:
        self.inputs.append(x)
        return np.where(x > 0.05, 20 * (0.45 - x), BACKGROUND).astype(np.float32)


def test_the_model_sees_the_body_and_the_mask_lands_on_the_whole_film(monkeypatch):
    film, truth = small_chest()
    found = {}
    for crop in (False, True):
        monkeypatch.setattr(body_crop_module, "CROP", crop)
        model = DarkGreyIsLung()
        result = Segmenter(model, 64, "none", threshold=0.5, quality=False)(XRay(film))
        assert result.mask.shape == film.shape
        found[crop] = (overlap_metrics(result.mask, truth)["dice"], (model.inputs[0] < 0.05).mean())
    assert found[False][1] > 0.7 and found[True][1] < 0.35  # the field filled the input; now the body does
    assert found[True][0] > 0.9 and found[True][0] > found[False][0]  # finer lungs, in their place on the film


def test_a_result_finished_on_the_crop_is_placed_on_the_whole_film():
    from lungseg.inference.body_crop import placed
    from lungseg.inference.pipeline import SegmentationResult

    film = XRay(np.zeros((100, 120), np.float32))
    part = np.zeros((40, 50), bool)
    part[10:30, 5:20] = True
    measurements = {"width": 50, "height": 40, "lung_fraction": float(part.mean()), "area_px": 300, "flags": ""}
    result = SegmentationResult("f", part, part.astype(np.uint8), np.zeros((0, 0), np.float32), measurements,
                                heart=part.copy())  # fmt: skip
    whole = placed(result, film, (20, 60, 30, 80))
    assert whole.mask.shape == whole.labels.shape == whole.heart.shape == (100, 120) and whole.xray is film
    assert whole.mask.sum() == 300 and whole.mask[30:50, 35:50].all() and whole.labels[30, 35] == 1
    m = whole.measurements
    assert (m["width"], m["height"], m["area_px"]) == (120, 100, 300) and m["lung_fraction"] == 300 / 12000
    assert whole.probabilities.size == 0


def test_finishing_on_the_crop_gives_the_lungs_in_place_too(monkeypatch):
    film, truth = small_chest()
    monkeypatch.setattr(body_crop_module, "CROP", True)
    found = {}
    for on_crop in (False, True):
        monkeypatch.setattr(body_crop_module, "FINISH_ON_CROP", on_crop)
        result = Segmenter(DarkGreyIsLung(), 64, "none", threshold=0.5, quality=False)(XRay(film))
        found[on_crop] = overlap_metrics(result.mask, truth)["dice"]
        assert result.mask.shape == film.shape and result.measurements["width"] == 256
    assert found[True] > 0.9 and abs(found[True] - found[False]) < 0.05


class DarkFieldSaysInverted:
    """A model-free polarity check: "inverted" (logit 5) when under 30% of the thumbnail lies above its mean, as on a
    film that is mostly black field around a small body; "as it came" (-5) otherwise."""

    size = 64

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return np.array([5.0 if (t > 0).mean() < 0.3 else -5.0 for t in x], np.float32)


def test_the_polarity_check_judges_the_crop_the_model_sees(monkeypatch):
    """Round 66: on the whole film the black field fools the check (and the veto: the body's tissue turned over looks
    like lung); on the crop the check sees the chest as it came, and the lungs are found as they are."""
    film, truth = small_chest()
    monkeypatch.setattr(body_crop_module, "CROP", True)
    found = {}
    for on_crop in (False, True):
        monkeypatch.setattr(body_crop_module, "POLARITY_ON_CROP", on_crop)
        segmenter = Segmenter(DarkGreyIsLung(), 64, "none", threshold=0.5, quality=False)
        segmenter.polarity_check = DarkFieldSaysInverted()
        result = segmenter(XRay(film))
        found[on_crop] = ("inverted_input" in result.measurements["flags"], overlap_metrics(result.mask, truth)["dice"])
    assert found[False][0] and found[False][1] < 0.5  # turned over: the body's tissue taken for lung
    assert not found[True][0] and found[True][1] > 0.9


def shuttered(side: int = 256, top: int = 30, right: int = 20, value: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """(film, lung mask): a chest filling the film, textured so that no row or column of it is flat, with a flat
    shutter band of ``value`` over its top ``top`` rows and its right ``right`` columns."""
    mask = lungs(side)
    film = np.where(mask, 0.25, 0.7).astype(np.float32)
    yy, xx = np.mgrid[:side, :side]
    film += 0.05 * np.sin(xx / 3.0 + yy / 7.0)  # every row and column of the chest varies along it
    film[:top] = value
    film[:, side - right :] = value
    return film, mask


def test_the_band_box_is_the_film_inside_its_shutters():
    film, _ = shuttered(400, top=40, right=30)
    y0, y1, x0, x1 = band_box(XRay(film), 100)  # every 4th pixel judged: the box starts within a step of the band
    assert 37 <= y0 <= 40 and y1 == 400 and x0 == 0 and 370 <= x1 <= 373


def test_no_band_box_without_bands_or_with_too_little_inside():
    assert band_box(XRay(shuttered(256, top=0, right=0)[0]), 64) is None  # a film with no flat band
    assert band_box(XRay(shuttered(256, top=2, right=0)[0]), 256) is None  # 2 rows of 256: under 1% of the side
    assert band_box(XRay(shuttered(256, top=150, right=0)[0]), 64) is None  # what is inside is under half the side


def test_the_band_crop_feeds_the_model_the_exposed_film_alone(monkeypatch):
    film, truth = shuttered(256, top=40, right=30, value=0.6)
    truth[:40] = False  # nothing can be drawn under a shutter
    truth[:, 226:] = False
    seen = {}
    for band in (False, True):
        monkeypatch.setattr(body_crop_module, "BAND_CROP", band)
        model = DarkGreyIsLung()
        result = Segmenter(model, 64, "none", threshold=0.5, quality=False)(XRay(film))
        assert result.mask.shape == film.shape and not result.mask[:38].any()  # in place on the whole film
        seen[band] = (np.isclose(model.inputs[0], 0.6).mean(), overlap_metrics(result.mask, truth)["dice"])
    assert seen[False][0] > 0.2 and seen[True][0] < 0.02  # the shutters were a fifth of the input; now none of it
    assert seen[True][1] > 0.9


def test_a_band_crop_can_be_finished_on_the_whole_film(monkeypatch):
    film, truth = shuttered(256, top=40, right=30, value=0.6)
    truth[:40] = False
    truth[:, 226:] = False
    finished = {}
    for whole in (False, True):
        monkeypatch.setattr(body_crop_module, "BAND_FINISH_WHOLE", whole)
        seg = Segmenter(DarkGreyIsLung(), 64, "none", threshold=0.5, quality=False)
        shapes: list = []

        def spy(xray, *a, _shapes=shapes, _original=seg.finish, **k):
            _shapes.append(xray.shape)
            return _original(xray, *a, **k)

        monkeypatch.setattr(seg, "finish", spy)
        result = seg(XRay(film))
        finished[whole] = (shapes, overlap_metrics(result.mask, truth)["dice"], result.mask[:38].any())
    (crop,), (whole,) = finished[False][0], finished[True][0]
    assert abs(crop[0] - 216) <= 4 and abs(crop[1] - 226) <= 4 and whole == (256, 256)  # the crop, or the whole film
    assert all(d > 0.9 and not band for _, d, band in finished.values())  # the lungs in place; none in a band


def test_the_crop_is_decided_at_load_and_only_the_crop_is_resized(monkeypatch):
    """#11: load_input with crop_view resizes the crop alone; prepared() then keeps the item as it came."""
    from lungseg.inference import pipeline
    from lungseg.inference.prepare import crop, crop_view

    film, _ = shuttered(256, top=40, right=30, value=0.6)
    seg = Segmenter(DarkGreyIsLung(), 64, "none", threshold=0.5, quality=False)
    resized: list = []
    original = pipeline.resize_xray
    monkeypatch.setattr(pipeline, "resize_xray", lambda x, h, w: resized.append(x.shape) or original(x, h, w))
    item = pipeline.load_input(film, 0, 64, "none", view=crop_view(seg))
    xray = item["xray"]  # the array as the one reader makes it an X-ray
    box = band_box(xray, 64)
    assert item["viewed"] and item["box"] == box and item["band"] and len(resized) == 1
    assert resized[0] == (box[1] - box[0], box[3] - box[2])  # the crop only, not the whole film first
    np.testing.assert_array_equal(item["work"], pipeline.to_working(cropped(xray, box), 64, "none"))
    assert crop(seg, item) is item  # decided already
    late = crop(seg, pipeline.load_input(film, 0, 64, "none"))  # the same decision made after loading
    assert late["box"] == item["box"] and np.array_equal(late["work"], item["work"])


def test_a_film_needing_no_crop_is_viewed_whole_and_without_polarity_first_nothing_is_decided_at_load(monkeypatch):
    from lungseg.inference import pipeline
    from lungseg.inference.prepare import crop_view

    seg = Segmenter(DarkGreyIsLung(), 64, "none", threshold=0.5, quality=False)
    film = shuttered(256, top=0, right=0)[0]
    item = pipeline.load_input(film, 0, 64, "none", view=crop_view(seg))
    assert item["viewed"] and "box" not in item
    np.testing.assert_array_equal(item["work"], pipeline.to_working(item["xray"], 64, "none"))
    monkeypatch.setattr(body_crop_module, "POLARITY_ON_CROP", False)  # the check first: the crop after it, as before
    assert crop_view(seg) is None
