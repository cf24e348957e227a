"""The robustness figures in the README against benchmarks/robustness.json."""

import sys

from .test_docs_figures import BENCH, flat, load


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
    others = {k: v["mean"] for k, v in rows.items() if k != "none"}
    low, high = min(others, key=others.get), max(others, key=others.get)
    readme = flat("README.md")
    assert f"the mean Dice is {rows['none']['mean']:.4f} unperturbed" in readme
    assert f"from {others[low]:.4f} ({low}) to {others[high]:.4f} ({high})" in readme


def test_the_weak_spot_the_readme_names_is_the_shipped_pipelines_worst_and_not_the_lung_models():
    shipped, alone = (load(f"{n}.json")["perturbations"] for n in ("robustness", "robustness_no_completion"))
    before = load("history/robustness_round57.json")["perturbations"]  # before round 58's guard
    readme = flat("README.md")
    noise, zoom = "noise sigma 0.05", "zoom out 20% (wider field)"
    assert shipped[noise]["worst"] == "MCUCXR_0060_0" and f"(Dice {shipped[noise]['min']:.4f};" in readme
    film = dict(alone[noise]["dice"])["MCUCXR_0060_0"]
    assert film > 0.95 and f"keeps {film:.4f} there" in readme
    assert before[zoom]["worst"] == "MCUCXR_0060_0" and f"ghost lung ({before[zoom]['min']:.4f}," in readme
    assert f"round 58's guard mends ({dict(shipped[zoom]['dice'])['MCUCXR_0060_0']:.4f};" in readme
