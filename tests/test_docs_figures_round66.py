"""Figures against the JSON they come from: rounds 66 (the polarity check judges the crop) and 67 (a polarity model
that has seen small films in a black field) of #9."""

import sys

import lungseg.inference.body_crop as body_crop
from lungseg.model.pretrained import POLARITY_MODEL, PRETRAINED, sha256_of, weights_path

from .test_docs_figures import BENCH, LOG, flat, flat_card, load, renamed_speed_run


def cases(name: str) -> dict:
    return {(c["scale"], c["sigma"]): c["max_share"]["0.8"] for c in load(name)["cases"]}


def test_round66_passes_its_criterion_on_validation_as_the_card_tells_it():
    assert body_crop.POLARITY_ON_CROP is True
    off, on = cases("small_chest_r66off.json"), cases("history/small_chest_before71.json")  # round 71 moved it
    noisy, clean, wider = ((off[c], on[c]) for c in ((0.45, 0.01), (0.45, 0.0), (0.6, 0.01)))
    assert noisy[1]["under_0.90"] <= noisy[0]["under_0.90"] - 2 and noisy[1]["mean"] >= noisy[0]["mean"] + 0.01
    assert clean[1]["mean"] >= clean[0]["mean"] - 0.0005 and wider[1]["mean"] >= wider[0]["mean"] - 0.0005
    card = flat_card()
    assert (f"the noisy 45% case {noisy[0]['mean']} -> {noisy[1]['mean']} (films under 0.90: {noisy[0]['under_0.90']} "
            f"-> {noisy[1]['under_0.90']}), without noise {clean[0]['mean']} -> {clean[1]['mean']} "
            f"({clean[0]['under_0.90']} -> {clean[1]['under_0.90']}), 60% with noise unchanged") in card  # fmt: skip
    assert wider[0]["mean"] == wider[1]["mean"]
    sys.path.insert(0, str(BENCH))
    from small_chest import render

    assert (BENCH / "small_chest_r66off.md").read_text() == render(load("small_chest_r66off.json"))


def test_round67_polarity_model_on_small_films_as_the_card_tells_it():
    sys.path.insert(0, str(BENCH))
    from polarity_small_field import render

    result = load("polarity_small_field_r67.json")
    assert (BENCH / "polarity_small_field_r67.md").read_text() == render(result)
    totals = {m: sum(len(r[m]["upright_called_inverted"]) + len(r[m]["inverted_missed"]) for r in result["rows"])
              for m in ("shipped", "new")}  # fmt: skip
    assert totals["new"] <= totals["shipped"] / 2  # the criterion's first clause
    assert f"{totals['shipped']} -> {totals['new']} errors" in flat_card()


def test_the_bundled_polarity_model_is_round67s():
    cfg = PRETRAINED[POLARITY_MODEL]
    assert sha256_of(weights_path(cfg)) == cfg.sha256 and "--small-field" in cfg.training_data
    test = load("polarity_model_small_field.json")["test"]
    assert test["adult_clean"]["upright_called_inverted"] == test["adult_clean"]["inverted_missed"] == 0
    assert test["v7_clean"]["upright_called_inverted"] == test["v7_clean"]["inverted_missed"] == 0
    portable = test["adult_portable"]
    errors = portable["upright_called_inverted"] + portable["inverted_missed"]
    assert f"{errors} of the {2 * portable['n']} flat and shuttered ones" in flat_card()


def test_no_test_film_is_called_inverted_or_cropped_as_the_card_says():
    sys.path.insert(0, str(BENCH))
    from polarity_flip_count import render

    result = load("polarity_flip_count.json")
    assert (BENCH / "polarity_flip_count.md").read_text() == render(result)
    assert len(result["sets"]) == 10  # 4 test sets as they are, 6 simulated diseases
    for row in result["sets"].values():
        assert not row["cropped"] and not row["round42"]["inverted"] and not row["round67"]["inverted"]


