"""ONNX export and the ONNX Runtime backend give the same masks as PyTorch."""

import builtins

import numpy as np
import pytest
from PIL import Image

from lungseg.cli import main
from lungseg.inference.segmenter import Segmenter

pytest.importorskip("onnxruntime", reason="the onnx extra is part of the dev install")


def test_export_then_segment_with_both_backends(tmp_path):
    onnx_file = tmp_path / "default.onnx"
    assert main(["export", "--model", "lungseg-unet-default", "--format", "onnx", "-o", str(onnx_file)]) == 0
    torch_seg = Segmenter.from_pretrained()
    ort_seg = Segmenter.from_pretrained(onnx_file)
    assert ort_seg.threshold == torch_seg.threshold and ort_seg.image_size == torch_seg.image_size
    from lungseg.inference.batch import sample_path

    a, b = torch_seg(sample_path()).mask, ort_seg(sample_path()).mask
    assert 2 * (a & b).sum() / (a.sum() + b.sum()) >= 0.995  # bf16 torch vs fp32 onnxruntime
    out = tmp_path / "out"
    assert main(["segment", "-o", str(out), "--backend", "onnxruntime"]) == 0
    assert np.asarray(Image.open(out / "sample_cxr_mask.png")).max() == 255


def test_missing_onnxruntime_says_what_to_install(monkeypatch, caplog, tmp_path):
    real_import = builtins.__import__

    def no_ort(name, *args, **kwargs):
        if name == "onnxruntime":
            raise ImportError("No module named 'onnxruntime'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_ort)
    assert main(["segment", "-o", str(tmp_path / "o"), "--backend", "onnxruntime"]) == 1
    assert "lungseg[onnx]" in caplog.text


def test_parity_on_20_montgomery_test_images(real_data, tmp_path):
    """fp32 PyTorch and ONNX Runtime: probabilities within 1e-3, identical masks (lungs and heart)."""
    from lungseg.data.layouts import discover, select
    from lungseg.evaluation.evaluate import read_labelled
    from lungseg.io.reader import XRay

    from .test_bundled_model import MONTGOMERY_TEST_20

    torch_seg = Segmenter.from_pretrained(precision="fp32")
    ort_seg = Segmenter.from_pretrained(backend="onnxruntime")
    worst = 0.0
    for sample in select(discover(real_data)[1], MONTGOMERY_TEST_20):
        image, _ = read_labelled(sample)
        a, b = torch_seg(XRay(image)), ort_seg(XRay(image))
        worst = max(worst, float(np.abs(a.probabilities - b.probabilities).max()))
        assert (a.mask == b.mask).all() and (a.heart == b.heart).all(), sample.name
    assert worst <= 1e-3
