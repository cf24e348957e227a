"""DICOM files as hospitals write them: each gives a sensible image or a one-line error naming the file."""

import numpy as np
import pytest
from pydicom.dataset import FileDataset
from pydicom.sequence import Sequence

from lungseg.io.reader import read_xray

from .dicom_factory import empty_dx, write_dicom


def dataset(path, pixels: np.ndarray, **tags) -> FileDataset:
    ds = empty_dx(path)
    frames = pixels.shape[0] if pixels.ndim == 3 and "NumberOfFrames" in tags else 1
    rows, cols = pixels.shape[-2:] if frames > 1 or pixels.ndim == 2 else pixels.shape[:2]
    ds.Rows, ds.Columns = rows, cols
    bits = pixels.dtype.itemsize * 8
    ds.SamplesPerPixel, ds.BitsAllocated, ds.BitsStored, ds.HighBit = 1, bits, bits, bits - 1
    ds.PixelRepresentation = int(np.issubdtype(pixels.dtype, np.signedinteger))
    ds.PhotometricInterpretation = "MONOCHROME2"
    for key, value in tags.items():
        setattr(ds, key, value)
    ds.PixelData = pixels.tobytes()
    return ds


def ramp(dtype=np.uint16, top=4095) -> np.ndarray:
    return np.linspace(0, top, 64 * 48).reshape(48, 64).astype(dtype)


def test_multiframe_takes_the_first_frame(tmp_path):
    frames = np.stack([ramp(), ramp()[::-1]])
    ds = dataset(tmp_path / "m.dcm", frames, NumberOfFrames=2)
    ds.save_as(tmp_path / "m.dcm", enforce_file_format=True)
    pixels = read_xray(tmp_path / "m.dcm").pixels
    assert pixels.shape == (48, 64) and pixels[0, 0] < pixels[-1, -1]


def test_rgb_dicom_becomes_luminance(tmp_path):
    rgb = np.dstack([ramp(np.uint8, 255)] * 3)
    ds = dataset(tmp_path / "c.dcm", rgb, SamplesPerPixel=3, PhotometricInterpretation="RGB", PlanarConfiguration=0)
    ds.save_as(tmp_path / "c.dcm", enforce_file_format=True)
    pixels = read_xray(tmp_path / "c.dcm").pixels
    assert pixels.shape == (48, 64) and pixels.min() == 0 and pixels.max() == pytest.approx(1, abs=0.01)


def test_signed_pixels(tmp_path):
    ds = dataset(tmp_path / "s.dcm", (ramp(np.int16, 2000) - 1000).astype(np.int16))
    ds.save_as(tmp_path / "s.dcm", enforce_file_format=True)
    pixels = read_xray(tmp_path / "s.dcm").pixels
    assert pixels.min() == 0 and pixels.max() == 1 and pixels[0, 0] < pixels[-1, -1]


def test_bits_stored_below_bits_allocated_ignores_the_high_bits(tmp_path):
    data = ramp() | np.uint16(0xF000)  # garbage in the 4 unused high bits
    ds = dataset(tmp_path / "b.dcm", data, BitsStored=12, HighBit=11)
    ds.save_as(tmp_path / "b.dcm", enforce_file_format=True)
    pixels = read_xray(tmp_path / "b.dcm").pixels
    assert np.allclose(pixels, ramp() / 4095, atol=1e-3)


def test_voi_lut_sequence_is_applied(tmp_path):
    lut = Sequence()
    ds = dataset(tmp_path / "v.dcm", ramp())
    item = FileDataset(None, {})
    item.LUTDescriptor = [4096, 0, 16]
    item.LUTData = np.linspace(65535, 0, 4096).astype("<u2").tobytes()  # an inverting LUT (OW)
    lut.append(item)
    ds.VOILUTSequence = lut
    ds.save_as(tmp_path / "v.dcm", enforce_file_format=True)
    pixels = read_xray(tmp_path / "v.dcm").pixels
    assert pixels[0, 0] > pixels[-1, -1]  # the LUT's inversion is honoured


def test_missing_transfer_syntax_still_reads_or_says_why(tmp_path):
    ds = dataset(tmp_path / "t.dcm", ramp())
    del ds.file_meta.TransferSyntaxUID
    ds.is_little_endian, ds.is_implicit_VR = True, False
    ds.save_as(tmp_path / "t.dcm", enforce_file_format=False)
    try:
        pixels = read_xray(tmp_path / "t.dcm").pixels
    except ValueError as exc:
        assert "t.dcm" in str(exc)
    else:
        assert pixels.shape == (48, 64)


@pytest.mark.parametrize(
    ("monochrome1", "slope", "intercept", "window"),
    [(False, 1.0, 0.0, None), (True, 1.0, 0.0, None), (False, 2.0, -100.0, None), (True, -0.5, 30.0, None),
     (False, 2.0, -100.0, (900.0, 1200.0))],
)  # fmt: skip
def test_plain_dicoms_keep_their_integers_with_the_same_pixels(tmp_path, monochrome1, slope, intercept, window):
    """Without a window or lookup table, the integers stay as stored (no full-size float copy) and the pixels
    are those of the full float path (min-max scaled; MONOCHROME1 or a negative slope flipped)."""
    import pydicom

    from lungseg.io.reader import _decoded, _dicom_pixels

    values = np.random.default_rng(3).integers(200, 3000, (40, 30)).astype(np.float64) * abs(slope) + intercept
    path = tmp_path / "x.dcm"
    write_dicom(path, values, monochrome1=monochrome1, slope=slope, intercept=intercept, window=window)
    xray = read_xray(path)
    ds = pydicom.dcmread(path)
    expected = _dicom_pixels(ds, _decoded(ds, path))
    np.testing.assert_allclose(xray.pixels, expected, atol=2e-6)
    assert np.issubdtype(xray.data.dtype, np.integer) == (window is None)
