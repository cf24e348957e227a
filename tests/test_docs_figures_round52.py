"""Figures against the JSON they come from: round 52 of #9 (the lung model gets a say in the polarity decision)."""

import sys

from .test_docs_figures import BENCH, LOG, flat, flat_card, load
from .test_docs_figures_round46 import moved


def card() -> str:
    return flat_card()


def test_round52_polarity_pipeline_unchanged_and_rendered():
    sys.path.insert(0, str(BENCH))
    from polarity_pipeline import render

    before, after = load("polarity_pipeline_before.json"), load("history/polarity_pipeline_round52.json")
    for name, out in (("polarity_pipeline_before", before), ("history/polarity_pipeline_round52", after)):
        assert (BENCH / f"{name}.md").read_text() == render(out)
    assert before["rows"] == after["rows"]  # criterion: no film lower; here none moved at all
    s = after["summary"]
    assert all(s[k]["flagged"] == s[k]["n"] for k in s if k.endswith("/inverted"))
    assert all(s[k]["flagged"] == 0 for k in s if k.endswith("/as_came"))
    assert after["command"] in card().replace("`", "")


def test_round52_four_draw_cases_as_the_card_and_readme_tell_them():
    old, new = load("portable_stages_draws4.json"), load("portable_stages_draws4_round52.json")
    changes = moved(old, new)
    assert changes and all(b > a for *_, a, b in changes)  # criterion: nothing lower
    lung = {(c[1], c[2]): c[3:] for c in changes if c[0] == "lung_model"}
    assert set(lung) == {("moved", "MCUCXR_0021_0#2"), ("shuttered", "MCUCXR_0021_0#3"),
                         ("shuttered", "MCUCXR_0070_0#3")}  # fmt: skip
    a, b = lung["moved", "MCUCXR_0021_0#2"], lung["shuttered", "MCUCXR_0021_0#3"]
    c = lung["shuttered", "MCUCXR_0070_0#3"]
    assert (f"MCUCXR_0021_0#2 moved {a[0]} -> {a[1]}, MCUCXR_0021_0#3 and MCUCXR_0070_0#3 shuttered {b[0]} -> {b[1]} "
            f"and {c[0]} -> {c[1]}, lung model alone") in card()  # fmt: skip
    lo, ln = old["summary"]["lung_model"], new["summary"]["lung_model"]
    so, sn = old["summary"]["shipped"], new["summary"]["shipped"]
    assert (f"the lung model alone moved {lo['moved']['mean']:.4f} -> {ln['moved']['mean']:.4f}, shuttered "
            f"{lo['shuttered']['mean']:.4f} -> {ln['shuttered']['mean']:.4f}, as shipped moved "
            f"{so['moved']['mean']:.4f} -> {sn['moved']['mean']:.4f}, shuttered {so['shuttered']['mean']:.4f} -> "
            f"{sn['shuttered']['mean']:.4f}") in card()  # fmt: skip
    lows, highs = sorted(x[0] for x in lung.values()), sorted(x[1] for x in lung.values())
    assert f"(Dice {lows[0]}-{lows[-1]} -> {highs[0]}-{highs[-1]})" in flat(LOG)


def test_round52_test_figures_after_the_choice():
    old, new = load("history/quality_round46.json")["eval"], load("history/quality_round57.json")["eval"]  # to round 58
    assert (f"the cases under Dice 0.90 go {old['n_bad']} -> {new['n_bad']}, the quality score's Spearman\n"
            f"{old['quality']['spearman']} -> {new['quality']['spearman']} and AUROC {old['quality']['auroc_bad']} -> "
            f"{new['quality']['auroc_bad']}, and the corrupted test films rejected as not frontal "
            f"{old['false_rejections_corrupted']} -> {new['false_rejections_corrupted']} of "
            f"{new['n_cases'] - new['n_clean']}").replace("\n", " ") in card()  # fmt: skip
    assert (f"before round 52, {old['quality']['spearman']} and {old['quality']['auroc_bad']}, "
            "`benchmarks/history/quality_round46.json`") in flat(LOG)
    say = load("polarity_say_cases.json")
    assert say["n_cases"] == new["n_cases"] and len(say["changed"]) == old["n_bad"] - new["n_bad"] == 1
    c = say["changed"][0]
    assert c["with"] > 0.9 > c["without"] and c["kind"] == "zoom_out+crop"
    assert f"{c['name']} zoomed out and cropped" in card() and f"Dice {c['without']} -> {c['with']}" in card()
    assert f"polarity check turned over is kept as it came, Dice {c['without']} -> {c['with']}" in flat(LOG)
