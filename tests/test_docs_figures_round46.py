"""Figures against the JSON they come from: round 46 of #9 (the two lungs are the side-by-side pair that spans the
same rows, ``postprocess.best_pair``)."""

import sys

from .test_docs_figures import BENCH, LOG, flat, flat_card, load


def card() -> str:
    return flat_card()


def moved(old: dict, new: dict) -> list[tuple]:
    """(way, stage, film, old Dice, new Dice) of every film whose Dice differs between two portable_stages runs."""
    rows_old, rows_new = old["rows"], new["rows"]
    return [(w, st, a[0], a[1], b[1]) for w in rows_new for st in rows_new[w]
            for a, b in zip(rows_old[w][st], rows_new[w][st], strict=True) if a != b]  # fmt: skip


def test_round46_validation_criterion_one_film_moves_up_and_nothing_down():
    sys.path.insert(0, str(BENCH))
    from portable_stages import render

    old, new = load("history/portable_stages_round43.json"), load("portable_stages_round46.json")
    assert (BENCH / "portable_stages_round46.md").read_text() == render(new)
    assert new["part"] == old["part"] == "val" and new["command"] in card()
    changes = moved(old, new)
    assert changes and all(b >= a - 0.005 for *_, a, b in changes)  # criterion (1)
    assert {c[2] for c in changes} == {"MCUCXR_0070_0"}
    lung = {c[1]: c[3:] for c in changes if c[0] == "lung_model"}
    shipped = {c[1]: c[3:] for c in changes if c[0] == "shipped"}
    assert f"MCUCXR_0070_0 flat {lung['flat'][0]} ->\n0.9651".replace("\n", " ") in card() and lung["flat"][1] == 0.9651
    assert f"(lung model; shipped {shipped['flat'][0]} -> {shipped['flat'][1]:g})" in card()
    a, b = old["summary"], new["summary"]
    for way in ("lung_model", "shipped"):
        assert all(b[way][st]["mean"] >= a[way][st]["mean"] for st in ("disease", "moved", "flat", "shuttered"))
    assert (f"the flat step {a['lung_model']['flat']['mean']:.4f} -> {b['lung_model']['flat']['mean']:.4f} (shipped "
            f"{a['shipped']['flat']['mean']:.4f} -> {b['shipped']['flat']['mean']:.4f})") in card()  # fmt: skip
    readme = flat(LOG)
    assert f"the portable case's flat step {a['lung_model']['flat']['mean']:.4f} -> 0.9600" in readme


def test_round46_shape_failures_criterion_against_round45s_base():
    for name in ("shape_failures_round46", "shape_failures_round46_shipped_lungs"):
        new = load(f"{name}.json")["results"]["base"]
        old = load(f"{name.replace('46', '45')}.json")["results"]["base"]
        kinds = [k for k, v in new.items() if isinstance(v, float) and k != "lung_over_heart"]
        assert kinds and all(new[k] >= old[k] - 0.0005 for k in kinds)  # criterion (2)
        assert new["v7_pneumonia"] >= old["v7_pneumonia"] and new["v7_normal"] >= old["v7_normal"]
    v1_new, v1_old = (load(f)["results"] for f in ("shape_failures_round46.json", "shape_failures_round45.json"))
    n, o = v1_new["none"], v1_old["none"]
    assert (f"mass {o['mass']} -> {n['mass']}, lobar {o['lobar']} -> {n['lobar']}, portable {o['portable']} -> "
            f"{n['portable']}, v7 pneumonia {o['v7_pneumonia']} -> {n['v7_pneumonia']}") in card()  # fmt: skip
    p, q = v1_old["base"]["portable"], v1_new["base"]["portable"]
    assert f"(portable {p} -> {q})" in card()


def test_round46_test_films_as_the_card_and_readme_tell_it():
    old, new = load("history/portable_stages_test_round43.json"), load("history/portable_stages_test_round52.json")
    assert old["part"] == new["part"] == "test"
    changes = moved(old, new)
    assert {c[2] for c in changes} == {"MCUCXR_0060_0"}
    lung = {c[1]: c[3:] for c in changes if c[0] == "lung_model"}
    shipped = {c[1]: c[3:] for c in changes if c[0] == "shipped"}
    assert f"lung model alone {lung['shuttered'][0]} -> {lung['shuttered'][1]}, as shipped" in card()
    assert f"as shipped {shipped['shuttered'][0]} -> {shipped['shuttered'][1]:g}" in card()
    a, b = old["summary"], new["summary"]
    la, lb, sa, sb = a["lung_model"], b["lung_model"], a["shipped"], b["shipped"]
    assert (f"the portable case's flat step {la['flat']['mean']:.4f} -> {lb['flat']['mean']:.4f} alone "
            f"({la['flat']['under_0.85']} -> {lb['flat']['under_0.85']} films under 0.85), {sa['flat']['mean']:.4f} -> "
            f"{sb['flat']['mean']:.4f} shipped, the shuttered step {la['shuttered']['mean']:.4f} -> "
            f"{lb['shuttered']['mean']:.4f} and {sa['shuttered']['mean']:.4f} -> "
            f"{sb['shuttered']['mean']:.4f}") in card()  # fmt: skip
    assert (f"the lung model alone flat {la['flat']['mean']:.4f} -> {lb['flat']['mean']:.4f}, shuttered "
            f"{la['shuttered']['mean']:.4f} -> {lb['shuttered']['mean']:.4f}; as shipped flat {sa['flat']['mean']:.4f} "
            f"-> {sb['flat']['mean']:.4f}, shuttered {sa['shuttered']['mean']:.4f} -> "
            f"{sb['shuttered']['mean']:.4f}") in flat(LOG)  # fmt: skip
    # accuracy.json unchanged: test_docs_figures_round43 still finds v6.5's test figures in the card


