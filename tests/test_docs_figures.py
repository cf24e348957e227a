"""The documents' headline figures match the committed JSON outputs of the commands that made them."""

import json
import re
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "benchmarks"
LOG = "docs/development_log.md"  # the long record behind the figures; until 2026-12-07 it was the README


def load(name: str) -> dict:
    return json.loads((BENCH / name).read_text())


CARD = ("MODEL_CARD.md", "docs/model_rounds.md")  # the card and its rounds' record (moved out of it on 2026-12-07)


def card_text() -> str:
    """The model card followed by the record of its rounds, as written (tables keep their lines)."""
    return "\n".join((REPO / name).read_text() for name in CARD)


def flat_card() -> str:
    """:func:`card_text` with its line breaks and runs of spaces made single spaces."""
    return " ".join(card_text().split())


def flat(name: str) -> str:
    """A document of the repository with its line breaks and runs of spaces made single spaces."""
    return " ".join((REPO / name).read_text().split())


def renamed_speed_run(name: str) -> dict:
    """A ``speed.py`` run whose files were renamed ``<name>.json``/``.md``: its JSON, once its .md is checked to be
    the rendering of it with the header naming the renamed file."""
    sys.path.insert(0, str(BENCH))
    from speed import render

    result = load(f"{name}.json")
    rendered = render(result).replace(
        "Generated from `speed.json`", f"Generated from `{name}.json` (the run written as `speed.json`, renamed)"
    )
    assert (BENCH / f"{name}.md").read_text() == rendered
    return result


def interval(gain: dict) -> str:
    """A paired gain as the card quotes it: mean [low, high], signed."""
    return f"{gain['mean']:+.4f} [{gain['ci95'][0]:+.4f}, {gain['ci95'][1]:+.4f}]"


def passes_rule(m: dict) -> bool:
    """The validation rule of rounds 8-21: v4's clean, simulated and heart Dice kept within 0.001, lung over the
    heart at most 0.002 above v4's (round 8's figures)."""
    v4 = load("validation_choice_round8.json")["results"]["v4"]
    kept = all(m[k] >= v4[k] - 0.001 for k in ("clean", "simulated_mean", "heart"))
    return kept and m["lung_over_heart"] <= v4["lung_over_heart"] + 0.002


def test_model_card_metrics_table_is_accuracy_json():
    results = load("accuracy.json")["results"]
    card = card_text()
    names = {"Montgomery test half": "montgomery_test", "Shenzhen held-out 10%": "shenzhen_test",
             "Wingspan test": "wingspan_test"}  # fmt: skip
    who = r"\*\*shipped\*\* \(v6\.5\)|v6\.4 \(previous default\)|v6\.3|v4|v1"
    rows = re.findall(rf"^\| ({who}) \| ([^|]+) \| (\d+) \| ([^\n]+)$", card, re.M)
    assert len(rows) == 15
    for who, test_set, n, rest in rows:
        r = results["shipped" if "shipped" in who else who.split()[0].replace(".", "")][names[test_set.strip()]]
        cells = [c.strip().strip("*") for c in rest.split("|")]
        assert int(n) == r["n_images"]
        assert [float(c) for c in cells[:3]] == [r["dice_mean"], r["dice_median"], r["dice_min"]]
        for cell, group in zip(cells[3:5], ("abnormal", "normal"), strict=True):
            if cell:
                assert float(cell.split()[0]) == r["groups"][group]["dice_mean"]
        assert float(cells[5]) == pytest.approx(r["hd95_median"], abs=0.006)
        assert float(cells[6]) == pytest.approx(r["assd_median"], abs=0.006)


def test_readme_headline_is_accuracy_json():
    shipped = load("accuracy.json")["results"]["shipped"]
    readme = flat("README.md")
    pattern = r"Dice (0\.\d+) on the Montgomery test half, (0\.\d+) on held-out Shenzhen, (0\.\d+) on"
    m = re.search(pattern, readme)
    assert m, "headline sentence not found"
    expected = [shipped[k]["dice_mean"] for k in ("montgomery_test", "shenzhen_test", "wingspan_test")]
    assert [float(x) for x in m.groups()] == expected
    unseen = [v for k, v in load("pathology.json")["results"]["lungseg-unet-default"]["simulated"].items()
              if not v["seen_in_training"]]  # fmt: skip
    mean_unseen = sum(v["dice_mean"] for v in unseen) / len(unseen)
    assert re.search(rf"{mean_unseen:.3f} mean on kinds of simulated disease it never saw", readme)


def test_model_card_validation_choice_is_its_json():
    results = load("validation_choice.json")["results"]
    card = card_text()
    old, v4, v5 = results["old"], results["v4"], results["v7D"]
    assert f"Clean: v1 {old['clean']:.4f}, v4 {v4['clean']:.4f}, v5 **{v5['clean']:.4f}**" in card
    assert f"v1 {old['simulated_mean']:.4f}, v4 {v4['simulated_mean']:.4f}, v5 **{v5['simulated_mean']:.4f}**" in card
    assert f"Heart Dice: v4 {v4['heart']:.4f}, v5 {v5['heart']:.4f}" in card
    v7 = f"v7 pediatric pneumonia (agreement zone): v4 {v4['v7_pneumonia']:.4f}, v5 **{v5['v7_pneumonia']:.4f}**"
    assert v7 in card
    assert f"lungs over the manual heart: v4 {v4['lung_over_heart']:.4f}, v5 {v5['lung_over_heart']:.4f}" in card
    for kind in ("mass", "nodules", "lobar"):
        assert f"{old[kind]:.4f} -> {v5[kind]:.4f}" in card


def test_pathology_md_is_rendered_from_its_json():
    sys.path.insert(0, str(BENCH))
    from pathology import render

    data = load("pathology.json")
    assert (BENCH / "pathology.md").read_text() == render(data["command"], data["results"])


def test_heart_md_is_heart_json():
    h = load("heart.json")
    doc = (BENCH / "heart.md").read_text()
    w, ba = h["wingspan_test"], h["bland_altman"]
    assert f"| {w['heart_dice_mean']:.4f} ({w['heart_dice_median']:.4f}) |" in doc
    assert f"| {w['heart_hd95_median']:.2f} |" in doc
    ctr = f"{w['ctr_error_mean']:.4f} ({w['ctr_error_median']:.4f})"
    assert f"{w['ctr_error_n']} films with a reference CTR | {ctr}" in doc
    assert f"| {ba['bias']:+.4f} |" in doc and f"{ba['loa_low']:+.4f} to {ba['loa_high']:+.4f}" in doc
    for name in ("montgomery", "shenzhen"):
        lung = h[f"{name}_test_lung_dice"]
        assert f"{lung['before']:.4f} / {lung['alone']:.4f} / {lung['with_heart']:.4f}" in doc


def test_heart_levers_are_their_json():
    """heart.md's paragraph on the heart levers quotes heart_levers.json, which heart_levers.md renders."""
    sys.path.insert(0, str(BENCH))
    from heart_levers import render

    data = load("heart_levers.json")
    assert (BENCH / "heart_levers.md").read_text() == render(data)
    doc, levers = flat("benchmarks/heart.md"), data["levers"]
    chosen = max((k for k in levers if k != "shipped"), key=lambda k: levers[k]["val_dice"])
    top = max((k for k in levers if k != "shipped"), key=lambda k: levers[k]["test_dice"])
    assert chosen == "teacher" and f"alone (validation {levers[chosen]['val_dice']:.4f}), scores " \
        f"{levers[chosen]['test_dice']:.4f}" in doc  # fmt: skip
    gain = levers[top]["test_vs_shipped"]
    assert f"{levers[top]['test_dice']:.4f} ({interval(gain)})" in doc and gain["ci95"][0] < 0
    low, high = data["shipped_test_ci95"]
    assert f"interval of [{low}, {high}]" in doc and low < 0.93 < high
    # measured with v6.2, the default model until round 18
    v62 = load("history/heart_v6.2.json")["wingspan_test"]["heart_dice_mean"]
    assert levers["shipped"]["test_dice"] == round(v62, 4)


def test_gpu_speed_md_is_rendered_from_its_json_and_the_run_log():
    """#11: the H200 figures as measured (benchmarks/gpu_speed.py) and the 512 px run's epoch times from its log."""
    sys.path.insert(0, str(BENCH))
    from gpu_speed import render

    gpu = load("gpu_speed.json")
    text = (BENCH / "gpu_speed.md").read_text()
    assert text == render(gpu)
    seconds = [float(line.split(",")[-1]) for line in (BENCH / "gpu_round23_log.csv").read_text().splitlines()[1:]]
    assert f"took {min(seconds):.0f}-{max(seconds):.0f} s an epoch ({len(seconds)} epochs" in text
    assert "H200" in gpu["card"] and all(r["training_images_per_s"] < r["inference_images_per_s"] for r in gpu["rows"])


