"""The anatomical convention: known shapes, the pipeline step, and the CLI's refusal without a heart."""

from pathlib import Path

import numpy as np
import pytest
import torch

from lungseg.inference.convention import anatomical_labels, anatomical_lung, fill_convex
from lungseg.inference.pipeline import FinishOptions, finish
from lungseg.inference.postprocess import HEART, LEFT_LUNG, RIGHT_LUNG
from lungseg.io.reader import XRay

REPO = Path(__file__).resolve().parents[1]


def test_fill_convex_of_a_triangle_and_of_degenerate_sets():
    tri = fill_convex(np.array([[0, 0], [4, 0], [4, 4]]), (6, 6))  # rows 0-4: the lower-left half of a square
    assert [int(tri[r].sum()) for r in range(6)] == [1, 2, 3, 4, 5, 0]
    assert tri[4, :5].all() and not tri[0, 1]
    line = fill_convex(np.array([[1, 1], [1, 4]]), (3, 6))
    assert line.sum() == 4 and line[1, 1:5].all()
    assert fill_convex(np.zeros((0, 2), int), (3, 3)).sum() == 0


def test_an_l_shaped_lung_is_filled_into_its_hull():
    lung = np.zeros((10, 10), bool)
    lung[0:10, 0:3] = True
    lung[7:10, 0:10] = True  # an L: the notch above the foot is filled up to the diagonal
    out = anatomical_lung(lung, np.zeros_like(lung), image_left=True)
    assert out[lung].all() and out[3, 3] and out[6, 8] and not out[0, 9]
    expected = fill_convex(np.argwhere(lung), lung.shape)
    np.testing.assert_array_equal(out, expected)


def test_the_lung_runs_down_through_the_heart_shadow_in_its_innermost_column():
    labels = np.zeros((40, 40), np.uint8)
    labels[5:35, 3:12] = RIGHT_LUNG  # image left; innermost column 11
    labels[5:20, 28:37] = LEFT_LUNG  # image right, cut short by the heart; innermost column 28
    labels[20:35, 33:37] = LEFT_LUNG  # its lateral lower part, beside the heart
    heart = np.zeros((40, 40), bool)
    heart[18:38, 14:33] = True
    out = anatomical_labels(labels, heart)
    np.testing.assert_array_equal(out == RIGHT_LUNG, labels == RIGHT_LUNG)  # a box: its hull, no heart in column 11
    grown = (out == LEFT_LUNG) & (labels != LEFT_LUNG)
    assert grown[20:35, 28:33].all()  # the lung behind the heart, from column 28 out to the lateral part
    assert not grown[:, :28].any() and not grown[35:].any()  # not past its innermost column nor its lowest row


def test_finish_draws_the_anatomical_lungs_only_when_asked_and_keeps_the_heart():
    labels = np.zeros((40, 40), np.uint8)
    labels[5:20, 28:37] = 1
    labels[20:35, 33:37] = 1
    labels[5:35, 3:12] = 1
    heart = np.zeros((40, 40), bool)
    heart[18:38, 14:33] = True
    logits = torch.from_numpy(np.where(labels > 0, 8.0, -8.0).astype(np.float32))[None]
    heart_logits = torch.from_numpy(np.where(heart, 8.0, -8.0).astype(np.float32))[None]
    xray = XRay(np.zeros((40, 40), np.float32))
    heart_options = FinishOptions(0.5, target="heart", probabilities=False)
    runs = {c: finish(xray, logits, "x", FinishOptions(convention=c), heart_logits, heart_options)
            for c in ("visible", "anatomical")}  # fmt: skip
    visible, anatomical = runs["visible"], runs["anatomical"]
    assert visible.mask.sum() == (labels > 0).sum()
    assert anatomical.mask.sum() > visible.mask.sum() and (anatomical.mask & visible.mask).sum() == visible.mask.sum()
    np.testing.assert_array_equal(anatomical.heart, visible.heart)  # the heart mask is the same
    assert (anatomical.labels == HEART).sum() < (visible.labels == HEART).sum()  # label 3: heart not behind lung
    assert anatomical.measurements["area_px"] == anatomical.mask.sum()
    assert anatomical.measurements["ctr"] == visible.measurements["ctr"]  # outer lung borders unchanged


def test_the_anatomical_convention_needs_a_heart_and_says_so(tmp_path, caplog):
    from lungseg.cli import main
    from lungseg.inference.segmenter import Segmenter

    with pytest.raises(ValueError, match="needs a heart"):
        Segmenter.from_pretrained(heart=None, convention="anatomical")
    with pytest.raises(ValueError, match="unknown lung convention"):
        Segmenter.from_pretrained(convention="medial")
    assert main(["segment", "-o", str(tmp_path / "out"), "--no-heart", "--convention", "anatomical"]) != 0
    assert "needs a heart" in caplog.text


def test_nothing_is_added_below_the_diaphragm():
    """A lung whose lower border rises between two low corners (a dome): its hull would fill under the
    dome, the floor keeps it out; in the heart's columns the heart's lower border is the floor."""
    labels = np.zeros((14, 12), np.uint8)
    labels[0:10, 0:3] = RIGHT_LUNG
    labels[0:6, 3:7] = RIGHT_LUNG  # the dome: rows 6-9 of columns 3-6 lie under it
    labels[0:10, 7] = RIGHT_LUNG
    np.testing.assert_array_equal(anatomical_labels(labels, np.zeros((14, 12), bool)), labels)
    heart = np.zeros((14, 12), bool)
    heart[4:8, 3:7] = True  # a heart in those columns, ending at row 7: rows 6-7 may be lung, 8-9 not
    grown = (anatomical_labels(labels, heart) == RIGHT_LUNG) & (labels == 0)
    assert grown[6:8, 3:7].all() and not grown[8:].any()


def test_evaluate_scores_anatomical_masks_in_their_own_convention(shared_data, tmp_path):
    """Six v7 test films, whose manual masks include the lung behind the heart: the bundled model scores far
    better against them with --convention anatomical (benchmarks/anatomical.md: +0.097 on 200 films)."""
    import json

    from lungseg.cli import main

    names = json.loads((REPO / "splits" / "v7_pediatric.json").read_text())["test"][:6]
    split = tmp_path / "six.json"
    split.write_text(json.dumps({"test": names}))
    dice = {}
    for convention in ("visible", "anatomical"):
        out = tmp_path / convention
        argv = ["evaluate", "--model", "lungseg-unet-default", "--data", str(shared_data / "v7_pediatric"),
                "--split", str(split), "--output", str(out), "--convention", convention]  # fmt: skip
        assert main(argv) == 0
        summary = json.loads((out / "summary.json").read_text())
        assert summary["n_images"] == 6 and summary["convention"] == convention
        dice[convention] = summary["dice_mean"]
    assert dice["anatomical"] > dice["visible"] + 0.03
