"""Figures against the JSON they come from: round 62 of #9 (the veto's film turned over with a flat white field)."""

import lungseg.inference.polarity as polarity

from .test_docs_figures import LOG, flat, flat_card, load

TENTH = "small in a corner of a noisy black field (70%, sigma 0.01)"


def test_round62_passes_its_criterion_as_the_card_tells_it_and_is_on():
    assert polarity.VETO_FOLD is True  # on after the full rerun (runs/rerun62.sh)
    rows = load("portable_stages_draws4_round62.json")["rows"]
    assert rows == load("portable_stages_draws4_round60_shipped.json")["rows"]  # "no case ... moves"
    a, b = (load(f"shape_failures_round{n}_shipped_lungs.json")["results"]["kp"] for n in (60, 62))
    assert {k: v for k, v in a.items() if k != "checkpoint"} == {k: v for k, v in b.items() if k != "checkpoint"}
    before, after = (
        load(f"{n}.json")["perturbations"] for n in ("history/robustness_val_round60", "robustness_val_round62")
    )
    assert all(after[k] == before[k] for k in before if k != TENTH)
    assert after[TENTH]["mean"] > before[TENTH]["mean"] + 0.01
    assert (
        f"the tenth\nperturbation {before[TENTH]['mean']:.4f} -> {after[TENTH]['mean']:.4f} (lowest "
        f"{before[TENTH]['min']} -> {after[TENTH]['min']})"
    ).replace("\n", " ") in flat_card()


def test_round62_test_figures_after_the_rerun():
    before, after, alone_before, alone = (
        load(f"{n}.json")["perturbations"]
        for n in (
            "history/robustness_round60",
            "history/robustness_round62",
            "history/robustness_no_completion_round60",
            "history/robustness_no_completion_round62",
        )
    )
    assert all(after[k] == before[k] for k in before if k != TENTH)  # only the tenth row moves
    under = [sum(d < 0.90 for _, d in r[TENTH]["dice"]) for r in (before, after)]
    card = flat_card()
    assert (
        f"on test {before[TENTH]['mean']:.4f} -> {after[TENTH]['mean']:.4f} (films under 0.90: {under[0]} -> "
        f"{under[1]}; the lung model alone {alone_before[TENTH]['mean']} -> {alone[TENTH]['mean']})"
    ) in card
    readme = flat(LOG)
    assert f"has that field made flat (mean {after[TENTH]['mean']:.4f})" in readme
    assert f"(mean {before[TENTH]['mean']:.4f}, {under[0]} films under Dice 0.90" in readme


def test_the_worst_films_report_replays_the_robustness_run_and_the_docs_quote_it():
    worst = load("history/robustness_worst_round62.json")
    rows = load("history/robustness_round62.json")["perturbations"]
    dice, clean = dict(rows[worst["perturbation"]]["dice"]), dict(rows["none"]["dice"])
    films = worst["films"]
    assert set(films) == {n for n, d in dice.items() if d < worst["below"]}
    assert all(r["dice"] == dice[n] and r["clean"] == clean[n] for n, r in films.items())  # the same draws
    failing = {n: r for n, r in films.items() if r["dice"] < 0.5}
    others = [r for n, r in films.items() if n not in failing]
    assert len(failing) == 2 and all(r["clean"] < 0.93 for r in others)  # "ten of them under 0.93 unperturbed"
    mc, ws = films["MCUCXR_0060_0"], films["1.2.392.200046.100.2.1.116528309041.170202131112"]
    assert mc["field_share"] > worst["field_limits"][1] and "inverted_input" not in mc["flags"]
    assert "inverted_input" in ws["flags"] and ws["dice_polarity_keep"] > 0.9
    card, readme = flat_card(), flat(LOG)
    assert f"MCUCXR_0060_0 (0.2651: its dark field, shrunk again, covers {mc['field_share']} of" in card
    assert f"a Wingspan film ({ws['dice']:.4f}: the veto" in card and f"scores {ws['dice_polarity_keep']})." in card
    assert f"`--polarity keep` gave {ws['dice_polarity_keep']})" in readme  # round 67 mended it (round 66's test)
