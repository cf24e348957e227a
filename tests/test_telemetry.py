"""lungseg turns off the usage reporting of the runtimes it loads (lungseg.telemetry), unless the user asks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import onnx
import pytest
from onnx import TensorProto, helper

from lungseg import telemetry

RUN = """
import sys
import numpy as np
{load}
session = ort.InferenceSession(sys.argv[1], providers=["CPUExecutionProvider"])
session.run(None, {{"x": np.ones((1, 2), np.float32)}})
print(__import__("os").environ.get("ORT_DISABLE_TELEMETRY"))
"""


@pytest.fixture
def tiny_onnx(tmp_path: Path) -> Path:
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2])
    graph = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "tiny", [x], [y])
    path = tmp_path / "tiny.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), path)
    return path


def run_in_fresh_home(load: str, model: Path, home: Path) -> tuple[str, list[str]]:
    """(what the child printed, the files it left in its empty home folder); no CI variable, as on a user's machine
    (ONNX Runtime keeps quiet under CI on its own)."""
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("CI", *telemetry.OPT_OUTS)} | {"HOME": str(home)}
    out = subprocess.run([sys.executable, "-c", RUN.format(load=load), str(model)], env=env, capture_output=True,
                         text=True, check=True).stdout.strip()  # fmt: skip
    return out, sorted(str(p.relative_to(home)) for p in home.rglob("*") if p.is_file())


def test_onnx_runtime_through_lungseg_leaves_nothing_in_home(tiny_onnx: Path, tmp_path: Path) -> None:
    plain, _ = run_in_fresh_home("import onnxruntime as ort", tiny_onnx, tmp_path / "plain")
    assert plain == "None"  # the control: a plain import sets nothing (and may leave a device id, by ORT's version)
    ours, files = run_in_fresh_home("from lungseg.inference.onnx_backend import require\nort = require('onnxruntime')",
                                    tiny_onnx, tmp_path / "ours")  # fmt: skip
    assert ours == "1"
    assert files == []


def test_opt_out_sets_each_variable_but_keeps_the_users_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ORT_DISABLE_TELEMETRY", raising=False)
    monkeypatch.setenv("RAY_USAGE_STATS_ENABLED", "1")  # the user wants Ray's statistics
    telemetry.opt_out()
    assert os.environ["ORT_DISABLE_TELEMETRY"] == "1"
    assert os.environ["RAY_USAGE_STATS_ENABLED"] == "1"
    monkeypatch.delenv("RAY_USAGE_STATS_ENABLED")
    telemetry.opt_out()
    assert os.environ["RAY_USAGE_STATS_ENABLED"] == "0"
