"""Image files whose EXIF Orientation says viewers show them turned are read (and segmented) as shown."""

import numpy as np
import pytest
from PIL import Image, ImageOps

from lungseg.cli import main
from lungseg.inference.jobs import sample_path
from lungseg.io.reader import read_mask, read_xray

ROTATE_90 = Image.Transpose.ROTATE_90  # stored turned a quarter counter-clockwise; orientation 6 shows it upright


def _save(path, img: Image.Image, orientation: int) -> None:
    exif = Image.Exif()
    exif[0x0112] = orientation
    img.save(path, exif=exif)


@pytest.mark.parametrize("orientation", range(1, 9))
@pytest.mark.parametrize("suffix", [".png", ".jpg"])
def test_each_orientation_reads_as_pillow_shows_it(tmp_path, orientation, suffix):
    """Pillow's own ``exif_transpose`` is the reference: the array is what a viewer shows, not what is stored."""
    stored = np.arange(7 * 12, dtype=np.uint8).reshape(7, 12) * 3  # no symmetry: every turn differs
    path = tmp_path / f"x{suffix}"
    _save(path, Image.fromarray(stored), orientation)
    with Image.open(path) as img:
        shown = np.asarray(ImageOps.exif_transpose(img).convert("L"))
    xray = read_xray(path)
    assert xray.shape == shown.shape == ((7, 12) if orientation < 5 else (12, 7))
    np.testing.assert_array_equal(xray.data, shown)
    np.testing.assert_array_equal(read_mask(path), shown > 0)


def test_a_16_bit_png_keeps_its_integers_when_turned(tmp_path):
    stored = np.random.default_rng(0).integers(0, 4096, (9, 5)).astype(np.uint16)
    _save(tmp_path / "x.png", Image.fromarray(stored), 6)  # 6: shown turned a quarter clockwise
    xray = read_xray(tmp_path / "x.png")
    assert xray.data.dtype == np.uint16 and xray.data.flags.c_contiguous
    np.testing.assert_array_equal(xray.data, np.rot90(stored, -1))


def test_a_damaged_exif_block_reads_the_image_as_stored(tmp_path):
    stored = np.arange(20, dtype=np.uint8).reshape(4, 5)
    Image.fromarray(stored).save(tmp_path / "x.png", exif=b"Exif\x00\x00II*\x00garbage")
    np.testing.assert_array_equal(read_xray(tmp_path / "x.png").data, stored)


def test_a_film_stored_turned_is_segmented_as_shown(tmp_path):
    """The bundled sample stored a quarter-turn off, with the tag that turns it back: the same masks, pixel for
    pixel, as the upright file (PNG is lossless, so the pixels shown are the same)."""
    upright, turned = tmp_path / "upright", tmp_path / "turned"
    upright.mkdir()
    turned.mkdir()
    with Image.open(sample_path()) as img:
        img.save(upright / "film.png")
        _save(turned / "film.png", img.transpose(ROTATE_90), 6)
    for folder in (upright, turned):
        assert main(["segment", str(folder), "-o", str(folder / "out"), "--no-report"]) == 0
    a = np.asarray(Image.open(upright / "out" / "film_labels.png"))
    b = np.asarray(Image.open(turned / "out" / "film_labels.png"))
    assert a.shape == b.shape and (a == 1).sum() > 1000 and (a == 2).sum() > 1000
    np.testing.assert_array_equal(a, b)


def test_evaluation_refuses_a_mask_a_quarter_turn_off_its_image(tmp_path):
    """An image tagged to be shown turned, with a mask drawn on its stored pixels: a clear error, not a stretched
    image scored against it; shapes that differ otherwise are resized as before."""
    from lungseg.data.layouts import Sample
    from lungseg.evaluation.evaluate import read_labelled

    stored = np.zeros((40, 60), np.uint8)
    stored[10:30, 10:25] = 200
    _save(tmp_path / "film.png", Image.fromarray(stored), 6)
    Image.fromarray(stored).save(tmp_path / "mask.png")
    with pytest.raises(ValueError, match=r"film\.png .*quarter turn.*EXIF orientation"):
        read_labelled(Sample("film", tmp_path / "film.png", tmp_path / "mask.png", "other"))
    Image.fromarray(np.rot90(stored, -1).copy()).save(tmp_path / "shown.png")  # the mask as viewers show the film
    image, mask = read_labelled(Sample("film", tmp_path / "film.png", tmp_path / "shown.png", "other"))
    assert image.shape == mask.shape == (60, 40)
