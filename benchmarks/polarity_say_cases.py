"""Which of quality.py's test cases round 52 (the lung model's say in the polarity decision) changes, after the choice.

``benchmarks/quality.py`` scores 865 test cases (the 173 test films of ``splits/pathology.json``, clean and in four
corrupted versions each). This segments each one with the shipped pipeline as it is and with the lung model's say
turned off (``segmenter.lungs_prefer_as_came`` returning False: round 42's polarity decision), and lists the cases whose
Dice differs. A report after the choice (round 52 was chosen on validation films), not a choice.

Usage: python benchmarks/polarity_say_cases.py  -> benchmarks/polarity_say_cases.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import quality  # noqa: E402

from lungseg.data.layouts import discover, load_split, select  # noqa: E402
from lungseg.inference import segmenter as segmenter_module  # noqa: E402
from lungseg.inference.segmenter import Segmenter  # noqa: E402


def main() -> None:
    data = HERE.parent.parent / "shared" / "data"
    test = select(discover([str(data / "Lung Segmentation"), str(data / "wingspan")])[1],
                  load_split(HERE.parent / "splits" / "pathology.json")["test"])  # fmt: skip
    seg = Segmenter.from_pretrained("lungseg-unet-default", heart=None, precision="fp32")  # as quality.py
    with_say = quality.cxr_cases(seg, test, seed=1)
    say = segmenter_module.lungs_prefer_as_came
    segmenter_module.lungs_prefer_as_came = lambda logits: False
    try:
        without = quality.cxr_cases(seg, test, seed=1)
    finally:
        segmenter_module.lungs_prefer_as_came = say
    changed = [{"name": a["name"], "kind": a["kind"], "without": round(a["dice"], 4), "with": round(b["dice"], 4)}
               for a, b in zip(without, with_say, strict=True) if abs(a["dice"] - b["dice"]) > 1e-6]  # fmt: skip
    out = {"command": "python benchmarks/polarity_say_cases.py", "n_cases": len(with_say), "changed": changed}
    (HERE / "polarity_say_cases.json").write_text(json.dumps(out, indent=1) + "\n")
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