def test_the_readme_quotes_rounds_66_and_67():
    readme = flat(LOG)
    old, new = cases("history/small_chest_round65.json"), cases("history/small_chest_before71.json")
    assert (f"{old[0.45, 0.0]['mean']} and {old[0.45, 0.01]['mean']} since round 65, and {new[0.45, 0.0]['mean']} and "
            f"{new[0.45, 0.01]['mean']} since round 66") in readme  # fmt: skip
    rows = load("polarity_small_field_r67.json")["rows"]
    shipped = sum(len(r["shipped"]["upright_called_inverted"]) + len(r["shipped"]["inverted_missed"]) for r in rows)
    assert f"round 42's model erred {shipped} times and this one never" in readme
    assert not any(r["new"]["upright_called_inverted"] or r["new"]["inverted_missed"] for r in rows)
    bad = load("polarity_model_small_field.json")["test"]["adult_corrupted"]
    errors = bad["upright_called_inverted"] + bad["inverted_missed"]
    assert f"{errors} of the {bad['n'] * 2} corrupted ones" in readme


def test_the_test_rerun_after_rounds_66_and_67():
    """On this CPU, rounds 66-67 move one film of the robustness benchmark: the Wingspan film of the tenth row."""
    sys.path.insert(0, str(BENCH))
    from robustness import render

    before, after = (load(f"{n}.json")["perturbations"] for n in ("robustness_before66", "history/robustness_before71"))
    assert (BENCH / "robustness_before66.md").read_text() == render(load("robustness_before66.json"))
    moved = [(k, f) for k in before for (f, d0), (_, d1) in zip(before[k]["dice"], after[k]["dice"], strict=True)
             if d0 != d1]  # fmt: skip
    tenth, film = list(after)[10], "1.2.392.200046.100.2.1.116528309041.170202131112"
    assert moved == [(tenth, film)]
    d0, d1 = dict(before[tenth]["dice"])[film], dict(after[tenth]["dice"])[film]
    dice = [d for _, d in after[tenth]["dice"]]
    under = [f for f, d in after[tenth]["dice"] if d < 0.90]
    clean = dict(after["none"]["dice"])
    assert all(clean[f] < 0.93 for f in under)
    readme = flat(LOG)
    assert f"it scores {d1}, and the row {after[tenth]['mean']} with {len(under)} films under Dice 0.90" in readme
    assert f"the film scored {d0} and nothing else in the file differs" in readme
    card = flat_card()
    assert f"on test the tenth robustness row {before[tenth]['mean']} -> {after[tenth]['mean']}" in card
    assert min(dice) > 0.8


def test_the_speed_run_on_the_amx_cpu_is_quoted():
    s = renamed_speed_run("speed_round67_amx")
    assert "AMX yes" in s["machine"]
    keys = ("new", "new_onnxruntime", "new_onnxruntime_int8")
    rate = {c: " / ".join(str(s[k][c]["images_per_s"]) for k in keys) for c in ("png512", "png2500", "dcm2500")}
    big = [s[k]["png5000"] for k in keys]
    first = " / ".join(str(s[k]["first_mask_s"]) for k in keys)
    m = s["model"]
    readme = flat(LOG)
    assert (f"(2 cores; bf16 matmul peak {m['matmul_gflops_bf16']} GFLOP/s against {m['matmul_gflops_fp32']} in fp32)"
            ) in readme  # fmt: skip
    assert (f"{rate['png512']} images/s at 512 px, {rate['png2500']} for the 16-bit PNGs, {rate['dcm2500']} for the "
            f"DICOMs, {big[0]['seconds']} s / {big[1]['seconds']} s and {big[1]['peak_rss_mb']} MB / "
            f"{big[2]['seconds']} s at 5000x6000, first mask {first} s (the first product commit "
            f"{s['old']['png512']['images_per_s']} images/s at 512 px)") in readme  # fmt: skip
    bound = round(m["default_gflop"] / m["matmul_gflops_fp32"] * 1000, 1)
    assert f"takes {m['default_forward_ms']} ms ({m['default_gflops_achieved']} GFLOP/s; ONNX" in readme
    assert f"needs at least {bound} ms at the fp32 peak)" in readme
    assert s["new"]["png512"]["images_per_s"] > s["new_onnxruntime"]["png512"]["images_per_s"]  # "torch is faster"
    assert all(s["new"][c]["images_per_s"] < s["new_onnxruntime"][c]["images_per_s"] for c in ("png2500", "png5000"))


