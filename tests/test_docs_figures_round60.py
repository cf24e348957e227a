"""Figures against the JSON they come from: round 60 of #9 (two lungs found on a small chest count as two lungs)."""

from .test_docs_figures import flat_card, load

TENTH = "small in a corner of a noisy black field (70%, sigma 0.01)"


def test_round60_nothing_on_the_judged_validation_benchmarks_moves_as_the_card_says():
    for name in ("shape_failures_round60", "shape_failures_round60_shipped_lungs"):
        before, after = (load(f"{n}.json")["results"]["kp"] for n in (name.replace("60", "59"), name))
        assert {k: v for k, v in before.items() if k != "checkpoint"} == \
            {k: v for k, v in after.items() if k != "checkpoint"}  # fmt: skip
    rows = load("portable_stages_draws4_round60.json")["rows"]
    assert rows == load("portable_stages_draws4_round59.json")["rows"]
    assert load("portable_stages_draws4_round60_shipped.json")["rows"] == rows  # the default: BOUND_COVER 0.02
    before, after = (
        load(f"{n}.json")["perturbations"] for n in ("history/robustness_val_round59", "history/robustness_val_round60")
    )
    assert all(after[k] == v for k, v in before.items())
    assert "no validation case of those benchmarks moves" in flat_card()


def test_round60_the_tenth_perturbation_as_the_card_tells_it():
    test, val = (
        load(f"{n}.json")["perturbations"][TENTH]
        for n in ("history/robustness_round60", "history/robustness_val_round60")
    )
    under = sum(d < 0.90 for _, d in val["dice"])
    assert (f"(test mean {test['mean']:.4f}, lowest {test['min']:.4f}; validation {val['mean']:.4f}, {under} films of "
            f"{len(val['dice'])} under 0.90") in flat_card()  # fmt: skip
