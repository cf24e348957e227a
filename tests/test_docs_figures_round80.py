"""Round 80 (docs/model_rounds.md): the shape model trained on basal fills, against the committed benchmark outputs."""

import json
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
KEY = "t0.5_g0.02_f0.0_nh_r0.5_rw1_apl_kp"


def load(name: str) -> dict:
    return json.loads((REPO / "benchmarks" / name).read_text())


def record(n: int) -> str:
    doc = " ".join((REPO / "docs" / "model_rounds.md").read_text().split())
    start = doc.index(f"**Round {n} (#9; tried, not shipped)")
    return doc[start : doc.index("**", doc.index(".**", start) + 3)]


def test_the_shipped_weights_at_their_key_give_the_shipped_pipelines_probe():
    shipped = load("basal_merge_round78.json")["results"]["v65"]["summary"]
    swapped = load("basal_merge_round80_shippedshape.json")
    assert swapped["shape"] == f"src/lungseg/model/weights/lungseg-shape.pt@{KEY}"
    assert swapped["results"]["v65"]["summary"] == shipped  # the --shape path is the pipeline's own
    assert f"basal_merge_round80_shippedshape`: mean {shipped['mean_of_kinds']})" in record(80)


def test_criterion_a_holds_and_the_figures_are_the_benchmarks():
    before = load("basal_merge_round78.json")["results"]["v65"]["summary"]
    after = load("basal_merge_round80.json")
    assert after["shape"] == f"runs/r80/shape_round80.pt@{KEY}"
    a, b = after["results"]["v65"]["summary"], after["results"]["v9B"]["summary"]
    assert a["mean_of_kinds"] - before["mean_of_kinds"] >= 0.01
    assert all(a[k]["mean"] >= before[k]["mean"] for k in ("one", "deep", "both"))
    assert (f"one {before['one']['mean']} -> {a['one']['mean']}, deep {before['deep']['mean']} -> {a['deep']['mean']}, "
            f"both {before['both']['mean']} -> {a['both']['mean']} (mean {before['mean_of_kinds']} -> "
            f"{a['mean_of_kinds']}; both lungs' films under 0.85 {before['both']['under_0.85']} -> "
            f"{a['both']['under_0.85']}); with round 79's lung model {b['mean_of_kinds']}") in record(80)


def test_criterion_b_fails_on_the_childrens_and_the_portable_films():
    r = load("shape_failures_round80_shipped_lungs.json")["results"]
    base, new = r["base"], r["r80"]
    assert base["setting"] == new["setting"] == KEY
    v7, port = new["vs_first"]["v7_pneumonia"], new["vs_first"]["portable"]
    assert v7["mean"] < -0.001 and port["mean"] < -0.001  # the clauses that fail
    assert abs(new["clean"] - base["clean"]) <= 0.0005 and abs(new["simulated_mean"] - base["simulated_mean"]) <= 0.0005
    doc = record(80)
    assert (f"v7 pneumonia {base['v7_pneumonia']} -> {new['v7_pneumonia']} (paired {v7['mean']:+.4f} "
            f"[{v7['ci95'][0]:+.4f}, {v7['ci95'][1]:+.4f}])") in doc
    assert (f"portable {base['portable']} -> {new['portable']} ({port['mean']:+.4f} "
            f"[{port['ci95'][0]:+.4f}, {port['ci95'][1]:+.4f}]") in doc
    v1 = load("shape_failures_round80.json")["results"]["r80"]["vs_first"]
    assert (f"with v1's lungs portable {v1['portable']['mean']:+.4f} [{v1['portable']['ci95'][0]:+.4f}, "
            f"{v1['portable']['ci95'][1]:+.4f}], v7 pneumonia {v1['v7_pneumonia']['mean']:+.4f}") in doc


def test_criterion_c_holds():
    base = load("portable_stages_draws4_round78_base.json")["summary"]["shipped"]
    new = load("portable_stages_draws4_round80.json")["summary"]["shipped"]
    steps = ("disease", "moved", "flat", "shuttered")
    assert all(abs(new[s]["mean"] - base[s]["mean"]) <= 0.002 for s in steps)
    assert ", ".join(f"{s} {new[s]['mean']}" for s in steps) in record(80)