def test_speed_md_is_rendered_from_its_json():
    sys.path.insert(0, str(BENCH))
    from speed import render

    assert (BENCH / "speed.md").read_text() == render(load("speed.json"))
    s = load("speed.json")
    new, ort, int8 = s["new"], s["new_onnxruntime"], s["new_onnxruntime_int8"]
    readme = flat(LOG)
    rate = [r["png512"]["images_per_s"] for r in (new, ort, int8)]
    assert f"{rate[0]} / {rate[1]} / **{rate[2]}** images/s" in readme
    assert f"**{ort['png5000']['seconds']} s and {ort['png5000']['peak_rss_mb']} MB**" in readme
    assert f"one-image run {new['first_mask_s']} / **{ort['first_mask_s']}** / {int8['first_mask_s']} s" in readme
    worst = min(min(v) for v in s["int8_vs_torch_dice"].values())
    assert f"at Dice {worst:.4f} or more per image" in readme
    fast, m = s["new_onnxruntime_fast"], s["model"]
    assert f"pass {m['fast_forward_ms']} ms against {m['default_forward_ms']} ms at 256 px" in readme
    assert f"runs at **{fast['png512']['images_per_s']} images/s** at 512 px" in readme
    big = (fast["png2500"]["images_per_s"], fast["dcm2500"]["images_per_s"], fast["png5000"]["seconds"])
    assert f"{big[0]} / {big[1]} images/s for the 2500x3000 PNGs / DICOMs, {big[2]} s at 5000x6000" in readme
    assert f"{fast['png512']['images_per_s'] / ort['png512']['images_per_s']:.1f}x the images per second" in readme


def test_reliability_figures_are_their_jsons():
    kill, fuzz = load("kill_segment.json"), load("fuzz_reader.json")
    readme = (REPO / "README.md").read_text()
    assert kill["kills"] == 25 and kill["broken_outputs"] == [] and kill["one_row_per_input"]
    assert "SIGKILL 25 times" in readme
    assert fuzz["passed"] and fuzz["cases"] == 40000 and "40,000 random and damaged" in readme


def test_reliability_md_is_rendered_from_its_jsons():
    sys.path.insert(0, str(BENCH))
    from reliability import render

    assert (BENCH / "reliability.md").read_text() == render(load("kill_segment.json"), load("fuzz_reader.json"))


def test_original_protocol_figure_is_its_json():
    figure = load("original_protocol.json")["dice_mean"]
    assert f"**{figure:.4f}** (target 0.975" in card_text()


def test_scaling_figures_are_scaling_json():
    sys.path.insert(0, str(BENCH))
    from scaling import render

    result = load("scaling.json")
    assert (BENCH / "scaling.md").read_text() == render(result)
    readme = flat(LOG)
    train = {(c["processes"], c["threads_each"]): c["images_per_s"] for c in result["train"]}
    assert f"training at {train[1, 1]} images/s in 1 process x 1 thread, {train[1, 2]} in 1 x 2 threads" in readme
    assert f"and {train[2, 1]} in 2 processes x 1 thread" in readme
    seg = [c["images_per_s"] for c in result["segment"]]
    assert f"{seg[0]} images/s in one process, {seg[2]} with two shards and {seg[1]} with `--ray`" in readme
    assert all(c["measurements_identical"] for c in result["segment"])


def test_quality_figures_are_quality_json():
    sys.path.insert(0, str(BENCH))
    from quality import render

    result = load("quality.json")
    assert (BENCH / "quality.md").read_text() == render(result)
    e = result["eval"]
    readme = flat(LOG)
    assert f"Spearman with true Dice {e['quality']['spearman']} and AUROC {e['quality']['auroc_bad']}" in readme
    assert f"(mean confidence alone: {e['confidence']['spearman']} and {e['confidence']['auroc_bad']}:" in readme
    assert e["false_rejections_clean"] == 0 and "none of the 173 clean test films was rejected" in readme
    assert all(v["flagged"] == v["n"] for v in e["rejection"].values())  # the README says "every ... was flagged"
    assert f"{e['children_flagged']} of {e['n_children']} children's test films" in readme


def test_view_model_md_is_rendered_from_its_json():
    sys.path.insert(0, str(BENCH))
    from view_model import render

    result = load("view_model.json")
    assert (BENCH / "view_model.md").read_text() == render(result)
    assert f"{result['params']:,} weights" in card_text()


def test_int8_md_is_rendered_from_its_json():
    sys.path.insert(0, str(BENCH))
    from onnx_int8 import render

    result = load("onnx_int8.json")
    assert (BENCH / "onnx_int8.md").read_text() == render(result)
    v = result["variants"]
    readme = flat(LOG)
    ms = [v[k]["forward_ms"] for k in ("onnx_int8_static", "onnx_fp32", "torch")]
    assert f"{ms[0]} vs {ms[1]} ms, torch {ms[2]}" in readme
    dice = [v[k][t] for k in ("onnx_int8_static", "onnx_fp32") for t in ("montgomery_test", "shenzhen_test")]
    assert "Montgomery {} and Shenzhen {} against fp32's {} and {}".format(*dice) in readme


def test_validation_round6_figures_are_its_json():
    results = load("validation_choice_round6.json")["results"]
    card = flat_card()
    quoted = {("v7F_last", "v7_pneumonia"), ("v5", "v7_pneumonia"), ("v7F_last", "lung_over_heart"),
              ("v4", "lung_over_heart"), ("v7G_best", "heart"), ("soupDF", "lung_over_heart"), ("soupDF", "clean"),
              ("soupDF", "simulated_mean"), ("soupDF", "heart"), ("soupDF", "v7_pneumonia")}  # fmt: skip
    for label, key in quoted:
        assert f"{results[label][key]:.4f}" in card, (label, key)


def test_validation_round6_v7h_figures_are_its_json():
    results = load("validation_choice_round6_v7H.json")["results"]
    card = flat_card()
    for key in ("lung_over_heart", "v7_pneumonia", "clean", "simulated_mean", "heart"):
        low, high = sorted(results[label][key] for label in ("v7H_best", "v7H_last"))
        assert f"{low:.4f}-{high:.4f}" in card, key


def test_shape_prior_md_is_rendered_from_its_json():
    sys.path.insert(0, str(BENCH))
    from shape_prior import render

    result = load("shape_prior.json")
    assert (BENCH / "shape_prior.md").read_text() == render(result)
    assert all(r["worse"] == 0 for r in result["validation"].values())  # why the completion is on by default
    weak = load("shape_prior_v1.json")  # the v1 model, which loses lungs: where the prior matters
    assert (BENCH / "shape_prior_v1.md").read_text() == render(weak)
    v = weak["validation"]
    assert sum(r["better"] for r in v.values()) > 5 * sum(r["worse"] for r in v.values())
    lost = weak["test"]["montgomery_shenzhen_lost_lung"]
    readme = flat(LOG)
    assert f"from Dice {lost['off']:.4f} into {lost['on']:.4f} on the {lost['n']} Montgomery/Shenzhen" in readme
    assert f"({lost['better']} better, {lost['worse']} worse;" in readme
    changed = sum(r["changed"] for r in result["validation"].values())
    assert f"it changes {changed} of {sum(r['n'] for r in result['validation'].values())} validation" in readme


def test_validation_round8_figures_are_its_json():
    results = load("validation_choice_round8.json")["results"]
    card = flat_card()
    v6, v4 = results["v7I_last"], results["v4"]
    kept = all(v6[k] >= v4[k] - 0.001 for k in ("clean", "simulated_mean", "heart"))
    assert kept and v6["lung_over_heart"] <= v4["lung_over_heart"] + 0.002, "v6 must pass the shipping rule"
    gains = {k: r["v7_pneumonia_vs_v5"]["mean"] for k, r in results.items() if "v7_pneumonia_vs_v5" in r}
    assert max(gains, key=gains.get) == "v7I_last"
    quoted = [f"{v6[k]:.4f}" for k in ("clean", "simulated_mean", "heart", "lung_over_heart")]
    assert f"(clean {quoted[0]}, simulated {quoted[1]}, heart {quoted[2]}, lung over heart {quoted[3]};" in card
    gain = v6["v7_pneumonia_vs_v5"]
    lo, hi = gain["ci95"]
    before, after = results["v5"]["v7_pneumonia"], v6["v7_pneumonia"]
    assert f"{before:.4f} -> **{after:.4f}**, {gain['mean']:+.4f} [{lo:.4f}, {hi:.4f}]" in card


def test_anatomical_figures_are_its_json():
    sys.path.insert(0, str(BENCH))
    from anatomical import render

    result = load("anatomical.json")
    assert (BENCH / "anatomical.md").read_text() == render(result)
    val, test = result["validation"], result["test"]
    rules = [k for k in val if isinstance(val[k], dict)]
    shipped = next(k for k in rules if "shipped" in k)
    assert max(rules, key=lambda k: val[k]["dice_mean"]) == shipped  # chosen on validation
    readme = flat(LOG)
    figures = (test["visible"]["dice_mean"], test[shipped]["dice_mean"], val["visible"]["dice_mean"],
               val[shipped]["dice_mean"])  # fmt: skip
    sentence = "Dice {} with the visible field, **{}** with the anatomical convention on the 200 test films ({} -> {}"
    assert sentence.format(*figures) in readme
    card = flat_card()
    assert f"Dice {figures[0]} -> {figures[1]} against the anatomical masks of the 200 v7 test films" in card
    assert f"it is the difference between Dice {figures[0]} and {figures[1]}" in readme
    assert f"scores higher on the children's test films ({result['learned']['test']['dice_mean']})" in readme


