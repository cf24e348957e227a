"""The archive throughput (``benchmarks/archive_speed.py``) against its JSON, and the README's figures against both."""

import sys

from .test_docs_figures import BENCH, LOG, flat, load


def test_archive_md_is_rendered_from_its_json_and_the_marginal_rate_follows_from_the_walls():
    sys.path.insert(0, str(BENCH))
    from archive_speed import CASES, render

    data = load("archive_speed.json")
    assert (BENCH / "archive_speed.md").read_text() == render(data)
    for cases in data["backends"].values():
        for case, (small, large) in CASES.items():
            r = cases[case]
            per_film = (r[f"{large}_films_s"] - r[f"{small}_films_s"]) / (large - small)
            assert abs(r["marginal_s_per_film"] - per_film) < 0.002  # walls are rounded to 0.01 s
            assert abs(r["archive_hours"] - 100_000 * r["marginal_s_per_film"] / 3600) < 0.1


def test_readme_quotes_the_archive_run():
    data = load("archive_speed.json")["backends"]
    o, t = data["onnxruntime"], data["torch"]
    readme = flat(LOG)
    p512 = o["png512"]
    assert (f"{p512['marginal_s_per_film'] * 1000:.1f} ms at 512x512 ({p512['marginal_films_per_s']} "
            f"films/s; 100 films {p512['100_films_per_s']}, 300 films {p512['300_films_per_s']})") in readme
    assert (f"2500x3000 16-bit PNG ({o['png2500']['marginal_films_per_s']} films/s; 5 films "
            f"{o['png2500']['5_films_per_s']}, 20 films {o['png2500']['20_films_per_s']})") in readme
    assert f"100,000 clinical films in about {o['png2500']['archive_hours']} hours" in readme
    assert (f"({t['png512']['marginal_films_per_s']} / {t['png2500']['marginal_films_per_s']} / "
            f"{t['dcm2500']['marginal_films_per_s']} films/s at the margin; 100 films at 512 px") in readme
    assert o["png2500"]["20_films_per_s"] >= 4 > o["png2500"]["5_films_per_s"]  # what the README says of #11's target


def test_readme_quotes_the_run_before_torchs_threads():
    new, old = (load(f)["backends"]["torch"]["png512"] for f in ("archive_speed.json",
                                                                 "history/archive_speed_torch_shared_threads.json"))
    assert (f"film at 512 px {old['marginal_films_per_s']} -> {new['marginal_films_per_s']}, 100 films "
            f"{old['100_films_per_s']} -> {new['100_films_per_s']} images/s") in flat(LOG)
