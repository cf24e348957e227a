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


def test_the_card_and_the_readme_quote_tilt_json():
    root = BENCH.parent
    result = json.loads((BENCH / "tilt.json").read_text())
    test = result["splits"]["test"]
    card = " ".join((root / "MODEL_CARD.md").read_text().split())
    readme = " ".join((root / "README.md").read_text().split())
    auto = ", ".join(f"{test[t]['auto']['mean']:.4f}" for t in ("15", "25", "35"))
    keep = ", ".join(f"{test[t]['keep']['mean']:.4f}" for t in ("15", "25", "35"))
    quote = (f"the test films score {test['0']['auto']['mean']:.4f} upright and {auto} tilted by 15, 25 and 35 degrees "
             f"({keep} as they are; {test['35']['auto']['under_0.85']} of {result['films']['test']} under 0.85 at 35 "
             f"against {test['35']['keep']['under_0.85']})")  # fmt: skip
    assert quote in card and quote in readme
    assert test["0"]["levelled"] + result["splits"]["val"]["0"]["levelled"] == 0
    sick = result["sick"]
    cases = sick["val"]["cases"] + sick["test"]["cases"]
    moved = len(sick["val"]["levelled"]) + len(sick["test"]["levelled"])
    assert f"no upright adult validation or test film is levelled, and {moved} of {cases:,} with simulated disease" \
        in readme  # fmt: skip


def test_round_76_quotes_the_tilt_json_of_its_time():
    """Round 76's figures, as its run wrote them (``history/tilt_before77.json``; round 77 reran on another CPU)."""
    root = BENCH.parent
    result = json.loads((BENCH / "history" / "tilt_before77.json").read_text())
    test, val = result["splits"]["test"], result["splits"]["val"]
    rounds = " ".join((root / "docs" / "model_rounds.md").read_text().split())
    levelled_test = ", ".join(f"{test[t]['keep']['mean']:.4f} -> {test[t]['auto']['mean']:.4f}"
                              for t in ("15", "-15", "25", "-25", "35", "-35"))  # fmt: skip
    assert f"Test, after the choice: {levelled_test} at the same tilts" in rounds
    assert (f"the validation films score {val['0']['keep']['mean']:.4f} upright, {val['15']['keep']['mean']:.4f} at 15 "
            f"degrees, {val['25']['keep']['mean']:.4f} at 25 ({val['25']['keep']['under_0.85']} under 0.85)") in rounds
    assert f"(upright validation films {val['0']['axis_p5']} to {val['0']['axis_p95']} degrees" in rounds
    levelled_val = ", ".join(f"{val[t]['keep']['mean']:.4f} -> {val[t]['auto']['mean']:.4f}"
                             for t in ("15", "-15", "25", "-25", "35", "-35"))  # fmt: skip
    assert levelled_val in rounds
    upright = test["0"]["levelled"] + val["0"]["levelled"]
    assert upright == 0 and "No upright adult film is levelled (0 of 223 validation and test films)" in rounds
    sick = result["sick"]
    assert (f"none of {sick['val']['cases']} validation cases is levelled and {len(sick['test']['levelled'])} of "
            f"{sick['test']['cases']:,} test cases") in rounds and not sick["val"]["levelled"]
    port = result["portable"]
    moved = ", ".join(f"{port[split][t]['keep']['mean']:.4f} -> {port[split][t]['auto']['mean']:.4f}"
                      for split in ("val", "test") for t in ("20", "-20"))  # fmt: skip
    pairs = moved.split(", ")
    assert f"validation {pairs[0]} and {pairs[1]} (upright {port['val']['0']['auto']['mean']:.4f}), test {pairs[2]} " \
           f"and {pairs[3]} (upright {port['test']['0']['auto']['mean']:.4f};" in rounds  # fmt: skip
    assert all(port[s]["0"]["levelled"] == 0 and port[s]["0"]["keep"] == port[s]["0"]["auto"] for s in port)
    (_, kind, tilt, before, after), = sick["test"]["levelled"]
    assert f"(an {kind} read {tilt} degrees off level, {before} -> {after})" in rounds
