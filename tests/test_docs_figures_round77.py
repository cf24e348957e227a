"""Round 77 (a tilt read short is levelled too): the rounds record quotes tilt.json against round 76's rule rerun on
the same CPU (``history/tilt_before77_amd.json``), and what it calls unchanged is unchanged."""

from .test_docs_figures import flat, load

TILTS = ("25", "-25", "35", "-35")


def pairs(before: dict, now: dict, split: str, tilts, section: str = "splits") -> str:
    return ", ".join(f"{before[section][split][t]['auto']['mean']:.4f} -> {now[section][split][t]['auto']['mean']:.4f}"
                     for t in tilts)  # fmt: skip


def test_the_rounds_record_quotes_both_rules_runs_of_the_tilt_benchmark():
    before, now = load("history/tilt_before77_amd.json"), load("tilt.json")
    text = flat("docs/model_rounds.md")
    val = pairs(before, now, "val", TILTS)
    assert f"validation at 25, -25, 35 and -35 degrees {val} (at 15 and -15 the same)" in text
    assert f"Test, after the choice: {pairs(before, now, 'test', TILTS)} at the same tilts" in text
    lead = {"val": "the portable-look films at 20 and -20 degrees ", "test": "the portable-look films "}
    for split, where in lead.items():
        assert where + pairs(before, now, split, ("20",), "portable") + " and " + pairs(
            before, now, split, ("-20",), "portable") in text  # fmt: skip
    for split in ("val", "test"):
        for t in ("0", "15", "-15"):
            assert before["splits"][split][t] == now["splits"][split][t]  # "the same"
        assert before["splits"][split]["0"]["levelled"] == 0 and now["portable"][split]["0"]["levelled"] == 0
        assert before["splits"][split]["35"]["keep"] == now["splits"][split]["35"]["keep"]  # same CPU, same first pass
    name, kind, tilt, was, levelled = now["sick"]["val"]["levelled"][0]
    assert f"({name}, a {kind} opacity read {tilt} degrees off level, {was} -> {levelled};" in text
    assert not before["sick"]["val"]["levelled"] and before["sick"]["test"] == now["sick"]["test"]


def test_the_polarity_rerun_levels_one_more_childs_film_and_gives_back_a_levelled_films_inverted_flag():
    before, now = (load(f"{n}.json")["rows"] for n in ("polarity_pipeline_round76", "polarity_pipeline"))
    changed = [(b, n) for b, n in zip(before, now, strict=True) if b != n]
    dice = {n["name"] for b, n in changed if n["dice"] != b["dice"]}
    flags = {(n["name"], n["way"]) for b, n in changed if n["flagged"] != b["flagged"]}
    assert dice == {"v7_33"} and all(n["dice"] > b["dice"] for b, n in changed if n["name"] in dice)
    assert flags == {("v7_95", "inverted")}  # round 76 lost the flag of an inverted film it levelled
    assert all(n["flagged"] == (n["way"] == "inverted") for n in now if n["set"] == "children_clean")
    b, n = next((b, n) for b, n in changed if n["name"] == "v7_33")
    assert f"(v7_33: {b['dice']} -> {n['dice']};" in flat("docs/model_rounds.md")


def test_the_shutter_rerun_moves_two_noisy_cases_up_and_nothing_else():
    before, now = (load(f"{n}.json")["variants"] for n in ("history/shutter_variants_before77", "shutter_variants"))
    moved = [(v, b, n) for v in now for b, n in zip(before[v]["cases"], now[v]["cases"], strict=True) if b != n]
    assert [(v, b[0]) for v, b, _ in moved] == [("noisy", "MCUCXR_0086_0#1"), ("noisy", "MCUCXR_0113_1#1")]
    assert all(n[1] > b[1] for _, b, n in moved)
    text = flat("docs/model_rounds.md")
    assert all(f"{b[0]} {b[1]} -> {n[1]}" in text for _, b, n in moved)
    assert f"noisy {before['noisy']['mean']} -> {now['noisy']['mean']}" in text


def test_the_orientation_runs_on_one_cpu_differ_only_where_the_rounds_record_says():
    before, now = (load(f"{n}.json") for n in ("history/orientation_before77_amd", "orientation_round77_amd"))
    assert before["dice"] == now["dice"] and before["portable"]["test"] == now["portable"]["test"]
    old, new = before["portable"]["validation"], now["portable"]["validation"]
    assert {k for k in new if new[k] != old[k]} == {"dice_turned"}
    assert f"dice_turned {old['dice_turned']} -> {new['dice_turned']}" in flat("docs/model_rounds.md")
