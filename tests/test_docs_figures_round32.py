"""Figures against the JSON they come from: round 32 of #9 (the shape model that also takes away what is not lung)
and, for #11, which layers int8 keeps in fp32."""

import sys

from .test_docs_figures import BENCH, flat, interval, load


def shape_benchmark():
    sys.path.insert(0, str(BENCH))
    from shape_model import choose, render

    return choose, render


def test_round32_choice_on_validation_is_its_json_and_the_shipped_settings():
    choose, render = shape_benchmark()
    from lungseg.inference import shape_completion as c

    new, r30 = load("shape_model_image_children_real_extras.json"), load("shape_model_image_round30_judged.json")
    for name, data in (("shape_model_image_children_real_extras", new), ("shape_model_image_round30_judged", r30)):
        assert (BENCH / f"{name}.md").read_text() == render(data) and data["chosen"] == choose(data["results"])
    assert new["command"].endswith("--real-failures runs/v1_default.pt --extras") and new["results"]["none"] == \
        r30["results"]["none"]  # fmt: skip
    shipped = f"t{c.THRESHOLD}_g{c.MIN_GAIN}_f{c.FLOOR}" + (f"_w{c.MIN_WIDTH}" if c.MIN_WIDTH else "")
    assert new["chosen"] == f"{shipped}_r{c.REMOVE_BELOW}_rw{c.REMOVE_WIDTH}" == "t0.5_g0.02_f0.2_r0.3_rw1"
    chosen, grown, none = (new["results"][k] for k in (new["chosen"], shipped, "none"))
    before = r30["results"]["t0.5_g0.0_f0.05_w1"]  # round 30's weights at round 30's settings
    gain = chosen["v7_pneumonia_vs_none"]
    card = flat("MODEL_CARD.md")
    assert f"bubble films {none['bubble']:.4f} -> {chosen['bubble']:.4f} (round 30's weights at their setting " \
           f"{before['bubble']:.4f})" in card  # fmt: skip
    assert f"v7 pneumonia {interval(gain)} ({gain['films_up']} films up, {gain['films_down']} down; round 30's " \
           f"{before['v7_pneumonia_vs_none']['mean']:+.4f})" in card  # fmt: skip
    assert f"clean {chosen['clean']:.4f} (round 30's {before['clean']:.4f})" in card
    assert f"lung over the heart {chosen['lung_over_heart']:.4f} ({before['lung_over_heart']:.4f})" in card
    assert f"{none['bubble']:.4f} with no completion, {before['bubble']:.4f} with it" in card
    assert chosen["bubble"] > grown["bubble"] > before["bubble"] - 0.001  # taking away is what gains there
    for key, row in r30["results"].items():  # round 30's weights take nothing away at any setting
        if "_r" in key:
            grown_only = r30["results"][key.split("_r")[0]]
            assert row == grown_only


def test_round32_test_figures_are_their_jsons():
    acc = load("accuracy.json")["results"]["shipped"]
    old = load("history/accuracy_shape_round30.json")["results"]["shipped"]
    card, readme = flat("MODEL_CARD.md"), flat("README.md")
    for name, key in (("Shenzhen", "shenzhen_test"), ("Montgomery", "montgomery_test"), ("Wingspan", "wingspan_test")):
        before, after = old[key]["dice_mean"], acc[key]["dice_mean"]
        assert f"{name} {before:.4f} -> {after:.4f}" in card
    tb = [r["shenzhen_test"]["groups"]["abnormal"]["dice_mean"] for r in (old, acc)]
    assert f"(TB films {tb[0]:.4f} -> {tb[1]:.4f};" in card
    film = load("bubble_film_round32.json")
    before = load("bubble_film_round22_v64.json")["dice_mean"]
    assert f"CHNCXR_0377_1 {before:.4f} -> {film['dice_mean']:.4f}" in card and film["worst"] == ["CHNCXR_0377_1"]
    assert f"0.7933 -> {film['dice_mean']:.4f}" in readme and film["model"] == "lungseg-unet-default"
    sick = [load(f)["results"]["lungseg-unet-default"] for f in ("history/pathology_shape_round30.json",
                                                                  "pathology.json")]  # fmt: skip
    v7 = [s["real"]["v7_pediatric"]["groups"] for s in sick]
    for group in ("pneumonia", "normal"):
        text = f"{group} {v7[0][group]['dice_mean']:.4f} -> {v7[1][group]['dice_mean']:.4f}"
        assert text in card and text in readme
    moves = [sick[1]["simulated"][k]["dice_mean"] - sick[0]["simulated"][k]["dice_mean"] for k in sick[0]["simulated"]]
    assert f"gain up to {max(moves):+.4f}" in card and f"{min(moves):+.4f} to {max(moves):+.4f}" in card
    unseen = [sick[1]["simulated"][k] for k in ("mass", "nodules", "lobar")]
    assert all(k["dice_min"] >= 0.85 and k["dice_mean"] >= 0.95 for k in unseen)  # #9's target (b), met
    lows = [sick[0]["simulated"][k]["dice_min"] for k in ("mass", "nodules", "lobar")]
    assert max(lows) < 0.85 and f"lowest image {min(k['dice_min'] for k in unseen):.4f}" in card
    means = [k["dice_mean"] for k in unseen]
    assert f"(mean {min(means):.4f}-{max(means):.4f}" in card


def test_int8_layer_choice_is_its_json_and_what_export_does():
    sys.path.insert(0, str(BENCH))
    from int8_layers import render

    data = load("int8_layers.json")
    assert (BENCH / "int8_layers.md").read_text() == render(data)
    every, shipped = data["variants"]["all int8"], data["variants"]["first convolution fp32 (shipped)"]
    assert shipped["fp32_nodes"] == ["/inc/inc.0/Conv"] and every["fp32_nodes"] == []
    assert shipped["min_dice"] > every["min_dice"] and shipped["films_below_0.995"] < every["films_below_0.995"]
    readme = flat("README.md")
    assert f"fp32's mask {every['min_dice']} -> {shipped['min_dice']}, films below 0.995 " \
           f"{every['films_below_0.995']} -> {shipped['films_below_0.995']}, the forward pass " \
           f"{every['forward_ms']} -> {shipped['forward_ms']} ms" in readme  # fmt: skip
    doc = flat("src/lungseg/inference/quantize.py")
    assert f"{every['min_dice']} with it quantised, {shipped['min_dice']} without" in doc
    assert f"{every['forward_ms']} -> {shipped['forward_ms']} ms, fp32 {data['fp32_ms']}" in doc


def test_both_speed_runs_of_round32_are_quoted():
    readme = flat("README.md")
    old = "the unchanged first product commit: {} images/s", "(the first product commit {})"
    for name, first in zip(("speed.json", "history/speed_round32_first_run.json"), old, strict=True):
        s = load(name)
        rates = [s[k]["png512"]["images_per_s"] for k in ("new", "new_onnxruntime", "new_onnxruntime_int8")]
        assert "{} / {} / {}".format(*rates).replace("/ 22.18", "/ **22.18**") in readme
        assert first.format(s["old"]["png512"]["images_per_s"]) in readme
    assert f"{load('speed.json')['model']['matmul_gflops_fp32']} GFLOP/s against 189.7" in readme
