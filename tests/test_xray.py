import numpy as np
import pytest
from pydicom.uid import JPEG2000Lossless

from lungseg.io.reader import from_array, is_dicom, read_xray

from .dicom_factory import COMPRESSED, compress_dicom, write_dicom


def ramp(h=20, w=30):
    return np.tile(np.linspace(0, 1000, w), (h, 1))


def test_dicom_rescale_monochrome2(tmp_path):
    write_dicom(tmp_path / "a.dcm", ramp(), spacing=(0.3, 0.4))
    xray = read_xray(tmp_path / "a.dcm")
    # stored values are (v + 100) / 2; the rescale restores v, then min-max scaling to [0, 1]
    np.testing.assert_allclose(xray.pixels[0], np.linspace(0, 1, 30), atol=2e-3)
    assert xray.spacing == (0.3, 0.4)


def test_dicom_monochrome1_is_inverted(tmp_path):
    write_dicom(tmp_path / "m1.dcm", ramp(), monochrome1=True, imager_spacing=True, spacing=(0.1, 0.1))
    xray = read_xray(tmp_path / "m1.dcm")
    np.testing.assert_allclose(xray.pixels[0], np.linspace(1, 0, 30), atol=2e-3)
    assert xray.spacing == (0.1, 0.1)  # ImagerPixelSpacing when PixelSpacing is absent


@pytest.mark.parametrize("monochrome1, shape, flipped", [
    (False, "INVERSE", True), (True, "INVERSE", False), (False, "IDENTITY", False), (True, "IDENTITY", True)])
@pytest.mark.parametrize("window", [None, (500, 1000)])
def test_dicom_inverse_presentation_lut_is_shown_inverted(tmp_path, monochrome1, shape, flipped, window):
    """An INVERSE Presentation LUT Shape turns the display over (with MONOCHROME1 the two cancel), on the plain
    integer path and on the window path alike."""
    write_dicom(tmp_path / "p.dcm", ramp(), monochrome1=monochrome1, window=window, presentation=shape)
    row = read_xray(tmp_path / "p.dcm").pixels[0]
    np.testing.assert_allclose(row, np.linspace(1, 0, 30) if flipped else np.linspace(0, 1, 30), atol=2e-3)


def test_dicom_window_is_applied(tmp_path):
    write_dicom(tmp_path / "w.dcm", ramp(), window=(500, 200))  # shows values 400..600 only
    pixels = read_xray(tmp_path / "w.dcm").pixels[0]
    values = np.linspace(0, 1000, 30)
    assert np.all(pixels[values < 390] == 0) and np.all(pixels[values > 610] == 1)
    assert 0 < pixels[15] < 1


def test_dicom_without_extension_is_detected(tmp_path):
    write_dicom(tmp_path / "IMG0001", ramp())
    assert is_dicom(tmp_path / "IMG0001")
    assert read_xray(tmp_path / "IMG0001").pixels.shape == (20, 30)


def test_compressed_dicom_names_the_plugin(tmp_path):
    path = tmp_path / "j2k.dcm"
    write_dicom(path, ramp())
    import pydicom

    ds = pydicom.dcmread(path)
    ds.file_meta.TransferSyntaxUID = JPEG2000Lossless  # claims JPEG 2000 but holds raw bytes
    ds.PixelData = pydicom.encaps.encapsulate([b"\xff\x4f\xff\x51garbage"])
    ds.save_as(path)
    with pytest.raises(ValueError, match=r"(?s)j2k\.dcm: cannot decode .*JPEG 2000.*lungseg\[dicom\]"):
        read_xray(path)


