"""Round 76 (films tilted in their plane, levelled): its reruns move only what a levelled film moves, and the rounds
record quotes them."""

from .test_docs_figures import flat, load

TILT8, TILT15 = "rotate 8 degrees", "rotate 15 degrees (a portable film)"


def rounds() -> str:
    return flat("docs/model_rounds.md")


def test_the_robustness_reruns_move_only_the_tilted_rows_and_upward():
    text = rounds()
    quoted = []
    for name in ("robustness", "robustness_val"):
        before, now = (load(f"{n}.json")["perturbations"] for n in (f"history/{name}_before76", name))
        moved = {k for k in now if now[k]["dice"] != before[k]["dice"]}
        assert TILT15 in moved <= {TILT8, TILT15}, name
        assert all(now[k]["mean"] >= before[k]["mean"] and now[k]["min"] >= before[k]["min"] for k in moved)
        quoted.append(f"{before[TILT15]['mean']:.4f} -> {now[TILT15]['mean']:.4f}")
    assert f"the 15 degree tilt {quoted[0]} (validation {quoted[1]})" in text
    rows = [load(f"{n}.json")["perturbations"][TILT8] for n in ("history/robustness_before76", "robustness")]
    before, now = (dict(r["dice"]) for r in rows)
    moved = sum(before[k] != now[k] for k in now)
    assert f"the 8 degree tilt levels {moved} test films (mean {rows[1]['mean']:.4f} as before" in text
    assert rows[1]["mean"] == rows[0]["mean"]


def test_the_polarity_rerun_levels_one_childs_film_and_moves_nothing_else():
    before, now = (load(f"polarity_pipeline_round{n}.json")["rows"] for n in (74, 76))
    changed = [(b, n) for b, n in zip(before, now, strict=True) if b != n]
    assert {n["name"] for _, n in changed} == {"v7_95"} and all(n["dice"] > b["dice"] for b, n in changed)
    b, n = changed[0]
    assert f"(v7_95: {b['dice']} -> {n['dice']})" in rounds()
