"""Figures against the JSON they come from: round 35 of #9 (the shape model may grow lung into the heart found)."""

from .test_docs_figures import BENCH, flat, interval, load
from .test_docs_figures_round32 import ROUND33, shape_benchmark

NAME = "shape_model_image_round35_heart"


def shipped_key() -> str:
    """The package's shape-model settings as a key of the judging's results."""
    from lungseg.inference import shape_completion as c

    grow = f"t{c.THRESHOLD}_g{c.MIN_GAIN}_f{c.FLOOR}" + (f"_w{c.MIN_WIDTH}" if c.MIN_WIDTH else "")
    return grow + ("" if c.HEART_BLOCKS else "_nh") + f"_r{c.REMOVE_BELOW}_rw{c.REMOVE_WIDTH}"


def test_round35_choice_is_its_json_and_the_shipped_settings():
    choose, render = shape_benchmark()
    data = load(f"{NAME}.json")
    assert (BENCH / f"{NAME}.md").read_text() == render(data)
    assert data["chosen"] == choose(data["results"]) == shipped_key() == "t0.5_g0.02_f0.05_nh_r0.5_rw1"
    assert "--heart-grid" in data["command"] and data["command"] in flat("MODEL_CARD.md")
    assert data["results"]["none"] == load("shape_model_image_round33_judged.json")["results"]["none"]


def test_round35_validation_figures_in_the_card():
    data = load(f"{NAME}.json")["results"]
    a, b = load("shape_model_image_round33_judged.json")["results"][ROUND33], data["t0.5_g0.02_f0.05_nh_r0.5_rw1"]
    ga, gb = a["v7_pneumonia_vs_none"], b["v7_pneumonia_vs_none"]
    text = (f"v7 pneumonia {interval(gb)} ({interval(ga)}; {gb['films_up']} films up, {gb['films_down']} down), v7 "
            f"normal {a['v7_normal']:.4f} -> {b['v7_normal']:.4f}, clean {a['clean']:.4f} -> {b['clean']:.4f}, "
            f"simulated {a['simulated_mean']:.4f} -> {b['simulated_mean']:.4f}, lung over the manual heart of the 16 "
            f"Wingspan films {a['lung_over_heart']:.4f} -> {b['lung_over_heart']:.4f}, the bubble films "
            f"{a['bubble']:.4f} -> {b['bubble']:.4f}, the large-bubble films {a['bubble_large']:.4f} -> "
            f"{b['bubble_large']:.4f}")
    assert text in flat("MODEL_CARD.md")


def test_round35_test_figures_in_the_card():
    card = flat("MODEL_CARD.md")
    acc, old = (load(f)["results"]["shipped"] for f in ("accuracy.json", "history/accuracy_shape_round33.json"))
    for label, key in (("Montgomery", "montgomery_test"), ("Shenzhen", "shenzhen_test"), ("Wingspan", "wingspan_test")):
        assert f"{label} {old[key]['dice_mean']:.4f} -> {acc[key]['dice_mean']:.4f}" in card
    tb = [r["montgomery_test"]["groups"]["abnormal"]["dice_mean"] for r in (old, acc)]
    assert f"(TB films {tb[0]:.4f} -> {tb[1]:.4f}:" in card
    new, before = (load(f)["results"]["lungseg-unet-default"] for f in ("pathology.json",
                                                                         "history/pathology_shape_round33.json"))
    v7 = [r["real"]["v7_pediatric"]["groups"] for r in (before, new)]
    assert f"v7 pneumonia {v7[0]['pneumonia']['dice_mean']:.4f} -> {v7[1]['pneumonia']['dice_mean']:.4f} (worst " \
           f"film {v7[0]['pneumonia']['dice_min']:.3f} -> {v7[1]['pneumonia']['dice_min']:.3f}), v7 normal " \
           f"{v7[0]['normal']['dice_mean']:.4f} -> {v7[1]['normal']['dice_mean']:.4f}" in card  # fmt: skip
    unseen = [new["simulated"][k] for k in ("mass", "nodules", "lobar")]
    low = min(k["dice_min"] for k in unseen)
    means = [k["dice_mean"] for k in unseen]
    assert low >= 0.85 and min(means) >= 0.95  # #9's target (b)
    assert f"mean {min(means):.4f}-{max(means):.4f}, lowest image {low:.4f}" in card
    bubble = dict(new["real"]["shenzhen"]["worst"])["CHNCXR_0377_1"]
    assert f"(CHNCXR_0377_1 0.8440 -> {bubble:.4f})" in card
