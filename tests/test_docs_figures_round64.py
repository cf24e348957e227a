"""Figures against the JSON they come from: round 64 of #9 (a small chest segmented from a crop of the body)."""

import sys

import lungseg.inference.body_crop as body_crop

from .test_docs_figures import BENCH, LOG, flat, flat_card, load, renamed_speed_run

TENTH = "small in a corner of a noisy black field (70%, sigma 0.01)"
ZOOM = "zoom out 20% (wider field)"


def small_chest(name: str) -> dict:
    return {(c["scale"], c["sigma"]): c["max_share"] for c in load(name)["cases"]}


def test_round64_passes_its_criterion_on_validation_as_the_card_tells_it():
    assert body_crop.CROP is True
    assert load("portable_stages_draws4_round64.json")["rows"] == load("portable_stages_draws4_round62.json")["rows"]
    a, b = (load(f"shape_failures_round{n}_shipped_lungs.json")["results"]["kp"] for n in (62, 64))
    assert {k: v for k, v in a.items() if k != "checkpoint"} == {k: v for k, v in b.items() if k != "checkpoint"}
    before, after = (
        load(f"{n}.json")["perturbations"] for n in ("history/robustness_val_round62", "history/robustness_val_round64")
    )
    assert all(after[k] == before[k] for k in before if k != TENTH) and after[TENTH]["mean"] > before[TENTH]["mean"]
    assert load("robustness_val_round64.json")["perturbations"] == after  # the judged run is the shipped one
    old, new = small_chest("history/small_chest_round62.json"), small_chest("history/small_chest_round64.json")
    noisy, clean, wider = ((old[c]["0.8"], new[c]["0.8"]) for c in ((0.45, 0.01), (0.45, 0.0), (0.6, 0.01)))
    assert noisy[1]["mean"] > noisy[0]["mean"] + 0.02 and clean[1]["mean"] > clean[0]["mean"] + 0.01  # the criterion
    card = flat_card()
    assert (f"a chest at 45% in a noisy black field {noisy[0]['mean']} -> {noisy[1]['mean']} (films under 0.90: "
            f"{noisy[0]['under_0.90']} -> {noisy[1]['under_0.90']}), without noise {clean[0]['mean']} -> "
            f"{clean[1]['mean']} ({clean[0]['under_0.90']} -> {clean[1]['under_0.90']}), at 60% with noise "
            f"{wider[0]['mean']} -> {wider[1]['mean']};") in card  # fmt: skip
    assert f"the tenth robustness row {before[TENTH]['mean']} -> {after[TENTH]['mean']}, the other" in card
    assert f"the noisy 45% case would reach {new[(0.45, 0.01)]['0.9']['mean']}" in card
    readme = flat(LOG)
    assert f"{clean[1]['mean']} and {noisy[1]['mean']} with the body crop" in readme


def test_small_chest_md_renders_from_its_json():
    sys.path.insert(0, str(BENCH))
    from small_chest import render

    assert (BENCH / "history" / "small_chest_round64.md").read_text() == render(
        load("history/small_chest_round64.json")
    )


def test_round64_test_figures_after_the_rerun():
    old, new = (
        load(f"{n}.json")["perturbations"] for n in ("history/robustness_round62", "history/robustness_round64")
    )
    alone_old, alone = (load(f"{n}.json")["perturbations"][TENTH] for n in (
        "history/robustness_no_completion_round62", "history/robustness_no_completion_round64"))  # fmt: skip
    assert all(new[k] == old[k] for k in old if k not in (TENTH, ZOOM))
    film = "MCUCXR_0060_0"
    t_old, t_new = (dict(r[TENTH]["dice"])[film] for r in (old, new))
    z_old, z_new = (dict(r[ZOOM]["dice"])[film] for r in (old, new))
    a_old, a_new = (dict(r["dice"])[film] for r in (alone_old, alone))
    card = flat_card()
    assert (f"on test the tenth robustness row {old[TENTH]['mean']} -> {new[TENTH]['mean']} ({film} {t_old} -> "
            f"{t_new}; the lung model alone, `--no-completion`, {a_old} -> {a_new}:") in card  # fmt: skip
    assert f"zoomed out 20% {old[ZOOM]['mean']} -> {new[ZOOM]['mean']} ({film} {z_old} -> {z_new})" in card
    q_old, q_new = (load(f"{n}.json")["eval"] for n in ("history/quality_round62", "history/quality_round64"))
    assert q_old["n_bad"] == q_new["n_bad"]
    assert (
        f"Spearman {q_old['quality']['spearman']} -> {q_new['quality']['spearman']} and AUROC "
        f"{q_old['quality']['auroc_bad']} -> {q_new['quality']['auroc_bad']} (the same {q_new['n_bad']} cases"
    ) in card
    p_old, p_new = (
        load(f"{n}.json") for n in ("history/portable_stages_test_round62", "history/portable_stages_test_round64")
    )
    assert p_old["summary"] == p_new["summary"]  # "no mean at four decimals"
    under = sum(d < 0.90 for _, d in new[TENTH]["dice"])
    readme = flat(LOG)
    assert under == 12 and f"its logits put back on the whole film ({new[TENTH]['mean']:.4f})" in readme
    assert f"scored {t_old:.4f} before the crop, {t_new:.4f} with it" in readme
    assert f"the lung model alone, `--no-completion`, scored {a_new}," in readme


def test_the_worst_films_report_now():
    worst = load("history/robustness_worst_round64.json")
    rows = load("history/robustness_round64.json")["perturbations"]
    dice = dict(rows[worst["perturbation"]]["dice"])
    assert set(worst["films"]) == {n for n, d in dice.items() if d < worst["below"]}
    assert all(r["dice"] == dice[n] for n, r in worst["films"].items())  # the same draws
    sys.path.insert(0, str(BENCH))
    from robustness_worst import render

    assert (BENCH / "history" / "robustness_worst_round64.md").read_text() == render(worst)


def test_the_speed_rerun_after_round64_is_quoted():
    s = renamed_speed_run("speed_round64")
    keys = ("new", "new_onnxruntime", "new_onnxruntime_int8")
    rate = {c: " / ".join(str(s[k][c]["images_per_s"]) for k in keys) for c in ("png512", "png2500", "dcm2500")}
    big = [s[k]["png5000"] for k in keys]
    first = " / ".join(str(s[k]["first_mask_s"]) for k in keys)
    fast = s["new_onnxruntime_fast"]
    assert (f"fp32 matmul peak {s['model']['matmul_gflops_fp32']} GFLOP/s): {rate['png512']} images/s at 512 px, "
            f"{rate['png2500']} for the 16-bit PNGs, {rate['dcm2500']} for the DICOMs, {big[0]['seconds']} s / "
            f"{big[1]['seconds']} s and {big[1]['peak_rss_mb']} MB / {big[2]['seconds']} s at 5000x6000, first mask "
            f"{first} s (the first product commit {s['old']['png512']['images_per_s']} images/s at 512 px); the fast "
            f"model {fast['png512']['images_per_s']} images/s at 512 px and {fast['dcm2500']['images_per_s']} for "
            "the DICOMs") in flat(LOG)  # fmt: skip
