"""Figures against the JSON they come from: round 39 of #9 (the shape model learns from a failing lung model's own
lungs on adult films with dense disease drawn; ships)."""

import sys

from .test_docs_figures import BENCH, LOG, flat, flat_card, interval, load
from .test_docs_figures_round32 import shape_benchmark
from .test_docs_figures_round35 import shipped_key

NAME = "shape_model_image_children_real_extras_adult_6k"
ROUND35 = "t0.5_g0.02_f0.05_nh_r0.5_rw1"
ACCURACY = ("history/accuracy_shape_round39.json", "history/accuracy_shape_round35.json")  # round 41 shipped after


def failures_md(name: str) -> str:
    sys.path.insert(0, str(BENCH))
    from shape_failures import render

    return render(load(f"{name}.json"))


def v1_line() -> str:
    r = load("shape_failures_round39.json")["results"]
    a, b = r["round35"], r["round39"]
    unseen = ", ".join(f"{k} {a[k]:.4f} -> {b[k]:.4f}" for k in ("mass", "nodules", "lobar"))
    vs = b["vs_first"]
    return (f"adult simulated mean {a['simulated_mean']:.4f} -> {b['simulated_mean']:.4f} (paired "
            f"{interval(vs['simulated'])}, {vs['simulated']['films_up']} films up, {vs['simulated']['films_down']} "
            f"down; none completed {r['none']['simulated_mean']:.4f}; the kinds training never used: {unseen}), v7 "
            f"pneumonia {a['v7_pneumonia']:.4f} -> {b['v7_pneumonia']:.4f} ({interval(vs['v7_pneumonia'])}), clean "
            f"{a['clean']:.4f} -> {b['clean']:.4f}")  # fmt: skip


def shipped_lungs_line() -> str:
    r = load("shape_failures_round39_shipped_lungs.json")["results"]
    a, b = r["round35"], r["round39"]
    return (f"clean {a['clean']:.4f} -> {b['clean']:.4f}, simulated {a['simulated_mean']:.4f} -> "
            f"{b['simulated_mean']:.4f}, v7 pneumonia {a['v7_pneumonia']:.4f} -> {b['v7_pneumonia']:.4f} (paired "
            f"{interval(b['vs_first']['v7_pneumonia'])}), v7 normal {a['v7_normal']:.4f} -> {b['v7_normal']:.4f}, "
            f"lung over the heart {a['lung_over_heart']:.4f} -> {b['lung_over_heart']:.4f}, bubble mean "
            f"{a['bubble_mean']:.4f} -> {b['bubble_mean']:.4f}")  # fmt: skip


def test_round39_choice_is_its_json_and_the_shipped_settings():
    choose, render = shape_benchmark()
    data = load(f"{NAME}.json")
    assert (BENCH / f"{NAME}.md").read_text() == render(data)
    assert data["chosen"] == choose(data["results"]) == shipped_key()
    card = flat_card()
    assert data["command"] in card and f"({data['train_seconds']} s," in card


def test_round39_judgings_are_their_jsons_and_in_the_card():
    card = flat_card()
    for name in ("shape_failures_round39", "shape_failures_round39_shipped_lungs"):
        assert (BENCH / f"{name}.md").read_text() == failures_md(name)
    assert load("shape_failures_round39.json")["command"] in card
    assert v1_line() in card and shipped_lungs_line() in card


def test_round39_criterion_as_the_card_tells_it():
    v1 = load("shape_failures_round39.json")["results"]
    shipped = load("shape_failures_round39_shipped_lungs.json")["results"]
    a, b = shipped["round35"], shipped["round39"]
    assert b["setting"] == shipped_key() and a["setting"] == ROUND35
    # (2) with v1's lungs: adult simulated +0.005, v7 pneumonia kept within 0.002
    assert v1["round39"]["simulated_mean"] > v1["round35"]["simulated_mean"] + 0.005
    assert v1["round39"]["v7_pneumonia"] >= v1["round35"]["v7_pneumonia"] - 0.002
    # (1) with the shipped lungs, and the judging's own figures are the same films' as this
    judged = load(f"{NAME}.json")["results"][shipped_key()]
    for k in ("clean", "simulated_mean", "v7_pneumonia", "lung_over_heart"):
        assert judged[k] == b[k] and load("shape_model_image_round35_heart.json")["results"][ROUND35][k] == a[k]
    assert b["clean"] >= a["clean"] - 0.0005 and b["simulated_mean"] >= a["simulated_mean"] - 0.0005
    assert b["lung_over_heart"] <= a["lung_over_heart"] + 0.002 and b["bubble_mean"] >= a["bubble_mean"] - 0.001
    gap = b["vs_first"]["v7_pneumonia"]["mean"]
    assert gap == -0.0005 and round(a["v7_pneumonia"] - b["v7_pneumonia"], 4) == 0.0006  # on the line, as told
    assert "the rounded means are 0.0006 apart, the paired difference over the same films rounds to -0.0005" in card()


