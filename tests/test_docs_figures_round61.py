"""Figures against the JSON they come from: round 61 of #9 (a bright field made flat too; not shipped)."""

import lungseg.inference.dark_field as dark_field

from .test_docs_figures import flat_card, load
from .test_docs_figures_round55 import steps

TENTH = "small in a corner of a noisy black field (70%, sigma 0.01)"


def test_round61_fails_its_criterion_as_the_card_tells_it_and_stays_off():
    card = flat_card()
    assert dark_field.BRIGHT is False
    v65, v1 = ([load(f"shape_failures_round{n}{part}.json")["results"]["kp"] for n in (60, 61)]
               for part in ("_shipped_lungs", ""))  # fmt: skip
    assert v65[1]["portable"] < v65[0]["portable"] - 0.0005 and v1[1]["portable"] < v1[0]["portable"] - 0.0005
    assert f"the portable kind {v65[0]['portable']} -> {v65[1]['portable']} with v6.5's lungs" in card
    assert f"{v1[0]['portable']} -> {v1[1]['portable']} with v1's" in card
    a, b = steps("portable_stages_draws4_round60_shipped"), steps("portable_stages_draws4_round61")
    assert f"4-draw shuttered step {a['shuttered']} -> {b['shuttered']}" in card
    before, after = (
        load(f"{n}.json")["perturbations"][TENTH] for n in ("history/robustness_val_round60", "robustness_val_round61")
    )
    assert after["mean"] > before["mean"] + 0.01
    assert f"validation {before['mean']:.4f} -> {after['mean']:.4f}, lowest {before['min']} -> {after['min']}" in card
