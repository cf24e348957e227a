"""The polarity check: an inverted film is turned back before segmenting (model-free steps, then the bundled model)."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from PIL import Image

from lungseg.cli import main
from lungseg.evaluation.metrics import overlap_metrics
from lungseg.inference.jobs import sample_path
from lungseg.inference.polarity import FLAG, check_polarity, inverted, is_inverted, polarity_model
from lungseg.inference.segmenter import Segmenter
from lungseg.io.reader import XRay, read_xray


class Stub:
    """A thumbnail model that gives one fixed logit (positive: inverted), and counts its calls."""

    size = 64

    def __init__(self, logit: float) -> None:
        self.logit, self.calls = logit, 0

    def __call__(self, x: np.ndarray) -> np.ndarray:
        assert x.shape == (1, 1, 64, 64)
        self.calls += 1
        return np.full(len(x), self.logit, np.float32)


@pytest.mark.parametrize("xray", [
    XRay(np.array([[0, 51, 255]], np.uint8), scale=1 / 255),
    XRay(np.array([[0, 1000, 4095]], np.uint16), scale=1 / 4095),
    XRay(np.array([[0.0, 0.2, 1.0]], np.float32)),
    XRay(np.array([[100, 150, 200]], np.uint16), scale=1 / 100, offset=100.0),  # a DICOM's min-max scaling
])  # fmt: skip
def test_inverted_turns_the_grey_scale_over_without_a_copy(xray):
    flipped = inverted(xray)
    np.testing.assert_allclose(flipped.pixels, 1 - xray.pixels, atol=1e-6)
    np.testing.assert_allclose(inverted(flipped).pixels, xray.pixels, atol=1e-6)
    assert flipped.data is xray.data and flipped.shape == xray.shape


def test_is_inverted_follows_the_logit_and_needs_a_model():
    xray = XRay(np.linspace(0, 1, 80 * 80, dtype=np.float32).reshape(80, 80))
    assert is_inverted(xray, Stub(2.0)) and not is_inverted(xray, Stub(-2.0)) and not is_inverted(xray, None)


@pytest.mark.parametrize("value", [0, 128, 255])
def test_a_film_of_one_grey_level_is_never_called_inverted(value):
    model = Stub(5.0)  # it would call anything inverted
    assert not is_inverted(XRay(np.full((80, 80), value, np.uint8), scale=1 / 255), model) and model.calls == 0


def test_a_blank_input_gets_no_inverted_flag(tmp_path):
    Image.fromarray(np.zeros((256, 256), np.uint8)).save(tmp_path / "black.png")
    assert main(["segment", str(tmp_path / "black.png"), "-o", str(tmp_path / "out"), "--no-report"]) == 0
    row = next(csv.DictReader((tmp_path / "out" / "measurements.csv").open()))
    assert FLAG not in row["flags"] and "no_lung" in row["flags"]


def test_unknown_polarity_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="auto, keep"):
        check_polarity("flip")
    with pytest.raises(ValueError, match="unknown polarity"):
        Segmenter.from_pretrained(polarity="sometimes")


@pytest.fixture(scope="module")
def upright():
    return read_xray(sample_path()).pixels


def test_a_film_called_inverted_is_segmented_turned_back_and_flagged(upright):
    """With a stub that calls every input inverted, the inverted sample gives the upright sample's masks."""
    seg = Segmenter.from_pretrained(polarity="keep")
    expected = seg(upright)
    seg.polarity_check = stub = Stub(5.0)
    result = seg(1 - upright)
    assert stub.calls == 1 and FLAG in result.measurements["flags"].split(";")
    assert overlap_metrics(result.mask, expected.mask)["dice"] > 0.995
    assert overlap_metrics(result.heart, expected.heart)["dice"] > 0.99
    seg.polarity_check = Stub(-5.0)
    assert FLAG not in seg(upright).measurements["flags"]


def test_bundled_model_tells_the_sample_from_its_negative(upright):
    model = polarity_model()
    assert model is not None, "the polarity model must ship with the package"
    assert not is_inverted(XRay(upright), model) and is_inverted(XRay(1 - upright), model)