@pytest.mark.parametrize("syntax", COMPRESSED)
def test_compressed_dicom_reads_as_the_uncompressed_file(tmp_path, syntax):
    """Lossless JPEG, JPEG-LS, JPEG 2000 and RLE (what PACS exports hold) decode to the very same pixels."""
    import pydicom

    values = np.random.default_rng(0).integers(0, 4000, (40, 30)).astype(np.float32)
    write_dicom(tmp_path / "raw.dcm", values, monochrome1=True, spacing=(0.2, 0.2))
    compress_dicom(tmp_path / "raw.dcm", tmp_path / "c.dcm", syntax)
    plain, packed = read_xray(tmp_path / "raw.dcm"), read_xray(tmp_path / "c.dcm")
    np.testing.assert_array_equal(packed.pixels, plain.pixels)
    assert packed.spacing == (0.2, 0.2)
    assert pydicom.dcmread(tmp_path / "c.dcm").file_meta.TransferSyntaxUID.is_compressed


def test_gdcm_is_imported_only_for_compressed_pixel_data(tmp_path):
    """GDCM costs every DICOM run ~0.1 s when pydicom imports it: it is loaded when a compressed film needs it."""
    import subprocess
    import sys

    values = np.random.default_rng(0).integers(0, 4000, (40, 30)).astype(np.float32)
    write_dicom(tmp_path / "raw.dcm", values)
    compress_dicom(tmp_path / "raw.dcm", tmp_path / "c.dcm", "JPEGLosslessProcess14_1")
    code = (
        "import sys; from lungseg.io.reader import read_xray; "
        f"a = read_xray({str(tmp_path / 'raw.dcm')!r}).pixels; print('gdcm' in sys.modules); "
        f"b = read_xray({str(tmp_path / 'c.dcm')!r}).pixels; print('gdcm' in sys.modules, (a == b).all())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "True", "True"]


def test_bad_files(tmp_path):
    (tmp_path / "empty.dcm").write_bytes(b"")
    with pytest.raises(ValueError, match="empty file"):
        read_xray(tmp_path / "empty.dcm")
    (tmp_path / "junk.dcm").write_bytes(b"\0" * 50)
    with pytest.raises(ValueError, match=r"junk\.dcm"):
        read_xray(tmp_path / "junk.dcm")
    with pytest.raises(ValueError, match="no such file"):
        read_xray(tmp_path / "nope.png")


def test_from_array_dtypes():
    assert from_array(np.full((4, 4), 255, np.uint8)).pixels.max() == 1.0
    rgb = np.zeros((4, 4, 3), np.uint8)
    rgb[..., :] = 128
    np.testing.assert_allclose(from_array(rgb).pixels, 128 / 255, atol=1e-3)
    with pytest.raises(ValueError, match="shape"):
        from_array(np.zeros((2, 2, 2, 2)))


@pytest.mark.parametrize("dtype, top", [(np.uint8, 255), (np.uint16, 4095), (np.uint16, 65535)])
def test_png_keeps_its_integers_and_indexes_as_float(tmp_path, dtype, top):
    from PIL import Image

    from lungseg.io.reader import to_unit_float

    data = np.random.default_rng(1).integers(0, top + 1, (37, 29)).astype(dtype)
    data[0, 0] = top  # the bit depth comes from the maximum
    Image.fromarray(data).save(tmp_path / "x.png")
    xray = read_xray(tmp_path / "x.png")
    assert xray.data.dtype == dtype and xray.shape == (37, 29)
    np.testing.assert_array_equal(xray.pixels, to_unit_float(data))
    np.testing.assert_array_equal(xray[5:20:3, ::4], to_unit_float(data)[5:20:3, ::4])
    assert xray.pixels.dtype == np.float32 and xray.pixels.max() == 1.0


def test_banded_resize_is_the_whole_image_resize(monkeypatch):
    """The X-ray resized in bands of rows from its integers equals the float image resized at once."""
    from lungseg.inference import preprocess
    from lungseg.io.reader import XRay

    monkeypatch.setattr(preprocess, "BAND_PIXELS", 20_000)  # many bands on a small image
    rng = np.random.default_rng(2)
    for shape in [(613, 401), (400, 800)]:
        xray = XRay(rng.integers(0, 65536, shape).astype(np.uint16), scale=1 / 65535)
        for size in [(256, 256), (64, 64), (301, 97)]:
            banded = preprocess.resize_xray(xray, *size)
            np.testing.assert_allclose(banded, preprocess.resize_float(xray.pixels, *size), atol=1e-5)