def test_validation_round9_figures_are_its_json():
    results = load("validation_choice_round9.json")["results"]
    card = flat_card()
    v6, best, last = results["v6"], results["v7K_best"], results["v7K_last"]
    assert f"{best['heart']:.4f} (best epoch) and {last['heart']:.4f} (last) against v6's {v6['heart']:.4f}" in card
    gain = best["v7_pneumonia_vs_v6"]
    assert f"({interval(gain)})" in card
    assert f"({last['lung_over_heart']:.4f} vs {v6['lung_over_heart']:.4f})" in card


def test_validation_round10_figures_are_its_json():
    results = load("validation_choice_round10.json")["results"]
    card = flat_card()
    v6, best, last = results["v6"], results["v8W_best"], results["v8W_last"]
    assert all(interval(model["v7_pneumonia_vs_v6"]) in card for model in (best, last))
    assert f"{last['v7_pneumonia_vs_v6']['films_up']} films up, {last['v7_pneumonia_vs_v6']['films_down']} down" in card
    assert f"({last['lung_over_heart']:.4f} vs v6's {v6['lung_over_heart']:.4f}" in card
    assert f"clean Dice ({last['clean']:.4f} vs {v6['clean']:.4f})" in card
    assert f"the heart ({best['heart']:.4f} vs {v6['heart']:.4f}) and simulated disease" in card
    assert f"({best['simulated_mean']:.4f} vs {v6['simulated_mean']:.4f})" in card


def test_validation_round11_figures_are_its_json():
    results = load("validation_choice_round11.json")["results"]
    card = flat_card()
    best, last = results["v7L_best"], results["v7L_last"]
    assert all(interval(model["v7_pneumonia_vs_v6"]) in card for model in (best, last))
    assert f"(clean {last['clean']:.4f}, simulated {last['simulated_mean']:.4f}, heart {last['heart']:.4f}," in card
    assert f"lung over the heart {last['lung_over_heart']:.4f}, just under the 0.0229 allowed" in card
    v4_round8 = load("validation_choice_round8.json")["results"]["v4"]["lung_over_heart"]
    assert last["lung_over_heart"] <= round(v4_round8 + 0.002, 4) == 0.0229  # the rule, as the card states it


def test_lost_base_figures_are_their_jsons():
    readme = flat(LOG)
    weak, weak_base = load("shape_prior_v1.json"), load("shape_prior_v1_base.json")
    shipped, shipped_base = load("shape_prior.json"), load("shape_prior_base.json")
    for part, name in (("test", "montgomery_shenzhen_lost_base"), ("validation", "lost_base")):
        assert f"{weak[part][name]['on']:.4f}" in readme and f"{weak_base[part][name]['on']:.4f}" in readme
    more = sum(shipped_base["validation"][k]["changed"] - r["changed"] for k, r in shipped["validation"].items())
    worse = sum(shipped_base["validation"][k]["worse"] - r["worse"] for k, r in shipped["validation"].items())
    assert more == worse == 1 and f"it changes {more} more validation film, for the worse" in readme
    adults = ("montgomery_shenzhen_clean", "montgomery_shenzhen_lost_lung", "montgomery_shenzhen_lost_base", "wingspan")
    assert all(shipped_base["test"][k]["changed"] == 0 for k in adults)  # "and no adult test film"
    stats = load("mask_stats.json")
    gaps = [stats[s]["base_gap"] for s in ("Lung Segmentation", "wingspan", "v7_pediatric")]
    assert " / ".join(f"{g['median']:.3f}" for g in gaps) in readme
    assert f"above 0.35 in {gaps[0]['above_0.35']} of 704 / {gaps[1]['above_0.35']} of 158" in readme


def test_v61_release_figures_are_their_jsons():
    """The card's v6 -> v6.1 test figures (round 11) are pathology.json's and heart.json's."""
    real = load("history/pathology_v6.1.json")["results"]
    old, new = real["runs/v6_default_fp16.pt"]["real"], real["lungseg-unet-default"]["real"]
    card = flat_card()
    for group in ("pneumonia", "normal"):
        before, after = (r["v7_pediatric"]["groups"][group]["dice_mean"] for r in (old, new))
        assert f"{before:.4f} -> {after:.4f}" in card, group
    before, after = (r["montgomery"]["groups"]["abnormal"]["dice_mean"] for r in (old, new))
    assert f"the Montgomery tuberculosis films {before:.4f} -> {after:.4f}" in card
    for name, label in (("shenzhen", "Shenzhen"), ("wingspan", "Wingspan")):
        assert f"{label} {new[name]['dice_mean'] - old[name]['dice_mean']:+.4f}" in card, name
    heart = load("history/heart_v6.1.json")["wingspan_test"]["heart_dice_mean"]
    assert f"heart Dice 0.9270 -> {heart:.4f}" in card


def test_polarity_figures_are_their_json():
    sys.path.insert(0, str(BENCH))
    from polarity_model import render

    result = load("polarity_model.json")
    assert (BENCH / "polarity_model.md").read_text() == render(result)
    t, d = result["test"], result["montgomery_test_inverted"]
    readme = flat(LOG)
    assert f"Dice {d['keep']['dice_mean']} as they are and {d['auto']['dice_mean']} with the check" in readme
    wrong = sum(r["upright_called_inverted"] + r["inverted_missed"] for r in t.values())
    assert f"{wrong} of {2 * sum(r['n'] for r in t.values())} held-out films" in readme
    kinds = sorted({k for r in t.values() for k in r["error_kinds"]})
    assert kinds == ["inverted+rotate"] and "all of one corruption, `inverted+rotate`" in readme


def test_validation_round12_figures_are_its_json():
    results = load("validation_choice_round12.json")["results"]
    card = flat_card()
    v61, best, last = results["v61"], results["v7M_best"], results["v7M_last"]
    assert f"(0.0188 vs v6.1's {v61['lung_over_heart']:.4f})" in card and last["lung_over_heart"] == 0.0188
    assert f"(clean {last['clean']:.4f}, simulated {last['simulated_mean']:.4f}, heart {last['heart']:.4f})" in card
    assert all(interval(model["v7_pneumonia_vs_v61"]) in card for model in (best, last))
    assert f"covers more of the heart ({best['lung_over_heart']:.4f})" in card
    assert f"loses heart Dice ({best['heart']:.4f})" in card
    v4 = load("validation_choice_round8.json")["results"]["v4"]
    fails = best["lung_over_heart"] > v4["lung_over_heart"] + 0.002 or best["heart"] < v4["heart"] - 0.001
    assert fails and last["v7_pneumonia_vs_v61"]["mean"] < 0  # why neither ships


def test_validation_round13_figures_are_its_json():
    results = load("validation_choice_round13.json")["results"]
    card = flat_card()
    v61, best, last = results["v61"], results["v7N_best"], results["v7N_last"]
    assert f"(lung over the heart {last['lung_over_heart']:.4f} vs v6.1's {v61['lung_over_heart']:.4f}" in card
    assert f"(clean {last['clean']:.4f}, simulated {last['simulated_mean']:.4f}, heart {last['heart']:.4f}," in card
    assert all(interval(model["v7_pneumonia_vs_v61"]) in card for model in (best, last))
    gain = last["v7_pneumonia_vs_v61"]
    assert f"{gain['films_up']} films up, {gain['films_down']} down" in card
    assert f"loses heart Dice ({best['heart']:.4f})" in card
    assert passes_rule(last) and not passes_rule(best)  # why the last epoch ships
    assert last["v7_pneumonia_vs_v61"]["mean"] > 0


def test_validation_round14_figures_are_its_json():
    results = load("validation_choice_round14.json")["results"]
    card = flat_card()
    best, last = results["v7P_best"], results["v7P_last"]
    quoted = (f"(clean {last['clean']:.4f}, simulated {last['simulated_mean']:.4f}, heart {last['heart']:.4f}, "
              f"lung over the heart {last['lung_over_heart']:.4f})")  # fmt: skip
    assert quoted in card
    assert all(interval(model["v7_pneumonia_vs_v62"]) in card for model in (best, last))
    gain = last["v7_pneumonia_vs_v62"]
    assert f"{gain['films_up']} films up, {gain['films_down']} down" in card
    v4 = load("validation_choice_round8.json")["results"]["v4"]
    kept = all(last[k] >= v4[k] - 0.001 for k in ("clean", "simulated_mean", "heart"))
    assert kept and last["lung_over_heart"] <= v4["lung_over_heart"] + 0.002  # "passes the rule"