def test_rounds47_48_mirror_bound_figures_and_why_it_stays_off():
    from lungseg.inference.shape_completion import MIRROR_MARGIN

    r47, r48 = (load(f"shape_failures_round{n}.json")["results"] for n in (47, 48))
    b, m = r47["base"], r47["mb"]
    assert f"white-out\n{b['whiteout']} -> {m['whiteout']} and portable {b['portable']} -> {m['portable']}".replace(
        "\n", " ") in card() and m["whiteout"] < b["whiteout"]  # fmt: skip
    b, m = r48["base"], r48["mb"]
    assert (f"consolidation {b['consolidation']:.4f} -> {m['consolidation']:.4f} and the children's pneumonia films "
            f"{b['v7_pneumonia']:.4f} -> {m['v7_pneumonia']:.4f}") in card()  # fmt: skip
    assert m["v7_pneumonia"] < b["v7_pneumonia"] and MIRROR_MARGIN == 0.0  # the clause that keeps it off
    shipped = load("shape_failures_round48_shipped_lungs.json")["results"]
    kinds = [k for k, v in shipped["base"].items() if isinstance(v, float)]
    assert all(shipped["mb"][k] >= shipped["base"][k] for k in kinds if k != "lung_over_heart")
    stages = load("portable_stages_round48_mb.json")
    assert stages["command"] in card().replace("`", " ") or "benchmarks/portable_stages_round48_mb.md" in card()
    changes = moved(load("history/portable_stages_round52.json"), stages)  # before round 54
    assert [c[:3] for c in changes if c[1] == "shuttered"] == [("shipped", "shuttered", "MCUCXR_0080_0")]
    assert f"MCUCXR_0080_0\nshuttered {changes[-1][3]} -> {changes[-1][4]}".replace("\n", " ") in card()


def test_round49_soup_figures_and_the_clause_it_fails():
    vc = load("validation_choice_round49.json")["results"]
    a, b = vc["v65"], vc["soupAB"]
    paired = b["v7_pneumonia_vs_v65"]
    assert (f"v7\npneumonia {a['v7_pneumonia']:.4f} -> {b['v7_pneumonia']:.4f} (paired {paired['mean']:+.4f} "
            f"[{paired['ci95'][0]:.4f}, {paired['ci95'][1]:.4f}])").replace("\n", " ") in card()  # fmt: skip
    assert not (b["v7_pneumonia"] >= a["v7_pneumonia"] + 0.001 and paired["ci95"][0] > 0)  # why v6.5 stays
    for k in ("clean", "heart", "simulated_mean"):
        assert abs(b[k] - a[k]) <= 0.001
    assert f"clean {a['clean']:.4f} -> {b['clean']:.4f}, heart {a['heart']:.4f} -> {b['heart']:.4f}" in card()
    stages = load("portable_stages_round49_soupAB.json")["summary"]["lung_model"]
    now = load("history/portable_stages_round52.json")["summary"]["lung_model"]
    assert all(stages[k]["mean"] >= now[k]["mean"] - 0.002 for k in ("disease", "moved", "flat", "shuttered"))
    assert (f"flat {now['flat']['mean']:.4f} -> {stages['flat']['mean']:.4f},\nshuttered {now['shuttered']['mean']:.4f}"
            f" -> {stages['shuttered']['mean']:.4f}").replace("\n", " ") in card()  # fmt: skip
    chosen = load("heart_threshold_round49.json")["results"]["soupAB"]["chosen"]
    assert f"--write soupAB=runs/soupAB_ht.pt`: {chosen}" in card()


def test_rounds50_51_draws_and_the_kept_share_guard():
    from lungseg.inference.shape_completion import MIN_KEPT

    d4 = load("portable_stages_draws4.json")
    assert d4["draws"] == 4 and d4["n_films"] == 50 and d4["command"] in card().replace("`", "")
    s = d4["summary"]
    assert (f"the lung model alone flat {s['lung_model']['flat']['mean']:.4f}, shuttered "
            f"{s['lung_model']['shuttered']['mean']:.4f}; as shipped {s['shipped']['flat']['mean']:.4f} and\n"
            f"{s['shipped']['shuttered']['mean']:.4f}").replace("\n", " ") in card()  # fmt: skip
    rows = {(w, st): dict(r) for w, stages in d4["rows"].items() for st, r in stages.items()}
    assert rows["lung_model", "shuttered"]["MCUCXR_0070_0#3"] < 0.01 and rows["lung_model", "shuttered"][
        "MCUCXR_0021_0#3"] < 0.01  # fmt: skip
    assert f"lung model {rows['lung_model', 'flat']['MCUCXR_0080_0#2']}, shipped" in card()
    changes = moved(d4, load("portable_stages_draws4_round51.json"))
    assert ("shipped", "flat", "MCUCXR_0080_0#2", 0.4643, 0.9393) in changes
    assert ("shipped", "moved", "MCUCXR_0021_0#2", 0.6619, 0.0277) in changes
    r51 = load("shape_failures_round51.json")["results"]
    assert (f"consolidation {r51['base']['consolidation']} -> {r51['k']['consolidation']}") in card()
    assert r51["k"]["consolidation"] < r51["base"]["consolidation"] - 0.0005 and MIN_KEPT == 0.0
