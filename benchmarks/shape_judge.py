"""Judging the shape model (``benchmarks/shape_model.py``) on validation films, and the rule that chooses how it
completes lungs: every growth setting (threshold, minimum gain, floor, width), then taking away at the growth
setting chosen first. Test films are never used here.
"""

from __future__ import annotations

import itertools
import logging
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from pathology_kinds import SEEN, UNSEEN, portable  # noqa: E402
from validation_choice import paired, v7_films  # noqa: E402

from lungseg.data.layouts import discover, load_split, select  # noqa: E402
from lungseg.evaluation.evaluate import read_labelled  # noqa: E402
from lungseg.evaluation.metrics import overlap_metrics  # noqa: E402
from lungseg.inference.postprocess import HEART  # noqa: E402
from lungseg.inference.preprocess import resize_mask  # noqa: E402
from lungseg.inference.segmenter import Segmenter  # noqa: E402
from lungseg.inference.shape_completion import complete_shape, shape_image, shape_model_file  # noqa: E402
from lungseg.io.reader import XRay, read_mask  # noqa: E402
from lungseg.training.pathology import gastric_bubble  # noqa: E402

SIZE, BATCH = 128, 16  # the shape model's side and training batch (shape_model.py trains with them)
THRESHOLDS, GAINS, FLOORS = (0.5, 0.7, 0.9), (0.0, 0.02), (0.0, 0.05, 0.1, 0.2, 0.3)
IMAGE_WIDTHS = (0, 1, 2)  # a film-aware model: the minimum width of a grown piece, in shape-model pixels (0: any)
REMOVALS = tuple(itertools.product((0.05, 0.1, 0.2, 0.3, 0.4, 0.5), (1, 2, 3)))  # a film-aware model: (below,
# width) to take away at the growth setting chosen without it (round 34 added 0.4 and 0.5: round 33 chose the edge)
LARGE = {"size": (0.9, 1.25), "depth_range": (0.8, 1.6), "gap": (0.0, 0.012)}  # the large-bubble validation kind:
# a distended stomach as wide as the lung's base, deep, with little or no diaphragm showing between
log = logging.getLogger("shape_model")


def validation_outputs(data: Path, precision: str = "fp32", lungs: str = "lungseg-unet-default",
                       part: str = "val", portable_kind: bool = False) -> list[dict]:
    """The shipped lung model's (or ``lungs``') labels, heart and reference (and v7 agreement zone) per validation
    case (``part`` "test": the same cases drawn on the test films, for reports after a choice); ``portable_kind``:
    also each film as :func:`pathology_kinds.portable` draws it (kind ``portable``; shape_failures only)."""
    seg = Segmenter.from_pretrained(lungs, device="cpu", complete_lungs=False, precision=precision)
    chosen = select(discover([str(data / "Lung Segmentation"), str(data / "wingspan")])[1],
                    load_split(HERE.parent / "splits" / "pathology.json")[part])  # fmt: skip
    cases = []
    pairs = [(s, *read_labelled(s)) for s in chosen]
    for s, image, mask in pairs:
        heart = read_mask(s.heart) if s.heart is not None else None
        cases.append({"kind": "clean", "image": image, "ref": mask, "manual_heart": heart})
    hearts = [c["manual_heart"] for c in cases]
    for k, (kind, fn) in enumerate({**UNSEEN, **SEEN}.items()):  # validation_choice.py's draws, seed for seed
        for i, (_, image, mask) in enumerate(pairs):
            sick = np.clip(fn(image, mask, np.random.default_rng([1000 + k, i])), 0, 1)
            cases.append({"kind": kind, "image": sick.astype(np.float32), "ref": mask, "manual_heart": hearts[i]})
    for i, (_, image, mask) in enumerate(pairs):  # not lung however dark: what taking away is for (not in the mean)
        bubble = gastric_bubble(image, mask, np.random.default_rng([3000, i]))
        cases.append({"kind": "bubble", "image": bubble.astype(np.float32), "ref": mask, "manual_heart": hearts[i]})
        large = gastric_bubble(image, mask, np.random.default_rng([3001, i]), **LARGE)
        cases.append({"kind": "bubble_large", "image": large.astype(np.float32), "ref": mask,
                      "manual_heart": hearts[i]})  # lung over the heart: summary weighs the clean films' only
        if portable_kind:
            film, ref = portable(image, mask, i)
            cases.append({"kind": "portable", "image": film, "ref": ref, "manual_heart": None})
    for image, mask, zone, group in v7_films(data / "v7_pediatric", str(HERE.parent / "splits" / "v7_pediatric.json"),
                                             part):  # fmt: skip
        cases.append({"kind": f"v7_{group}", "image": image, "ref": mask, "zone": zone})
    for case in cases:
        case["film"] = shape_image(XRay(case["image"]), SIZE)
        result = seg(XRay(case.pop("image")))  # labels 3 (the heart) back to 0: completion sees the lungs only
        case["labels"], case["heart"] = np.where(result.labels == HEART, 0, result.labels), result.heart
        case["prob"] = result.probabilities
    return cases


