"""Training under torchrun: 2 CPU processes (gloo) on tiny synthetic data."""

import csv
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from lungseg.inference.segmenter import Segmenter
from lungseg.model.checkpoint import read_checkpoint
from lungseg.training.distributed import DistContext, context, wrap
from tests.conftest import ellipse_pair, write_kaggle_tree

REPO = Path(__file__).resolve().parents[1]


def torchrun(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", *args]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_two_processes_train_identical_weights_and_resume(tmp_path):
    data = write_kaggle_tree(tmp_path / "data", n_shenzhen=12)
    dump = tmp_path / "dump"
    dump.mkdir()
    run = torchrun(str(REPO / "tests" / "ddp_worker.py"), str(data), "run", str(dump), cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    ranks = [torch.load(dump / f"rank{r}.pt", weights_only=True) for r in (0, 1)]
    assert ranks[0].keys() == ranks[1].keys() and len(ranks[0]) > 10
    for name in ranks[0]:  # gradients were averaged: every parameter is bit-identical on both ranks
        assert torch.equal(ranks[0][name], ranks[1][name]), name
    payload = read_checkpoint(tmp_path / "run" / "last.pt")
    assert payload["world_size"] == 2 and payload["epoch"] == 2
    trained = {k: v for k, v in payload["state_dict"].items() if k in ranks[0]}
    assert all(torch.equal(trained[k], ranks[0][k]) for k in trained)  # rank 0 wrote what both ranks hold

    # --resume under torchrun through the CLI: one more epoch, rank 0 alone logs and writes
    run = torchrun("-m", "lungseg", "train", "--resume", "run", "--epochs", "3", cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "batch size 2 per process, 4 global (2 processes)" in run.stderr
    assert run.stdout.count("best checkpoint:") == 1
    rows = list(csv.DictReader((tmp_path / "run" / "log.csv").open()))
    assert [r["epoch"] for r in rows] == ["1", "2", "3"]

    # the checkpoint loads and segments in a single process
    segmenter = Segmenter.from_pretrained(tmp_path / "run" / "best.pt", heart=None)
    image, _ = ellipse_pair(48)
    result = segmenter(image)
    assert result.ok and result.mask.shape == (48, 48) and result.mask.dtype == bool


def test_context_from_torchrun_environment(monkeypatch):
    monkeypatch.setenv("RANK", "3")
    monkeypatch.setenv("WORLD_SIZE", "4")
    monkeypatch.setenv("LOCAL_RANK", "1")
    assert context() == DistContext(rank=3, world_size=4, local_rank=1)
    assert not context().is_main and context().enabled
    monkeypatch.setenv("RANK", "x")
    with pytest.raises(ValueError, match="RANK"):
        context()


def test_sync_bn_on_cpu_names_the_fix():
    model = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.BatchNorm2d(2))
    with pytest.raises(ValueError, match="drop --sync-bn"):
        wrap(model, DistContext(), torch.device("cpu"), sync_bn=True)
    assert wrap(model, DistContext(), torch.device("cpu"), sync_bn=False) is model  # one process: untouched
    assert np.isfinite(model(torch.zeros(1, 1, 5, 5)).detach().numpy()).all()