def test_validation_round14_rerun_figures_are_its_json():
    results = load("validation_choice_round14b.json")["results"]
    card = flat_card()
    base, rerun = results["v62"], results["v7P2_last"]
    quoted = (f"(clean {rerun['clean']:.4f}, simulated {rerun['simulated_mean']:.4f}, heart {rerun['heart']:.4f}, "
              f"lung over the heart {rerun['lung_over_heart']:.4f}; v6.2 in the same run: {base['clean']:.4f}, "
              f"{base['simulated_mean']:.4f}, {base['heart']:.4f}, {base['lung_over_heart']:.4f})")  # fmt: skip
    assert quoted in card
    gain = rerun["v7_pneumonia_vs_v62"]
    assert interval(gain) in card
    assert f"{gain['films_up']} films up, {gain['films_down']} down" in card
    v4 = load("validation_choice_round8.json")["results"]["v4"]
    kept = all(rerun[k] >= v4[k] - 0.001 for k in ("clean", "simulated_mean", "heart"))
    assert kept and rerun["lung_over_heart"] <= v4["lung_over_heart"] + 0.002  # "passes the rule"
    assert gain["ci95"][0] < 0 < gain["ci95"][1]  # "gains nothing": why v6.2 stays


def test_shape_model_figures_are_their_jsons():
    """Round 15: the card's validation choice and test figures are the mask-only shape model's JSONs (its test
    JSONs as committed then, in benchmarks/history/)."""
    sys.path.insert(0, str(BENCH))
    from shape_model import choose, render

    data = load("shape_model.json")
    assert (BENCH / "shape_model.md").read_text() == render(data)
    results = data["results"]
    assert data["chosen"] == choose(results) == "t0.7_g0.0_f0.05"
    chosen, none = results[data["chosen"]], results["none"]
    card = flat_card()
    gain = chosen["v7_pneumonia_vs_none"]
    assert f"v7 pneumonia {interval(gain)} ({gain['films_up']} films up, {gain['films_down']} down)" in card
    assert f"clean {chosen['clean']:.4f} (no growth {none['clean']:.4f})" in card
    assert f"simulated {chosen['simulated_mean']:.4f} ({none['simulated_mean']:.4f})" in card
    real = load("history/pathology_shape_model_round15.json")["results"]
    before, after = (real[m]["real"] for m in ("lungseg-unet-default", "lungseg-unet-default+shape"))
    v7 = [r["v7_pediatric"]["groups"]["pneumonia"]["dice_mean"] for r in (before, after)]
    assert f"the 150 v7 pneumonia test films {v7[0]:.4f} -> {v7[1]:.4f}" in card and v7[1] > v7[0]
    acc = load("history/accuracy_shape_model_round15.json")["results"]
    for name, label in (("montgomery", "Montgomery"), ("shenzhen", "Shenzhen"), ("wingspan", "Wingspan")):
        old, new = (acc[k][f"{name}_test"]["dice_mean"] for k in ("v62", "v62_shape"))
        assert new <= old and f"{label} {old:.4f} -> {new:.4f}" in card  # why it stayed opt-in
    for kind, row in real["lungseg-unet-default+shape"]["simulated"].items():  # "every one of the six"
        assert row["dice_mean"] < real["lungseg-unet-default"]["simulated"][kind]["dice_mean"], kind


def test_film_aware_shape_model_figures_are_their_jsons():
    """Round 16: the choice on validation, the shipped settings, and the card's and README's test figures."""
    sys.path.insert(0, str(BENCH))
    from shape_model import choose, render

    from lungseg.model.pretrained import PRETRAINED

    data = load("shape_model_image.json")
    assert (BENCH / "shape_model_image.md").read_text() == render(data)
    results = data["results"]
    assert data["chosen"] == choose(results) == "t0.5_g0.0_f0.05_w1"
    assert PRETRAINED["lungseg-unet-default"].shape_completion  # its settings shipped until round 32
    chosen, none = results[data["chosen"]], results["none"]
    card, readme = flat_card(), flat(LOG)
    gain = chosen["v7_pneumonia_vs_none"]
    assert f"v7 pneumonia {interval(gain)} ({gain['films_up']} films up, {gain['films_down']} down)" in card
    assert f"clean {chosen['clean']:.4f} (no growth {none['clean']:.4f})" in card
    assert f"simulated {chosen['simulated_mean']:.4f} ({none['simulated_mean']:.4f})" in card
    assert f"lung over the heart {chosen['lung_over_heart']:.4f} ({none['lung_over_heart']:.4f})" in card
    assert f"it changes {chosen['changed']['clean']} of the 50 clean validation films" in card
    assert f"(clean {results['t0.5_g0.0_f0.0_w1']['clean']:.4f})" in card  # without the floor
    acc = load("accuracy_shape_model.json")["results"]
    assert acc["v62"]["model"].endswith("+noshape") and acc["v62_shape"]["model"] == "lungseg-unet-default"
    for name, label in (("montgomery", "Montgomery"), ("shenzhen", "Shenzhen"), ("wingspan", "Wingspan")):
        old, new = (acc[k][f"{name}_test"]["dice_mean"] for k in ("v62", "v62_shape"))
        assert f"{label} {old:.4f} -> {new:.4f}" in card and f"{label} {new - old:+.4f}" in readme
        assert new >= old - 0.0001  # "leaves the adult sets as they were"
    real = load("pathology_shape_model.json")["results"]
    off, on = real["lungseg-unet-default+noshape"], real["lungseg-unet-default"]
    for group in ("pneumonia", "normal"):
        v7 = [r["real"]["v7_pediatric"]["groups"][group]["dice_mean"] for r in (off, on)]
        assert f"v7 {group} {v7[0]:.4f} -> {v7[1]:.4f}" in card and v7[1] > v7[0]
    moves = [abs(on["simulated"][k]["dice_mean"] - off["simulated"][k]["dice_mean"]) for k in off["simulated"]]
    means = [np.mean([r["simulated"][k]["dice_mean"] for k in off["simulated"]]) for r in (off, on)]
    assert max(moves) <= 0.0003 and f"(mean {means[0]:.4f} -> {means[1]:.4f})" in card


def test_shape_model_with_a_weak_lung_model_figures_are_their_jsons():
    """The card's v1 figures: the learned prior (with the mirror) against the mirror image alone."""
    sys.path.insert(0, str(BENCH))
    from shape_prior import render

    learned, mirror = load("shape_prior_v1_learned.json"), load("shape_prior_v1.json")
    assert (BENCH / "shape_prior_v1_learned.md").read_text() == render(learned)
    card = flat_card()
    for kind in ("lobar", "whiteout", "lost_base", "v7"):
        new, old = learned["validation"][kind], mirror["validation"][kind]
        assert f"{new['off']:.4f} -> {new['on']:.4f} (mirror alone {old['on']:.4f})" in card and new["on"] > old["on"]
    lost = (learned["validation"]["lost_lung"]["on"], mirror["validation"]["lost_lung"]["on"])
    assert f"({lost[0]:.4f} against {lost[1]:.4f})" in card and lost[0] < lost[1]


def test_shape_model_trained_on_children_figures_are_its_json():
    """Round 17: the children's films in the shape model's training gain nothing on validation; not shipped."""
    sys.path.insert(0, str(BENCH))
    from shape_model import choose, render

    data = load("shape_model_image_children.json")
    assert (BENCH / "shape_model_image_children.md").read_text() == render(data)
    results = data["results"]
    assert data["chosen"] == choose(results) and data["command"].endswith("--image --children")
    best = max(r["v7_pneumonia"] for r in results.values())
    assert best == results["none"]["v7_pneumonia"]
    card = flat_card()
    changed = results[data["chosen"]]["changed"]
    assert changed["clean"] == changed["v7_pneumonia"] == changed["v7_normal"] == 0
    simulated = sum(v for k, v in changed.items() if not k.startswith("v7") and k != "clean")
    assert f"no growth ({best:.4f}; the rule's choice changes no clean or v7 film, {simulated} of the 300 " \
           "simulated" in card  # fmt: skip
    same = results["t0.5_g0.0_f0.05_w1"]["v7_pneumonia_vs_none"]
    shipped = load("shape_model_image.json")["results"]["t0.5_g0.0_f0.05_w1"]["v7_pneumonia_vs_none"]
    assert f"{interval(same)} ({same['films_up']} films up, {same['films_down']} down), against round 16's " \
           f"{interval(shipped)}" in card  # fmt: skip