class Remembered:
    """A shape model that runs once per input (the settings differ only in what is done with its output)."""

    def __init__(self, model) -> None:
        self.model, self.size, self.channels, self.seen = model, model.size, model.channels, {}

    def __call__(self, x: np.ndarray) -> np.ndarray:
        key = x.tobytes()
        if key not in self.seen:
            self.seen[key] = self.model(x)
        return self.seen[key]


def scores(cases: list[dict], model, threshold: float, gain: float, floor: float, width: int = 0,
           removal: tuple[float, int] = (0.0, 2), heart_blocks: bool = True, attached: bool = False,
           lateral: bool = False, mirror_margin: float = 0.0, min_kept: float = 0.0,
           apart_when_paired: bool = False, apart_lateral: bool = False,
           shutter_bands: bool = False, keep_pair: bool = False) -> dict:
    """Per kind: Dice per case, cases changed, and lung over the manual heart (clean films with one); ``removal``:
    (below, width) of :func:`complete_shape`'s taking away (0: none); ``heart_blocks``: no growth into the heart
    found; ``mirror_margin``: growth only within the thorax the lungs bound (round 47); ``min_kept``: no completion
    that keeps less than that share of the lungs found (round 51); ``apart_when_paired``: no growth apart from two
    lungs found (round 54); ``apart_lateral``: of that growth, drop only pieces outside their columns (round 55);
    ``attached``: only growth
    that touches the lungs found; ``lateral``: growth apart from them
    dropped only beside them (:func:`complete_shape`)."""
    out: dict = {}
    for case in cases:
        labels = case["labels"]
        if model is not None:
            labels = complete_shape(labels, case["heart"], model, threshold, gain, prob=case["prob"], floor=floor,
                                    image=case["film"], min_width=width, remove_below=removal[0],
                                    remove_width=removal[1], heart_blocks=heart_blocks,
                                    attached=attached, lateral=lateral, mirror_margin=mirror_margin,
                                    min_kept=min_kept, apart_when_paired=apart_when_paired,
                                    apart_lateral=apart_lateral, shutter_bands=shutter_bands,
                                    keep_pair=keep_pair)  # fmt: skip
        pred, ref, zone = labels > 0, case["ref"], case.get("zone")
        pred = resize_mask(pred, *ref.shape) if pred.shape != ref.shape else pred
        row = out.setdefault(case["kind"], {"dice": [], "changed": 0, "over_heart": []})
        row["dice"].append(overlap_metrics(pred & zone, ref & zone)["dice"] if zone is not None
                           else overlap_metrics(pred, ref)["dice"])  # fmt: skip
        row["changed"] += int((labels != case["labels"]).any())
        if case.get("manual_heart") is not None:
            row["over_heart"].append((pred & case["manual_heart"]).sum() / case["manual_heart"].sum())
    return out


