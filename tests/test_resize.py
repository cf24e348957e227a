"""The numpy bilinear resize of logits: known answers, and the same values as torch's interpolate."""

import numpy as np
import pytest

from lungseg.inference.pipeline import probabilities_at
from lungseg.inference.preprocess import linear_taps, resize_bilinear


def test_linear_taps_have_half_pixel_centres_and_repeat_the_edge():
    # 2 -> 4: output centres at source -0.25 (the edge), 0.25, 0.75, 1.25 (the edge)
    lo, hi, frac = linear_taps(2, 4)
    assert lo.tolist() == [0, 0, 0, 1] and hi.tolist() == [1, 1, 1, 1]  # the last: both taps on the edge pixel
    assert np.allclose(frac, [0, 0.25, 0.75, 0.25])
    lo, hi, frac = linear_taps(4, 2)  # 4 -> 2: the midpoints, no antialiasing
    assert lo.tolist() == [0, 2] and hi.tolist() == [1, 3] and np.allclose(frac, 0.5)
    lo, _, frac = linear_taps(5, 5)
    assert lo.tolist() == list(range(5)) and not frac.any()


def test_resize_bilinear_reproduces_a_plane_and_matches_torch():
    yy, xx = np.mgrid[:16, :16].astype(np.float32)
    plane = 2 * yy - 3 * xx
    out = resize_bilinear(plane, 64, 32)  # a linear function is interpolated exactly away from the edges
    ys, xs = (np.arange(64) + 0.5) / 4 - 0.5, (np.arange(32) + 0.5) / 2 - 0.5
    want = 2 * np.clip(ys, 0, 15)[:, None] - 3 * np.clip(xs, 0, 15)[None, :]
    assert np.allclose(out, want, atol=1e-4)
    torch = pytest.importorskip("torch")
    logits = np.random.default_rng(0).normal(0, 8, (1, 256, 256)).astype(np.float32)
    resized = torch.nn.functional.interpolate(torch.from_numpy(logits)[None], (853, 1024), mode="bilinear")
    ref = torch.sigmoid(resized)[0, 0].numpy()
    assert np.abs(probabilities_at(logits, (853, 1024)) - ref).max() < 1e-5


def test_resize_bilinear_is_the_two_tap_formula_bit_for_bit():
    """#11 made it faster (np.take, products in place); every value stays what the plain formula gives, so no mask
    pixel near the threshold moves."""
    logits = np.random.default_rng(1).normal(0, 8, (256, 256)).astype(np.float32)
    for height, width in ((512, 512), (853, 1024), (3000, 2500), (100, 90)):
        lo, hi, frac = linear_taps(256, height)
        rows = logits[lo] * (1 - frac)[:, None] + logits[hi] * frac[:, None]
        lo, hi, frac = linear_taps(256, width)
        want = rows[:, lo] * (1 - frac) + rows[:, hi] * frac
        np.testing.assert_array_equal(resize_bilinear(logits, height, width), want)


def test_preview_xray_is_resize_xray_within_a_grey_level():
    """The overlay's fast downscale (integer box-reduce, then bilinear) stays within a grey level of the
    model's careful one, for 8-bit, 16-bit and offset (DICOM-like) data; float data takes the careful path."""
    from lungseg.inference.preprocess import preview_xray, resize_xray
    from lungseg.io.reader import XRay

    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:3000, 0:2500]
    smooth = 0.5 + 0.4 * np.sin(yy / 300.0) * np.cos(xx / 200.0)
    for data, scale, offset in (
        (np.clip(smooth * 255 + rng.normal(0, 3, smooth.shape), 0, 255).astype(np.uint8), 1 / 255, 0.0),
        (np.clip(smooth * 65535, 0, 65535).astype(np.uint16), 1 / 65535, 0.0),
        (np.clip(smooth * 4000 + 100, 0, 65535).astype(np.uint16), 1 / 4000, 100.0),
    ):
        xray = XRay(data, scale=scale, offset=offset)
        fast, careful = preview_xray(xray, 1024, 853), resize_xray(xray, 1024, 853)
        assert fast.shape == careful.shape == (1024, 853) and fast.dtype == np.float32
        assert np.abs(fast - careful).max() <= 1.5 / 255
        small = preview_xray(xray, 128, 128)  # the shape model's film: 23x down (16-bit data is strided first)
        assert small.shape == (128, 128) and np.abs(small - resize_xray(xray, 128, 128)).max() <= 3 / 255
    floats = XRay(smooth.astype(np.float32))
    assert np.array_equal(preview_xray(floats, 1024, 853), resize_xray(floats, 1024, 853))
