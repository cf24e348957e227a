"""Figures against the JSON they come from: round 62 of #9 (the veto's film turned over with a flat white field)."""

import lungseg.inference.polarity as polarity

from .test_docs_figures import flat, load

TENTH = "small in a corner of a noisy black field (70%, sigma 0.01)"


def test_round62_passes_its_criterion_as_the_card_tells_it_and_is_not_on_yet():
    assert polarity.VETO_FOLD is False  # on only after the full rerun
    rows = load("portable_stages_draws4_round62.json")["rows"]
    assert rows == load("portable_stages_draws4_round60_shipped.json")["rows"]  # "no case ... moves"
    a, b = (load(f"shape_failures_round{n}_shipped_lungs.json")["results"]["kp"] for n in (60, 62))
    assert {k: v for k, v in a.items() if k != "checkpoint"} == {k: v for k, v in b.items() if k != "checkpoint"}
    before, after = (load(f"{n}.json")["perturbations"] for n in ("robustness_val", "robustness_val_round62"))
    assert all(after[k] == before[k] for k in before if k != TENTH)
    assert after[TENTH]["mean"] > before[TENTH]["mean"] + 0.01
    assert (f"the tenth\nperturbation {before[TENTH]['mean']:.4f} -> {after[TENTH]['mean']:.4f} (lowest "
            f"{before[TENTH]['min']} -> {after[TENTH]['min']})").replace("\n", " ") in flat("MODEL_CARD.md")
