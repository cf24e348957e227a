"""Figures against the JSON they come from: round 58 of #9 (a completion may not join two lungs found into one)."""

from .test_docs_figures import flat_card, load
from .test_docs_figures_round55 import holds


def card() -> str:
    return flat_card()


def test_round58_criterion_holds_nothing_on_validation_moves_and_the_shipped_run_is_the_judged_one():
    for name in ("shape_failures_round58_shipped_lungs", "shape_failures_round58"):
        assert holds(name, "apl", "kp")
        gains = load(f"{name}.json")["results"]["kp"]["vs_first"].values()
        assert all(g["films_up"] == g["films_down"] == 0 for g in gains)  # "no validation case moves"
    judged = load("portable_stages_draws4_round58.json")["rows"]
    assert judged == load("portable_stages_draws4_round55.json")["rows"]
    assert load("portable_stages_draws4_round58_shipped.json")["rows"] == judged  # the default pipeline: _kp is on


def test_round58_the_test_film_behind_it_as_the_card_and_readme_tell_it():
    before = dict(load("history/robustness_round57.json")["perturbations"]["zoom out 20% (wider field)"]["dice"])
    now = dict(load("history/robustness_round58.json")["perturbations"]["zoom out 20% (wider field)"]["dice"])
    alone = load("history/robustness_no_completion_round58.json")["perturbations"]["zoom out 20% (wider field)"]
    alone = dict(alone["dice"])
    assert before["MCUCXR_0060_0"] < 0.75 < 0.95 < now["MCUCXR_0060_0"]
    assert f"MCUCXR_0060_0 zoomed out 20% {before['MCUCXR_0060_0']} -> {now['MCUCXR_0060_0']}" in card()
    assert f"{alone['MCUCXR_0060_0']:.4f}" in card()


def test_round58_test_figures_after_the_choice():
    from .test_docs_figures_round46 import moved

    changes = moved(*(load(f"history/portable_stages_test_round{n}.json") for n in (57, 58)))
    assert [c[:3] for c in changes] == [("shipped", "shuttered", "MCUCXR_0041_0")]
    assert f"MCUCXR_0041_0 shuttered {changes[0][3]} -> {changes[0][4]}" in card()
    v1 = load("shape_failures_round58_test.json")["results"]
    assert f"portable test kind {v1['apl']['portable']} -> {v1['kp']['portable']} (one film up" in card()
    q_old, q_new = load("history/quality_round57.json")["eval"], load("history/quality_round58.json")["eval"]
    qo, qn = q_old["quality"], q_new["quality"]
    assert (f"under Dice 0.90 {q_old['n_bad']} -> {q_new['n_bad']} (Spearman {qo['spearman']} -> {qn['spearman']}, "
            f"AUROC {qo['auroc_bad']} -> {qn['auroc_bad']}") in card()
    r_old, r_new = (load(n)["perturbations"]["zoom out 20% (wider field)"]["mean"]
                    for n in ("history/robustness_round57.json", "history/robustness_round58.json"))
    assert f"the zoom-out mean {r_old} -> {r_new}" in card()
