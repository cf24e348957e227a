"""Which step of a portable film breaks the shipped lung model (round 41)?

``shape_failures.py``'s ``portable`` kind (an unseen disease, then squashed or off-centre, flat and noisy, shuttered:
``pathology_kinds.portable``) scores the shipped lung model far below the simulated diseases alone. Here each
validation film's case is scored after each step (``pathology_kinds.portable_stages``): the disease alone, moved, made
flat, shuttered; by the lung model alone (post-processed, nothing completed) and as shipped (the shape model
completing it). Shutters can hide lung outright (the reference keeps it), so their step measures the film, not only
the model. Validation films only (``--part test`` to report after a choice).

Usage: python benchmarks/portable_stages.py [--data PATH] [--model NAME] [--part val|test] [--output NAME]
  [--polarity-model FILE] [--mirror-margin M] [--min-kept K] [--draws K] [--shape CHECKPOINT@KEY]
  -> benchmarks/<NAME>.json and .md (default portable_stages)
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from pathology_kinds import portable_stages  # noqa: E402

from lungseg.data.layouts import discover, load_split, select  # noqa: E402
from lungseg.evaluation.evaluate import read_labelled  # noqa: E402
from lungseg.evaluation.metrics import overlap_metrics  # noqa: E402
from lungseg.inference import pipeline  # noqa: E402
from lungseg.inference.segmenter import Segmenter  # noqa: E402
from lungseg.inference.shape_completion import complete_shape  # noqa: E402
from lungseg.io.reader import XRay  # noqa: E402

STAGES = ("disease", "moved", "flat", "shuttered")
WAYS = ("lung_model", "shipped")  # nothing completed / the shape model completing the lungs


def scores(data: Path, model: str, part: str, polarity_model: str | None = None,
           draws: int = 1) -> dict[str, dict[str, list]]:
    """Per way, per stage: [(film name, Dice)] over the films of ``part``, in film order; ``polarity_model``: another
    polarity check's checkpoint than the bundled one; ``draws`` > 1: that many cases per film (the extra ones named
    ``NAME#k``; the first is the one-draw benchmark's)."""
    common = {"quality": False, "precision": "fp32", "polarity_model": polarity_model}
    segs = {"lung_model": Segmenter.from_pretrained(model, complete_lungs=False, heart=None, **common),
            "shipped": Segmenter.from_pretrained(model, shape_model=True, **common)}  # as shipped, for a file too
    films = select(discover([str(data / "Lung Segmentation"), str(data / "wingspan")])[1],
                   load_split(HERE.parent / "splits" / "pathology.json")[part])  # fmt: skip
    out: dict = {way: {stage: [] for stage in STAGES} for way in WAYS}
    for i, s in enumerate(films):
        image, mask = read_labelled(s)
        for draw in range(draws):
            name = s.name if draw == 0 else f"{s.name}#{draw}"
            for stage, film, ref in portable_stages(image, mask, i, draw):
                for way, seg in segs.items():
                    out[way][stage].append((name, round(overlap_metrics(seg(XRay(film)).mask, ref)["dice"], 4)))
    return out


def use_shape_spec(parser: argparse.ArgumentParser, spec: str | None) -> None:
    """A ``--shape CHECKPOINT@KEY`` option (None: the bundled shape model as shipped) put to use, or a parser error
    for a spec without its key (also ``basal_merge.py``'s)."""
    if spec is not None and "@" not in spec:
        parser.error("--shape CHECKPOINT@KEY, e.g. runs/x.pt@t0.5_g0.02_f0.0_nh_r0.5_rw1_apl_kp")
    if spec is not None:
        use_shape_model(*spec.rsplit("@", 1))


def use_shape_model(checkpoint: str, key: str) -> None:
    """Make the pipeline complete the lungs with the shape model in ``checkpoint`` at the judging ``key``
    (``shape_failures.setting``) instead of the bundled one at its shipped setting."""
    from shape_failures import setting

    from lungseg.inference.shape_completion import shape_model_file

    s, model = setting(key), shape_model_file(checkpoint)
    pipeline.bundled_shape_model = lambda backend="torch": model
    pipeline.complete_shape = functools.partial(
        complete_shape, threshold=s["threshold"], min_gain=s["gain"], floor=s["floor"], min_width=s["width"],
        remove_below=s["removal"][0], remove_width=s["removal"][1], heart_blocks=s["heart_blocks"],
        attached=s["attached"], lateral=s["lateral"], mirror_margin=s["mirror_margin"], min_kept=s["min_kept"],
        apart_when_paired=s["apart_when_paired"], apart_lateral=s["apart_lateral"],
        shutter_bands=s["shutter_bands"], keep_pair=s["keep_pair"])


