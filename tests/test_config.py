import pytest

from lungseg.model.unet import ModelConfig
from lungseg.training.config import load_config, save_config


def test_yaml_and_toml_files_and_overrides(tmp_path):
    (tmp_path / "c.yaml").write_text("epochs: 3\nmodel:\n  base_channels: 8\n  padding: valid\n")
    (tmp_path / "c.toml").write_text('epochs = 4\nloss = "bce"\n[model]\ndepth = 3\n')
    y = load_config(tmp_path / "c.yaml", lr=0.01, batch_size=None)
    assert (y.epochs, y.lr, y.batch_size) == (3, 0.01, 8)
    assert y.model == ModelConfig(base_channels=8, padding="valid")
    t = load_config(tmp_path / "c.toml")
    assert (t.epochs, t.loss, t.model.depth) == (4, "bce", 3)
    save_config(y, tmp_path / "saved.yaml")
    assert load_config(tmp_path / "saved.yaml") == y


def test_bad_values_are_value_errors(tmp_path):
    (tmp_path / "bad.yaml").write_text("epoch: 3\n")
    with pytest.raises(ValueError, match="unknown config key"):
        load_config(tmp_path / "bad.yaml")
    with pytest.raises(ValueError, match="loss"):
        load_config(loss="hinge")
    (tmp_path / "c.ini").write_text("epochs=3\n")
    with pytest.raises(ValueError, match=r"\.yaml"):
        load_config(tmp_path / "c.ini")
    with pytest.raises(ValueError, match="heart_exclusion must be positive"):
        load_config(heart_exclusion=0.0)
    with pytest.raises(ValueError, match="use loss weighted_ce"):
        load_config(heart_exclusion=3.0, loss="dice")
    assert load_config(heart_exclusion=3.0).heart_exclusion == 3.0