def summary(rows: dict, base: dict | None) -> dict:
    kinds = [*UNSEEN, *SEEN]
    out = {k: round(float(np.mean(v["dice"])), 4) for k, v in rows.items()}
    out["simulated_mean"] = round(float(np.mean([out[k] for k in kinds])), 4)
    out["lung_over_heart"] = round(float(np.mean(rows["clean"]["over_heart"])), 4)
    out["changed"] = {k: v["changed"] for k, v in rows.items()}
    if base is not None:
        out["v7_pneumonia_vs_none"] = paired(rows["v7_pneumonia"]["dice"], base["v7_pneumonia"]["dice"])
    return out


def judge(data: Path, checkpoint: Path, widths: tuple[int, ...] = (0,), precision: str = "fp32",
          removals: tuple[tuple[float, int], ...] = (), heart_grid: bool = False) -> dict:
    """Every growth setting's summary; then, for each of ``removals``, the growth setting :func:`choose` picks with
    that taking away added (keys ending ``_r<below>_rw<width>``). ``heart_grid``: each growth setting also with
    growth into the heart found allowed (keys ending ``_nh``; round 35)."""
    cases = validation_outputs(data, precision)
    model = Remembered(shape_model_file(checkpoint))
    base = scores(cases, None, 0, 0, 0)
    results, settings = {"none": summary(base, None)}, {}
    blocks = (True, False) if heart_grid else (True,)
    for threshold, gain, floor, width, block in itertools.product(THRESHOLDS, GAINS, FLOORS, widths, blocks):
        key = f"t{threshold}_g{gain}_f{floor}" + (f"_w{width}" if width else "") + ("" if block else "_nh")
        settings[key] = (threshold, gain, floor, width, block)
        results[key] = summary(scores(cases, model, threshold, gain, floor, width, heart_blocks=block), base)
        log.info("%s %s", key, results[key])
    grown = choose(results)
    for below, width in removals if grown != "none" else ():
        key = f"{grown}_r{below}_rw{width}"
        threshold, gain, floor, grow_width, block = settings[grown]
        results[key] = summary(scores(cases, model, threshold, gain, floor, grow_width, (below, width), block), base)
        log.info("%s %s", key, results[key])
    return results


def keeps(r: dict, none: dict, tolerance: float, heart_tolerance: float) -> bool:
    """Clean and simulated Dice within ``tolerance`` of no completion, lung over the heart within
    ``heart_tolerance``."""
    return (r["clean"] >= none["clean"] - tolerance and r["simulated_mean"] >= none["simulated_mean"] - tolerance
            and r["lung_over_heart"] <= none["lung_over_heart"] + heart_tolerance)  # fmt: skip


def choose(results: dict, tolerance: float = 0.0005, heart_tolerance: float = 0.002) -> str:
    """The growth setting with the largest v7 pneumonia gain among those that keep the adults (:func:`keeps`);
    then, where settings with taking away were judged, the one that keeps the adults and that v7 pneumonia
    within ``tolerance``, with the best Dice on the validation films with a gastric bubble (:func:`bubbles`), if it
    betters the growth setting's there by more than ``tolerance``."""
    none = results["none"]
    keep = [k for k, r in results.items() if k != "none" and "_r" not in k and keeps(r, none, tolerance,
                                                                                      heart_tolerance)]
    grown = max(keep, key=lambda k: results[k]["v7_pneumonia"], default="none")
    if grown == "none" or "bubble" not in results[grown]:
        return grown
    best = results[grown]
    taking = [k for k, r in results.items() if k.startswith(grown + "_r") and keeps(r, none, tolerance, heart_tolerance)
              and r["v7_pneumonia"] >= best["v7_pneumonia"] - tolerance]  # fmt: skip
    top = max(taking, key=lambda k: bubbles(results[k]), default=grown)
    return top if bubbles(results[top]) > bubbles(best) + tolerance else grown


def bubbles(r: dict) -> float:
    """Mean Dice over the gastric bubble kinds judged (``bubble``; since round 34 also ``bubble_large``)."""
    return float(np.mean([r[k] for k in ("bubble", "bubble_large") if k in r]))


