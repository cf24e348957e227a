"""Round 42's pieces: the polarity model's portable look (``benchmarks/polarity_model.py``) and the portable case
step by step (``benchmarks/pathology_kinds.portable_stages``)."""

import sys

import numpy as np

from .test_docs_figures import BENCH


def bench(name: str):
    sys.path.insert(0, str(BENCH))
    return __import__(name)


def test_shutters_are_flat_bands_on_the_sides_white_about_half_the_time():
    shutters = bench("polarity_model").shutters
    rng = np.random.default_rng(5)
    img = np.full((100, 80), 0.5, np.float32)
    values = []
    for _ in range(400):
        out = shutters(img, rng)
        changed = out != 0.5
        assert changed.any() and changed.mean() <= 0.75  # at least one side, each at most a quarter deep
        assert not changed[30:70, 25:55].any()  # the middle of the film is never covered (bands of at most 25%)
        values.append(float(np.unique(out[changed])[0]))
    assert 0.4 < np.mean(np.array(values) == 1.0) < 0.6  # white, as unexposed film is


def test_the_polarity_draw_without_the_portable_look_is_the_first_models():
    pm = bench("polarity_model")
    film = np.random.default_rng(1).random((64, 64)).astype(np.float32)
    assert np.array_equal(pm.drawn(film, np.random.default_rng(3)), pm.drawn(film, np.random.default_rng(3), False))
    looks = [pm.drawn(film, np.random.default_rng(s), True) for s in range(40)]
    plain = [pm.drawn(film, np.random.default_rng(s)) for s in range(40)]
    changed = sum(not np.array_equal(a, b) for a, b in zip(looks, plain, strict=True))
    assert 4 <= changed <= 24  # PORTABLE (0.3) of the draws take the look


def test_portable_stages_go_disease_moved_flat_shuttered_and_end_at_the_portable_case():
    kinds = bench("pathology_kinds")
    mask = np.zeros((128, 128), bool)
    mask[30:100, 15:55] = mask[30:100, 73:113] = True
    image = np.where(mask, 0.2, 0.7).astype(np.float32)
    stages = kinds.portable_stages(image, mask, 4)
    assert [s[0] for s in stages] == ["disease", "moved", "flat", "shuttered"]
    assert np.array_equal(stages[0][2], mask) and not np.array_equal(stages[1][2], mask)  # moved from step 2 on
    assert all(np.array_equal(stages[k][2], stages[1][2]) for k in (2, 3))
    assert stages[2][1].std() < stages[1][1].std()  # flatter
    film, ref = kinds.portable(image, mask, 4)
    assert np.array_equal(film, stages[-1][1]) and np.array_equal(ref, stages[-1][2])


def test_heart_threshold_rule_takes_the_smallest_ctr_error_near_the_best_heart_dice():
    choose = bench("heart_threshold").choose
    rows = [{"threshold": 0.85, "heart_dice": 0.9302, "ctr_mae": 0.0100},  # lowest error, but Dice 0.0021 off
            {"threshold": 0.9, "heart_dice": 0.9320, "ctr_mae": 0.0129},
            {"threshold": 0.925, "heart_dice": 0.9323, "ctr_mae": 0.0125},
            {"threshold": 0.95, "heart_dice": 0.9317, "ctr_mae": 0.0122}]  # fmt: skip
    assert choose(rows) == 0.95
    assert choose(rows, tolerance=0.003) == 0.85
    assert choose(rows, tolerance=0.0) == 0.925


def test_heart_threshold_copy_changes_only_the_heart_threshold(tmp_path):
    import torch

    from lungseg.model.checkpoint import save_checkpoint
    from lungseg.model.unet import ModelConfig, UNet

    model = UNet.from_config(ModelConfig(base_channels=4, depth=2, out_channels=2))
    save_checkpoint(tmp_path / "a.pt", model, threshold=0.6, heart_threshold=0.9)
    bench("heart_threshold").write_copy(str(tmp_path / "a.pt"), str(tmp_path / "b.pt"), 0.95)
    a, b = (torch.load(tmp_path / n, weights_only=True) for n in ("a.pt", "b.pt"))
    assert b["heart_threshold"] == 0.95 and a["heart_threshold"] == 0.9 and b["threshold"] == 0.6
    assert all(torch.equal(a["state_dict"][k], b["state_dict"][k]) for k in a["state_dict"])
