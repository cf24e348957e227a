"""ONNX export and the ONNX Runtime backend give the same masks as PyTorch."""

import builtins
from pathlib import Path

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
    from lungseg.inference.jobs import sample_path

    ta, oa = torch_seg(sample_path()), ort_seg(sample_path())
    for a, b, least in ((ta.mask, oa.mask, 0.995), (ta.heart, oa.heart, 0.99)):  # lungs, the model's own heart
        assert 2 * (a & b).sum() / (a.sum() + b.sum()) >= least  # bf16 torch vs fp32 onnxruntime
    assert ort_seg.own_heart == torch_seg.own_heart and torch_seg.own_heart is not None
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


def test_int8_export_keeps_the_masks_on_montgomery_test_images(real_data, tmp_path):
    """Static int8, calibrated on 10 Shenzhen training films: masks within Dice 0.99 of fp32 on 20 test films."""
    import json

    from lungseg.data.layouts import discover, select
    from lungseg.evaluation.evaluate import read_labelled
    from lungseg.io.reader import XRay

    from .test_bundled_model import MONTGOMERY_TEST_20

    names = json.loads((Path(__file__).parents[1] / "splits" / "pathology.json").read_text())
    films = tmp_path / "films"
    films.mkdir()
    for name in [n for n in names["train"] if n.startswith("CHNCXR")][:10]:
        (films / f"{name}.png").write_bytes((real_data / "CXR_png" / f"{name}.png").read_bytes())
    (films / "broken.png").write_bytes(b"not an image")  # skipped with a warning, not fatal
    target = tmp_path / "int8.onnx"
    argv = ["export", "--model", "lungseg-unet-default", "--format", "onnx", "--int8", "--calibration", str(films)]
    assert main([*argv, "-o", str(target)]) == 0
    import onnx

    graph = onnx.load(str(target)).graph
    weights = {i.name for i in graph.initializer}
    first = next(n for n in graph.node if n.op_type == "Conv" and n.input[0] == graph.input[0].name)
    assert first.input[1] in weights  # the film-reading convolution kept fp32 weights (no DequantizeLinear)
    assert any(n.op_type == "DequantizeLinear" for n in graph.node)  # the rest quantised
    # like with like: an .onnx file of one's own runs without the shape model, so the fp32 side does too
    fp32 = Segmenter.from_pretrained(precision="fp32", heart=None, shape_model=False)
    int8 = Segmenter.from_pretrained(target, heart=None)
    assert int8.threshold == fp32.threshold
    for sample in select(discover(real_data)[1], MONTGOMERY_TEST_20):
        image, _ = read_labelled(sample)
        a, b = fp32(XRay(image)).mask, int8(XRay(image)).mask
        assert 2 * (a & b).sum() / (a.sum() + b.sum()) >= 0.99, sample.name
    assert main([*argv[:6], "-o", str(tmp_path / "x.onnx")]) == 1  # --int8 without --calibration: a clear error


def test_int8_calibration_needs_enough_readable_films(tmp_path):
    from lungseg.inference.quantize import calibration_inputs

    files = []
    for k in range(9):
        files.append(tmp_path / f"f{k}.png")
        if k < 3:
            Image.fromarray(np.full((40, 40), 30 * k, np.uint8)).save(files[-1])
        else:
            files[-1].write_bytes(b"broken")
    with pytest.raises(ValueError, match="at least 8 readable chest X-rays, got 3"):
        calibration_inputs(files, 32, "equalize")
    for k in range(3, 9):
        Image.fromarray(np.full((40, 40), 20 * k, np.uint8)).save(files[k])
    inputs = calibration_inputs(files, 32, "equalize")
    assert len(inputs) == 9 and inputs[0].shape == (1, 1, 32, 32)


def test_onnxruntime_backend_runs_without_importing_torch(tmp_path, onnx_cache):
    """The first run writes the bundled models' ONNX copies to the cache (with torch); later runs never import
    torch, which is what makes them start a second sooner."""
    import os
    import subprocess
    import sys

    script = ("import sys; from lungseg.cli import main; rc = main(['segment', '-o', sys.argv[1], '--backend', "
              "'onnxruntime', '--no-report']); print(rc, 'torch' in sys.modules)")  # fmt: skip
    env = {**os.environ, "LUNGSEG_CACHE": str(tmp_path / "cache")}
    def run(folder: str) -> list[str]:
        done = subprocess.run([sys.executable, "-c", script, str(tmp_path / folder)], env=env, capture_output=True,
                              text=True)  # fmt: skip
        return done.stdout.split()[-2:]

    assert run("a") == ["0", "True"]
    copies = sorted(p.name.split("-")[1] for p in (tmp_path / "cache").glob("*.onnx"))
    assert copies == ["polarity", "shape", "unet", "view"]  # the shape model runs after the default model
    assert run("b") == ["0", "False"]
    a, b = (np.asarray(Image.open(tmp_path / d / "sample_cxr_labels.png")) for d in "ab")
    assert (a == b).all()


