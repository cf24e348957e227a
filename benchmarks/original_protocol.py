"""The original protocol (train on Shenzhen only, test on the Montgomery test half) -> original_protocol.json.

Usage: python benchmarks/original_protocol.py --model runs/patho_original/best.pt
(trained with: lungseg train --config configs/pathology_original.yaml --data "../shared/data/Lung Segmentation"
--output runs/patho_original). Scored with ``lungseg evaluate`` (calibrated threshold, post-processing).
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from lungseg.evaluation.evaluate import evaluate
from lungseg.model.checkpoint import read_checkpoint

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="runs/patho_original/best.pt")
    parser.add_argument("--data", default=str(HERE.parent.parent / "shared" / "data" / "Lung Segmentation"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        s = evaluate(args.model, args.data, str(HERE.parent / "splits" / "montgomery_test.txt"), tmp, "cpu", heart=None)
    payload = read_checkpoint(args.model)
    out = {
        "command": f"python benchmarks/original_protocol.py --model {args.model}",
        "best_epoch": payload.get("epoch"),
        "threshold": s["threshold"], "n_images": s["n_images"], "dice_mean": round(s["dice_mean"], 4),
        "dice_median": round(s["dice_median"], 4), "dice_min": round(s["dice_min"], 4),
        "groups": {g: round(v["dice_mean"], 4) for g, v in s["groups"].items()},
    }  # fmt: skip
    (HERE / "original_protocol.json").write_text(json.dumps(out, indent=1) + "\n")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
