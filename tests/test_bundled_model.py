"""The shipped model on real X-rays: a broken model or preprocessing change cannot land."""

import numpy as np
import pytest

from lungseg.data.layouts import discover, select
from lungseg.evaluation.evaluate import evaluate_sample
from lungseg.inference.segmenter import Segmenter
from lungseg.model.pretrained import DEFAULT_MODEL, FAST_MODEL, PRETRAINED

# 20 fixed images of the Montgomery test half (never trained on or selected with): every third one.
MONTGOMERY_TEST_20 = [
    "MCUCXR_0001_0", "MCUCXR_0008_0", "MCUCXR_0016_0", "MCUCXR_0020_0", "MCUCXR_0028_0",
    "MCUCXR_0038_0", "MCUCXR_0042_0", "MCUCXR_0049_0", "MCUCXR_0059_0", "MCUCXR_0063_0",
    "MCUCXR_0077_0", "MCUCXR_0085_0", "MCUCXR_0092_0", "MCUCXR_0099_0", "MCUCXR_0104_1",
    "MCUCXR_0144_1", "MCUCXR_0166_1", "MCUCXR_0195_1", "MCUCXR_0254_1", "MCUCXR_0264_1",
]  # fmt: skip


@pytest.fixture(scope="module")
def segmenter() -> Segmenter:
    if DEFAULT_MODEL not in PRETRAINED:
        pytest.fail("no default model is bundled")
    return Segmenter.from_pretrained()


def test_bundled_model_on_20_montgomery_test_images(segmenter, real_data):
    samples = select(discover(real_data)[1], MONTGOMERY_TEST_20)
    dice = [evaluate_sample(segmenter, s)["dice"] for s in samples]
    assert np.mean(dice) >= 0.95, f"mean Dice {np.mean(dice):.4f} on 20 Montgomery test images"
    assert min(dice) >= 0.85, f"worst Dice {min(dice):.4f}"


def test_bundled_fast_model_on_20_montgomery_test_images(real_data):
    """The fast model (#11): its table row matches its checkpoint, it has the heart output, the 20 films are in
    its test split, and its lungs on them are as good as the bar the default model must pass."""
    if FAST_MODEL not in PRETRAINED:
        pytest.fail("no fast model is bundled")
    fast = Segmenter.from_pretrained(FAST_MODEL)
    cfg, train_config = PRETRAINED[FAST_MODEL], fast.payload["train_config"]
    assert (cfg.image_size, cfg.intensity) == (train_config["image_size"], train_config["intensity"])
    assert fast.model.config.base_channels == 8 and fast.has_heart
    assert set(MONTGOMERY_TEST_20) <= set(fast.payload["split"]["test"])
    samples = select(discover(real_data)[1], MONTGOMERY_TEST_20)
    dice = [evaluate_sample(fast, s)["dice"] for s in samples]
    assert np.mean(dice) >= 0.95, f"mean Dice {np.mean(dice):.4f} on 20 Montgomery test images"
    assert min(dice) >= 0.85, f"worst Dice {min(dice):.4f}"


def test_these_images_are_in_the_test_split_of_the_bundled_model(segmenter):
    assert set(MONTGOMERY_TEST_20) <= set(segmenter.payload["split"]["test"])
    assert not set(MONTGOMERY_TEST_20) & set(segmenter.payload["split"]["train"] + segmenter.payload["split"]["val"])


def test_table_matches_the_checkpoint(segmenter):
    cfg = PRETRAINED[DEFAULT_MODEL]
    train_config = segmenter.payload["train_config"]
    assert (cfg.image_size, cfg.intensity) == (train_config["image_size"], train_config["intensity"])
    assert cfg.padding == segmenter.model.config.padding
    assert segmenter.image_size == cfg.image_size and 0 < segmenter.threshold < 1


def test_golden_sample_needs_no_shared_data():
    """The bundled model on the bundled sample against its shipped manual mask: an all-zero or broken
    model, or a preprocessing change that breaks the shipped weights, cannot pass."""
    from importlib import resources

    from PIL import Image

    from lungseg.evaluation.metrics import overlap_metrics
    from lungseg.inference.jobs import sample_path

    manual = np.asarray(Image.open(str(resources.files("lungseg") / "assets" / "sample_cxr_mask.png"))) > 0
    result = Segmenter.from_pretrained()(sample_path())
    assert result.mask.shape == manual.shape
    assert overlap_metrics(result.mask, manual)["dice"] >= 0.95
    assert set(np.unique(result.labels)) == {0, 1, 2, 3}  # both lungs and the heart
    assert 0.35 < result.measurements["ctr"] < 0.6


@pytest.mark.parametrize("side", ["left", "right"])
def test_real_films_framed_off_centre_keep_both_lungs(segmenter, real_data, side):
    """Montgomery test films padded on one side by 40% of their width (the chest off-centre, as on many
    portable films): both lungs are kept and each gets its own side's label."""
    from lungseg.evaluation.evaluate import read_labelled
    from lungseg.inference.postprocess import LEFT_LUNG, RIGHT_LUNG, lung_sides
    from lungseg.io.reader import XRay

    for sample in select(discover(real_data)[1], MONTGOMERY_TEST_20[:5]):
        image, mask = read_labelled(sample)
        pad = ((0, 0), (int(0.4 * image.shape[1]), 0)) if side == "left" else ((0, 0), (0, int(0.4 * image.shape[1])))
        result = segmenter(XRay(np.pad(image, pad)))
        reference = np.pad(mask, pad)
        right_ref, left_ref = lung_sides(reference)
        assert overlap_metrics_dice(result.labels == RIGHT_LUNG, right_ref) >= 0.9, sample.name
        assert overlap_metrics_dice(result.labels == LEFT_LUNG, left_ref) >= 0.9, sample.name


def overlap_metrics_dice(pred, target) -> float:
    from lungseg.evaluation.metrics import overlap_metrics

    return overlap_metrics(pred, target)["dice"]
