"""How much of a failing lung model's loss each shape model puts back, on the validation films (round 39).

The shape judging (``shape_judge.py``) completes the shipped lung model's lungs, which simulated disease hardly
breaks: it cannot see whether a shape model puts back a zone a lung model really drops. Here the lungs are those of
a lung model that does drop them (default the v1 model, trained without simulated disease:
``git show ddc30c1^:src/lungseg/model/weights/lungseg-unet-default.pt > runs/v1_default.pt``), on the same validation
cases as the judging (50 adult films clean and under six simulated diseases, bubble films, 100 v7 films on the
zones both conventions agree on), each completed by each shape model at its setting (a judging key such as
``t0.5_g0.02_f0.05_nh_r0.5_rw1``). Test films are never used to choose (`--part test` reports on them after a choice).

Usage: python benchmarks/shape_failures.py --shape NAME=CHECKPOINT@KEY ... [--lungs MODEL] [--output NAME] [--part test]
Writes benchmarks/<NAME>.json and .md (default shape_failures).
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from pathology_kinds import SEEN, UNSEEN  # noqa: E402
from shape_judge import Remembered, scores, summary, validation_outputs  # noqa: E402
from validation_choice import paired  # noqa: E402

from lungseg.inference.shape_completion import shape_model_file  # noqa: E402

KEY = re.compile(r"t(?P<t>[\d.]+)_g(?P<g>[\d.]+)_f(?P<f>[\d.]+)(?:_w(?P<w>\d+))?(?P<nh>_nh)?"
                 r"(?:_r(?P<r>[\d.]+)_rw(?P<rw>\d+))?(?P<att>_att|_lat)?(?:_mb(?P<mb>[\d.]+))?"
                 r"(?:_k(?P<k>[\d.]+))?(?P<ap>_apl|_ap)?(?P<sb>_sb)?(?P<kp>_kp)?$")  # fmt: skip
log = logging.getLogger("shape_failures")


def setting(key: str) -> dict:
    """A judging key (``t0.5_g0.02_f0.05_nh_r0.5_rw1``; ``_att`` at the end: only growth that touches the lungs found,
    round 44; ``_lat``: growth apart from them dropped only beside them, round 45; ``_mb0.15``: growth only within
    the thorax the lungs bound, round 47; ``_k0.75``: no completion that keeps under that share of the lungs found,
    round 51; ``_ap``: no growth apart from two lungs found, round 54;
    ``_apl``: only such growth outside their columns dropped, round 55; ``_sb``: none into a shutter band, round 56;
    ``_kp``: no completion that leaves fewer than two lungs where two were found, round 58) as
    :func:`shape_judge.scores`' keyword arguments."""
    m = KEY.match(key)
    if m is None:
        raise ValueError(f"{key!r} is not a judging key; give one like t0.5_g0.02_f0.05_nh_r0.5_rw1")
    return {"threshold": float(m["t"]), "gain": float(m["g"]), "floor": float(m["f"]), "width": int(m["w"] or 0),
            "removal": (float(m["r"] or 0.0), int(m["rw"] or 2)), "heart_blocks": m["nh"] is None,
            "attached": m["att"] == "_att", "lateral": m["att"] == "_lat",
            "mirror_margin": float(m["mb"] or 0.0), "min_kept": float(m["k"] or 0.0),
            "apart_when_paired": m["ap"] is not None, "apart_lateral": m["ap"] == "_apl",
            "shutter_bands": m["sb"] is not None, "keep_pair": m["kp"] is not None}  # fmt: skip


V7 = ("v7_pneumonia", "v7_normal")
PORTABLE_NOTE = (" `portable` (since round 41): an unseen kind on a film then given a portable film's look "
                 "(pathology_kinds.portable), the reference moved with it; not in the simulated mean.")


def sick_dice(rows: dict) -> list[float]:
    """Dice of every simulated-disease case, kind after kind (the judging's simulated mean's kinds)."""
    return [d for k in (*UNSEEN, *SEEN) for d in rows[k]["dice"]]