def summary(rows: dict) -> dict:
    """Per way: each stage's mean Dice, films under 0.85, and the five worst films of the last stage."""
    return {way: {**{stage: {"mean": round(float(np.mean([d for _, d in r])), 4),
                             "under_0.85": sum(d < 0.85 for _, d in r)} for stage, r in stages.items()},
                  "worst_shuttered": sorted(stages["shuttered"], key=lambda t: t[1])[:5]}
            for way, stages in rows.items()}  # fmt: skip


def draws_note(out: dict) -> str:
    """`` x K draws`` where the run drew each film K > 1 times (round 50), else nothing."""
    return f" x {out['draws']} draws" if out.get("draws", 1) > 1 else ""


def render(out: dict) -> str:
    s = out["summary"]
    lines = [f"# Portable films step by step ({out['model']}, {out['part']} films)", "", f"`{out['command']}`", "",
             f"{out['n_films']} films{draws_note(out)}, each with one unseen disease and then each portable step in "
             "turn (pathology_kinds.portable_stages); Dice against the manual mask moved with the film; "
             "`lung_model`: nothing completed, `shipped`: with the shape model.", "",
             "| way | " + " | ".join(STAGES) + " |", "|---|" + "---|" * len(STAGES)]  # fmt: skip
    for way in WAYS:
        lines.append(f"| {way} | " + " | ".join(f"{s[way][st]['mean']} ({s[way][st]['under_0.85']} under 0.85)"
                                               for st in STAGES) + " |")  # fmt: skip
    for way in WAYS:
        lines.append(f"\nWorst shuttered films, {way}: " + ", ".join(f"{n} {d}" for n, d in s[way]["worst_shuttered"]))
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=str(HERE.parent.parent / "shared" / "data"))
    parser.add_argument("--model", default="lungseg-unet-default")
    parser.add_argument("--part", default="val", choices=["val", "test"])
    parser.add_argument("--output", default="portable_stages")
    parser.add_argument("--polarity-model", default=None, help="a polarity model's checkpoint (default the bundled)")
    parser.add_argument("--min-kept", type=float, default=0.0,
                        help="judge shape completion with this complete_shape min_kept (round 51; 0: as shipped)")
    parser.add_argument("--draws", type=int, default=1, help="cases per film (round 50: a larger validation sample)")
    parser.add_argument("--mirror-margin", type=float, default=0.0,
                        help="judge shape completion with this complete_shape mirror_margin (round 48; 0: as shipped)")
    parser.add_argument("--shape", default=None, metavar="CHECKPOINT@KEY",
                        help="judge another shape model at a judging key, e.g. runs/x.pt@t0.5_g0.02_f0.0_nh_r0.5_rw1 "
                             "(round 53; default the bundled one as shipped)")
    args = parser.parse_args(argv)
    if args.shape is not None and (args.mirror_margin > 0 or args.min_kept > 0):
        parser.error("--shape carries its own setting: put _mb/_k in its key instead of --mirror-margin/--min-kept")
    use_shape_spec(parser, args.shape)
    if args.mirror_margin > 0 or args.min_kept > 0:  # the pipeline calls complete_shape with its defaults: judge
        pipeline.complete_shape = functools.partial(complete_shape, mirror_margin=args.mirror_margin,  # another setting
                                                    min_kept=args.min_kept)  # fmt: skip
    rows = scores(Path(args.data), args.model, args.part, args.polarity_model, args.draws)
    command = "python benchmarks/portable_stages.py" + "".join(
        f" --{k.replace('_', '-')} {v}" for k, v in (("model", args.model), ("part", args.part),
                                                     ("output", args.output), ("polarity_model", args.polarity_model),
                                                     ("mirror_margin", args.mirror_margin), ("min_kept", args.min_kept),
                                                     ("draws", args.draws), ("shape", args.shape))
        if v != parser.get_default(k))  # fmt: skip
    out = {"command": command, "model": args.model, "part": args.part,
           "n_films": len(rows["shipped"]["disease"]) // args.draws,
           **({"draws": args.draws} if args.draws > 1 else {}),
           "summary": summary(rows), "rows": rows}  # fmt: skip
    (HERE / f"{args.output}.json").write_text(json.dumps(out, indent=1) + "\n")
    (HERE / f"{args.output}.md").write_text(render(out))


if __name__ == "__main__":
    main()