def test_a_damaged_cached_copy_is_written_again(tmp_path, monkeypatch, caplog):
    from lungseg.inference.onnx_backend import bundled_onnx, cache_dir

    monkeypatch.setenv("LUNGSEG_CACHE", str(tmp_path))
    good = bundled_onnx("lungseg-view")
    (cached,) = cache_dir().glob("lungseg-view-*.onnx")
    cached.write_bytes(b"not an onnx file")
    for kept in cache_dir().glob("lungseg-view-*.optimized"):  # else the optimized graph is read, not the copy
        kept.unlink()
    again = bundled_onnx("lungseg-view")
    assert "unusable cached ONNX model" in caplog.text
    x = np.zeros((1, 1, 64, 64), np.float32)
    assert np.allclose(good(x), again(x)) and cached.stat().st_size > 1000


def test_the_optimized_graph_is_kept_per_cpu_and_gives_the_same_logits(tmp_path, monkeypatch, caplog):
    """The second load reads ONNX Runtime's optimized graph (no optimizing again) and computes the same logits;
    a graph kept for another CPU or runtime is not used; a damaged one is written again."""
    from lungseg.inference import onnx_backend
    from lungseg.inference.onnx_backend import OnnxModel, bundled_onnx

    monkeypatch.setenv("LUNGSEG_CACHE", str(tmp_path))
    first = bundled_onnx("lungseg-polarity")
    (portable,) = tmp_path.glob("lungseg-polarity-*.onnx")
    (kept,) = tmp_path.glob("lungseg-polarity-*.optimized")
    assert kept.name.startswith(portable.name) and onnx_backend.cpu_key() in kept.name
    made = []
    monkeypatch.setattr(onnx_backend, "OnnxModel", lambda *a, **k: made.append(k) or OnnxModel(*a, **k))
    second = bundled_onnx("lungseg-polarity")
    assert made == [{"optimized": True}]
    x = np.random.default_rng(0).random((2, 1, 64, 64), dtype=np.float32)
    plain = OnnxModel(portable.read_bytes())
    assert np.array_equal(second(x), plain(x)) and np.array_equal(first(x), plain(x))
    monkeypatch.setattr(onnx_backend, "cpu_key", lambda: "othercpu")
    bundled_onnx("lungseg-polarity")
    assert len(list(tmp_path.glob("lungseg-polarity-*.optimized"))) == 2 and "save_optimized" in made[-1]
    kept.with_name(kept.name.replace(kept.name.split(".")[-2], "othercpu")).write_bytes(b"damaged")
    assert np.array_equal(bundled_onnx("lungseg-polarity")(x), plain(x))
    assert "unusable cached ONNX model" in caplog.text and "save_optimized" in made[-1]


def test_onnxruntime_refuses_tiles_and_a_gpu_with_the_fix():
    with pytest.raises(ValueError, match="--tile runs with the torch backend"):
        Segmenter.from_pretrained(backend="onnxruntime", tile=256)
    with pytest.raises(ValueError, match="runs on the CPU"):
        Segmenter.from_pretrained(backend="onnxruntime", device="cuda")


