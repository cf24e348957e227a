"""report.html's thumbnails: written by segment beside each overlay, reused by ``lungseg report``."""

from __future__ import annotations

import shutil

from PIL import Image

from lungseg.cli import main
from lungseg.inference.jobs import sample_path
from lungseg.io.thumbnails import THUMB_SIDE


def test_segment_writes_thumbnails_that_the_report_reuses(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    for name in ("a.png", "b.png"):
        shutil.copy(sample_path(), inputs / name)
    out = tmp_path / "out"
    assert main(["segment", str(inputs), "-o", str(out)]) == 0
    thumbs = sorted((out / "report_files" / "thumbs").rglob("*.jpg"))
    assert [t.name for t in thumbs] == ["a_overlay.jpg", "b_overlay.jpg"]
    assert max(Image.open(thumbs[0]).size) == THUMB_SIDE
    html = (out / "report.html").read_text()
    assert "report_files/thumbs/a_overlay.jpg" in html and "report_files/thumbs/b_overlay.jpg" in html
    before = {t: t.stat().st_mtime_ns for t in thumbs}
    thumbs[1].unlink()
    assert main(["report", str(out)]) == 0
    assert thumbs[0].stat().st_mtime_ns == before[thumbs[0]]  # reused, not made again
    assert thumbs[1].is_file()  # a missing one is made from its overlay


def test_no_report_means_no_thumbnails(tmp_path):
    shutil.copy(sample_path(), tmp_path / "a.png")
    out = tmp_path / "out"
    assert main(["segment", str(tmp_path / "a.png"), "-o", str(out), "--no-report"]) == 0
    assert (out / "a_overlay.png").is_file() and not (out / "report_files").exists()
