"""benchmarks/pack_training_data.py: the packed copy keeps the layout, the named films only, and exact masks."""

import json
import sys
from pathlib import Path

import numpy as np

from lungseg.data.layouts import discover
from lungseg.io.reader import read_mask, read_xray

from .conftest import write_kaggle_tree

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import pack_training_data
import resolution_ceiling


def test_pack_keeps_named_films_with_exact_masks(tmp_path):
    source = write_kaggle_tree(tmp_path / "Lung Segmentation", size=96)
    split = tmp_path / "split.json"
    split.write_text(json.dumps({"train": ["CHNCXR_0001_0", "MCUCXR_0002_1"], "val": ["CHNCXR_0003_0"], "test": []}))
    out = tmp_path / "packed"
    pack_training_data.main(["--output", str(out), "--set", str(source), str(split), "train,val"])
    layout, packed = discover(out / "Lung Segmentation")
    assert layout == "kaggle"
    assert sorted(s.name for s in packed) == ["CHNCXR_0001_0", "CHNCXR_0003_0", "MCUCXR_0002_1"]
    originals = {s.name: s for s in discover(source)[1]}
    for sample in packed:
        assert sample.image.suffix == ".jpg"
        assert np.array_equal(read_mask(sample.mask), read_mask(originals[sample.name].mask))
        error = np.abs(read_xray(sample.image).pixels - read_xray(originals[sample.name].image).pixels).mean()
        assert error < 0.02  # JPEG at quality 85: a few grey levels at most


def test_round_trip_of_a_mask_at_its_own_size_is_exact_and_smaller_sizes_cost_dice():
    mask = np.zeros((512, 512), bool)
    mask[100:400, 60:230] = True
    mask[120:380, 290:460] = True
    assert resolution_ceiling.round_trip_dice(mask, 512) == 1.0
    assert 0.97 < resolution_ceiling.round_trip_dice(mask, 128) < resolution_ceiling.round_trip_dice(mask, 256) <= 1.0
