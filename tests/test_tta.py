"""Test-time zooms (lungseg.inference.tta) with model-free predictors whose answers are known."""

from __future__ import annotations

import numpy as np
import pytest

from lungseg.inference.tta import TTAPredictor, check_scales, unzoom, zoom, zoom_matrix


def disc(size: int = 64, radius: float = 14.0, centre: tuple[float, float] = (30.0, 36.0)) -> np.ndarray:
    yy, xx = np.mgrid[:size, :size]
    return ((yy - centre[0]) ** 2 + (xx - centre[1]) ** 2 <= radius**2).astype(np.float32)[None, None]


def test_zoom_matrix_rows_are_interpolation_weights():
    a, inside = zoom_matrix(10, 1.25)
    assert np.allclose(a.sum(axis=1), 1.0)
    assert inside.all()  # zooming in samples inside the axis only
    a, inside = zoom_matrix(10, 0.8)
    assert not inside[0] and not inside[-1] and inside[4:6].all()  # zooming out reaches past the ends


def test_zoom_in_enlarges_a_centred_disc_by_the_scale():
    image = disc(64, 10.0, (31.5, 31.5))
    zoomed = zoom(image, 1.5)
    assert zoomed.sum() == pytest.approx(image.sum() * 1.5**2, rel=0.05)
    assert zoom(image, 1.0) == pytest.approx(image)


def test_unzoom_undoes_zoom_where_the_view_covers_the_input():
    yy, xx = np.mgrid[:64, :64]
    smooth = (np.sin(xx / 9) + np.cos(yy / 7)).astype(np.float32)[None, None]
    for scale in (1.1, 1.25):
        back, cover = unzoom(zoom(smooth, scale), scale)
        inside = cover > 0
        assert 0.5 < inside.mean() < 1.0  # zooming in leaves the edges unseen
        assert np.abs(back[0, 0][inside] - smooth[0, 0][inside]).max() < 0.02
    back, cover = unzoom(zoom(smooth, 0.9), 0.9)
    assert cover.all()  # zooming out keeps every pixel in view
    assert np.abs(back - smooth).mean() < 0.01


def test_an_equivariant_predictor_gives_its_own_answer():
    """A pixel-wise predictor commutes with zooming, so the average over scales is its plain answer."""
    image = disc()
    logits = TTAPredictor(lambda x: 8 * x - 4, (0.9, 1.0, 1.1))(image)
    assert logits.shape == image.shape
    assert ((logits > 0) == (image > 0.5)).mean() > 0.995


def test_a_predictor_that_misses_at_one_scale_is_outvoted():
    """A predictor that sees the disc only at the input's own framing: two other scales vote it down."""
    image = disc()
    seen = {"n": 0}

    def predict(x: np.ndarray) -> np.ndarray:
        seen["n"] = len(x)
        out = np.full((len(x), 2, *x.shape[-2:]), -4.0, np.float32)
        n = len(x) // 3  # scale by scale: the scale-1.0 block is the second of three
        out[n : 2 * n, 0] = 8 * x[n : 2 * n, 0] - 4
        return out

    logits = TTAPredictor(predict, (0.9, 1.0, 1.1))(np.concatenate([image, image, image]))
    assert seen["n"] == 9  # three inputs x three scales, in one call
    assert logits.shape == (3, 2, 64, 64)
    inside = image[0, 0] > 0.5
    assert (logits[:, 0][:, inside] < 0).all()  # (8 - 4 - 4 - 4) / 3 < 0
    assert (logits[:, 1] == -4).all()


def test_attributes_pass_through_to_the_wrapped_predictor():
    class Stub:
        precision, device = "bf16", "cpu"

        def __call__(self, x):
            return x

    tta = TTAPredictor(Stub())
    assert (tta.precision, tta.device) == ("bf16", "cpu")
    with pytest.raises(AttributeError):
        _ = tta.no_such_thing


@pytest.mark.parametrize("scales", [(0.9, 1.1), (1.0, 3.0), (0.2, 1.0)])
def test_bad_scales_are_refused_with_the_fix(scales):
    with pytest.raises(ValueError, match=r"e\.g\. 0\.9 1\.0 1\.1"):
        check_scales(scales)
