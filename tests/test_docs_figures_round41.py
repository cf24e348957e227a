"""Figures against the JSON they come from: round 41 of #9 (the sick adult copies also look like portable films;
ships) and the mean confidence as the lung model's agreement with the mask (since round 41)."""

import sys

from .test_docs_figures import BENCH, LOG, flat, flat_card, interval, load
from .test_docs_figures_round35 import shipped_key
from .test_docs_figures_round39 import failures_md

NAME = "shape_model_image_children_real_extras_adult_portable_6k"


def card() -> str:
    return flat_card()


def pair(name: str) -> tuple[dict, dict, dict]:
    r = load(f"{name}.json")["results"]
    return r["round39"], r["round41"], r["none"]


def test_round41_choice_is_its_json_and_the_shipped_setting():
    sys.path.insert(0, str(BENCH))
    from shape_model import choose, render

    data = load(f"{NAME}.json")
    assert (BENCH / f"{NAME}.md").read_text() == render(data)
    assert data["chosen"] == choose(data["results"]) == shipped_key()
    assert data["command"] in card() and f"({data['train_seconds']} s," in card()


def test_round41_criterion_holds_as_the_card_tells_it():
    a, b, none = pair("shape_failures_round41")
    sa, sb, _ = pair("shape_failures_round41_shipped_lungs")
    assert b["setting"] == a["setting"] == shipped_key()
    # (1) the shipped lungs
    assert abs(sb["clean"] - sa["clean"]) <= 0.0005 and abs(sb["simulated_mean"] - sa["simulated_mean"]) <= 0.0005
    assert sb["vs_first"]["v7_pneumonia"]["mean"] >= -0.001
    assert abs(sb["lung_over_heart"] - sa["lung_over_heart"]) <= 0.002
    assert abs(sb["bubble_mean"] - sa["bubble_mean"]) <= 0.001
    # (2) v1's lungs
    assert b["vs_first"]["portable"]["mean"] > 0.005
    assert b["simulated_mean"] >= a["simulated_mean"] - 0.002 and b["v7_pneumonia"] >= a["v7_pneumonia"] - 0.002
    vs, svs = b["vs_first"], sb["vs_first"]
    text = (f"portable {a['portable']:.4f} -> {b['portable']:.4f} (paired {interval(vs['portable'])}, "
            f"{vs['portable']['films_up']} films up, {vs['portable']['films_down']} down; none completed "
            f"{none['portable']:.3f}), adult simulated {a['simulated_mean']:.4f} -> {b['simulated_mean']:.4f} "
            f"({interval(vs['simulated'])}), v7 pneumonia {a['v7_pneumonia']:.4f} -> {b['v7_pneumonia']:.4f}; with "
            "the shipped lungs (the same command with `--lungs lungseg-unet-default --output "
            f"shape_failures_round41_shipped_lungs`) clean {sa['clean']:.4f} -> {sb['clean']:.4f}, simulated "
            f"{sa['simulated_mean']:.4f} -> {sb['simulated_mean']:.4f}, v7 pneumonia {sa['v7_pneumonia']:.4f} -> "
            f"{sb['v7_pneumonia']:.4f} (paired {interval(svs['v7_pneumonia'])}), lung over the heart "
            f"{sa['lung_over_heart']:.4f} -> {sb['lung_over_heart']:.4f}, bubble mean {sa['bubble_mean']:.4f} -> "
            f"{sb['bubble_mean']:.4f}, portable {sa['portable']:.4f} -> {sb['portable']:.4f} "
            f"({interval(svs['portable'])})")  # fmt: skip
    assert text in card()
    normal = svs["v7_normal"]
    assert normal["mean"] < 0 and (f"v7 normal {sa['v7_normal']:.4f} -> {sb['v7_normal']:.4f} with the shipped lungs "
                                   f"({interval(normal)}, {normal['films_up']} up, {normal['films_down']} down)"
                                   ) in card()  # fmt: skip
    for name in ("shape_failures_round41", "shape_failures_round41_shipped_lungs"):
        assert (BENCH / f"{name}.md").read_text() == failures_md(name)


