"""The robustness figures in the README against benchmarks/robustness.json."""

import sys

from .test_docs_figures import BENCH, LOG, flat, load


def test_robustness_renders_from_its_json_and_the_readme_quotes_it():
    sys.path.insert(0, str(BENCH))
    from robustness import PERTURBATIONS, render

    for name in ("robustness", "robustness_val", "robustness_no_completion"):
        assert (BENCH / f"{name}.md").read_text() == render(load(f"{name}.json")), name
    result = load("robustness.json")
    rows = result["perturbations"]
    assert list(rows) == list(PERTURBATIONS) and all(len(r["dice"]) == result["n_images"] for r in rows.values())
    for r in rows.values():  # the summary is the per-image list's
        dice = [d for _, d in r["dice"]]
        assert r["min"] == min(dice) and abs(r["mean"] - sum(dice) / len(dice)) < 5e-5
    first_nine = list(rows)[1:10]  # the tenth (round 60) is quoted on its own
    others = {k: rows[k]["mean"] for k in first_nine}
    low, high = min(others, key=others.get), max(others, key=others.get)
    readme = flat(LOG)
    assert f"the mean Dice is {rows['none']['mean']:.4f} unperturbed" in readme
    assert f"from {others[low]:.4f} ({low}) to {others[high]:.4f} ({high})" in readme


def test_the_two_weak_spots_the_readme_names_and_their_mends():
    now = load("robustness.json")["perturbations"]
    before58, before59 = (load(f"history/robustness_round{n}.json")["perturbations"] for n in (57, 58))
    readme = flat(LOG)
    noise, zoom, film = "noise sigma 0.05", "zoom out 20% (wider field)", "MCUCXR_0060_0"
    assert before58[zoom]["worst"] == film and f"ghost lung ({before58[zoom]['min']:.4f}," in readme
    guard = load("history/robustness_round62.json")["perturbations"][zoom]  # before round 64's body crop
    then, since = dict(guard["dice"])[film], dict(now[zoom]["dice"])[film]
    assert f"{then:.4f} since round 58's guard, {since:.4f} since rounds 64-65" in readme
    assert before59[noise]["worst"] == film and f"into the shoulders ({before59[noise]['min']:.4f}," in readme
    assert f"{dict(now[noise]['dice'])[film]:.4f} since round 59 makes such a field flat first" in readme


def test_the_first_nine_perturbations_make_no_film_fail_that_did_not_score_low_already():
    rows = load("robustness.json")["perturbations"]
    clean = dict(rows["none"]["dice"])
    first_nine = list(rows)[1:10]
    lowest = min(rows[k]["min"] for k in first_nine)
    assert f"the worst film under any of them scores {lowest:.4f} or more, against {rows['none']['min']:.4f} " \
           "unperturbed" in flat(LOG)  # fmt: skip
    for k in first_nine:
        assert clean[rows[k]["worst"]] < 0.90, k  # each one's worst film was among the low ones already


def test_the_tenth_perturbation_and_what_the_lung_model_alone_does_there():
    shipped, alone = (load(f"{n}.json")["perturbations"] for n in ("robustness", "robustness_no_completion"))
    name = list(shipped)[10]
    assert name == "small in a corner of a noisy black field (70%, sigma 0.01)"
    then = load("history/robustness_round65.json")["perturbations"][name]["mean"]  # before round 67 mended one film
    assert f"measured before it is put back: mean {then:.4f}" in flat(LOG)
    assert min(d for _, d in shipped[name]["dice"]) > 0.5 and min(d for _, d in alone[name]["dice"]) > 0.5
    wingspan = "1.2.392.200046.100.2.1.116528309041.170202131112"  # failed until round 67 (the polarity model)
    then = dict(load("history/robustness_round65.json")["perturbations"][name]["dice"])[wingspan]
    assert then < 0.5 and f"failed outright ({then:.4f}:" in flat(LOG)