def test_fast_model_figures_are_their_jsons():
    """#11: the fast model's validation choice, test figures and speed, as the card and README quote them."""
    from lungseg.model.pretrained import FAST_MODEL, PRETRAINED

    val = load("validation_choice_fast.json")["results"]
    ship, off, best, v62 = val["fast_last_shape"], val["fast_last"], val["fast_best"], val["v62"]
    assert PRETRAINED[FAST_MODEL].shape_completion and ship["clean"] >= off["clean"]
    assert ship["v7_pneumonia"] > off["v7_pneumonia"]  # the shape model on: chosen on validation
    assert all(ship[k] >= best[k] for k in ("clean", "simulated_mean", "heart"))  # the last epoch, not the best
    card, readme = flat_card(), flat(LOG)
    assert f"clean {ship['clean']:.4f} (v6.2 {v62['clean']:.4f})" in card
    assert f"simulated disease {ship['simulated_mean']:.4f} ({v62['simulated_mean']:.4f})" in card
    assert f"heart {ship['heart']:.4f} ({v62['heart']:.4f})" in card
    gain = ship["v7_pneumonia_vs_v62"]
    assert f"v7 pneumonia {ship['v7_pneumonia']:.4f} ({v62['v7_pneumonia']:.4f}; paired {gain['mean']:+.4f} " \
           f"[{gain['ci95'][0]:+.4f}, {gain['ci95'][1]:+.4f}])" in card  # fmt: skip
    assert f"lifts its v7 pneumonia from {off['v7_pneumonia']:.4f}" in card
    # the fast model is v6.2 cut and distilled, and the card compares it with v6.2 as shipped
    acc = load("history/accuracy_fast_model_shape_round16.json")["results"]["fast"]
    shipped = load("history/accuracy_v6.2.json")["results"]["shipped"]
    for name, label in (("montgomery", "Montgomery"), ("shenzhen", "Shenzhen"), ("wingspan", "Wingspan")):
        new, old = acc[f"{name}_test"]["dice_mean"], shipped[f"{name}_test"]["dice_mean"]
        assert re.search(rf"{label} {new:.4f} \((v6\.2 )?{old:.4f}\)", card), label
    now = load("accuracy_fast_model.json")["results"]["fast"]  # with the shape model as it runs today
    figures = " / ".join(f"{now[f'{k}_test']['dice_mean']:.4f}" for k in ("montgomery", "shenzhen", "wingspan"))
    assert f"Dice {figures} on the" in readme and f"(round 41's shape model) {figures}" in card
    r33 = [load(f)["results"]["lungseg-unet-fast"]["real"]["v7_pediatric"]["groups"]["pneumonia"]["dice_mean"]
           for f in ("history/pathology_fast_model_shape_round33.json", "pathology_fast_model.json",
                     "history/pathology_fast_model_shape_round35.json")]  # fmt: skip
    assert f"and {r33[1]:.4f} on the v7 pneumonia" in card
    assert f"the same means on the three sets as round 35's and {r33[0]:.4f};" in card
    then, r35 = (load(f)["results"]["fast"] for f in ("history/accuracy_fast_model_shape_round33.json",
                                                      "history/accuracy_fast_model_shape_round35.json"))
    assert all(then[f"{k}_test"]["dice_mean"] == r35[f"{k}_test"]["dice_mean"] for k in ("montgomery", "shenzhen",
                                                                                        "wingspan"))
    figures = " / ".join(f"{r35[f'{k}_test']['dice_mean']:.4f}" for k in ("montgomery", "shenzhen", "wingspan"))
    assert f"with round 35's, `benchmarks/history/*_fast_model_shape_round35.json`: {figures} and {r33[2]:.4f};" in card
    before = load("history/accuracy_fast_model_shape_round30.json")["results"]["fast"]
    figures = " / ".join(f"{before[f'{k}_test']['dice_mean']:.4f}" for k in ("montgomery", "shenzhen", "wingspan"))
    v7_30 = load("history/pathology_fast_model_shape_round30.json")["results"]["lungseg-unet-fast"]["real"]
    assert f"with round 30's, `benchmarks/history/*_fast_model_shape_round30.json`: {figures} and " \
           f"{v7_30['v7_pediatric']['groups']['pneumonia']['dice_mean']:.4f}" in card  # fmt: skip
    v7 = [load(n)["results"]["lungseg-unet-fast"]["real"]["v7_pediatric"]["groups"]["pneumonia"]["dice_mean"]
          for n in ("pathology_fast_model.json", "history/pathology_fast_model_shape_round16.json")]  # fmt: skip
    assert f"and {v7[0]:.4f} on the v7 pneumonia test films ({v7[1]:.4f} with round 16's" in card
    sick = [load(n)["results"][m] for n, m in (("history/pathology_fast_model_shape_round16.json", "lungseg-unet-fast"),
                                                ("history/pathology_v6.2.json", "lungseg-unet-default"))]  # fmt: skip
    abnormal = [r["real"]["montgomery"]["groups"]["abnormal"]["dice_mean"] for r in sick]
    v7 = [r["real"]["v7_pediatric"]["groups"]["pneumonia"]["dice_mean"] for r in sick]
    simulated = [np.mean([v["dice_mean"] for v in r["simulated"].values()]) for r in sick]
    below = [sum(v["below_0.85"] for v in r["simulated"].values()) for r in sick]
    assert f"abnormal films {abnormal[0]:.4f} ({abnormal[1]:.4f}), v7 pneumonia test films {v7[0]:.4f} " \
           f"({v7[1]:.4f}), the six simulated diseases on the Montgomery/Shenzhen test films {simulated[0]:.4f} on " \
           f"average ({simulated[1]:.4f}), {below[0]} films below 0.85 ({below[1]})" in card  # fmt: skip
    heart, heart_default = load("history/heart_fast_model_shape_round16.json"), load("history/heart_v6.2.json")
    h, h0 = heart["wingspan_test"], heart_default["wingspan_test"]
    assert f"heart {h['heart_dice_mean']:.4f} ({h0['heart_dice_mean']:.4f}), CTR error {h['ctr_error_mean']:.4f}" \
           f" ({h0['ctr_error_mean']:.4f}), bias {heart['bland_altman']['bias']:+.4f}" in card  # fmt: skip


def test_round19_figures_are_their_jsons():
    """Round 19: only the 24 worst Shenzhen TB masks left out; the gain on sick children's films is gone."""
    card = flat_card()
    conv = load("shenzhen_convention_v63.json")
    tb, normal = conv["groups"]["tuberculosis"], conv["groups"]["normal"]
    assert len(conv["tuberculosis_over_10pct"]) == tb["films_extra_over_10pct"]
    assert f"adds {tb['extra']:.4f} of the mask's area outside Shenzhen's TB training masks against " \
           f"{normal['extra']:.4f} outside its normal ones, more than 10% on {tb['films_extra_over_10pct']} TB films " \
           f"({normal['films_extra_over_10pct']} normal)" in card  # fmt: skip
    r = load("validation_choice_round19.json")["results"]
    assert f"gains only {interval(r['v7R_last']['v7_pneumonia_vs_v62'])} on v7 pneumonia" in card
    assert f"(v6.3: {interval(r['v63']['v7_pneumonia_vs_v62'])})" in card
    assert f"loses {interval(r['v7R_best']['v7_pneumonia_vs_v62'])}".replace("loses +", "loses ") in card
    for soup in ("soupR50", "soupR70"):
        assert f"{r[soup]['v7_pneumonia_vs_v62']['mean']:+.4f}" in card and r[soup]["v7_pneumonia_vs_v62"]["mean"] < 0
    assert f"same heart Dice ({r['v7Q_best_heart']['heart']:.4f})" in card
    assert r["v7Q_best_heart"]["heart"] == load("validation_choice_round18.json")["results"]["v7Q_best"]["heart"]
    gains = {k: r[k]["v7_pneumonia_vs_v62"]["mean"] for k in ("v63", "v7R_last")}
    assert gains["v63"] > gains["v7R_last"]  # why v6.3 stays


def test_round20_figures_are_their_jsons():
    """Round 20: v6.3 trained further on round 18's films; both epochs fail by their heart and lose the gain."""
    card = flat_card()
    r = load("validation_choice_round20.json")["results"]
    best, last = r["v7S_best"], r["v7S_last"]
    assert f"fail the rule by their heart (best {best['heart']:.4f}, last {last['heart']:.4f}," in card
    gains = interval(best["v7_pneumonia_vs_v62"]), interval(last["v7_pneumonia_vs_v62"])
    assert f"best {gains[0]}, last {gains[1]}" in card
    assert f"(v6.3: {interval(r['v63']['v7_pneumonia_vs_v62'])})" in card
    assert f"({r['v63']['clean_abnormal']:.4f} -> {r['v7S_last']['clean_abnormal']:.4f})" in card
    for k in ("v7S_best", "v7S_last"):
        assert r[k]["heart"] < 0.9316  # the rule's heart criterion: why neither ships


def test_fast63_figures_are_their_jsons():
    """Round 19: the fast model from v6.3, chosen on validation, lower on every lung test set: not shipped."""
    card = flat_card()
    val = load("validation_choice_fast63.json")["results"]
    new, old = val["fast63_last"], val["fast"]
    for key, label in (("clean", "clean"), ("simulated_mean", "simulated disease"), ("heart", "heart"),
                       ("lung_over_heart", "lung over the heart")):  # fmt: skip
        assert f"{label} {new[key]:.4f} against {old[key]:.4f}" in card, key
        assert abs(new[key] - old[key]) <= (0.002 if key == "lung_over_heart" else 0.001)  # the tolerances held
    gain = new["v7_pneumonia_vs_fast"]
    assert f"v7 pneumonia {new['v7_pneumonia']:.4f} against {old['v7_pneumonia']:.4f}, paired {interval(gain)}" in card
    fast = "history/accuracy_fast_model_shape_round16.json"  # the shipped fast model as round 19 compared it
    acc = [load(n)["results"][k] for n, k in (("accuracy_fast63.json", "fast63"), (fast, "fast"))]
    for name, label in (("montgomery", "Montgomery"), ("shenzhen", "Shenzhen"), ("wingspan", "Wingspan")):
        a, b = (r[f"{name}_test"]["dice_mean"] for r in acc)
        assert a < b and re.search(rf"{label} {a:.4f} \((shipped fast )?{b:.4f}\)", card), label
    sick = [next(iter(load(n)["results"].values())) for n in ("pathology_fast63.json",
                                                             "history/pathology_fast_model_shape_round16.json")]
    abnormal = [r["real"]["montgomery"]["groups"]["abnormal"]["dice_mean"] for r in sick]
    simulated = [np.mean([v["dice_mean"] for v in r["simulated"].values()]) for r in sick]
    assert f"abnormal films {abnormal[0]:.4f} ({abnormal[1]:.4f})" in card
    assert f"simulated diseases {simulated[0]:.4f} ({simulated[1]:.4f})" in card
    hearts = [load(n)["wingspan_test"]["heart_dice_mean"] for n in ("heart_fast63.json",
                                                                        "history/heart_fast_model_shape_round16.json")]
    assert f"heart {hearts[0]:.4f} ({hearts[1]:.4f})" in card


