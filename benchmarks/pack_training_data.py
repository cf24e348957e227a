"""Pack the films a training recipe reads into a small copy of the data folders, for a machine the data cannot reach.

The device machine lent for training takes at most 64 MiB with the repository; the three data sets are 203 MB as
PNG. The copy keeps each folder's layout (so ``--data`` and the split files work unchanged) and holds only the
films of the named split lists: images re-encoded as JPEG (quality 85: a mean error of 1-2 grey levels, well
under the training noise of up to 0.03 x 255), masks as 1-bit PNG (lossless). A model trained on the copy is
scored on the original PNGs.

    python benchmarks/pack_training_data.py --output gpu_data \
        --set "../shared/data/Lung Segmentation" splits/combined_no_shenzhen_abnormal.json train,val \
        --set ../shared/data/wingspan splits/combined_no_shenzhen_abnormal.json train,val \
        --set ../shared/data/v7_pediatric splits/v7_pediatric.json train
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

from PIL import Image


def pack_set(folder: Path, names: set[str], output: Path, quality: int) -> int:
    """Copy the named films of one data folder (every layout's images and masks folders) to ``output``."""
    count = 0
    for sub in sorted(p for p in folder.iterdir() if p.is_dir()):
        for path in sorted(sub.iterdir()):
            stem = path.stem.removesuffix("_mask")
            if stem not in names or path.suffix.lower() not in (".png", ".jpg", ".jpeg"):
                continue
            target = output / sub.name / path.name
            target.parent.mkdir(parents=True, exist_ok=True)
            image = Image.open(path)
            if sub.name.startswith("masks"):  # masks/, masks_heart/, masks_left/ ...: exact, 1 bit
                image.convert("L").point(lambda v: 255 if v >= 128 else 0).convert("1").save(target, optimize=True)
            else:
                image.convert("L").save(target.with_suffix(".jpg"), "JPEG", quality=quality)
                count += 1
    for extra in ("ctr.csv",):
        if (folder / extra).is_file():
            shutil.copy(folder / extra, output / extra)
    return count


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--set", nargs=3, action="append", metavar=("FOLDER", "SPLIT", "LISTS"), required=True)
    parser.add_argument("--quality", type=int, default=85)
    args = parser.parse_args(argv)
    for folder, split_file, lists in args.set:
        split = json.loads(Path(split_file).read_text())
        names = {n for key in lists.split(",") for n in split[key]}
        count = pack_set(Path(folder), names, args.output / Path(folder).name, args.quality)
        print(f"{folder}: {count} films of {lists} -> {args.output / Path(folder).name}")


if __name__ == "__main__":
    main()
