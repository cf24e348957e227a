"""Hostile inputs for the one reader: whatever the bytes, a result or a ValueError naming the file.

Property tests with hypothesis over random bytes and bit flips of real PNG, JPEG and DICOM files,
truncations, and decompression bombs. The example counts are set so the suite stays quick; the
fuzzing benchmark (benchmarks/fuzz_reader.py) runs the same properties far longer.
"""

import io
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from lungseg.io.reader import MAX_PIXELS, read_xray

from .conftest import ellipse_pair
from .dicom_factory import write_dicom

EXAMPLES = int(os.environ.get("LUNGSEG_FUZZ_EXAMPLES", "150"))  # benchmarks/fuzz_reader.py raises it
FAST = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def seeds(tmp_path_factory) -> dict[str, bytes]:
    folder = tmp_path_factory.mktemp("seeds")
    image, _ = ellipse_pair(48)
    out = {}
    for fmt, suffix in (("PNG", ".png"), ("JPEG", ".jpg"), ("BMP", ".bmp"), ("TIFF", ".tif")):
        buffer = io.BytesIO()
        Image.fromarray(image).save(buffer, format=fmt)
        out[suffix] = buffer.getvalue()
    write_dicom(folder / "s.dcm", image.astype(np.float64), spacing=(0.2, 0.2))
    out[".dcm"] = (folder / "s.dcm").read_bytes()
    return out


@pytest.fixture(scope="module")
def seed_files(tmp_path_factory):
    return seeds(tmp_path_factory)


def read_or_clear_error(path):
    try:
        xray = read_xray(path)
    except ValueError as exc:
        assert str(path) in str(exc)  # the message names the file
        return None
    assert xray.pixels.dtype == np.float32 and xray.pixels.ndim == 2
    assert np.isfinite(xray.pixels).all() and xray.pixels.min() >= 0 and xray.pixels.max() <= 1
    return xray


@FAST
@given(data=st.binary(max_size=4096), suffix=st.sampled_from([".png", ".jpg", ".dcm", ".tif", ""]))
def test_random_bytes(tmp_path_factory, data, suffix):
    path = tmp_path_factory.mktemp("rnd") / f"x{suffix}"
    path.write_bytes(data)
    read_or_clear_error(path)


@FAST
@given(
    suffix=st.sampled_from([".png", ".jpg", ".bmp", ".tif", ".dcm"]),
    flips=st.lists(st.integers(0, 10**6), max_size=8),
    cut=st.one_of(st.none(), st.floats(0, 1)),
)
def test_bit_flips_and_truncation_of_real_files(tmp_path_factory, seed_files, suffix, flips, cut):
    data = bytearray(seed_files[suffix])
    for f in flips:
        data[f % len(data)] ^= 1 << (f % 8)
    if cut is not None:
        data = data[: int(len(data) * cut)]
    path = tmp_path_factory.mktemp("flip") / f"x{suffix}"
    path.write_bytes(bytes(data))
    read_or_clear_error(path)


def test_decompression_bomb_is_refused_before_decoding(tmp_path):
    side = int(MAX_PIXELS**0.5) + 100  # a 1-bit PNG this size is a few kB on disk
    Image.new("1", (side, side)).save(tmp_path / "bomb.png")
    with pytest.raises(ValueError, match=r"bomb\.png.*megapixels"):
        read_xray(tmp_path / "bomb.png")


@pytest.mark.parametrize("array", [np.full((8, 8), np.nan, np.float32), np.full((8, 8), np.inf, np.float32),
                                   np.full((8, 8), 7, np.uint8), np.zeros((1, 1), np.uint8),
                                   np.arange(9, dtype=np.uint16)[None]])  # fmt: skip
def test_degenerate_pixels_segment_without_crashing(array):
    from lungseg.inference.segmenter import Segmenter

    result = Segmenter.from_pretrained()(array)
    assert result.mask.shape == array.shape


@pytest.mark.parametrize(("suffix", "flip"), [(".dcm", 580), (".dcm", 268), (".tif", 72)])
def test_damage_the_fuzzer_found(tmp_path, seed_files, suffix, flip):
    """Bit flips that once escaped as UFuncTypeError, NotImplementedError and TypeError."""
    data = bytearray(seed_files[suffix])
    data[flip % len(data)] ^= 1 << (flip % 8)
    path = tmp_path / f"x{suffix}"
    path.write_bytes(bytes(data))
    read_or_clear_error(path)