def test_segment_gives_each_batch_in_flight_its_share_of_the_cores(monkeypatch, tmp_path):
    """Two ONNX Runtime runs contending for one pool of all the cores are slower than each on its share."""
    import os

    from lungseg.inference import segmenter as segmenter_module

    seen = {}
    real = segmenter_module.Segmenter.from_pretrained

    def spy(*args, **kwargs):
        seen.update(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(segmenter_module.Segmenter, "from_pretrained", spy)
    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    assert main(["segment", "-o", str(tmp_path / "o"), "--backend", "onnxruntime", "--parallel", "2"]) == 0
    assert seen["threads"] == 4 and seen["backend"] == "onnxruntime"
    assert Segmenter.from_pretrained(backend="onnxruntime", threads=3).model.session.get_session_options(
    ).intra_op_num_threads == 3  # fmt: skip


def test_evaluate_with_onnxruntime_scores_as_the_torch_backend(real_data, tmp_path):
    """Eight Montgomery test films: the same Dice within 0.002 (fp32 ONNX Runtime vs bf16 torch), the backend named."""
    import json

    from .test_bundled_model import MONTGOMERY_TEST_20

    split = tmp_path / "eight.json"
    split.write_text(json.dumps({"test": MONTGOMERY_TEST_20[:8]}))
    dice = {}
    for backend in ("torch", "onnxruntime"):
        argv = ["evaluate", "--model", "lungseg-unet-default", "--data", str(real_data), "--split", str(split),
                "--output", str(tmp_path / backend), "--backend", backend]  # fmt: skip
        assert main(argv) == 0
        summary = json.loads((tmp_path / backend / "summary.json").read_text())
        assert summary["n_images"] == 8 and summary["backend"] == backend
        dice[backend] = summary["dice_mean"]
    assert abs(dice["torch"] - dice["onnxruntime"]) <= 0.002 and dice["torch"] > 0.95


def test_auto_backend_takes_onnxruntime_only_where_it_runs_the_job_as_torch_would(tmp_path, monkeypatch):
    """auto: a bundled model or an .onnx file on the CPU runs on ONNX Runtime; a checkpoint file (it would be
    exported with torch on every run), tiles, a GPU, forced bf16 or a missing onnxruntime keep torch."""
    import importlib.util

    from lungseg.inference.onnx_backend import choose_backend
    from lungseg.model.pretrained import resolve_pretrained

    checkpoint = str(resolve_pretrained("lungseg-unet-default"))
    assert choose_backend(None, "cpu") == choose_backend("lungseg-unet-default") == "onnxruntime"
    assert choose_backend(tmp_path / "m.onnx", "cuda") == "onnxruntime"
    assert choose_backend(checkpoint) == "torch"
    assert choose_backend(None, tile=256) == choose_backend(None, "cuda") == choose_backend(None, precision="bf16")
    assert choose_backend(None, precision="bf16") == "torch"
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda n, *a: None if n == "onnxruntime" else real(n, *a))
    assert choose_backend(None, "cpu") == "torch"


def test_segment_by_default_runs_a_bundled_model_on_onnxruntime(tmp_path):
    """The CLI's default backend is auto: the default model runs on ONNX Runtime (fp32) here, its masks those
    of --backend onnxruntime, and torch's within bf16 rounding."""
    runs = {}
    for name, extra in (("auto", []), ("onnx", ["--backend", "onnxruntime"]), ("torch", ["--backend", "torch"])):
        assert main(["segment", "-o", str(tmp_path / name), *extra]) == 0
        runs[name] = np.asarray(Image.open(tmp_path / name / "sample_cxr_labels.png"))
    assert (runs["auto"] == runs["onnx"]).all()
    import json

    ran = {name: json.loads((tmp_path / name / "run.json").read_text())["backend"] for name in ("auto", "torch")}
    assert ran == {"auto": "onnxruntime", "torch": "torch"}  # the run names the backend auto chose
    a, b = runs["auto"] > 0, runs["torch"] > 0
    assert 2 * (a & b).sum() / (a.sum() + b.sum()) >= 0.995
    assert Segmenter.from_pretrained(backend="auto", device="cpu").backend == "onnxruntime"


def test_the_shape_model_grows_the_same_lungs_under_onnxruntime(real_data, onnx_cache):
    """The shape model with ONNX Runtime: its ONNX copy (mask and film in) puts back a cut base exactly as torch."""
    from lungseg.inference.postprocess import LEFT_LUNG, clean_lung_labels
    from lungseg.inference.shape_completion import bundled_shape_model, complete_shape, shape_image
    from lungseg.io.reader import read_mask, read_xray

    models = bundled_shape_model("torch"), bundled_shape_model("onnxruntime")
    assert models[1].backend == "onnxruntime" and models[1].size == models[0].size == 128
    assert models[1].channels == models[0].channels == 2
    for name in ("MCUCXR_0001_0", "MCUCXR_0004_0", "MCUCXR_0006_0"):
        labels = clean_lung_labels(read_mask(real_data / "masks" / f"{name}.png"))
        film = shape_image(read_xray(real_data / "CXR_png" / f"{name}.png"), 128)
        rows = np.nonzero((labels == LEFT_LUNG).any(axis=1))[0]
        low = np.arange(labels.shape[0])[:, None] > rows[0] + 0.6 * (rows[-1] - rows[0])
        cut = np.where(low & (labels == LEFT_LUNG), 0, labels).astype(np.uint8)
        grown = [complete_shape(cut, None, m, image=film) for m in models]
        assert (grown[0] != cut).sum() > 1000 and np.array_equal(grown[0], grown[1])
