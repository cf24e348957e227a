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


def test_kill_9_during_training_then_resume_gives_the_same_weights(kaggle_tree, tmp_path):
    """A real SIGKILL once the first epoch's checkpoint exists; --resume must end exactly where an
    uninterrupted run ends (weights bit for bit)."""
    import os
    import signal
    import subprocess
    import time

    import torch

    from lungseg.model.checkpoint import load_model, read_checkpoint

    def argv(out):
        tiny = ["--epochs", "4", "--image-size", "32", "--base-channels", "4", "--depth", "2", "--batch-size", "2"]
        return [sys.executable, "-m", "lungseg", "train", "--data", str(kaggle_tree), "--output", str(out), *tiny]

    subprocess.run(argv(tmp_path / "full"), check=True, capture_output=True)
    proc = subprocess.Popen(argv(tmp_path / "part"), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    last = tmp_path / "part" / "last.pt"
    deadline = time.time() + 120
    while not last.exists() and time.time() < deadline:
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert read_checkpoint(last)["epoch"] < 4  # killed before the end, and last.pt is whole
    resume = [sys.executable, "-m", "lungseg", "train", "--resume", str(tmp_path / "part")]
    subprocess.run(resume, check=True, capture_output=True)
    a, _ = load_model(tmp_path / "full" / "last.pt")
    b, _ = load_model(last)
    for (name, ta), tb in zip(a.state_dict().items(), b.state_dict().values(), strict=True):
        assert torch.equal(ta, tb), name


def test_truncated_checkpoint_is_a_clear_error(tmp_path):
    import pytest

    from lungseg.model.checkpoint import read_checkpoint, save_checkpoint
    from lungseg.model.unet import UNet

    path = tmp_path / "c.pt"
    save_checkpoint(path, UNet(base_channels=2, depth=2))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=r"c\.pt.*not a readable lungseg checkpoint"):
        read_checkpoint(path)


def test_two_processes_on_one_output_folder(tmp_path):
    """Both segment the same folder at once: no corrupted file, every input done, one row per input."""
    import subprocess

    from kill_segment import check

    folder = tmp_path / "in"
    make_folder(folder, 10)
    out = tmp_path / "out"
    argv = [sys.executable, "-m", "lungseg", "segment", str(folder), "-o", str(out), "--batch-size", "2"]
    procs = [subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(2)]
    assert [p.wait() for p in procs] == [0, 0]
    result = check(out, sorted(folder.glob("*.png")))
    assert result["broken_outputs"] == [] and result["one_row_per_input"] and result["errors"] == []


def test_only_temporaries_of_ended_writers_are_stale(tmp_path):
    """A second run on the same folder must not delete the temporaries of a run still writing there."""
    import os
    import subprocess
    import time

    from lungseg.io.atomic import _owner_tag, _temporary_beside, is_stale_temporary

    mine = _temporary_beside(tmp_path / "a.png")
    assert _owner_tag() in mine.name and not is_stale_temporary(mine)
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    host = _owner_tag().split("~")[0]
    dead = tmp_path / f".b.png.{host}~{int(ended.stdout)}~0a0b0c0d.tmp"
    dead.touch()
    assert is_stale_temporary(dead)
    other_host = tmp_path / ".c.png.elsewhere~1~0a0b0c0d.tmp"
    other_host.touch()
    assert not is_stale_temporary(other_host)
    old = time.time() - 7200
    os.utime(other_host, (old, old))
    assert is_stale_temporary(other_host)  # nobody writes one file for an hour