def test_where_the_completion_loses_on_shuttered_films():
    sys.path.insert(0, str(BENCH))
    from portable_completion_losses import KINDS, render

    result = load("portable_completion_losses.json")
    assert (BENCH / "portable_completion_losses.md").read_text() == render(result)
    rows = load(f"{result['input']}.json")["rows"]
    alone, shipped = dict(rows["lung_model"]["shuttered"]), dict(rows["shipped"]["shuttered"])
    assert set(result["cases"]) == {c for c in alone if shipped[c] < alone[c] - result["below"]}
    assert all(abs(result["sum"][k] - sum(c[k] for c in result["cases"].values())) < 1e-3 for k in KINDS)
    wrong = {k: result["sum"][k] for k in KINDS if k.startswith("added_wrong")}
    card = flat_card()
    assert f"{len(result['cases'])} of the 200 shuttered cases" in card
    bands = sum(c["top_band"] > 0 for c in result["cases"].values())
    assert ("lung added outside the manual lungs in the heart found {added_wrong_heart}, in a flat band at the film's "
            "top {added_wrong_band}").format(**wrong) in card  # fmt: skip
    assert f"one is found in {bands} of the {len(result['cases'])} cases), in the rest of the top 12% of rows" in card
    assert f"{wrong['added_wrong_top']} (above the manual apices), elsewhere {wrong['added_wrong_other']}" in card


def test_round68_fails_its_first_clause_as_the_card_tells_it():
    import lungseg.inference.shape_completion as shape_completion

    assert shape_completion.APEX_CAP is False
    a, b = (load(f"portable_stages_draws4_round{n}.json")["summary"]["shipped"] for n in (65, 68))
    assert b["shuttered"]["mean"] < a["shuttered"]["mean"] + 0.001  # clause 1 fails
    assert all(b[s]["mean"] >= a[s]["mean"] - 0.0005 for s in ("disease", "moved", "flat", "shuttered"))
    old, new = (load(f"shape_failures_round{n}_shipped_lungs.json")["results"]["kp"] for n in (65, 68))
    card = flat_card()
    assert f"shuttered {a['shuttered']['mean']} -> {b['shuttered']['mean']}" in card
    assert (f"portable kind {old['portable']} -> {new['portable']}, v7 pneumonia {old['v7_pneumonia']} -> "
            f"{new['v7_pneumonia']}, simulated mean {old['simulated_mean']} -> {new['simulated_mean']};") in card


def test_round69_fails_its_criterion_as_the_card_tells_it():
    import lungseg.inference.denoise as denoise

    assert denoise.DENOISE is False
    a, b = (load(f"portable_stages_draws4_round{n}.json")["summary"]["shipped"] for n in (65, 69))
    assert (b["flat"]["mean"] + b["shuttered"]["mean"]) / 2 < (a["flat"]["mean"] + a["shuttered"]["mean"]) / 2 + 0.0005
    old, new = (load(f"shape_failures_round{n}_shipped_lungs.json")["results"]["kp"] for n in (65, 69))
    card = flat_card()
    assert (f"flat {a['flat']['mean']} -> {b['flat']['mean']}, shuttered {a['shuttered']['mean']} -> "
            f"{b['shuttered']['mean']} (`benchmarks/portable_stages_draws4_round69.md`), the portable kind "
            f"{old['portable']} -> {new['portable']}") in card  # fmt: skip