def test_round18_figures_are_their_jsons():
    """Round 18: Shenzhen's TB masks, the run without them, the averages, and why 0.7 of it ships as v6.3."""
    card = flat_card()
    groups = load("shenzhen_convention.json")["groups"]
    tb, normal = groups["tuberculosis"], groups["normal"]
    assert f"adds {tb['extra']:.4f} of the mask's area outside Shenzhen's TB training masks against " \
           f"{normal['extra']:.4f}" in card  # fmt: skip
    many = tb["films_extra_over_10pct"], normal["films_extra_over_10pct"]
    assert f"more than 10% on {many[0]} TB films ({many[1]} normal" in card
    results = load("validation_choice_round18.json")["results"]
    base, best, last, half, ship = (results[k] for k in ("v62", "v7Q_best", "v7Q_last", "soupQ50", "soupQ70"))
    for model in (best, last, ship):
        assert interval(model["v7_pneumonia_vs_v62"]) in card
    assert f"({base['clean_abnormal']:.4f} -> {best['clean_abnormal']:.4f})" in card
    assert f"loses heart Dice ({best['heart']:.4f})" in card
    quoted = (f"(clean {ship['clean']:.4f}, simulated {ship['simulated_mean']:.4f}, heart {ship['heart']:.4f}, lung "
              f"over the heart {ship['lung_over_heart']:.4f}")  # fmt: skip
    assert quoted in card and f"TB validation films {ship['clean_abnormal']:.4f})" in card
    assert not passes_rule(best) and passes_rule(half) and passes_rule(ship)  # the rule, as the card says
    gains = {k: m["v7_pneumonia_vs_v62"]["mean"] for k, m in results.items() if k != "v62" and passes_rule(m)}
    assert max(gains, key=gains.get) == "soupQ70"  # the largest gain among those that pass ships


def test_known_failure_modes_are_the_worst_test_films():
    """MODEL_CARD's limits quote the shipped model's worst films from benchmarks/pathology.json."""
    card = flat_card()
    real = load("pathology.json")["results"]["lungseg-unet-default"]["real"]
    before = load("history/pathology_shape_round30.json")["results"]["lungseg-unet-default"]
    ((bubble, dice),) = before["real"]["shenzhen"]["worst"][:1]  # until round 32's shape model
    now = dict(real["shenzhen"]["worst"])[bubble]
    assert f"({bubble}: Dice {dice:.4f} before round 32's shape model, the worst Shenzhen test film and the worst " \
           f"film of five of the six simulated kinds; {now:.4f} now, with v6.5" in card  # fmt: skip
    then = dict(load("history/pathology_v6.4.json")["results"]["lungseg-unet-default"]["real"]["shenzhen"]["worst"])
    assert f"{then[bubble]:.4f} with v6.4 and round 41's" in card
    kinds = before["simulated"].values()
    assert [k["worst"][0][0] for k in kinds].count(bubble) == 5 and len(kinds) == 6
    first, second = real["montgomery"]["worst"][:2]
    assert f"({first[0]} {first[1]:.4f}, {second[0]} {second[1]:.4f}, the worst Montgomery test films)" in card
    assert f"(the worst v7 test film {real['v7_pediatric']['worst'][0][1]:.4f}; v6.4's " in card
    (film, dice), sims = real["shenzhen"]["worst"][0], load("pathology.json")["results"]["lungseg-unet-default"]
    worst = [k["worst"][0][0] for k in sims["simulated"].values()]
    assert worst.count(film) == 6  # round 43 (v6.5); with v6.4 five, the mass's worst was the worst Montgomery film
    old = load("history/pathology_v6.4.json")["results"]["lungseg-unet-default"]["simulated"]
    assert [k["worst"][0][0] for k in old.values()].count(film) == 5 and old["mass"]["worst"][0][0] == first[0]
    assert f"({film} {dice:.4f}, now the worst Shenzhen test film and the worst film of all six simulated kinds; " \
           f"with v6.4 of five, under a mass {first[0]} was)" in card  # fmt: skip


def test_round21_figures_are_their_jsons():
    """Round 21: v7T's best epoch passes the rule with the largest gain and ships as v6.4; its test figures."""
    card = flat_card()
    r = load("validation_choice_round21.json")["results"]
    best, v63 = r["v7T_best"], r["v63"]
    assert f"(heart {best['heart']:.4f} against 0.9316; clean {best['clean']:.4f}, simulated" \
           f" {best['simulated_mean']:.4f}, lung over the heart {best['lung_over_heart']:.4f})" in card  # fmt: skip
    assert f"v7 pneumonia {interval(best['v7_pneumonia_vs_v62'])} against v6.2 (v6.3: " \
           f"{interval(v63['v7_pneumonia_vs_v62'])})" in card  # fmt: skip
    assert f"last epoch fails by its heart ({r['v7T_last']['heart']:.4f})" in card
    candidates = {k: m for k, m in r.items() if k not in ("v62", "v63")}
    gains = {k: m["v7_pneumonia_vs_v62"]["mean"] for k, m in candidates.items() if passes_rule(m)}
    assert not passes_rule(r["v7T_last"]) and max(gains, key=gains.get) == "v7T_best"  # the rule's choice
    now = load("history/accuracy_shape_round16.json")["results"]["shipped"]  # v6.4 with round 16's shape model
    before = load("history/accuracy_v6.3.json")["results"]["shipped"]
    for name, key in (("Montgomery", "montgomery_test"), ("Wingspan", "wingspan_test")):
        change = now[key]["dice_mean"] - before[key]["dice_mean"]
        assert f"{name} {change:+.4f}" in card and change < 0  # the adults' price, as the card says
    v7_now = load("history/pathology_shape_round16.json")["results"]["lungseg-unet-default"]["real"]["v7_pediatric"]
    v7_now = v7_now["groups"]["pneumonia"]
    v7_before = load("history/pathology_v6.3.json")["results"]["lungseg-unet-default"]["real"]["v7_pediatric"]
    gain = v7_now["dice_mean"] - v7_before["groups"]["pneumonia"]["dice_mean"]
    assert f"children's pneumonia films' {gain:+.4f} ({v7_before['groups']['pneumonia']['dice_mean']:.4f} -> " \
           f"{v7_now['dice_mean']:.4f})" in card and gain > 0  # fmt: skip


def test_v64_ships_in_float32_as_validated():
    """Round 21: the float16 copy falls 0.0001 under the heart limit; the float32 file is the validated one."""
    card = flat_card()
    r = load("validation_choice_v64.json")["results"]
    half, full, best = r["v64_fp16"], r["v64"], load("validation_choice_round21.json")["results"]["v7T_best"]
    assert f"scores the heart at {half['heart']:.4f}, 0.0001 under the limit" in card
    assert round(0.9316 - half["heart"], 4) == 0.0001 and full["heart"] >= 0.9316
    assert {k: v for k, v in full.items() if k != "model"} == {k: v for k, v in best.items() if k != "model"}


def test_rounds_22_and_23_figures_are_their_jsons():
    """Round 22 (gastric bubble) passes the rule without the children's gain; round 23 (512 px, GPU) fails it."""
    card = flat_card()
    r = load("validation_choice_round22.json")["results"]
    u, v64 = r["v7U_best"], r["v64"]
    assert f"(v7U: clean {u['clean']:.4f}, exactly the limit, simulated {u['simulated_mean']:.4f}, heart " \
           f"{u['heart']:.4f}, lung over the heart {u['lung_over_heart']:.4f})" in card  # fmt: skip
    assert f"v7 pneumonia {interval(u['v7_pneumonia_vs_v62'])} against v6.2" in card
    assert f"v6.4 {interval(v64['v7_pneumonia_vs_v62'])}" in card
    gains = {k: m["v7_pneumonia_vs_v62"]["mean"] for k, m in r.items() if k != "v62" and passes_rule(m)}
    assert max(gains, key=gains.get) == "v64"  # v6.4 stays: the rule's choice
    best, last = r["v8A_best"], r["v8A_last"]
    assert not passes_rule(best) and not passes_rule(last)
    assert f"(best: clean {best['clean']:.4f}, heart {best['heart']:.4f}; last: clean {last['clean']:.4f}, simulated " \
           f"{last['simulated_mean']:.4f}, heart {last['heart']:.4f})" in card  # fmt: skip
    bubble = {k: load(f"bubble_film_round22_{k}.json")["dice_mean"] for k in ("v7U", "v64")}
    assert f"Dice {bubble['v7U']:.4f} against v6.4's {bubble['v64']:.4f}" in card
    ceiling = load("resolution_ceiling.json")
    assert f"scores Dice {ceiling['montgomery']['256']['mean']:.3f} against itself" in card
    assert ceiling["shenzhen"]["256"]["mean"] < ceiling["shenzhen"]["384"]["mean"] < ceiling["shenzhen"]["512"]["mean"]


