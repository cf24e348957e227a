"""The streaming gray PNG writer gives standard PNGs that read back exactly."""

import numpy as np
import pytest
from PIL import Image

from lungseg.io import png


@pytest.mark.parametrize("dtype", [bool, np.uint8])
def test_round_trip_in_many_bands(tmp_path, monkeypatch, dtype):
    monkeypatch.setattr(png, "BAND_BYTES", 50)  # a few rows per band
    rng = np.random.default_rng(0)
    array = rng.random((37, 23)) < 0.3 if dtype is bool else rng.integers(0, 4, (37, 23)).astype(np.uint8)
    png.save_gray_png_atomic(tmp_path / "m.png", array)
    with Image.open(tmp_path / "m.png") as image:
        assert image.mode == "L" and image.size == (23, 37)
        back = np.asarray(image)
    np.testing.assert_array_equal(back, array.astype(np.uint8) * 255 if dtype is bool else array)
    assert [p.name for p in tmp_path.iterdir()] == ["m.png"]  # no temporary left behind


def test_wrong_array_is_refused_by_name(tmp_path):
    with pytest.raises(ValueError, match=r"m\.png.*2-D uint8 or bool"):
        png.save_gray_png_atomic(tmp_path / "m.png", np.zeros((4, 4), np.float32))
    assert not (tmp_path / "m.png").exists()
