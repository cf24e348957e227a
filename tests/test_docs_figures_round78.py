"""Rounds 78 and 79 (docs/model_rounds.md, MODEL_CARD.md) against the committed benchmark outputs."""

import json
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def load(name: str) -> dict:
    return json.loads((REPO / "benchmarks" / name).read_text())


def text(name: str) -> str:
    return " ".join((REPO / name).read_text().split())


def record(n: int) -> str:
    doc = text("docs/model_rounds.md")
    start = doc.index(f"**Round {n} (#9; tried, not shipped)")
    return doc[start : doc.index("**", doc.index(".**", start) + 3)]


def round78() -> str:
    return record(78)


def test_the_probe_and_the_verdict_are_the_benchmark():
    r = load("basal_merge_round78.json")["results"]
    v, c = r["v65"]["summary"], r["v9A_best"]["summary"]
    assert r["v65"]["model"] == "lungseg-unet-default+shape" and r["v9A_best"]["model"] == "runs/v9A/best.pt+shape"
    doc = round78()
    assert (f"one {v['one']['mean']} -> {c['one']['mean']}, deep {v['deep']['mean']} -> {c['deep']['mean']}, "
            f"both {v['both']['mean']} -> {c['both']['mean']} "
            f"(mean {v['mean_of_kinds']} -> {c['mean_of_kinds']})") in doc
    assert c["mean_of_kinds"] - v["mean_of_kinds"] < 0.01  # criterion (a) fails, as the record says
    assert (f"one lung {v['one']['mean']}, deep {v['deep']['mean']} ({v['deep']['under_0.85']} films under 0.85), "
            f"both lungs {v['both']['mean']} ({v['both']['under_0.85']} of 50 under 0.85)") in doc
    card = text("MODEL_CARD.md")
    assert (f"one lung's lower 30-50% scores {v['one']['mean']}, its lower 50-70% {v['deep']['mean']}, both lungs' "
            f"lower 30-50% {v['both']['mean']} ({v['both']['under_0.85']} of 50 films under 0.85)") in card


def test_the_look_without_the_shape_model_and_the_reference_steps():
    r = load("basal_merge_round78_noshape.json")["results"]
    v, c = r["v65"]["summary"], r["v9A_best"]["summary"]
    assert (f"mean {v['mean_of_kinds']} -> {c['mean_of_kinds']}, "
            f"both lungs {v['both']['mean']} -> {c['both']['mean']}, "
            f"films under 0.85 {v['both']['under_0.85']} -> {c['both']['under_0.85']}") in round78()
    ps = load("portable_stages_draws4_round78_base.json")["summary"]["shipped"]
    assert (f"disease {ps['disease']['mean']}, moved {ps['moved']['mean']}, flat {ps['flat']['mean']}, shuttered "
            f"{ps['shuttered']['mean']}") in round78()


def test_round_79s_verdict_and_its_look_without_the_shape_model():
    r, n = load("basal_merge_round79.json")["results"], load("basal_merge_round79_noshape.json")["results"]
    v, c = r["v65"]["summary"], r["v9B_best"]["summary"]
    vn, cn = n["v65"]["summary"], n["v9B_best"]["summary"]
    assert r["v9B_best"]["model"] == "runs/v9B/best.pt+shape" and n["v9B_best"]["model"] == "runs/v9B/best.pt+noshape"
    doc = record(79)
    assert f"(mean {v['mean_of_kinds']} -> {c['mean_of_kinds']})" in doc
    assert c["mean_of_kinds"] - v["mean_of_kinds"] < 0.01  # criterion (a) fails, as the record says
    assert (f"mean {vn['mean_of_kinds']} -> {cn['mean_of_kinds']}, both lungs {vn['both']['mean']} -> "
            f"{cn['both']['mean']}, films under 0.85 {vn['both']['under_0.85']} -> {cn['both']['under_0.85']}") in doc
