"""The shipped model on real X-rays: a broken model or preprocessing change cannot land."""

import numpy as np
import pytest

from lungseg.data.layouts import discover, select
from lungseg.evaluation.evaluate import evaluate_sample
from lungseg.inference.segmenter import Segmenter
from lungseg.model.pretrained import DEFAULT_MODEL, PRETRAINED

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


def test_these_images_are_in_the_test_split_of_the_bundled_model(segmenter):
    assert set(MONTGOMERY_TEST_20) <= set(segmenter.payload["split"]["test"])
    assert not set(MONTGOMERY_TEST_20) & set(segmenter.payload["split"]["train"] + segmenter.payload["split"]["val"])


def test_table_matches_the_checkpoint(segmenter):
    cfg = PRETRAINED[DEFAULT_MODEL]
    train_config = segmenter.payload["train_config"]
    assert (cfg.image_size, cfg.intensity) == (train_config["image_size"], train_config["intensity"])
    assert cfg.padding == segmenter.model.config.padding
    assert segmenter.image_size == cfg.image_size and 0 < segmenter.threshold < 1
