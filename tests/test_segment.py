"""`lungseg segment` and the Segmenter API on generated files of every supported kind."""

import csv
import json

import numpy as np
import pytest
import torch
from PIL import Image

from lungseg.cli import main
from lungseg.inference.jobs import sample_path
from lungseg.inference.segmenter import Segmenter
from lungseg.model.checkpoint import save_checkpoint
from lungseg.model.unet import UNet

from .dicom_factory import write_dicom


class DarkIsLung(torch.nn.Module):
    """A model-free "U-Net": logits high where the (equalised) image is dark, i.e. the lungs."""

    def __init__(self) -> None:
        super().__init__()
        self.config = UNet(base_channels=2, depth=2).config

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return 20 * (0.5 - x)


def two_lungs(height: int, width: int) -> np.ndarray:
    """uint8 X-ray-like image: bright body, two dark ellipses; the image-left one is larger."""
    yy, xx = np.mgrid[:height, :width] / np.array([height, width])[:, None, None]
    left = ((xx - 0.3) / 0.16) ** 2 + ((yy - 0.5) / 0.32) ** 2 <= 1
    right = ((xx - 0.72) / 0.12) ** 2 + ((yy - 0.5) / 0.28) ** 2 <= 1
    return np.where(left | right, 40, 200).astype(np.uint8)


@pytest.fixture
def segmenter() -> Segmenter:
    return Segmenter(DarkIsLung(), image_size=64, intensity="none", threshold=0.5)


@pytest.fixture
def checkpoint(tmp_path):
    path = tmp_path / "model.pt"
    save_checkpoint(path, UNet(base_channels=2, depth=2), train_config={"image_size": 32, "intensity": "equalize"})
    return path


def test_labels_right_lung_is_image_left(segmenter, no_band_crop):
    result = segmenter(two_lungs(120, 160))
    assert result.mask.shape == result.labels.shape == (120, 160)
    assert set(np.unique(result.labels)) == {0, 1, 2}
    cols = np.nonzero(result.labels == 1)[1]
    assert cols.max() < 80  # label 1 (patient's right) lies on the image's left
    assert np.nonzero(result.labels == 2)[1].min() >= 80
    m = result.measurements
    assert m["right_area_px"] > m["left_area_px"] > 0 and m["right_left_ratio"] > 1
    assert m["area_px"] == int(result.mask.sum()) and m["flags"] == ""


def test_postprocess_removes_specks_and_fills_holes(segmenter, no_band_crop):
    image = two_lungs(128, 128)
    image[5:8, 5:8] = 40  # a dark speck far from the lungs
    image[60:63, 36:39] = 200  # a bright hole inside the image-left lung
    raw = Segmenter(DarkIsLung(), 128, "none", threshold=0.5, postprocess=False)(image).mask
    clean = Segmenter(DarkIsLung(), 128, "none", threshold=0.5)(image).mask
    assert raw[6, 6] and not clean[6, 6]
    assert not raw[61, 37] and clean[61, 37]


def test_api_accepts_arrays_paths_and_streams(segmenter, tmp_path):
    Image.fromarray(two_lungs(50, 70)).save(tmp_path / "a.png")
    (tmp_path / "bad.png").write_bytes(b"")
    results = list(segmenter.segment_many([tmp_path / "a.png", tmp_path / "bad.png", two_lungs(40, 40)]))
    assert [r.ok for r in results] == [True, False, True]
    assert "empty file" in results[1].error and "bad.png" in results[1].error
    assert results[0].probabilities.dtype == np.float32 and results[2].mask.shape == (40, 40)
    with pytest.raises(ValueError, match=r"bad\.png"):
        segmenter(tmp_path / "bad.png")


