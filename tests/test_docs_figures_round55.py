"""Figures against the JSON they come from: rounds 55 (round 54's guard drops only growth outside the lungs' columns,
ships), 56 (no growth into a shutter band) and 57 (only wider pieces taken away), both not shipped, of #9."""

import sys

from .test_docs_figures import BENCH, LOG, flat, flat_card, interval, load
from .test_docs_figures_round46 import moved


def card() -> str:
    return flat_card()


def steps(name: str, way: str = "shipped") -> dict:
    return {st: v["mean"] for st, v in load(f"{name}.json")["summary"][way].items() if st != "worst_shuttered"}


def kinds(row: dict) -> list[str]:
    return [k for k, v in row.items() if isinstance(v, float) and k != "lung_over_heart"]


def holds(name: str, first: str, second: str) -> bool:
    """Clause (1) of rounds 55 and 56: no kind lower by more than 0.0005, lung over the heart not higher by more."""
    r = load(f"{name}.json")["results"]
    a, b = r[first], r[second]
    return all(b[k] >= a[k] - 0.0005 for k in kinds(a)) and b["lung_over_heart"] <= a["lung_over_heart"] + 0.0005


def test_round55_criterion_holds_and_the_shipped_run_is_the_judged_one():
    assert holds("shape_failures_round55_shipped_lungs", "ap", "apl") and holds("shape_failures_round55", "ap", "apl")
    v65 = load("shape_failures_round55_shipped_lungs.json")["results"]["apl"]["vs_first"]
    assert all(g["films_up"] == g["films_down"] == 0 for g in v65.values())  # "no film moves"
    p = load("shape_failures_round55.json")["results"]
    gain = p["apl"]["vs_first"]["portable"]
    assert (gain["films_up"], gain["films_down"]) == (1, 0)
    assert f"portable kind {p['ap']['portable']} -> {p['apl']['portable']} (paired {interval(gain)}" in card()
    base, new = steps("portable_stages_draws4_round54"), steps("portable_stages_draws4_round55")
    assert all(new[st] >= base[st] - 0.0005 for st in base) and base == new  # "every step's mean unchanged"
    changes = moved(load("portable_stages_draws4_round54.json"), load("portable_stages_draws4_round55.json"))
    assert [c[:3] for c in changes] == [("shipped", "flat", "MCUCXR_0086_0")]
    assert f"MCUCXR_0086_0 flat {changes[0][3]} -> {changes[0][4]}" in card()
    shipped = load("portable_stages_draws4_round55_shipped.json")  # the default pipeline: _apl is on
    assert shipped["rows"] == load("portable_stages_draws4_round55.json")["rows"]


def test_round55_test_figures_after_the_choice():
    r = load("shape_failures_round55_test.json")
    assert r["part"] == "test"
    ap, apl = r["results"]["ap"], r["results"]["apl"]
    g = apl["vs_first"]["portable"]
    assert f"portable kind {ap['portable']} -> {apl['portable']} (paired {interval(g)}, {g['films_up']} films up" \
        in card()
    before = load("shape_failures_round54_test.json")["results"]["base"]["portable"]
    assert (g["films_up"], g["films_down"]) == (2, 0) and apl["portable"] == before  # back to before round 54
    changes = moved(load("history/portable_stages_round54.json"), load("history/portable_stages_round58.json"))
    assert [c[:3] for c in changes] == [("shipped", "flat", "MCUCXR_0086_0")]
    old = dict(load("history/pathology_round54.json")["results"]["lungseg-unet-default"]["real"]["montgomery"]["worst"])
    new = dict(load("history/pathology_round58.json")["results"]["lungseg-unet-default"]["real"]["montgomery"]["worst"])
    assert f"MCUCXR_0258_1 {old['MCUCXR_0258_1']} -> {new['MCUCXR_0258_1']}" in card()
    readme = flat(LOG)
    assert f"portable kind back from {ap['portable']} to {apl['portable']}" in readme
    assert f"MCUCXR_0258_1 gain ({old['MCUCXR_0258_1']} -> {new['MCUCXR_0258_1']})" in readme


def test_round56_fails_its_criterion_as_the_card_says():
    assert holds("shape_failures_round56_shipped_lungs", "apl", "sb") and holds("shape_failures_round56", "apl", "sb")
    g = load("shape_failures_round56_shipped_lungs.json")["results"]
    gain = interval(g["sb"]["vs_first"]["portable"])
    assert f"portable kind {g['apl']['portable']} -> {g['sb']['portable']} (paired {gain}" in card()
    base, new = steps("portable_stages_draws4_round55"), steps("portable_stages_draws4_round56")
    assert new["shuttered"] - base["shuttered"] < 0.001  # (2) fails
    assert f"shuttered {base['shuttered']} -> {new['shuttered']}, the other steps unchanged" in card()
    assert all(new[st] == base[st] for st in base if st != "shuttered")
    changes = moved(load("portable_stages_draws4_round55.json"), load("portable_stages_draws4_round56.json"))
    up = [c for c in changes if c[4] > c[3]]
    assert (len(changes), len(up)) == (15, 11) and f"{len(changes)} shuttered cases move, {len(up)} up" in card()


def test_round55_and_56_outputs_render_from_their_json():
    sys.path.insert(0, str(BENCH))
    from portable_stages import render as stages
    from shape_failures import render as failures

    for name in ("portable_stages_draws4_round55", "portable_stages_draws4_round55_shipped",
                 "portable_stages_draws4_round56"):  # fmt: skip
        assert (BENCH / f"{name}.md").read_text() == stages(load(f"{name}.json"))
    for name in ("shape_failures_round55", "shape_failures_round55_shipped_lungs", "shape_failures_round55_test",
                 "shape_failures_round55_test_shipped_lungs", "shape_failures_round56",
                 "shape_failures_round56_shipped_lungs"):  # fmt: skip
        assert (BENCH / f"{name}.md").read_text() == failures(load(f"{name}.json"))


def test_round57_fails_its_criterion_as_the_card_says():
    v65 = load("shape_failures_round57_shipped_lungs.json")["results"]
    assert holds("shape_failures_round57_shipped_lungs", "apl", "rw2")
    assert f"portable kind {v65['apl']['portable']} -> {v65['rw2']['portable']}" in card()
    assert not holds("shape_failures_round57", "apl", "rw2")  # (1) fails with v1's lungs
    a, b = (load("shape_failures_round57.json")["results"][k] for k in ("apl", "rw2"))
    for kind in ("whiteout", "effusion", "consolidation", "portable"):
        assert a[kind] - b[kind] > 0.0005 and f"{a[kind]} -> {b[kind]}" in card(), kind
    g = b["vs_first"]["simulated"]
    assert (f"the simulated mean {a['simulated_mean']} -> {b['simulated_mean']} (paired {interval(g)}, "
            f"{g['films_up']} films up, {g['films_down']} down)") in card()
    base, new = steps("portable_stages_draws4_round55"), steps("portable_stages_draws4_round57")
    assert max(new["flat"] - base["flat"], new["shuttered"] - base["shuttered"]) < 0.001  # (2) fails
    assert f"flat {base['flat']} -> {new['flat']}, shuttered {base['shuttered']} -> {new['shuttered']}, under" in card()
    sys.path.insert(0, str(BENCH))
    from portable_stages import render as stages
    from shape_failures import render as failures

    name = "portable_stages_draws4_round57"
    assert (BENCH / f"{name}.md").read_text() == stages(load(f"{name}.json"))
    for name in ("shape_failures_round57", "shape_failures_round57_shipped_lungs"):
        assert (BENCH / f"{name}.md").read_text() == failures(load(f"{name}.json"))