def test_portable_stages_is_its_json_and_in_the_card():
    sys.path.insert(0, str(BENCH))
    from portable_stages import render

    data = load("history/portable_stages_polarity_round19.json")  # as round 41 measured it (round 19's polarity)
    assert (BENCH / "history" / "portable_stages_polarity_round19.md").read_text() == render(data)
    now = load("history/portable_stages_v6.4.json")
    assert now["command"] == data["command"] == load("portable_stages.json")["command"]  # v6.4's, then v6.5's now
    assert (BENCH / "portable_stages.md").read_text() == render(load("portable_stages.json"))
    lung = data["summary"]["lung_model"]
    assert lung["shuttered"]["mean"] < lung["flat"]["mean"] - 0.05  # the shutters, not the disease, break it
    assert (f"the disease alone {lung['disease']['mean']:.4f}, moved {lung['moved']['mean']:.4f}, flat "
            f"{lung['flat']['mean']:.4f}, shuttered {lung['shuttered']['mean']:.4f} "
            f"({lung['shuttered']['under_0.85']} films under 0.85") in card()


def test_confidence_variants_are_their_jsons_and_the_quality_row_is_the_agreement():
    sys.path.insert(0, str(BENCH))
    from confidence_variants import max_p, render_val

    test, val, quality = (load(f"history/{n}_v6.4.json") for n in ("confidence_variants", "confidence_variants_val",
                                                                     "quality"))  # round 41, with v6.4
    assert test["agreement"] == quality["eval"]["confidence"] and test["n_bad"] == quality["eval"]["n_bad"]
    assert (BENCH / "confidence_variants_val.md").read_text() == render_val(load("confidence_variants_val.json"))
    a, m = val["agreement"], val["max_p"]
    assert a["auroc_bad"] > m["auroc_bad"] and a["spearman"] > m["spearman"]  # the choice, on validation
    readme = flat(LOG)
    assert (f"AUROC {m['auroc_bad']} -> {a['auroc_bad']}, Spearman {m['spearman']} -> {a['spearman']}; under 0.85 it "
            f"flags {round(a['flags']['0.85']['bad'] * val['n_bad'])} of the {val['n_bad']} bad masks where max(p, "
            f"1-p) flagged {round(m['flags']['0.85']['bad'] * val['n_bad'])}") in readme  # fmt: skip
    t = test
    assert (f"on the test cases {t['max_p']['auroc_bad']} -> {t['agreement']['auroc_bad']} and "
            f"{t['max_p']['spearman']} -> {t['agreement']['spearman']}") in readme
    import numpy as np

    prob, mask = np.array([[0.95, 0.02], [0.5, 0.0]]), np.array([[True, True], [False, False]])
    assert max_p(prob, mask) == (0.95 + 0.98 + 0.5) / 3  # the old definition: grown lung at p 0.02 counted certain


def test_round42_polarity_criterion_holds_as_the_card_and_readme_tell_it():
    sys.path.insert(0, str(BENCH))
    from polarity_model import render

    new, old = load("polarity_model_portable.json"), load("polarity_model_shipped_judged.json")
    for name, data in (("polarity_model_portable", new), ("polarity_model_shipped_judged", old)):
        assert (BENCH / f"{name}.md").read_text() == render(data)
    assert old["command"] in card()  # the run that trained names where its checkpoint went:
    assert new["command"].replace(" --name", " --output runs/polarity_portable.pt --name") in card()

    def errors(r: dict, row: str) -> int:
        return r["test"][row]["upright_called_inverted"] + r["test"][row]["inverted_missed"]

    assert errors(new, "adult_portable") < errors(old, "adult_portable")  # (a)
    assert errors(new, "adult_clean") == errors(new, "v7_clean") == 0  # (b)
    assert errors(new, "adult_corrupted") <= errors(old, "adult_corrupted") + 2
    assert new["montgomery_test_inverted"]["auto"]["dice_mean"] >= 0.975  # (c)
    stages = load("history/portable_stages_v6.4.json")["summary"]  # round 42's polarity model, v6.4's lungs
    before = load("history/portable_stages_polarity_round19.json")
    a, b = before["summary"]["lung_model"], stages["lung_model"]
    assert b["shuttered"]["mean"] > a["shuttered"]["mean"] + 0.01  # (d)
    assert all(b[k]["mean"] >= a[k]["mean"] - 0.001 for k in ("disease", "moved", "flat"))
    p, q = old["test"]["adult_portable"], new["test"]["adult_portable"]
    assert (f"`adult_portable` {errors(old, 'adult_portable')} errors -> {errors(new, 'adult_portable')} "
            f"({p['upright_called_inverted']} upright films called inverted -> {q['upright_called_inverted']}, "
            f"{p['inverted_missed']} inverted missed -> {q['inverted_missed']})") in card()
    assert (f"the lung model alone at the shuttered step {a['shuttered']['mean']:.4f} -> {b['shuttered']['mean']:.4f}"
            ) in card()
    readme = flat(LOG)
    n = 2 * q["n"]
    assert (f"{errors(old, 'adult_portable')} errors of {n}" in readme and f"{errors(new, 'adult_portable')} errors "
            f"of those {n}, {errors(new, 'adult_corrupted')} of the {2 * new['test']['adult_corrupted']['n']} other "
            f"corrupted films (the first model {errors(old, 'adult_corrupted')})") in readme  # fmt: skip


