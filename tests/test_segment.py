import numpy as np
from PIL import Image

from lungseg.checkpoint import save_checkpoint
from lungseg.cli import main
from lungseg.model import UNet
from lungseg.segment import sample_path


def test_segment_writes_masks_at_input_size_and_goes_on_after_bad_files(tmp_path):
    save_checkpoint(tmp_path / "m.pt", UNet(base_channels=2, depth=2), train_config={"image_size": 32})
    inputs = tmp_path / "in" / "sub"
    inputs.mkdir(parents=True)
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (77, 103), np.uint8)).save(inputs / "a.png")
    (inputs / "broken.png").write_text("not a png")
    out = tmp_path / "out"
    code = main(["segment", str(tmp_path / "in"), "-o", str(out), "--model", str(tmp_path / "m.pt")])
    assert code == 1  # one input failed, the other was written
    mask = np.asarray(Image.open(out / "sub" / "a_mask.png"))
    assert mask.shape == (77, 103) and set(np.unique(mask)) <= {0, 255}
    assert not (out / "sub" / "broken_mask.png").exists()


def test_segment_without_a_model_explains_and_succeeds(tmp_path):
    assert sample_path().is_file()
    assert main(["segment", "-o", str(tmp_path / "o")]) == 0
