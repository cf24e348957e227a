"""Archive-scale segmentation: ``--shard K/N`` + ``merge-measurements``, and ``--ray`` on a local Ray instance.

Both must give the single-process run's files byte for byte (masks, labels, overlays, measurements.csv),
the bad input included.
"""

import filecmp
import sys
from pathlib import Path

import pytest
from PIL import Image

from lungseg.cli import main
from lungseg.inference.jobs import sample_path
from lungseg.inference.shards import merge_measurements, parse_shard, shard_slice
from tests.conftest import ellipse_pair


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> Path:
    """Five X-rays in two folders (the bundled sample at three sizes, an ellipse phantom) and a broken file."""
    root = tmp_path_factory.mktemp("inputs")
    (root / "sub").mkdir()
    sample = Image.open(sample_path()).convert("L")
    sample.save(root / "a_sample.png")
    sample.resize((200, 240)).save(root / "b_small.png")
    sample.resize((320, 288)).save(root / "sub" / "c_other.png")
    Image.fromarray(ellipse_pair(96)[0]).save(root / "sub" / "d_phantom.png")
    (root / "e_broken.png").write_bytes(b"not a png")
    return root


@pytest.fixture(scope="module")
def single(inputs, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("single")
    assert main(["segment", str(inputs), "-o", str(out)]) == 1  # the broken file fails, the rest goes on
    return out


def same_files(a: Path, b: Path) -> None:
    names = [*sorted(p.relative_to(a) for p in a.rglob("*.png")), Path("measurements.csv")]
    assert sorted(p.relative_to(b) for p in b.rglob("*.png")) == names[:-1]
    _, mismatch, errors = filecmp.cmpfiles(a, b, [str(n) for n in names], shallow=False)
    assert not mismatch and not errors, (mismatch, errors)


def test_shard_slices_are_contiguous_disjoint_and_cover():
    items = list(range(10))
    slices = [shard_slice(items, k, 3) for k in range(3)]
    assert slices == [[0, 1, 2], [3, 4, 5], [6, 7, 8, 9]]
    assert shard_slice(items, 0, 1) == items and shard_slice([1], 1, 2) == [1] and shard_slice([1], 0, 2) == []
    assert parse_shard("2/8") == (2, 8) and parse_shard(" 0 / 1 ") == (0, 1)
    for bad in ("8/8", "1", "-1/4", "a/b", "0/0"):
        with pytest.raises(ValueError, match="K/N"):
            parse_shard(bad)


def test_shards_then_merge_equal_the_single_run(inputs, single, tmp_path):
    out = tmp_path / "out"
    codes = [main(["segment", str(inputs), "-o", str(out), "--shard", f"{k}/3"]) for k in range(3)]
    assert codes.count(1) == 1 and codes.count(0) == 2  # only the shard holding the broken file fails
    assert not (out / "measurements.csv").exists()
    assert main(["merge-measurements", str(out)]) == 0
    same_files(single, out)
    rows = (out / "measurements.csv").read_text().splitlines()
    assert len(rows) == 6 and "e_broken.png" in rows[3] and "cannot be read" in rows[3]  # sorted order
    # a rerun of a shard skips its done inputs (files untouched) and retries only the failed one
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*.png")}
    assert main(["segment", str(inputs), "-o", str(out), "--shard", "1/3"]) == 1
    assert before == {p: p.stat().st_mtime_ns for p in out.rglob("*.png")}


def test_merge_names_missing_shards_and_usage_errors(inputs, tmp_path):
    out = tmp_path / "out"
    assert main(["segment", str(inputs), "-o", str(out), "--shard", "0/3"]) == 0
    with pytest.raises(ValueError, match=r"shard\(s\) 1/3, 2/3"):
        merge_measurements(out)
    assert main(["merge-measurements", str(out)]) == 1
    assert main(["merge-measurements", str(tmp_path / "empty")]) == 1
    assert main(["segment", str(inputs), "-o", str(out), "--shard", "3/3"]) == 2


def test_ray_without_the_extra_names_it(inputs, tmp_path, monkeypatch, caplog):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError
    assert main(["segment", str(inputs), "-o", str(tmp_path / "out"), "--ray"]) == 1
    assert "pip install 'lungseg[ray]'" in caplog.text


def test_ray_local_cluster_matches_the_single_run(inputs, single, tmp_path):
    ray = pytest.importorskip("ray")  # in the dev extra: CI has it
    ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR")
    try:
        out = tmp_path / "out"
        assert main(["segment", str(inputs), "-o", str(out), "--ray"]) == 1
        same_files(single, out)
        before = {p: p.stat().st_mtime_ns for p in out.rglob("*.png")}
        assert main(["segment", str(inputs), "-o", str(out), "--ray"]) == 1  # skip-existing: only the bad retried
        assert before == {p: p.stat().st_mtime_ns for p in out.rglob("*.png")}
        assert main(["segment", str(inputs), "-o", str(out), "--ray", "--overwrite"]) == 1
        same_files(single, out)
        assert all(p.stat().st_mtime_ns > before[p] for p in before)  # --overwrite redid every output
    finally:
        ray.shutdown()
