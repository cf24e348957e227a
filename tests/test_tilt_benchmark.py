"""benchmarks/tilt.py: its lung axis has known answers, and its Markdown is its JSON."""

import json
import sys
from pathlib import Path

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCH))


def test_the_lung_axis_is_the_angle_between_the_two_lungs_centres():
    from tilt import lung_axis_degrees

    labels = np.zeros((100, 100), np.uint8)
    labels[20:60, 10:30] = 1  # centre (39.5, 19.5)
    labels[20:60, 70:90] = 2  # level with it: 0 degrees
    assert lung_axis_degrees(labels) == pytest.approx(0.0)
    labels[labels == 2] = 0
    labels[0:40, 70:90] = 2  # 20 rows higher, 60 columns on: atan(-20 / 60)
    assert lung_axis_degrees(labels) == pytest.approx(np.degrees(np.arctan2(-20, 60)))
    labels[labels == 1] = 0
    assert np.isnan(lung_axis_degrees(labels))


def test_tilt_md_is_its_json():
    from tilt import TILTS, render

    result = json.loads((BENCH / "tilt.json").read_text())
    assert (BENCH / "tilt.md").read_text() == render(result)
    assert all(list(rows) == [str(t) for t in TILTS] for rows in result["splits"].values())


def test_the_card_and_the_rounds_quote_tilt_json():
    root = BENCH.parent
    result = json.loads((BENCH / "tilt.json").read_text())
    test, val = result["splits"]["test"], result["splits"]["val"]
    card = " ".join((root / "MODEL_CARD.md").read_text().split())
    rounds = " ".join((root / "docs" / "model_rounds.md").read_text().split())
    assert (f"the test films score {test['0']['mean']:.4f} upright, {test['15']['mean']:.4f} at 15 degrees, "
            f"{test['25']['mean']:.4f} at 25 and {test['35']['mean']:.4f} at 35 ({test['35']['under_0.85']} of "
            f"{result['films']['test']} under 0.85") in card  # fmt: skip
    assert (f"the validation films score {val['0']['mean']:.4f} upright, {val['15']['mean']:.4f} at 15 degrees, "
            f"{val['25']['mean']:.4f} at 25 ({val['25']['under_0.85']} under 0.85)") in rounds  # fmt: skip
    assert f"(upright validation films {val['0']['axis_p5']} to {val['0']['axis_p95']} degrees" in rounds