def make_inputs(folder):
    """Every supported kind of input, plus three bad files."""
    folder.mkdir()
    img = two_lungs(771, 1037)  # odd size, landscape
    Image.fromarray(img).save(folder / "odd.png")
    Image.fromarray(img.astype(np.uint16) * 257).save(folder / "sixteen.png")
    Image.fromarray(np.dstack([img, img, img, np.full_like(img, 255)])).save(folder / "rgba.png")
    Image.fromarray(np.dstack([img, np.full_like(img, 128)]), mode="LA").save(folder / "gray_alpha.png")
    Image.fromarray(np.dstack([img] * 3)).save(folder / "colour.jpg", quality=90)
    Image.fromarray(img).save(folder / "scan.tif")
    Image.fromarray(two_lungs(64, 64)).save(folder / "tiny.bmp")
    (folder / "sub").mkdir()
    write_dicom(folder / "sub" / "mono1.dcm", 255 - img, monochrome1=True, spacing=(0.2, 0.25))
    write_dicom(folder / "sub" / "NOEXT", img, monochrome1=False, spacing=(0.5, 0.5))
    good = (folder / "odd.png").read_bytes()
    (folder / "truncated.png").write_bytes(good[: len(good) // 2])
    (folder / "notes.png").write_text("this is not an image")
    (folder / "empty.png").write_bytes(b"")


def test_cli_all_formats_geometry_errors_and_measurements(checkpoint, tmp_path):
    make_inputs(tmp_path / "in")
    out = tmp_path / "out"
    argv = ["segment", str(tmp_path / "in"), "-o", str(out), "--model", str(checkpoint)]
    assert main([*argv, "--probabilities", "--json"]) == 1  # three bad inputs
    rows = {r["path"].split("/in/")[1]: r for r in csv.DictReader((out / "measurements.csv").open())}
    assert len(rows) == 12
    bad = {k for k, r in rows.items() if r["error"]}
    assert bad == {"truncated.png", "notes.png", "empty.png"}
    for name, (h, w) in {"odd": (771, 1037), "sixteen": (771, 1037), "rgba": (771, 1037), "tiny": (64, 64),
                         "colour": (771, 1037), "gray_alpha": (771, 1037), "scan": (771, 1037),
                         "sub/mono1": (771, 1037), "sub/NOEXT": (771, 1037)}.items():  # fmt: skip
        mask = np.asarray(Image.open(out / f"{name}_mask.png"))
        assert mask.shape == (h, w) and mask.dtype == np.uint8 and set(np.unique(mask)) <= {0, 255}, name
        assert np.asarray(Image.open(out / f"{name}_labels.png")).max() <= 3  # 3 = heart (bundled heart model)
        assert np.asarray(Image.open(out / f"{name}_heart.png")).shape == (h, w), name
        bounded = (h, w) if w <= 1024 else (761, 1024)  # overlays are at most 1024 px; masks keep full size
        assert np.asarray(Image.open(out / f"{name}_overlay.png").convert("RGB")).shape == (*bounded, 3)
        assert np.asarray(Image.open(out / f"{name}_prob.png")).dtype == np.uint16
    mono = rows["sub/mono1.dcm"]
    assert mono["pixel_spacing_mm"] == "0.2x0.25"
    assert float(mono["area_mm2"]) == pytest.approx(int(mono["area_px"]) * 0.05, rel=1e-4)
    assert rows["odd.png"]["area_mm2"] == "" and rows["odd.png"]["pixel_spacing_mm"] == ""
    assert len(json.loads((out / "measurements.json").read_text())) == 12
    assert not [p for p in (tmp_path / "in").rglob("*") if "_mask" in p.name]  # inputs untouched


def test_resume_skips_done_and_overwrite_redoes(checkpoint, tmp_path):
    (tmp_path / "in").mkdir()
    for name in ("a", "b"):
        Image.fromarray(two_lungs(60, 60)).save(tmp_path / "in" / f"{name}.png")
    out = tmp_path / "out"
    argv = ["segment", str(tmp_path / "in"), "-o", str(out), "--model", str(checkpoint)]
    assert main(argv) == 0
    mask_b = out / "b_mask.png"
    mask_b.write_bytes(b"sentinel")  # a done output is left alone on resume...
    (out / "a_mask.png").unlink()  # ...and a missing one is redone
    assert main(argv) == 0
    assert mask_b.read_bytes() == b"sentinel" and (out / "a_mask.png").is_file()
    assert len(list(csv.DictReader((out / "measurements.csv").open()))) == 2
    assert main([*argv, "--overwrite"]) == 0
    assert mask_b.read_bytes() != b"sentinel"


def test_exit_codes(checkpoint, tmp_path):
    assert main(["segment", str(tmp_path / "missing"), "--model", str(checkpoint), "-o", str(tmp_path)]) == 2
    (tmp_path / "empty_dir").mkdir()
    assert main(["segment", str(tmp_path / "empty_dir"), "--model", str(checkpoint), "-o", str(tmp_path / "o")]) == 2
    assert main(["segment", "--bogus-flag"]) == 2


def test_default_input_is_the_bundled_sample(checkpoint, tmp_path):
    assert sample_path().is_file()
    assert main(["segment", "-o", str(tmp_path / "o"), "--model", str(checkpoint), "--workers", "2"]) == 0
    assert (tmp_path / "o" / "sample_cxr_mask.png").is_file()


def test_large_input_tiled(checkpoint, tmp_path):
    Image.fromarray(two_lungs(3000, 2400)).save(tmp_path / "big.png")
    argv = ["segment", str(tmp_path / "big.png"), "-o", str(tmp_path / "o"), "--model", str(checkpoint)]
    assert main([*argv, "--tile", "16"]) == 0
    assert np.asarray(Image.open(tmp_path / "o" / "big_mask.png")).shape == (3000, 2400)


def test_inputs_sharing_a_stem_never_share_outputs(tmp_path):
    from lungseg.inference.jobs import find_jobs

    src = tmp_path / "in"
    src.mkdir()
    for name in ("x.png", "x.jpg", "X.bmp", "y.png"):
        Image.fromarray(np.full((8, 8), 100, np.uint8)).save(src / name)
    jobs = find_jobs([src, src / "y.png", src / "x.png"], tmp_path / "out")
    names = {j.source.name: j.output("mask").name for j in jobs}
    assert len(jobs) == 4  # y.png and x.png given twice are one job each
    assert names == {"X.bmp": "X_bmp_mask.png", "x.jpg": "x_jpg_mask.png", "x.png": "x_png_mask.png",
                     "y.png": "y_mask.png"}  # fmt: skip
    assert [j.out_stem for j in find_jobs([src], tmp_path / "out")] == [j.out_stem for j in jobs]


def test_a_pacs_export_segments_its_films_and_leaves_out_what_holds_none(tmp_path, checkpoint, caplog):
    """A PACS export's DICOMDIR, presentation state and structured report (DICOM objects without an X-ray, told by the
    SOP Class in their meta header) are left out of a folder, with a log line; given by name one is a clear error."""
    from lungseg.inference.jobs import find_jobs

    from .dicom_factory import write_non_image

    src = tmp_path / "export"
    (src / "IMAGES").mkdir(parents=True)
    write_dicom(src / "IMAGES" / "IM0001", two_lungs(64, 64).astype(np.float32))
    write_non_image(src / "DICOMDIR", "1.2.840.10008.1.3.10")
    write_non_image(src / "IMAGES" / "PR0001", "1.2.840.10008.5.1.4.1.1.11.1")  # grayscale presentation state
    write_non_image(src / "IMAGES" / "SR0001.dcm", "1.2.840.10008.5.1.4.1.1.88.22")  # enhanced SR
    with caplog.at_level("INFO", logger="lungseg.inference.jobs"):
        assert [j.source.name for j in find_jobs([src], tmp_path / "out")] == ["IM0001"]
    assert "left out 3 DICOM files that hold no X-ray" in caplog.text and "1 DICOMDIR index" in caplog.text
    assert main(["segment", str(src), "-o", str(tmp_path / "out"), "--model", str(checkpoint), "--no-report"]) == 0
    assert (tmp_path / "out" / "IMAGES" / "IM0001_mask.png").is_file()
    assert main(["segment", str(src / "DICOMDIR"), "-o", str(tmp_path / "o2"), "--model", str(checkpoint)]) == 1


def test_cli_help_imports_no_numerics():
    """``lungseg --version`` and ``--help`` must start fast: the CLI module pulls in no numpy, scipy or torch."""
    import subprocess
    import sys

    code = "import sys, lungseg.cli; print(sorted(m for m in ('numpy', 'scipy', 'torch') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_odd_names_and_a_symlink_loop(checkpoint, tmp_path):
    src = tmp_path / "in"
    (src / "sub").mkdir(parents=True)
    for name in ("a b ü.png", "-dash.png"):
        Image.fromarray(two_lungs(64, 64)).save(src / name)
    (src / "sub" / "loop").symlink_to("..")  # a folder that contains itself
    out = tmp_path / "out"
    assert main(["segment", str(src), "-o", str(out), "--model", str(checkpoint)]) == 0
    assert (out / "a b ü_mask.png").is_file() and (out / "-dash_mask.png").is_file()
    assert main(["segment", "-o", str(tmp_path / "o2"), "--model", str(checkpoint), "--", str(src / "-dash.png")]) == 0


def test_parallel_batches_keep_input_order_and_results(segmenter, tmp_path):
    from lungseg.inference.streaming import stream

    items = []
    for k in range(9):
        path = tmp_path / f"x{k}.png"
        if k == 4:
            path.write_bytes(b"not an image")
        else:
            Image.fromarray(two_lungs(100 + 10 * k, 140)).save(path)
        items.append(path)
    one = list(stream(segmenter, items, batch_size=2, workers=0, parallel=1))
    two = list(stream(segmenter, items, batch_size=2, workers=0, parallel=3))
    assert [r.source for r in two] == [str(p) for p in items]
    assert [r.mask.shape for r in two] == [r.mask.shape for r in one]
    assert [r.ok for r in two] == [k != 4 for k in range(9)] and "x4.png" in two[4].error
    assert all((a.labels == b.labels).all() for a, b in zip(one, two, strict=True))
    assert [json.dumps(a.measurements) for a in one] == [json.dumps(b.measurements) for b in two]  # NaN-safe


def test_parallel_must_be_positive(tmp_path, capsys):
    Image.fromarray(two_lungs(64, 64)).save(tmp_path / "a.png")
    assert main(["segment", str(tmp_path / "a.png"), "-o", str(tmp_path / "o"), "--parallel", "0"]) == 2
    assert "at least 1" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_batches_close_early_at_the_byte_budget(tmp_path):
    """Small files batch up to batch_size; a large file goes alone, so threads share a few large films evenly."""
    from lungseg.inference.readahead import index_batches

    sizes = [10, 10, 10, 10, 10, 500, 10, 600, 10]
    files = []
    for k, size in enumerate(sizes):
        files.append(tmp_path / f"f{k}.png")
        files[-1].write_bytes(b"x" * size)
    assert list(index_batches(files, 4, max_bytes=400)) == [[0, 1, 2, 3], [4, 5], [6, 7], [8]]
    missing = [tmp_path / "gone.png", *files[:2]]  # an unreadable file counts 0 bytes; it fails when read
    assert list(index_batches(missing, 2, max_bytes=400)) == [[0, 1], [2]]


def test_large_films_are_post_processed_at_a_bounded_side(segmenter, no_band_crop):
    """Post-processing at 300 px or at 1024 px: the same full-size lungs (to the outline), and the true ones."""
    from lungseg.evaluation.metrics import overlap_metrics

    film = two_lungs(1500, 1200)
    truth = film < 100
    coarse = Segmenter(DarkIsLung(), image_size=64, intensity="none", threshold=0.5, processing_side=300)(film)
    fine = segmenter(film)
    assert coarse.mask.shape == fine.mask.shape == (1500, 1200)
    assert overlap_metrics(coarse.mask, fine.mask)["dice"] > 0.995 and (coarse.mask != fine.mask).any()
    assert overlap_metrics(coarse.mask, truth)["dice"] > 0.98 and overlap_metrics(fine.mask, truth)["dice"] > 0.98
    with pytest.raises(ValueError, match="at least 64"):
        Segmenter(DarkIsLung(), image_size=64, intensity="none", threshold=0.5, processing_side=32)


def test_tta_keeps_an_equivariant_models_masks_and_is_recorded(segmenter, tmp_path):
    """DarkIsLung is pixel-wise, so zooming commutes with it: the averaged logits give the same lungs."""
    image = two_lungs(64, 64)
    zoomed = Segmenter(DarkIsLung(), image_size=64, intensity="none", threshold=0.5, tta=(0.9, 1.0, 1.1))
    plain, tta = segmenter(image).mask, zoomed(image).mask
    assert (plain != tta).mean() < 0.01 and tta.sum() > 0.1 * tta.size


def test_segment_records_the_tta_scales_in_run_json(checkpoint, tmp_path):
    assert main(["segment", "-o", str(tmp_path / "o"), "--model", str(checkpoint), "--tta"]) == 0
    assert json.loads((tmp_path / "o" / "run.json").read_text())["tta"] == [0.9, 1.0, 1.1]
    assert main(["segment", "-o", str(tmp_path / "p"), "--model", str(checkpoint)]) == 0
    assert json.loads((tmp_path / "p" / "run.json").read_text())["tta"] == []
    scales = ["--tta-scales", "0.85", "1.0", "1.15"]
    assert main(["segment", str(sample_path()), *scales, "-o", str(tmp_path / "q"), "--model", str(checkpoint)]) == 0
    assert json.loads((tmp_path / "q" / "run.json").read_text())["tta"] == [0.85, 1.0, 1.15]


def test_threads_set_torchs_threads_for_a_torch_model(checkpoint):
    """`lungseg segment` gives each batch in flight its share of the cores, on either backend."""
    before = torch.get_num_threads()
    try:
        Segmenter.from_pretrained(checkpoint, threads=1, heart=None, polarity="keep")
        assert torch.get_num_threads() == 1
        torch.set_num_threads(before)
        Segmenter.from_pretrained(checkpoint, heart=None, polarity="keep")  # None: torch's own choice kept
        assert torch.get_num_threads() == before
    finally:
        torch.set_num_threads(before)


def test_threshold_replaces_the_calibrated_one(tmp_path, capsys):
    """--threshold: a lower lung threshold draws a wider lung on the bundled sample; run.json records it; a value
    outside (0, 1) is a usage error naming the fix."""
    from lungseg.inference.jobs import sample_path

    areas = {}
    for t in ("0.3", "0.95"):
        out = tmp_path / t
        assert main(["segment", str(sample_path()), "-o", str(out), "--threshold", t, "--no-heart"]) == 0
        areas[t] = float(next(csv.DictReader((out / "measurements.csv").open()))["area_px"])
        assert json.loads((out / "run.json").read_text())["threshold"] == float(t)
    assert areas["0.3"] > 1.02 * areas["0.95"] > 0
    for bad in ("1.5", "0", "half"):
        assert main(["segment", str(sample_path()), "-o", str(tmp_path / "bad"), "--threshold", bad]) == 2
        assert "between 0 and 1" in capsys.readouterr().err


def test_a_run_without_a_terminal_does_not_import_tqdm(tmp_path):
    """#11: tqdm's import is 30-45 ms of start-up; a run whose stderr is no terminal (a pipeline, a job array) has no
    bar to draw, so it does not load it."""
    import subprocess
    import sys

    from lungseg.inference.jobs import sample_path

    # first a run here, so that the bundled models' ONNX copies are in the cache (writing them imports torch, whose
    # modules import tqdm: that happens once per version, not in the runs measured)
    assert main(["segment", str(sample_path()), "-o", str(tmp_path / "warm"), "--no-report"]) == 0
    code = ("import sys; from lungseg.cli import main; "
            f"rc = main(['segment', {str(sample_path())!r}, '-o', {str(tmp_path / 'o')!r}, '--no-report']); "
            "print(rc, 'tqdm' in sys.modules)")  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.splitlines()[-1].split() == ["0", "False"]


def test_the_progress_bar_is_tqdm_on_a_terminal(monkeypatch):
    import sys

    from tqdm import tqdm

    from lungseg.inference.batch import progress_bar

    monkeypatch.setattr(sys.stderr, "isatty", lambda: False, raising=False)
    with progress_bar(3) as bar:
        bar.update(1)
    assert not isinstance(bar, tqdm)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    with progress_bar(3) as bar:
        assert isinstance(bar, tqdm) and bar.total == 3