def measure(data: Path, lungs: str, shapes: dict[str, tuple[str, str]], part: str = "val") -> dict:
    """Per shape model (and none): the judging's summary of ``lungs``' completed lungs, and the paired v7 pneumonia
    and adult simulated differences against no completion; ``part`` "test": on the test films (after a choice)."""
    cases = validation_outputs(data, lungs=lungs, part=part, portable_kind=True)
    base = scores(cases, None, 0, 0, 0)
    out, first = {"none": summary(base, None)}, None
    for name, (checkpoint, key) in shapes.items():
        rows = scores(cases, Remembered(shape_model_file(checkpoint)), **setting(key))
        out[name] = {"checkpoint": checkpoint, "setting": key, **summary(rows, base)}
        out[name]["bubble_mean"] = round((out[name]["bubble"] + out[name]["bubble_large"]) / 2, 4)
        out[name]["simulated_vs_none"] = paired(sick_dice(rows), sick_dice(base))
        out[name]["portable_vs_none"] = paired(rows["portable"]["dice"], base["portable"]["dice"])
        if first is not None:  # against the first shape model given, film for film
            out[name]["vs_first"] = {"simulated": paired(sick_dice(rows), sick_dice(first)),
                                     **{k: paired(rows[k]["dice"], first[k]["dice"]) for k in (*V7, "portable")}}
        first = rows if first is None else first
        log.info("%s %s", name, out[name])
    out["none"]["bubble_mean"] = round((out["none"]["bubble"] + out["none"]["bubble_large"]) / 2, 4)
    return out


def render(out: dict) -> str:
    rows = out["results"]
    kinds = [k for k in rows["none"] if isinstance(rows["none"][k], float) and k != "bubble_mean"]
    films = "Test films, scored after the choice" if out.get("part") == "test" else "Validation films only"
    lines = [f"# Shape models on a failing lung model's lungs ({out['lungs']})", "", f"`{out['command']}`", "",
             f"{films}. Dice per kind; `simulated mean`: the six simulated diseases; v7 on the zones "
             "both conventions agree on." + PORTABLE_NOTE * ("portable" in kinds), "",
             "| shape model | setting | " + " | ".join(kinds) + " |",
             "|---|---|" + "---|" * len(kinds)]  # fmt: skip
    for name, r in rows.items():
        lines.append(f"| {name} | {r.get('setting', '-')} | " + " | ".join(str(r[k]) for k in kinds) + " |")
    lines += ["", "Paired against no completion (mean, 95% interval, films up / down):", ""]
    for name, r in rows.items():
        if name != "none":
            for label, key in (("simulated", "simulated_vs_none"), ("v7 pneumonia", "v7_pneumonia_vs_none"),
                               ("portable", "portable_vs_none")):
                p = r.get(key)
                if p is None:  # a result from before round 41's portable kind
                    continue
                lines.append(f"- {name}, {label}: {p['mean']:+.4f} [{p['ci95'][0]:+.4f}, {p['ci95'][1]:+.4f}], "
                             f"{p['films_up']} up, {p['films_down']} down")  # fmt: skip
    versus = [(name, r["vs_first"]) for name, r in rows.items() if "vs_first" in r]
    lines += ["", f"Paired against {list(rows)[1]}:", ""] if versus else []
    for name, v in versus:
        lines += [f"- {name}, {k}: {p['mean']:+.4f} [{p['ci95'][0]:+.4f}, {p['ci95'][1]:+.4f}], {p['films_up']} up, "
                  f"{p['films_down']} down" for k, p in v.items()]  # fmt: skip
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=str(HERE.parent.parent / "shared" / "data"))
    parser.add_argument("--lungs", default="runs/v1_default.pt", help="the failing lung model (default v1)")
    parser.add_argument("--shape", nargs="+", required=True, metavar="NAME=CHECKPOINT@KEY")
    parser.add_argument("--output", default="shape_failures")
    parser.add_argument("--part", default="val", choices=["val", "test"],
                        help="the films: validation (to choose) or test (to report after a choice)")
    args = parser.parse_args(argv)
    shapes = {}
    for spec in args.shape:
        name, _, rest = spec.partition("=")
        checkpoint, _, key = rest.rpartition("@")
        if not (name and checkpoint and key):
            parser.error(f"--shape {spec!r}: give NAME=CHECKPOINT@KEY, e.g. shipped=lungseg-shape@t0.5_g0.02_f0.05")
        setting(key)
        shapes[name] = (checkpoint, key)
    command = "python benchmarks/shape_failures.py --lungs " + args.lungs + " --shape " + " ".join(args.shape)
    command += f" --output {args.output}" if args.output != "shape_failures" else ""
    command += f" --part {args.part}" if args.part != "val" else ""
    out = {"command": command, "lungs": args.lungs, "part": args.part,
           "results": measure(Path(args.data), args.lungs, shapes, args.part)}
    (HERE / f"{args.output}.json").write_text(json.dumps(out, indent=1) + "\n")
    (HERE / f"{args.output}.md").write_text(render(out))


if __name__ == "__main__":
    main()