def test_readme_big_film_figures_are_the_back_to_back_runs():
    """#11: the README's 5000x6000 figures, this tree (big_film.json) against commit 1bbd807 (before lazy_scipy.py)."""
    readme = flat(LOG)
    now = load("big_film.json")["results"]["lungseg-unet-default"]
    before = load("big_film_1bbd807.json")["results"]["lungseg-unet-default"]
    film, first = now["film_5000x6000_s"], now["first_mask_s"]
    quoted = f"median **{film['median']} s** ({film['min']}-{film['max']}), {now['peak_mb_max']} MB at most, "
    assert f"{quoted}first mask {first['median']} s, against {before['film_5000x6000_s']['median']} s" in readme
    sooner = before["first_mask_s"]["median"] - first["median"]
    assert f"first mask {sooner:.2f} s sooner" in readme and sooner > 0


def test_readme_gpu_figures_are_gpu_speed_json():
    readme = flat(LOG)
    gpu = load("gpu_speed.json")
    rows = {r["model"]: r for r in gpu["rows"]}
    d, o = rows["default"], rows["original architecture"]
    assert f"the default model trains at {d['training_images_per_s']:,} and segments at " \
           f"{d['inference_images_per_s']:,} images/s at batch 32 in bf16" in readme  # fmt: skip
    assert f"at 512 px: {o['training_images_per_s']:,} / {o['inference_images_per_s']:,};" in readme


def test_round24_figures_are_its_json():
    """Round 24: the bubble on round 21's schedule; the best and last epochs fail by the heart, the averages lose."""
    card = flat_card()
    r = load("validation_choice_round24.json")["results"]
    best, last = r["v7V_best"], r["v7V_last"]
    assert f"fail the rule by their heart ({best['heart']:.4f}, {last['heart']:.4f})" in card
    assert not passes_rule(best) and not passes_rule(last)
    soups = [r[k]["v7_pneumonia_vs_v62"]["mean"] for k in ("soupV50", "soupV70")]
    assert all(passes_rule(r[k]) for k in ("soupV50", "soupV70")) and max(soups) < 0
    gain = best["v7_pneumonia_vs_v62"]["mean"]
    assert f"(v7 pneumonia {soups[0]:+.4f}, {soups[1]:+.4f} against v6.2; the best epoch {gain:+.4f})" in card


def test_round25_and_tta_figures_are_their_jsons():
    """Round 25: more simulated disease fails or loses; the zooms help the heart only; the v7 gain tracks the
    lungs over the heart."""
    card, readme = flat_card(), flat(LOG)
    r = load("validation_choice_round25.json")["results"]
    best = r["v7W_best"]
    assert not passes_rule(best) and f"fails the rule by its clean films ({best['clean']:.4f})" in card
    assert all(passes_rule(r[k]) for k in ("v7W_last", "soupW50", "soupW70"))
    gains = [r[k]["v7_pneumonia_vs_v62"]["mean"] for k in ("v7W_last", "soupW50", "soupW70")]
    v64 = r["v64"]["v7_pneumonia_vs_v62"]["mean"]
    assert max(gains) < v64
    assert (f"v7 pneumonia {gains[0]:+.4f} for the last epoch, {gains[1]:+.4f} and {gains[2]:+.4f} for the averages, "
            f"against v6.4's {v64:+.4f}") in card  # fmt: skip
    tta, plain = r["v64_tta"], r["v64"]
    assert passes_rule(tta) and tta["heart"] > plain["heart"] and tta["clean"] == plain["clean"]
    assert f"the heart gains ({plain['heart']:.4f} -> {tta['heart']:.4f})" in card
    assert f"raises the heart's Dice from {plain['heart']:.4f} to {tta['heart']:.4f}" in readme
    c = load("v7_vs_lung_over_heart.json")
    assert f"across the {c['n_candidates']} distinct candidates" in card
    assert f"(Pearson r {c['pearson_r']}, slope {c['slope']} Dice" in card
    assert c["pearson_r"] > 0.5 and c["slope"] > 0


def test_int8_parity_md_and_readme_are_its_json():
    """#11: int8 is kept opt-in because of the sick children's films; the README quotes the parity run."""
    sys.path.insert(0, str(BENCH))
    from int8_parity import render

    result = load("int8_parity.json")
    assert (BENCH / "int8_parity.md").read_text() == render(result)
    sets, readme = result["sets"], flat(LOG)
    sick = sets["v7_pneumonia"]
    assert sick["fp32_dice"] - sick["int8_dice"] > 0.001 or sick["min_agreement"] < 0.995  # why it stays opt-in
    assert (f"pneumonia films {sick['fp32_dice']} -> {sick['int8_dice']}, and one of them agrees with the fp32 mask "
            f"at only Dice {sick['min_agreement']}") in readme  # fmt: skip
    m = sets["montgomery_test"]
    assert f"Montgomery {m['fp32_dice']} -> {m['int8_dice']}" in readme
    assert m["fp32_dice"] == load("accuracy.json")["results"]["shipped"]["montgomery_test"]["dice_mean"]


def test_readme_speed_figures_of_both_vms():
    """#11: the run on the VM with AVX-512 (speed.json) and the one before without it (history/speed_avx2.json);
    the fp32 ceiling is the model's arithmetic at the measured matmul peak."""
    readme = flat(LOG)
    s, a = load("speed.json"), json.loads((BENCH / "history" / "speed_avx2.json").read_text())
    assert "AVX-512 yes" in s["machine"] and "AVX-512 no" in a["machine"]
    m = s["model"]
    ceiling = m["matmul_gflops_fp32"] / m["default_gflop"]
    assert f"allows at most {ceiling:.1f} images/s" in readme and ceiling < 40
    rates = [a[k]["png512"]["images_per_s"] for k in ("new", "new_onnxruntime", "new_onnxruntime_int8")]
    assert "{} / {} / {} images/s at 512 px".format(*rates) in readme
    assert (BENCH / "history" / "speed_avx2.md").read_text().startswith("# Speed end to end")


def test_round26_seed_control_figures_are_its_json():
    """Round 26: round 21 with another seed; nothing passes, and the v7 gains swing by more than v6.4's gain."""
    card = flat_card()
    r = load("validation_choice_round26.json")["results"]
    cands = ("v7X_best", "v7X_last", "soupX50", "soupX70")
    assert not any(passes_rule(r[k]) for k in cands)
    best, last = (r[k]["v7_pneumonia_vs_v62"]["mean"] for k in ("v7X_best", "v7X_last"))
    assert f"the same recipe now gives {best:+.4f} (best epoch) and {last:+.4f} (last)" in card
    assert f"by its heart ({r['v7X_best']['heart']:.4f})" in card
    assert f"by their heart ({r['soupX50']['heart']:.4f}, {r['soupX70']['heart']:.4f})" in card
    r21 = load("validation_choice_round21.json")["results"]
    seed0 = [r21[k]["v7_pneumonia_vs_v62"]["mean"] for k in ("v7T_best", "v7T_last")]
    assert f"where seed 0 gave {seed0[0]:+.4f} and {seed0[1]:+.4f}" in card
    assert max(best, last) < seed0[0]
    sick = load("history/pathology_shape_round16.json")["results"]["lungseg-unet-default"]["real"]["v7_pediatric"]
    sick = sick["groups"]["pneumonia"]  # v6.4 as it shipped, with round 16's shape model
    v62 = json.loads((BENCH / "history" / "pathology_v6.2.json").read_text())["results"]["lungseg-unet-default"]
    v62_sick = v62["real"]["v7_pediatric"]["groups"]["pneumonia"]["dice_mean"]
    assert f"v7 pneumonia {sick['dice_mean']:.4f} against v6.2's {v62_sick:.4f}" in card
    soups = load("validation_choice_round26_soups.json")["results"]
    pair = [soups[k] for k in ("soup64X50", "soup64X70")]
    assert not any(passes_rule(m) for m in pair)
    assert all(f"heart {m['heart']:.4f} for both" in card for m in pair)
    gains = [m["v7_pneumonia_vs_v62"]["mean"] for m in pair]
    assert f"v7 pneumonia {gains[0]:+.4f} and {gains[1]:+.4f}, below v6.4's own" in card and max(gains) < seed0[0]