def test_the_archive_run_on_the_amx_cpu_is_quoted():
    sys.path.insert(0, str(BENCH))
    from archive_speed import render

    result = load("archive_speed_round67_amx.json")
    assert (BENCH / "archive_speed_round67_amx.md").read_text() == render(result)
    o, t = (result["backends"][b] for b in ("onnxruntime", "torch"))
    rates = [" / ".join(str(x[c]["marginal_films_per_s"]) for c in ("png512", "png2500", "dcm2500")) for x in (o, t)]
    readme = flat(LOG)
    assert f"the marginal rates are {rates[0]} films/s with ONNX Runtime and {rates[1]} with torch" in readme
    ms = [load(f"{n}.json")["model"]["default_forward_ms"] for n in ("speed_round67_amx", "speed_round64")]
    assert f"twice as fast as on the AMD CPU ({ms[0]} against {ms[1]} ms" in readme and 1.8 < ms[1] / ms[0] < 2.2
    amd = load("archive_speed.json")["backends"]["torch"]["png512"]["marginal_films_per_s"]
    assert f"buys torch no more per further film than there ({amd})" in readme
    assert t["png512"]["marginal_films_per_s"] <= amd


def test_round70_fails_its_criterion_as_the_card_tells_it():
    import lungseg.inference.shape_completion as shape_completion

    assert shape_completion.HEART_RATIO_OPEN == 0.0
    a, b = (load(f"portable_stages_draws4_round{n}.json")["summary"]["shipped"] for n in (65, 70))
    assert b["shuttered"]["mean"] < a["shuttered"]["mean"] + 0.001
    old, new = (load(f"shape_failures_round{n}_shipped_lungs.json")["results"]["kp"] for n in (65, 70))
    assert new["v7_pneumonia"] < old["v7_pneumonia"] - 0.0005
    card = flat_card()
    where = "(`benchmarks/portable_stages_draws4_round70.md`)"
    assert f"shuttered {a['shuttered']['mean']} -> {b['shuttered']['mean']} {where}" in card
    assert (f"v7 pneumonia {old['v7_pneumonia']} -> {new['v7_pneumonia']}, v7 normal {old['v7_normal']} -> "
            f"{new['v7_normal']}") in card  # fmt: skip


def test_the_childrens_misses_lie_below_the_base_as_the_card_says():
    sys.path.insert(0, str(BENCH))
    from v7_misses import render

    result = load("v7_misses.json")
    assert (BENCH / "v7_misses.md").read_text() == render(result)
    m, worst = result["mean"], result["worst"]
    assert len(result["films"]) == result["n_images"] == 100 and len(worst) == 10
    more_below = sum(r["missed_below_base"] > r["missed_elsewhere"] for r in worst.values())
    assert m["missed_below_base"] > 2 * m["missed_elsewhere"]
    card = flat_card()
    in_heart = sum(r["below_base_in_heart"] < 0.5 for r in worst.values())
    assert f"reach {m['dice']} as shipped" in card and f"({more_below} of the ten miss more below the base" in card
    assert f"{m['below_base_in_heart']} (mean over films) lies inside the heart found" in card
    assert f"on {in_heart} of the ten worst films less than half of it does" in card
    assert f"{m['missed_below_base']} of the reference lung (mean over films) is missed below the base" in card


def test_below_base_marks_the_rows_under_the_lowest_lung_pixel():
    sys.path.insert(0, str(BENCH))
    import numpy as np
    from v7_misses import below_base, shares

    found = np.zeros((6, 3), bool)
    found[1:3, 0] = True  # column 0: lowest lung row 2; column 1: none; column 2: lowest row 4
    found[4, 2] = True
    np.testing.assert_array_equal(below_base(found)[:, 0], [0, 0, 0, 1, 1, 1])
    assert below_base(found)[:, 1].all() and below_base(found)[:, 2].tolist() == [0, 0, 0, 0, 0, 1]
    reference = found.copy()
    reference[3:5, 0] = True  # two rows missed below the base, nothing else
    heart = np.zeros_like(found)
    heart[4:, :] = True  # one of the two missed pixels below the base
    s = shares(found, reference, heart)
    assert s["missed_below_base"] == round(2 / 5, 4) and s["missed_elsewhere"] == 0 and s["extra"] == 0
    assert s["below_base_in_heart"] == 0.5
