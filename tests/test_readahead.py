"""Reading the first films while the model loads: each film read once, in the background, errors as usual."""

import threading

import numpy as np
import pytest
from PIL import Image

from lungseg.cli import main
from lungseg.inference import readahead
from lungseg.inference.readahead import ReadAhead, first_batches
from lungseg.io.reader import read_xray

from .test_segment import checkpoint, two_lungs  # noqa: F401 (a fixture)


@pytest.fixture
def reads(monkeypatch) -> list[tuple[str, str]]:
    """Every film the read-ahead module reads, as (file name, thread name), in order."""
    seen: list[tuple[str, str]] = []
    lock = threading.Lock()

    def recording(path):
        with lock:
            seen.append((str(path).rsplit("/", 1)[-1], threading.current_thread().name))
        return read_xray(path)

    monkeypatch.setattr(readahead, "read_xray", recording)
    return seen


def films(folder, count: int) -> list:
    paths = []
    for k in range(count):
        paths.append(folder / f"x{k}.png")
        Image.fromarray(two_lungs(60 + k, 80)).save(paths[-1])
    return paths


def test_each_film_is_handed_over_once_then_read_again(tmp_path, reads):
    a, b, c = films(tmp_path, 3)
    ahead = ReadAhead([a, b])
    assert np.array_equal(ahead.read(a).data, read_xray(a).data)
    assert np.array_equal(ahead.read(c).data, read_xray(c).data)  # not read ahead: read now
    ahead.read(a)  # handed over already: read again
    assert len(ahead) == 1  # b, never asked for
    ahead.close()
    assert len(ahead) == 0
    background = [name for name, thread in reads if thread.startswith("lungseg-readahead")]
    # b's read is cancelled by close() if it had not started yet (a busy machine): read at most once either way
    assert sorted(background) in (["x0.png"], ["x0.png", "x1.png"])
    assert [name for name, thread in reads if not thread.startswith("lungseg-readahead")] == ["x2.png", "x0.png"]


def test_a_bad_file_read_ahead_fails_when_asked_for_with_the_readers_message(tmp_path):
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not an image")
    with pytest.raises(ValueError) as direct:
        read_xray(bad)
    ahead = ReadAhead([bad, tmp_path / "missing.png"])
    with pytest.raises(ValueError) as handed:
        ahead.read(bad)
    assert str(handed.value) == str(direct.value) and "bad.png" in str(handed.value)
    with pytest.raises(ValueError, match=r"missing\.png: no such file"):
        ahead.read(tmp_path / "missing.png")


def test_first_batches_are_those_the_stream_makes(tmp_path):
    sizes = [10, 10, 3_000_000, 10, 10, 10, 10, 10]
    files = []
    for k, size in enumerate(sizes):
        files.append(tmp_path / f"f{k}.png")
        files[-1].write_bytes(b"x" * size)
    assert first_batches(files, 4, 1) == files[:3]  # the large file closes the first batch
    assert first_batches(files, 4, 2) == files[:7]
    assert first_batches(files, 4, 9) == files
    assert first_batches(files[:1], 4, 0) == []


def test_segment_reads_its_first_batch_ahead_and_every_film_once(tmp_path, reads, checkpoint, monkeypatch):  # noqa: F811
    src = tmp_path / "in"
    src.mkdir()
    films(src, 3)
    out = tmp_path / "out"
    argv = ["segment", str(src), "-o", str(out), "--model", str(checkpoint), "--batch-size", "1", "--parallel", "1"]
    assert main(argv) == 0  # small films: not worth a thread; the stream reads each itself (not through this module)
    assert reads == [] and all((out / f"x{k}_mask.png").is_file() for k in range(3))
    monkeypatch.setattr(readahead, "READ_AHEAD_MIN_BYTES", 1)  # as if they were large
    assert main([*argv, "--overwrite"]) == 0
    assert sorted(name for name, _ in reads) == ["x0.png", "x1.png", "x2.png"]
    assert [name for name, thread in reads if thread.startswith("lungseg-readahead")] == ["x0.png"]
    assert all((out / f"x{k}_mask.png").is_file() for k in range(3))
    reads.clear()
    assert main([*argv, "--overwrite", "--workers", "1"]) == 0  # worker processes read for themselves
    assert reads == []


def test_the_inference_modules_import_without_scipy_and_import_ahead_loads_it():
    """#11: importing the segment path leaves scipy.ndimage out (a quarter-second import); import_ahead() loads it in
    a thread and the post-processing then finds it."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "import lungseg.inference.batch, lungseg.inference.segmenter, lungseg.inference.quality\n"
        "print('scipy.ndimage' in sys.modules)\n"
        "from lungseg.inference.lazy_scipy import import_ahead\n"
        "import_ahead().join()\n"
        "print('scipy.ndimage' in sys.modules)\n"
        "import numpy as np\n"
        "from lungseg.inference.postprocess import largest_component\n"
        "m = np.zeros((9, 9), bool); m[1:3, 1:3] = True; m[5:9, 5:9] = True\n"
        "print(int(largest_component(m).sum()))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "True", "16"]