def card() -> str:
    return flat_card()


def figures_on_test_films() -> str:
    """Round 39's test figures against round 35's, as the card gives them (after the choice)."""
    acc, old = (load(f)["results"]["shipped"] for f in ACCURACY)
    new, before = (load(f)["results"]["lungseg-unet-default"] for f in ("history/pathology_shape_round39.json",
                                                                         "history/pathology_shape_round35.json"))
    parts = []
    for label, key in (("Montgomery", "montgomery_test"), ("Shenzhen", "shenzhen_test")):
        tb = [r[key]["groups"]["abnormal"]["dice_mean"] for r in (old, acc)]
        parts.append(f"{label} {old[key]['dice_mean']:.4f} -> {acc[key]['dice_mean']:.4f} (TB films {tb[0]:.4f} -> "
                     f"{tb[1]:.4f})")  # fmt: skip
    parts.append(f"Wingspan {old['wingspan_test']['dice_mean']:.4f} -> {acc['wingspan_test']['dice_mean']:.4f}")
    v7 = [r["real"]["v7_pediatric"]["groups"] for r in (before, new)]
    parts.append(f"v7 pneumonia {v7[0]['pneumonia']['dice_mean']:.4f} -> {v7[1]['pneumonia']['dice_mean']:.4f} (worst "
                 f"film {v7[0]['pneumonia']['dice_min']:.3f} -> {v7[1]['pneumonia']['dice_min']:.3f}), v7 normal "
                 f"{v7[0]['normal']['dice_mean']:.4f} -> {v7[1]['normal']['dice_mean']:.4f}")  # fmt: skip
    sim = [new["simulated"][k]["dice_mean"] - before["simulated"][k]["dice_mean"] for k in new["simulated"]]
    unseen = [new["simulated"][k] for k in ("mass", "nodules", "lobar")]
    means, low = [k["dice_mean"] for k in unseen], min(k["dice_min"] for k in unseen)
    parts.append(f"the six simulated diseases {min(sim):+.4f} to {max(sim):+.4f}; the kinds never seen in training "
                 f"mean {min(means):.4f}-{max(means):.4f}, lowest image {low:.4f}")  # fmt: skip
    return ", ".join(parts)


def test_round39_test_figures_in_the_card():
    new = load("history/pathology_shape_round39.json")["results"]["lungseg-unet-default"]["simulated"]
    unseen = [new[k] for k in ("mass", "nodules", "lobar")]
    assert min(k["dice_min"] for k in unseen) >= 0.85 and min(k["dice_mean"] for k in unseen) >= 0.95  # target (b)
    assert figures_on_test_films() in card()


def test_round39_quality_before_and_after_in_the_readme():
    new, old = (load(f)["eval"] for f in ("history/quality_shape_round39.json", "history/quality_shape_round35.json"))
    assert new["n_bad"] == old["n_bad"] and new["quality"]["auroc_bad"] < old["quality"]["auroc_bad"]
    assert f"lowered both from round 35's {old['quality']['spearman']} and {old['quality']['auroc_bad']} " \
           f"({old['n_bad']} cases under 0.90 with either;" in flat(LOG)  # fmt: skip


def test_round39_in_the_readme():
    readme = flat(LOG)
    v1 = load("shape_failures_round39.json")["results"]
    a, b = v1["round35"], v1["round39"]
    assert f"Dice {a['simulated_mean']:.4f} -> {b['simulated_mean']:.4f} against round 35's shape model (lobar " \
           f"collapse, a kind no training drew, {a['lobar']:.4f} -> {b['lobar']:.4f}) and the children's pneumonia " \
           f"films {a['v7_pneumonia']:.4f} -> {b['v7_pneumonia']:.4f}" in readme  # fmt: skip
    acc, old = (load(f)["results"]["shipped"] for f in ACCURACY)
    new, before = (load(f)["results"]["lungseg-unet-default"]["real"] for f in ("history/pathology_shape_round39.json",
                                                                                 "history/pathology_shape_round35.json"))
    bubble = [dict(r["shenzhen"]["worst"])["CHNCXR_0377_1"] for r in (before, new)]
    v7 = [r["v7_pediatric"]["groups"]["pneumonia"]["dice_mean"] for r in (before, new)]
    assert f"(test: Shenzhen {old['shenzhen_test']['dice_mean']:.4f} -> {acc['shenzhen_test']['dice_mean']:.4f}, its " \
           f"bubble film {bubble[0]:.4f} -> {bubble[1]:.4f}, Montgomery {acc['montgomery_test']['dice_mean']:.4f} =, " \
           f"Wingspan {old['wingspan_test']['dice_mean']:.4f} -> {acc['wingspan_test']['dice_mean']:.4f}, children's " \
           f"pneumonia {v7[0]:.4f} -> {v7[1]:.4f};" in readme  # fmt: skip
    assert old["montgomery_test"]["dice_mean"] == acc["montgomery_test"]["dice_mean"]