def render(out: dict) -> str:
    kinds = [*UNSEEN, *SEEN]
    bubble = int("bubble" in out["results"]["none"])  # judged since taking away was (--extras)
    large = int("bubble_large" in out["results"]["none"])  # judged since round 34
    lines = [
        "# The shape model: choosing how it completes lungs, on validation films",
        "",
        f"Generated by `{out['command']}` (`{out.get('name', 'shape_model')}.json`; `--render` rewrites this file "
        f"from it). " + (f"Training: {out['steps']} steps of {BATCH} masks, {out['train_seconds']} s on this machine. "
                         if out["train_seconds"] is not None else "An existing checkpoint, judged only. ")
        + "Each row (`t`hreshold, `g`ain, `f`loor, `w`idth): the shipped lung model's validation outputs "
        "(mirror-image completion off), grown by the shape model where its probability is above the threshold and "
        "the lung model's above the floor, in pieces at least about twice the width wide (in 128 px pixels; none: "
        "any), if that adds more than the gain's share of the lung area; `none`: no "
        "completion. Dice per kind (50 adult films each; v7: 75 pneumonia and 25 "
        "normal children's films on the zones both conventions agree on), lung over the manual heart (16 Wingspan "
        "films), films changed, and the paired v7 pneumonia gain over `none` (bootstrap 95% interval, films "
        "up/down).",
        "",
        "| setting | clean | " + " | ".join(kinds) + " | simulated mean | lung over heart | v7 pneumonia | "
        "v7 normal | changed (clean / v7 pneumonia / v7 normal) | v7 pneumonia gain |" + (" gastric bubble |" * bubble)
        + (" large gastric bubble |" * large),
        "|---" * (len(kinds) + 8 + bubble + large) + "|",
    ]
    for key, r in out["results"].items():
        gain = r.get("v7_pneumonia_vs_none")
        gain_text = f"{gain['mean']:+.4f} [{gain['ci95'][0]:+.4f}, {gain['ci95'][1]:+.4f}] {gain['films_up']}/" \
                    f"{gain['films_down']}" if gain else ""  # fmt: skip
        c = r["changed"]
        name = f"**{key}**" if key == out["chosen"] else key
        lines.append(f"| {name} | {r['clean']} | " + " | ".join(str(r[k]) for k in kinds)
                     + f" | {r['simulated_mean']} | {r['lung_over_heart']} | {r['v7_pneumonia']} | {r['v7_normal']}"
                     f" | {c['clean']} / {c['v7_pneumonia']} / {c['v7_normal']} | {gain_text} |"
                     + (f" {r['bubble']} |" if bubble else "") + (f" {r['bubble_large']} |" if large else ""))
    lines += ["", f"Chosen (bold): **{out['chosen']}**, the largest v7 pneumonia gain among the settings that keep "
              "clean and simulated Dice within 0.0005 of `none` and lung over the heart within 0.002."]
    if bubble:
        lines[-1] += (
            " Rows ending `_r<below>_rw<width>`: that growth setting, with lung also taken away where the shape model"
            " is below `below`, in pieces about twice `width` wide; one is chosen over growth alone if it keeps the"
            " adults and v7 pneumonia within 0.0005 and betters Dice on the gastric bubble films (the 50 clean films"
            " with a bubble under a lung, drawn by `lungseg/training/pathology.py`'s `gastric_bubble`, seed"
            " [3000, film]; not in the simulated mean) by more than 0.0005.")
    if any(k.endswith("_nh") or "_nh_r" in k for k in out["results"]):
        lines[-1] += (
            " Rows with `_nh` (round 35, `--heart-grid`): the same setting with growth allowed into the heart the lung"
            " model found (without, no lung is grown there).")
    if large:
        lines[-1] += (
            " Since round 34 the bubble Dice that rule weighs is the mean of those films and 50 more with a large"
            " bubble (`shape_judge.LARGE`: as wide as the lung's base, deep, little or no diaphragm between; seed"
            " [3001, film]).")
    return "\n".join(lines) + "\n"
