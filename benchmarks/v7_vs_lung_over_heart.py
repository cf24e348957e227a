"""How much of a candidate's gain on the children's pneumonia films goes with its lungs reaching over the heart.

Reads the committed validation rounds of the v6.2 family (rounds 13-25: every candidate started from v6.2 or
its descendants, scored by ``validation_choice.py`` on the same films; round 23's 512 px models left out, a
different family) and relates each candidate's ``v7_pneumonia`` to its ``lung_over_heart`` (the share of the
16 Wingspan validation hearts covered by predicted lung). A candidate whose lung figures repeat an earlier one's
(a baseline scored again, one epoch under two names, a heart-only refit) counts once.

Why: the rule chooses by the v7 pneumonia gain, scored on the zone both lung conventions agree on; if that
gain moves with the lungs spreading onto the heart, part of it is the convention, not the disease.

Usage: python benchmarks/v7_vs_lung_over_heart.py  -> benchmarks/v7_vs_lung_over_heart.json
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROUNDS = (13, 14, 18, 19, 20, 21, 22, 24, 25)
OTHER_FAMILY = ("v8A",)  # round 23: 512 px, scored beside round 22


def candidates() -> list[dict]:
    """One row per candidate: its round, label, lung_over_heart and v7_pneumonia."""
    rows, seen = [], set()
    for number in ROUNDS:
        results = json.loads((HERE / f"validation_choice_round{number}.json").read_text())["results"]
        for label, m in results.items():
            lungs = tuple(m[k] for k in ("clean", "simulated_mean", "lung_over_heart", "v7_pneumonia", "v7_normal"))
            if label.startswith(OTHER_FAMILY) or "+tta" in m["model"] or lungs in seen:
                continue
            seen.add(lungs)
            rows.append({"round": number, "label": label, "lung_over_heart": m["lung_over_heart"],
                         "v7_pneumonia": m["v7_pneumonia"]})  # fmt: skip
    return rows


def main() -> None:
    rows = candidates()
    x = np.array([r["lung_over_heart"] for r in rows])
    y = np.array([r["v7_pneumonia"] for r in rows])
    slope, intercept = np.polyfit(x, y, 1)
    out = {
        "command": "python benchmarks/v7_vs_lung_over_heart.py",
        "n_candidates": len(rows),
        "pearson_r": round(float(np.corrcoef(x, y)[0, 1]), 3),
        "slope": round(float(slope), 3),  # v7 pneumonia Dice per unit of lung over the heart
        "intercept": round(float(intercept), 4),
        "candidates": rows,
    }
    (HERE / "v7_vs_lung_over_heart.json").write_text(json.dumps(out, indent=1) + "\n")
    print(f"{len(rows)} candidates: r = {out['pearson_r']}, slope {out['slope']}")


if __name__ == "__main__":
    main()