def test_round39_fast_model_line_in_the_card():
    acc = [load(f)["results"]["fast"] for f in ("history/accuracy_fast_model_shape_round35.json",
                                                 "history/accuracy_fast_model_shape_round39.json")]
    v7 = [load(f)["results"]["lungseg-unet-fast"]["real"]["v7_pediatric"]["groups"]["pneumonia"]["dice_mean"]
          for f in ("history/pathology_fast_model_shape_round35.json",
                    "history/pathology_fast_model_shape_round39.json")]
    adults = [" / ".join(f"{r[f'{k}_test']['dice_mean']:.4f}" for k in ("montgomery", "shenzhen", "wingspan"))
              for r in acc]
    assert f"The fast model with it: {adults[0]} -> {adults[1]} on the three adult sets, v7 pneumonia {v7[0]:.4f} -> " \
           f"{v7[1]:.4f}" in card()  # fmt: skip


def test_round39_in_accuracy_md():
    acc, old = (load(f)["results"]["shipped"] for f in ACCURACY)
    text = ", ".join(f"{label} {old[k]['dice_mean']:.4f} -> {acc[k]['dice_mean']:.4f}" for label, k in
                     (("Montgomery", "montgomery_test"), ("Shenzhen", "shenzhen_test"), ("Wingspan", "wingspan_test")))
    assert text in flat("benchmarks/accuracy.md")


def heart_guard_line() -> str:
    rows = load("shape_heart_check.json")["results"]
    ups = [k for k, r in rows.items() if r["round 39"]["mean"] > r["round 35"]["mean"]]
    downs = [k for k, r in rows.items() if r["round 39"]["mean"] < r["round 35"]["mean"]]
    change = "; ".join(f"{k} {rows[k]['round 35']['mean']:.4f} -> {rows[k]['round 39']['mean']:.4f} "
                       f"(largest film {rows[k]['round 35']['max']:.4f} -> {rows[k]['round 39']['max']:.4f})"
                       for k in ups)  # fmt: skip
    return (f"lung over the manual heart falls or stays under {len(rows) - len(ups)} of the {len(rows)} kinds "
            f"({len(downs)} fall) and rises under {', '.join(ups)}: {change}")


def test_round39_heart_guard_in_the_card():
    assert heart_guard_line() in card()


def test_round39_failing_lungs_on_the_test_films():
    data = load("shape_failures_round39_test.json")
    assert data["part"] == "test" and (BENCH / "shape_failures_round39_test.md").read_text() == failures_md(
        "shape_failures_round39_test")
    r = data["results"]
    a, b, vs = r["round35"], r["round39"], r["round39"]["vs_first"]
    assert data["command"] in card()
    assert (f"with v1's lungs on the 173 adult test films under the six simulated diseases {a['simulated_mean']:.4f} "
            f"-> {b['simulated_mean']:.4f} ({interval(vs['simulated'])}), the 150 v7 pneumonia test films "
            f"{a['v7_pneumonia']:.4f} -> {b['v7_pneumonia']:.4f} ({interval(vs['v7_pneumonia'])})") in card()
    assert f"on the test films, after the choice, {a['simulated_mean']:.4f} -> {b['simulated_mean']:.4f} and " \
           f"{a['v7_pneumonia']:.4f} -> {b['v7_pneumonia']:.4f}: `benchmarks/shape_failures_round39_test.md`)" \
           in flat(LOG)  # fmt: skip


def round40_line() -> str:
    v1, ship = (load(f"shape_failures_round40{s}.json")["results"] for s in ("", "_shipped_lungs"))
    a, b = v1["round39"], v1["round40"]
    return (f"with v1's lungs, adult simulated {a['simulated_mean']:.4f} -> {b['simulated_mean']:.4f} "
            f"({interval(b['vs_first']['simulated'])}), v7 pneumonia {a['v7_pneumonia']:.4f} -> "
            f"{b['v7_pneumonia']:.4f}; with the shipped lungs clean {ship['round39']['clean']:.4f} -> "
            f"{ship['round40']['clean']:.4f}, v7 pneumonia {interval(ship['round40']['vs_first']['v7_pneumonia'])}")


def test_round40_is_judged_and_not_shipped():
    choose, render = shape_benchmark()
    name = "shape_model_image_children_real_extras_adult4_6k"
    data = load(f"{name}.json")
    assert (BENCH / f"{name}.md").read_text() == render(data) and data["chosen"] == choose(data["results"])
    v1 = load("shape_failures_round40.json")["results"]
    assert v1["round40"]["setting"] == data["chosen"] and v1["round39"]["setting"] == shipped_key()
    assert v1["round40"]["simulated_mean"] <= v1["round39"]["simulated_mean"] + 0.003  # the criterion fails
    for n in ("shape_failures_round40", "shape_failures_round40_shipped_lungs"):
        assert (BENCH / f"{n}.md").read_text() == failures_md(n)
    assert data["command"] in card() and round40_line() in card()