def test_round27_ema_figures_are_its_json():
    """Round 27: round 21 with a moving average; smooth, keeps the clean films, fails by the heart, no v7 gain."""
    card = flat_card()
    r = load("validation_choice_round27.json")["results"]
    best, last, v64 = r["v7Y_best"], r["v7Y_last"], r["v64"]
    assert not passes_rule(best) and not passes_rule(last)
    assert f"fails the rule by its heart ({best['heart']:.4f}, {last['heart']:.4f})" in card
    gains = [m["v7_pneumonia_vs_v62"]["mean"] for m in (best, last)]
    assert f"(v7 pneumonia {gains[0]:+.4f} and {gains[1]:+.4f} against v6.2;" in card and max(gains) < 0
    sim = f"({best['simulated_mean']:.4f} against v6.4's {v64['simulated_mean']:.4f})"
    assert f"gains on simulated disease {sim}" in card
    rows = (BENCH / "round27_log.csv").read_text().splitlines()[1:]
    dice = [float(line.split(",")[3]) for line in rows]
    assert len(dice) == 8 and f"(working-size lung Dice {min(dice):.4f}-{max(dice):.4f}" in card


def test_readme_big_film_on_the_avx512_vm_is_its_json():
    """#11: the 5000x6000 film's nine fresh runs on the VM with AVX-512, each within the targets."""
    readme = flat(LOG)
    b = load("big_film_avx512.json")["results"]["lungseg-unet-default"]
    f, m = b["film_5000x6000_s"], b["first_mask_s"]
    assert f"median **{f['median']} s** ({f['min']}-{f['max']}), {b['peak_mb_max']} MB at most" in readme
    assert f"first mask {m['median']} s ({m['min']}-{m['max']}): within #11's" in readme
    assert max(f["runs"]) <= 1.5 and b["peak_mb_max"] <= 400 and max(m["runs"]) <= 1.5


def test_tta_test_figures_are_the_evaluate_summaries():
    """--tta on the Wingspan test films, after the validation choice: quoted as measured, and no better there."""
    a, b = load("tta_wingspan_test_plain.json"), load("tta_wingspan_test_tta.json")
    assert a["tta"] == [] and b["tta"] == [0.9, 1.0, 1.1] and a["n_images"] == b["n_images"] == 47
    quoted = (f"heart {a['heart_dice_mean']:.4f} -> {b['heart_dice_mean']:.4f}, CTR error "
              f"{a['ctr_error_mean']:.4f} -> {b['ctr_error_mean']:.4f}")  # fmt: skip
    assert quoted in flat(LOG) and quoted in flat_card()
    assert f"lungs {a['dice_mean']:.4f} -> {b['dice_mean']:.4f}" in flat(LOG)
    assert b["ctr_error_mean"] >= a["ctr_error_mean"]  # why it stays off


def test_round28_third_seed_figures_are_its_json():
    """Round 28: a third seed of round 21 passes the rule and gains nothing on the children's films."""
    card = flat_card()
    r = load("validation_choice_round28.json")["results"]
    best, last = r["v7Z_best"], r["v7Z_last"]
    assert passes_rule(best) and passes_rule(last)
    heart, clean = f"{best['heart']:.4f} and {last['heart']:.4f}", f"{best['clean']:.4f} and {last['clean']:.4f}"
    assert f"(heart {heart}, clean {clean})" in card
    gains = [m["v7_pneumonia_vs_v62"]["mean"] for m in (best, last)]
    assert f"(v7 pneumonia {gains[0]:+.4f} and {gains[1]:+.4f} against v6.2)" in card
    seeds = [load(f)["results"][k]["v7_pneumonia_vs_v62"]["mean"] for f, k in (
        ("validation_choice_round21.json", "v7T_best"), ("validation_choice_round26.json", "v7X_best"),
        ("validation_choice_round28.json", "v7Z_best"))]  # fmt: skip
    assert "epochs of round 21's recipe score {:+.4f}, {:+.4f} and {:+.4f}".format(*seeds) in card
    assert seeds[0] == max(seeds) and seeds[0] - sorted(seeds)[1] > 0.005  # v6.4's draw is the outlier


def test_openvino_probe_md_and_readme_are_its_json():
    """#11: OpenVINO's bf16 was measured and not adopted (its telemetry); ONNX Runtime's is turned off."""
    sys.path.insert(0, str(BENCH))
    from openvino_probe import render

    result = load("openvino_probe.json")
    assert (BENCH / "openvino_probe.md").read_text() == render(result)
    speedup = result["onnxruntime_fp32_ms"] / result["openvino_bf16_ms"]
    assert f"default model {speedup:.1f}x faster in bf16" in flat(LOG)
    assert result["import"]["onnxruntime_opted_out"]["files"] == []  # what lungseg.telemetry relies on
    assert result["import"]["onnxruntime"]["files"] and result["import"]["openvino"]["files"]


def test_round29_ensemble_figures_are_its_json():
    """Round 29: an ensemble of the seeds passes the rule and gains less on the children's films than v6.4."""
    card = flat_card()
    r = load("validation_choice_round29.json")["results"]
    e3, e4, v64 = r["ens3"], r["ens4"], r["v64"]
    assert passes_rule(e3) and passes_rule(e4)
    assert f"(clean {e3['clean']:.4f} and {e4['clean']:.4f}, heart {e3['heart']:.4f} and {e4['heart']:.4f}," in card
    gains = [m["v7_pneumonia_vs_v62"]["mean"] for m in (e3, e4, v64)]
    assert f"(v7 pneumonia {gains[0]:+.4f} and {gains[1]:+.4f} against v6.2, v6.4 {gains[2]:+.4f})" in card
    assert max(gains[:2]) < gains[2]
    assert v64 == load("validation_choice_round28.json")["results"]["v64"]  # the same fp32 run of v6.4


def test_round30_shape_model_from_real_failures_figures_are_their_jsons():
    """Round 30: the shape model trained on a lung model's real losses beats round 16's on validation at the shipped
    setting; it ships with the same settings; the card's and README's test figures."""
    sys.path.insert(0, str(BENCH))
    from shape_model import choose, render


    new, base = load("shape_model_image_children_real.json"), load("shape_model_image_v64.json")
    for name, data in (("shape_model_image_children_real", new), ("shape_model_image_v64", base)):
        assert (BENCH / f"{name}.md").read_text() == render(data) and data["chosen"] == choose(data["results"])
    assert "--real-failures runs/v1_default.pt" in new["command"] and base["results"]["none"] == new["results"]["none"]
    shipped = "t0.5_g0.0_f0.05_w1"  # round 16's settings, kept by round 30 (round 32 changed them)
    n, b, top = new["results"][shipped], base["results"][shipped], new["results"][new["chosen"]]
    gn, gb, gt = (r["v7_pneumonia_vs_none"] for r in (n, b, top))
    card = flat_card()
    assert (f"v7 pneumonia {interval(gn)} ({gn['films_up']} films up, {gn['films_down']} down) against round 16's "
            f"{interval(gb)}, clean {n['clean']:.4f}") in card  # fmt: skip
    assert gn["ci95"][0] > gb["ci95"][1] - 0.001 and gn["mean"] > 2 * gb["mean"]  # a real gain over round 16's
    assert f"(`{new['chosen']}`, no floor) scores {interval(gt)}, within the interval" in card
    assert gn["ci95"][0] <= gt["mean"] <= gn["ci95"][1]
    assert n["clean"] >= b["clean"] and n["simulated_mean"] >= b["simulated_mean"] - 0.0005
    acc = load("history/accuracy_shape_round30.json")["results"]["shipped"]
    old = load("history/accuracy_shape_round16.json")["results"]
    sick = [load(f)["results"]["lungseg-unet-default"]["real"]["v7_pediatric"]["groups"]["pneumonia"]
            for f in ("history/pathology_shape_round16.json", "history/pathology_shape_round30.json")]  # fmt: skip
    assert f"v7 pneumonia\n{sick[0]['dice_mean']:.4f} -> {sick[1]['dice_mean']:.4f}".replace("\n", " ") in card
    assert f"go from {sick[0]['dice_mean']:.4f} to {sick[1]['dice_mean']:.4f}" in flat(LOG)
    for name, key in (("Montgomery", "montgomery_test"), ("Shenzhen", "shenzhen_test"), ("Wingspan", "wingspan_test")):
        before, after = old["shipped"][key]["dice_mean"], acc[key]["dice_mean"]
        assert f"{name} {before:.4f} -> {after:.4f}" in card and after >= before - 0.0003


def test_round31_two_failing_models_figures_are_its_json():
    """Round 31: a second failing model's lungs in the shape model's training gain nothing over round 30."""
    sys.path.insert(0, str(BENCH))
    from shape_model import choose, render

    data = load("shape_model_image_children_real2.json")
    assert (BENCH / "shape_model_image_children_real2.md").read_text() == render(data)
    assert data["chosen"] == choose(data["results"]) and "runs/v1_default.pt runs/v4_default.pt" in data["command"]
    key = "t0.5_g0.0_f0.05_w1"
    new, r30 = data["results"][key], load("shape_model_image_children_real.json")["results"][key]
    g, g30 = new["v7_pneumonia_vs_none"], r30["v7_pneumonia_vs_none"]
    assert f"v7 pneumonia {interval(g)} ({g['films_up']} films up, {g['films_down']} down) against round 30's " \
           f"{interval(g30)}" in flat_card()  # fmt: skip
    assert g["mean"] <= g30["mean"] and new["simulated_mean"] <= r30["simulated_mean"]  # "no better"
