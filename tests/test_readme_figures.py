"""The README's Results and Speed tables, and the figures beside them, against the committed benchmark outputs."""

import json
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "benchmarks"


def load(name: str) -> dict:
    return json.loads((BENCH / name).read_text())


def readme() -> str:
    """The README with line breaks and runs of spaces made single spaces."""
    return " ".join((REPO / "README.md").read_text().split())


def row(label: str) -> list[str]:
    """The cells after the first of the README table row whose first cell starts with ``label``."""
    for line in (REPO / "README.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells[0].startswith(label):
            return cells[1:]
    raise AssertionError(f"no README table row starts with {label!r}")


def test_results_rows_are_accuracy_json():
    shipped = load("accuracy.json")["results"]["shipped"]
    mont, shen, wing = (shipped[k] for k in ("montgomery_test", "shenzhen_test", "wingspan_test"))
    g = mont["groups"]
    assert row("Montgomery test half")[0] == (f"**{mont['dice_mean']:.4f}** / {g['abnormal']['dice_mean']:.4f} / "
                                              f"{g['normal']['dice_mean']:.4f}")  # fmt: skip
    g = shen["groups"]
    assert row("Shenzhen held-out")[0] == (f"**{shen['dice_mean']:.4f}** / {g['abnormal']['dice_mean']:.4f} / "
                                           f"{g['normal']['dice_mean']:.4f}")  # fmt: skip
    assert row("Wingspan held-out")[0] == f"**{wing['dice_mean']:.4f}**"
    assert (mont["n_images"], shen["n_images"], wing["n_images"]) == (69, 57, 47)
    v1 = load("accuracy.json")["results"]["v1"]
    assert f"({v1['montgomery_test']['dice_mean']:.4f}, {v1['shenzhen_test']['dice_mean']:.4f})" in readme()


def test_results_rows_are_pathology_json():
    result = load("pathology.json")["results"]["lungseg-unet-default"]
    v7 = result["real"]["v7_pediatric"]
    assert v7["n"] == 200
    assert row("Children's films")[0] == (f"{v7['groups']['pneumonia']['dice_mean']:.4f} / "
                                          f"{v7['groups']['normal']['dice_mean']:.4f}")  # fmt: skip
    unseen = [v for v in result["simulated"].values() if not v["seen_in_training"]]
    assert len(unseen) == 3 and all(v["n"] == 126 for v in unseen)
    cells = [f"{v['dice_mean']:.4f} ({v['dice_min']:.3f})" for v in unseen]
    assert row("Simulated disease")[0] == ", ".join(cells)


def test_results_rows_are_robustness_portable_heart_quality_jsons():
    portable = load("portable_stages_test.json")
    shuttered = portable["summary"]["shipped"]["shuttered"]
    assert portable["n_films"] == 173
    assert row("Simulated portable ICU films")[0] == f"{shuttered['mean']}, {shuttered['under_0.85']} films under 0.85"
    robust = load("robustness.json")["perturbations"]
    means = [v["mean"] for k, v in robust.items() if k != "none"]
    assert len(means) == 10
    assert row("Ten perturbations")[0] == f"{min(means):.4f}-{max(means):.4f} (none: {robust['none']['mean']:.4f})"
    heart = load("heart.json")
    test, ba = heart["wingspan_test"], heart["bland_altman"]
    assert row("Heart on Wingspan")[0] == f"{test['heart_dice_mean']:.4f}; {ba['mae']:.4f}, {ba['bias']:+.4f}"
    q = load("quality.json")["eval"]
    assert row("Quality score")[0] == f"{q['quality']['spearman']}; {q['quality']['auroc_bad']}"
    assert q["n_cases"] == 865


def test_speed_rows_are_the_committed_speed_run():
    run = load("speed_round67_amx.json")
    ort, int8, fast = run["new_onnxruntime"], run["new_onnxruntime_int8"], run["new_onnxruntime_fast"]
    assert row("100 PNGs of 512x512")[0] == (f"{ort['png512']['images_per_s']} (int8 model "
                                             f"{int8['png512']['images_per_s']}, `lungseg-unet-fast` "
                                             f"{fast['png512']['images_per_s']})")  # fmt: skip
    assert row("5 X-rays of 2500x3000, 16-bit PNG")[0] == str(ort["png2500"]["images_per_s"])
    assert row("5 X-rays of 2500x3000, uncompressed DICOM")[0] == str(ort["dcm2500"]["images_per_s"])
    big = ort["png5000"]
    assert row("1 PNG of 5000x6000")[0] == f"{big['seconds']} s, {big['peak_rss_mb']} MB peak"
    assert row("`lungseg --version`")[0] == f"{ort['version_s']} s; {ort['first_mask_s']} s"
    old = run["old"]
    assert (f"ran {old['png512']['images_per_s']} images/s at 512 px and {old['png2500']['images_per_s']} at "
            "2500x3000") in readme()  # fmt: skip


def test_archive_and_anatomical_figures():
    ort = load("archive_speed_round67_amx.json")["backends"]["onnxruntime"]
    text = readme()
    assert f"{ort['png512']['marginal_s_per_film'] * 1000:.1f} ms at 512 px" in text
    assert f"{ort['png2500']['marginal_s_per_film']:.2g} s for a 2500x3000 16-bit PNG" in text
    assert f"{ort['dcm2500']['marginal_s_per_film']:.2f} s for a DICOM" in text
    test = load("anatomical.json")["test"]
    shipped = test["hull + heart shadow, innermost column, floor at the diaphragm (shipped)"]
    assert f"between Dice {test['visible']['dice_mean']} and {shipped['dice_mean']}" in text


def test_int8_figures_are_int8_parity_json():
    sets = load("int8_parity.json")["sets"]
    lowest = min(s["min_agreement"] for s in sets.values())
    drop = max(s["fp32_dice"] - s["int8_dice"] for s in sets.values())
    text = readme()
    assert f"lowest agreement with the fp32 mask {lowest}" in text
    assert f"test Dice stays within {drop:.4f} of fp32's" in text


def test_model_card_summary_quotes_the_rounds_record():
    """Each before -> after in the card's table of what ships is the round's own figure in docs/model_rounds.md."""
    import re

    card = (REPO / "MODEL_CARD.md").read_text()
    table = card[card.index("| model or step | round |") : card.index("## Metrics")]
    rounds = " ".join((REPO / "docs" / "model_rounds.md").read_text().replace("**", "").split())
    pairs = re.findall(r"(\d\.\d+) -> (\d\.\d+)", table)
    assert len(pairs) == 7
    for before, after in pairs:
        a, b = re.escape(before), re.escape(after)  # quoted in either order there ("0.0135 vs v6.1's 0.0227")
        assert re.search(rf"{a}\D.{{0,80}}{b}|{b}\D.{{0,80}}{a}", rounds), (before, after)


def test_outline_offset_figures_are_its_json():
    result = load("outline_offset.json")
    test = result["test"]["means"]
    assert test["montgomery"]["0"] == load("accuracy.json")["results"]["shipped"]["montgomery_test"]["dice_mean"]
    mont, shen = test["montgomery"], test["shenzhen"]
    assert max(mont[k] for k in mont if k != "n") == mont["0"]  # no offset lifts Montgomery (the README's point)
    best = max((k for k in shen if k != "n"), key=lambda k: shen[k])
    assert best == "-1" and shen[best] < 0.963
    text = readme()
    assert f"({mont['1']:.4f} at +1 px, {mont['-1']:.4f} at -1 px;" in text
    assert f"Shenzhen's best, {shen['-1']:.4f} at -1 px" in text
    moves = [abs(test[s][k] - test[s]["0"]) for s in ("montgomery", "shenzhen", "wingspan") for k in ("1", "-1")]
    assert f"moves a test set's Dice here by {min(moves):.4f} to {max(moves):.4f}" in text
    card = " ".join((REPO / "MODEL_CARD.md").read_text().split())
    wing = result["best"]["wingspan"]
    assert result["best"]["montgomery"]["k"] == 0 and wing["k"] == -1
    assert (f"({mont['0']:.4f} at k = 0; {mont['1']:.4f} at +1, {mont['-1']:.4f} at -1)" in card
            and f"Shenzhen's best ({shen['-1']:.4f} at -1)" in card
            and f"(test {wing['test_at_0']:.4f} -> {wing['test_at_k']:.4f})" in card)  # fmt: skip


def test_outline_offset_md_is_rendered_from_its_json():
    import sys

    sys.path.insert(0, str(BENCH))
    from outline_offset import render

    assert (BENCH / "outline_offset.md").read_text() == render(load("outline_offset.json"))


def test_model_card_targets_table_is_the_jsons():
    card = (REPO / "MODEL_CARD.md").read_text()

    def cells(label: str) -> list[str]:
        line = next(x for x in card.splitlines() if x.startswith(f"| {label}"))
        return [c.strip() for c in line.strip().strip("|").split("|")][1:]

    shipped = load("accuracy.json")["results"]["shipped"]
    mont, shen = shipped["montgomery_test"], shipped["shenzhen_test"]
    assert cells("Montgomery test half >= 0.980") == [
        f"{mont['dice_mean']:.4f}; {mont['groups']['abnormal']['dice_mean']:.4f}; "
        f"{mont['groups']['normal']['dice_mean']:.4f}", "no"]  # fmt: skip
    assert cells("Shenzhen held-out >= 0.963") == [f"{shen['dice_mean']:.4f}", "no"]
    unseen = [v for v in load("pathology.json")["results"]["lungseg-unet-default"]["simulated"].values()
              if not v["seen_in_training"]]  # fmt: skip
    low, high = min(v["dice_mean"] for v in unseen), max(v["dice_mean"] for v in unseen)
    lowest = min(v["dice_min"] for v in unseen)
    assert low >= 0.95 and lowest >= 0.85
    assert cells("simulated disease never seen")[0] == f"{low:.4f}-{high:.4f}, lowest {lowest:.3f}"
    assert cells("original protocol")[0].startswith(f"{load('original_protocol.json')['dice_mean']:.4f} ")


def test_ab_speed_figures_are_its_json():
    import sys

    sys.path.insert(0, str(BENCH))
    from ab_speed import render

    result = load("ab_speed_crop_view.json")
    assert (BENCH / "ab_speed_crop_view.md").read_text() == render(result)
    cases = result["cases"]
    assert all(not c["outputs"]["differ"] and c["outputs"]["files"] > 0 for c in cases.values())
    assert all(c["mean_diff"] < 0 for c in cases.values())
    png, dcm, small = (-cases[k]["mean_diff"] for k in ("png2500", "dcm2500", "png512"))
    assert (
        f"{png:.3f} s less for the five 16-bit PNGs, {dcm:.3f} s for the five DICOMs, {small:.3f} s for the "
        "100 512 px PNGs, every output byte-identical"
    ) in readme()


def test_ab_speed_no_tqdm_figures_are_its_json():
    import sys

    sys.path.insert(0, str(BENCH))
    from ab_speed import render

    result = load("ab_speed_no_tqdm.json")
    assert (BENCH / "ab_speed_no_tqdm.md").read_text() == render(result)
    cases = result["cases"]
    assert all(not c["outputs"]["differ"] for c in cases.values())
    dcm, big = -cases["dcm2500"]["mean_diff"], -cases["png5000"]["mean_diff"]
    assert f"{dcm:.3f} s for the DICOMs, {big:.3f} s for the 5000x6000 film, within this VM's spread" in readme()


def test_ab_speed_rounds_after_the_speed_run_are_their_json():
    """pydicom's import, the small-growth shortcut, the np.take resize: each cited figure is its JSON's."""
    import sys

    sys.path.insert(0, str(BENCH))
    from ab_speed import render

    cited = {"pydicom": ("dcm2500",), "small_gain": ("png512", "png2500"), "resize_take": ()}
    for name, keys in cited.items():
        result = load(f"ab_speed_{name}.json")
        assert (BENCH / f"ab_speed_{name}.md").read_text() == render(result)
        assert all(not c["outputs"]["differ"] and c["outputs"]["files"] > 0 for c in result["cases"].values())
        for key in keys:
            assert f"{-result['cases'][key]['mean_diff']:.3f} s" in readme()


def test_levelling_costs_an_upright_film_no_measurable_time_and_changes_no_output():
    """Round 76: the alternated run against the commit before it (benchmarks/ab_speed_deskew.md)."""
    import sys

    sys.path.insert(0, str(BENCH))
    from ab_speed import render

    result = load("ab_speed_deskew.json")
    assert (BENCH / "ab_speed_deskew.md").read_text() == render(result)
    assert result["base"] == "7726789" and set(result["cases"]) == {"png512", "dcm2500"}
    for case in result["cases"].values():
        assert not case["outputs"]["differ"] and case["outputs"]["files"] > 0
        assert abs(case["mean_diff"]) < 2 * case["diff_sd"]  # within noise, as the README says
    assert "`benchmarks/ab_speed_deskew.md`: the speed cases against the commit before, alternated, outputs " \
           "identical, times within noise" in readme()  # fmt: skip


def test_the_estimate_since_round_67_is_the_committed_run_scaled_by_the_alternated_ratios():
    import sys

    sys.path.insert(0, str(BENCH))
    from ab_speed import render

    assert (BENCH / "ab_speed_since_round67.md").read_text() == render(load("ab_speed_since_round67.json"))
    ab = load("ab_speed_since_round67.json")["cases"]
    assert all(c["outputs"]["differ"] for c in ab.values())  # rounds 71 and 74 changed masks in between
    run = load("speed_round67_amx.json")["new_onnxruntime"]
    for key in ("png512", "png2500", "dcm2500"):
        assert f"{ab[key]['mean_base']:.3f} -> {ab[key]['mean_this']:.3f} s" in readme()
    est = {k: run[k]["images"] / (run[k]["seconds"] * ab[k]["mean_this"] / ab[k]["mean_base"]) for k in ab}
    assert f"{est['png512']:.1f}, {est['png2500']:.2f} and {est['dcm2500']:.2f} images/s" in readme()
    assert est["dcm2500"] >= 4 > est["png2500"]  # what the sentence says of the targets


def test_orientation_figures_are_its_json():
    import sys

    sys.path.insert(0, str(BENCH))
    from orientation import render

    result = load("orientation.json")
    assert (BENCH / "orientation.md").read_text() == render(result)
    test, logits = result["dice"]["test"], result["logits"]
    off = ", ".join(f"{test[f'{way} | off']['mean']:.4f}" for way in ("quarter turn", "half turn"))
    assert f"Dice {off} and {test['three quarter turns | off']['mean']:.4f} without it" in readme()
    on, upright = test["quarter turn | on"]["mean"], test["upright | on"]["mean"]
    assert f"{on:.4f} with it, as upright ({upright:.4f})" in readme()
    assert all(test[f"{way} | on"]["mean"] == on for way in ("half turn", "three quarter turns"))
    assert all(row["upright_checked"] == 0 and row["lowest_is_upright"] == row["films"] for row in logits.values())
    assert not any(result["false_turns"].values())  # what "nor any of 50 validation films" says
    n = [row["films"] for row in logits.values()]
    assert f"({n[0]} adult, {n[1]} children's)" in readme()
    val, tst = result["portable"]["validation"], result["portable"]["test"]
    assert val["upright_turned"] == tst["upright_turned"] == 0
    assert f"no upright one turned ({val['films']} validation, {tst['films']} test)" in readme()
    assert (f"{tst['turned_found']} of the {tst['films']} test films are turned upright, {tst['turned_wrong_way']} the "
            f"wrong way, {tst['turned_missed']} left as they came") in readme()  # fmt: skip


def test_import_cost_figures_are_the_benchmarks():
    cost = load("import_cost.json")
    assert cost["pydicom"]["lungseg"]["module_loaded"] == [False]
    assert cost["pydicom"]["plain"]["module_loaded"] == [True]
    assert cost["scipy.ndimage"]["lungseg"]["module_loaded"] == [False]
    assert f"pydicom imports {cost['pydicom']['median_saved_s']:.3f} s sooner without it" in readme()
    assert f"{cost['scipy.ndimage']['median_saved_s']:.3f} s less import, and pydicom without GDCM, " \
           f"{cost['pydicom']['median_saved_s']:.3f} s less" in readme()
    ab = load("ab_speed_imports.json")["cases"]
    dcm, png = ab["dcm2500"], ab["png2500"]
    assert not dcm["outputs"]["differ"] and not png["outputs"]["differ"]
    assert (f"five DICOMs {dcm['mean_base']} -> {dcm['mean_this']} s, faster in {dcm['faster_in']} of 12 pairs, "
            f"the 16-bit PNGs {png['mean_base']} -> {png['mean_this']} s") in readme()