def test_segment_turns_an_inverted_png_back_unless_told_to_keep_it(tmp_path, upright):
    inputs = tmp_path / "in"
    inputs.mkdir()
    Image.fromarray(np.round(upright * 255).astype(np.uint8)).save(inputs / "upright.png")
    Image.fromarray(np.round((1 - upright) * 255).astype(np.uint8)).save(inputs / "negative.png")
    rows = {}
    for polarity in ("auto", "keep"):
        out = tmp_path / polarity
        assert main(["segment", str(inputs), "-o", str(out), "--polarity", polarity, "--no-report"]) == 0
        with (out / "measurements.csv").open() as f:
            rows[polarity] = {r["path"].split("/")[-1]: r for r in csv.DictReader(f)}
    auto, keep = rows["auto"], rows["keep"]
    assert FLAG in auto["negative.png"]["flags"] and FLAG not in auto["upright.png"]["flags"]
    assert not any(FLAG in r["flags"] for r in keep.values())
    masks = {p: np.asarray(Image.open(tmp_path / p / "negative_mask.png")) > 0 for p in ("auto", "keep")}
    truth = np.asarray(Image.open(tmp_path / "auto" / "upright_mask.png")) > 0
    assert overlap_metrics(masks["auto"], truth)["dice"] > 0.99  # turned back: the upright film's mask
    assert overlap_metrics(masks["keep"], truth)["dice"] < 0.8  # as it is: the lung model fails (v6.3: 0.57)


def test_lungs_prefer_as_came_needs_a_clear_and_sizeable_lead():
    from lungseg.inference.polarity import CONFIDENT_LOGIT, lungs_prefer_as_came

    def logits(share_as_came: float, share_turned: float) -> np.ndarray:
        out = np.full((2, 2, 100, 100), -5.0, np.float32)  # channel 1 (the heart) never counts
        out[0, 0].flat[: int(share_as_came * 1e4)] = CONFIDENT_LOGIT + 0.1
        out[1, 0].flat[: int(share_turned * 1e4)] = CONFIDENT_LOGIT + 0.1
        out[:, 1] = 9.0
        return out

    assert lungs_prefer_as_came(logits(0.25, 0.05))  # lungs found as it came, little turned over
    assert not lungs_prefer_as_came(logits(0.25, 0.2))  # both ways alike: the polarity model's call stands
    assert not lungs_prefer_as_came(logits(0.015, 0.0))  # too little lung either way to overrule it
    assert not lungs_prefer_as_came(logits(0.05, 0.25))  # a truly inverted film: found only turned back


def test_an_upright_film_wrongly_called_inverted_is_kept_as_it_came(upright):
    """Round 52: with a stub that calls every input inverted, the upright sample is still segmented upright (the
    lung model finds its lungs that way, not turned over), unflagged; the inverted sample is still turned back."""
    seg = Segmenter.from_pretrained(polarity="keep")
    expected = seg(upright)
    seg.polarity_check = Stub(5.0)
    kept = seg(upright)
    assert FLAG not in kept.measurements["flags"] and overlap_metrics(kept.mask, expected.mask)["dice"] > 0.999
    turned = seg(1 - upright)
    assert FLAG in turned.measurements["flags"] and overlap_metrics(turned.mask, expected.mask)["dice"] > 0.995


def test_the_vetos_film_turned_over_has_a_flat_white_field_where_the_film_had_a_noisy_black_one():
    """Round 62: equalised, a noisy white field turns to speckle where the lung model finds lung; flat, it is white."""
    from lungseg.inference.pipeline import to_working
    from lungseg.inference.polarity import turned_for_veto

    film = np.zeros((256, 256), np.float32)
    film[:128, :128] = np.random.default_rng(0).uniform(0.2, 0.9, (128, 128))  # the chest, in the top-left quarter
    film = np.clip(film + np.random.default_rng(1).normal(0, 0.01, film.shape), 0, 1).astype(np.float32)
    xray = XRay(film)
    plain = to_working(inverted(xray), 64, "equalize")[0]
    veto = turned_for_veto(xray, 64, "equalize")[0]
    field = np.ones((64, 64), bool)
    field[:36, :36] = False  # away from the chest's edge
    assert plain[field].min() < 0.5  # the white field spread over the range
    assert (veto[field] == 1.0).all()
    np.testing.assert_allclose(veto[:28, :28], plain[:28, :28], atol=0.01)  # the chest itself: as before
