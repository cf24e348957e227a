"""The shape model's choice rule (``benchmarks/shape_judge.py``) on made-up validation results with known answers."""

import sys

from .test_docs_figures import BENCH


def rule():
    sys.path.insert(0, str(BENCH))
    from shape_judge import choose

    return choose


def result(v7: float, bubble: float | None = None, large: float | None = None, clean: float = 0.97) -> dict:
    r = {"clean": clean, "simulated_mean": 0.96, "lung_over_heart": 0.02, "v7_pneumonia": v7}
    r.update({k: v for k, v in (("bubble", bubble), ("bubble_large", large)) if v is not None})
    return r


def test_growth_is_chosen_by_v7_among_settings_that_keep_the_adults():
    choose = rule()
    results = {"none": result(0.90), "a": result(0.91), "b": result(0.92, clean=0.968), "c": result(0.905)}
    assert choose(results) == "a"  # b loses clean Dice by more than 0.0005


def test_taking_away_is_weighed_on_the_mean_of_the_bubble_kinds():
    choose = rule()
    base = {"none": result(0.90, 0.95, 0.90), "g": result(0.91, 0.95, 0.90)}
    only_small = {**base, "g_r0.1_rw1": result(0.91, 0.953, 0.896)}  # mean 0.9245 vs 0.925: no better
    assert choose(only_small) == "g"
    large_too = {**base, "g_r0.1_rw1": result(0.91, 0.951, 0.91), "g_r0.2_rw1": result(0.905, 0.96, 0.95)}
    assert choose(large_too) == "g_r0.1_rw1"  # the r0.2 setting loses v7 pneumonia by more than 0.0005
    old = {"none": result(0.90, 0.95), "g": result(0.91, 0.95), "g_r0.1_rw1": result(0.91, 0.953)}
    assert choose(old) == "g_r0.1_rw1"  # rounds 32-33's judging: the one bubble kind alone