def test_round41_on_the_test_films_as_the_card_tells_it():
    a, b, _ = pair("shape_failures_round41_test")
    sa, sb, _ = pair("shape_failures_round41_test_shipped_lungs")
    for name in ("shape_failures_round41_test", "shape_failures_round41_test_shipped_lungs"):
        assert load(f"{name}.json")["part"] == "test" and (BENCH / f"{name}.md").read_text() == failures_md(name)
    assert (f"with v1's lungs {a['portable']:.4f} -> {b['portable']:.4f} ({interval(b['vs_first']['portable'])}), "
            f"with the shipped lungs {sa['portable']:.4f} -> {sb['portable']:.4f} "
            f"({interval(sb['vs_first']['portable'])}); v7 normal with the shipped lungs "
            f"{interval(sb['vs_first']['v7_normal'])}") in card()
    acc, old = (load(f"history/accuracy_{n}.json")["results"]["shipped"] for n in ("v6.4", "shape_round39"))
    text = ", ".join(f"{label} {old[k]['dice_mean']:.4f} -> {acc[k]['dice_mean']:.4f}" for label, k in
                     (("Montgomery", "montgomery_test"), ("Shenzhen", "shenzhen_test"), ("Wingspan", "wingspan_test")))
    assert text in flat("benchmarks/accuracy.md")
    real = load("history/pathology_v6.4.json")["results"]["lungseg-unet-default"]["real"]["v7_pediatric"]["groups"]
    before = load("history/pathology_shape_round39.json")["results"]["lungseg-unet-default"]["real"]["v7_pediatric"]
    assert (f"v7 pneumonia {before['groups']['pneumonia']['dice_mean']:.4f} -> {real['pneumonia']['dice_mean']:.4f}"
            ) in card() and f"v7 normal\n0.9332 -> {real['normal']['dice_mean']:.4f}".replace("\n", " ") in card()


def test_round41_heart_guard_in_the_card():
    sys.path.insert(0, str(BENCH))
    from shape_heart_check import render

    data = load("shape_heart_check.json")
    assert (BENCH / "shape_heart_check.md").read_text() == render(data)
    rows, a, b = data["results"], "round 39", "round 41 (shipped)"
    ups = [k for k, r in rows.items() if r[b]["mean"] > r[a]["mean"]]
    downs = [k for k, r in rows.items() if r[b]["mean"] < r[a]["mean"]]
    change = "; ".join(f"{k} {rows[k][a]['mean']:.4f} -> {rows[k][b]['mean']:.4f} (largest film "
                       f"{rows[k][a]['max']:.4f} -> {rows[k][b]['max']:.4f})" for k in ups)  # fmt: skip
    assert (f"lung over the manual heart against round 39's rises under {len(ups)} of the {len(rows)} kinds, falls "
            f"under {len(downs)} and stays under {len(rows) - len(ups) - len(downs)}: {change}") in card()


def test_round42_on_the_test_films():
    sys.path.insert(0, str(BENCH))
    from portable_stages import render

    new, old = (load(f"history/portable_stages_test_{n}.json") for n in ("v6.4", "polarity_round19"))
    assert new["part"] == old["part"] == "test"
    assert (BENCH / "portable_stages_test.md").read_text() == render(load("portable_stages_test.json"))
    assert (BENCH / "history" / "portable_stages_test_polarity_round19.md").read_text() == render(old)
    a, b = old["summary"], new["summary"]
    assert all(a[w][k] == b[w][k] for w in ("lung_model", "shipped") for k in ("disease", "moved", "flat"))
    la, lb = a["lung_model"]["shuttered"], b["lung_model"]["shuttered"]
    assert (f"the lung model alone at the shuttered step {la['mean']:.4f} -> {lb['mean']:.4f} ({la['under_0.85']} -> "
            f"{lb['under_0.85']} films under 0.85), as shipped {a['shipped']['shuttered']['mean']:.4f} -> "
            f"{b['shipped']['shuttered']['mean']:.4f}") in card()
    assert f"on the test films {la['mean']:.4f} -> {lb['mean']:.4f}" in flat(LOG)
