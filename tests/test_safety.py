"""Safety: untrusted checkpoints, no network, a full disk."""

import errno
import os
import socket

import numpy as np
import pytest
import torch
from PIL import Image

from lungseg.cli import main
from lungseg.model.checkpoint import read_checkpoint


class Payload:
    """Pickles to a call of os.system: what a hostile checkpoint would carry."""

    def __reduce__(self):
        return (os.system, ("touch PWNED",))


def test_a_checkpoint_with_code_is_refused_and_never_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "evil.pt"
    torch.save({"format": "lungseg-checkpoint-v1", "x": Payload()}, path)
    with pytest.raises(ValueError, match=r"evil\.pt"):
        read_checkpoint(path)
    assert not (tmp_path / "PWNED").exists()


def test_segment_runs_with_sockets_disabled(tmp_path, monkeypatch):
    def no_network(*args, **kwargs):
        raise OSError("network access attempted")

    monkeypatch.setattr(socket, "socket", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    assert main(["segment", "-o", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "sample_cxr_mask.png").is_file()


def test_full_disk_is_a_clear_error_with_nothing_half_written(tmp_path, monkeypatch, caplog):
    src = tmp_path / "in"
    src.mkdir()
    image = np.full((64, 64), 120, np.uint8)
    Image.fromarray(image).save(src / "a.png")
    before = (src / "a.png").read_bytes()
    real_save = Image.Image.save

    def enospc(self, fp, *args, **kwargs):
        if "out" in str(fp):
            real_save(self, fp, *args, **kwargs)  # the bytes land, then the disk is full
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_save(self, fp, *args, **kwargs)

    monkeypatch.setattr(Image.Image, "save", enospc)
    from lungseg.io import png

    real_chunk = png._chunk

    def full_after_header(kind: bytes, data: bytes) -> bytes:  # the masks' own writer: full at the first data
        if kind == b"IDAT":
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_chunk(kind, data)

    monkeypatch.setattr(png, "_chunk", full_after_header)
    out = tmp_path / "out"
    assert main(["segment", str(src), "-o", str(out), "--no-heart"]) == 1
    assert "No space left on device" in caplog.text and "a.png" in caplog.text
    assert not list(out.glob("*.png")) and not list(out.glob(".*.tmp"))  # no partial outputs
    assert (src / "a.png").read_bytes() == before  # input untouched


def test_outputs_never_escape_the_output_folder(tmp_path, caplog):
    src = tmp_path / "in"
    (src / "sub").mkdir(parents=True)
    Image.fromarray(np.full((64, 64), 120, np.uint8)).save(src / "sub" / "a.png")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    (out / "sub").symlink_to(elsewhere)  # a link inside -o pointing out of it
    assert main(["segment", str(src), "-o", str(out), "--no-heart"]) == 1
    assert list(elsewhere.iterdir()) == [] and "outside" in caplog.text


def test_output_that_is_a_file_or_unwritable_is_a_clear_error(tmp_path, monkeypatch, caplog):
    target = tmp_path / "notafolder"
    target.write_text("keep me")
    assert main(["segment", "-o", str(target), "--no-heart"]) == 2
    assert "is a file" in caplog.text and target.read_text() == "keep me"

    def read_only(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", str(tmp_path / "ro"))

    monkeypatch.setattr("lungseg.inference.rowlog.write_text_atomic", read_only)
    assert main(["segment", "-o", str(tmp_path / "ro"), "--no-heart"]) == 1
    assert "Permission denied" in caplog.text and "writable" in caplog.text
