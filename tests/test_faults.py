"""Faults: ``lungseg segment`` killed with SIGKILL at random moments, then rerun (see benchmarks/kill_segment.py)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from kill_segment import kill_and_rerun, make_folder


def test_kill_9_then_rerun_loses_nothing(tmp_path):
    folder = tmp_path / "in"
    make_folder(folder, 12)
    result = kill_and_rerun(folder, tmp_path / "out", kills=4, seed=1, cli=[sys.executable, "-m", "lungseg"])
    assert result["final_exit_code"] == 0
    assert result["broken_outputs"] == [] and result["temporaries_left"] == []
    assert result["rows"] == 12 and result["one_row_per_input"] and result["errors"] == []
