"""Train the shape model (``lungseg-shape``) and choose how it completes lungs, on validation films only.

Training: the manual lung masks of the training films of ``splits/pathology.json`` (Shenzhen, Montgomery training
half, Wingspan training part), at 128 px, turned, scaled and shifted, with zones removed by
``lungseg/training/shape_masks.py`` (a lost base, a patch, a whole lung, patchy loss; or none); the target is the
whole mask. A U-Net of width 8, BCE + Dice, AdamW with a one-cycle schedule, seed 0. No image is used, unless
``--image`` (the shipped model since round 16): then the film, at 128 px, is a second input, and each lost zone is
painted opaque on it first (``paint_lost``: dense, hazy, or now and then left as it was; a fifth of the films made
flat and noisy), so the model learns to tell a zone lost under opacity from a high diaphragm, which the film shows.

Choice: the shipped lung model's outputs (its mirror-image completion off) on the validation films of
``validation_choice.py`` (50 adult films clean and with six simulated diseases; 100 v7 pediatric films on the
zones both conventions agree on; lung over the manual heart on the 16 Wingspan films), completed by the shape
model at each threshold, minimum gain and probability floor (growth only where the lung model's probability is
above it) and, with ``--image``, minimum width of a grown piece. Test films are never used here.

Usage: python benchmarks/shape_model.py [--steps N] [--image] [--checkpoint runs/shape_model.pt] [--judge-only]
Writes the checkpoint (fp16), benchmarks/shape_model.json and benchmarks/shape_model.md (``--image``:
runs/shape_model_image.pt, benchmarks/shape_model_image.json and .md).
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import sys
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from pathology_kinds import SEEN, UNSEEN  # noqa: E402
from validation_choice import paired, v7_films  # noqa: E402

from lungseg.data.layouts import discover, load_split, select  # noqa: E402
from lungseg.evaluation.evaluate import read_labelled  # noqa: E402
from lungseg.evaluation.metrics import overlap_metrics  # noqa: E402
from lungseg.inference.postprocess import HEART  # noqa: E402
from lungseg.inference.preprocess import equalize_histogram, resize_mask, to_byte_mask  # noqa: E402
from lungseg.inference.segmenter import Segmenter  # noqa: E402
from lungseg.inference.shape_completion import complete_shape, shape_image, shape_input, shape_model_file  # noqa: E402
from lungseg.io.reader import XRay, read_mask, read_xray  # noqa: E402
from lungseg.model.checkpoint import save_checkpoint  # noqa: E402
from lungseg.model.pretrained import WEIGHTS_LICENCE  # noqa: E402
from lungseg.model.unet import UNet  # noqa: E402
from lungseg.training.conventions import visible_field  # noqa: E402
from lungseg.training.pathology import gastric_bubble, low_contrast  # noqa: E402
from lungseg.training.shape_masks import (  # noqa: E402
    KEEP_WHOLE,
    add_extra,
    corrupt,
    moved,
    moved_pair,
    outline_noise,
    paint_lost,
    remove_zones,
)

SIZE, WIDTH, BATCH, LR = 128, 8, 16, 2e-3
LOW_CONTRAST = 0.2  # share of the image model's training films made flat and noisy (portable films)
CHILDREN = 0.35  # --children: share of training pairs drawn from the v7 pediatric training films
THRESHOLDS, GAINS, FLOORS = (0.5, 0.7, 0.9), (0.0, 0.02), (0.0, 0.05, 0.1, 0.2, 0.3)
IMAGE_WIDTHS = (0, 1, 2)  # --image: the minimum width of a grown piece, in shape-model pixels (0: any)
EXTRA = 0.2  # --extras: share of adult pairs given something that is not lung taken for lung (add_extra)
REMOVALS = tuple(itertools.product((0.05, 0.1, 0.2, 0.3), (1, 2, 3)))  # --extras: (below, width) to take away at
# the growth setting chosen without removal
log = logging.getLogger("shape_model")


def training_samples(data: Path) -> list:
    return select(discover([str(data / "Lung Segmentation"), str(data / "wingspan")])[1],
                  load_split(HERE.parent / "splits" / "pathology.json")["train"])  # fmt: skip


def training_masks(data: Path) -> np.ndarray:
    """(N, SIZE, SIZE) bool: the training films' manual lung masks, box-averaged to SIZE."""
    small = [Image.fromarray(to_byte_mask(read_mask(s.mask))).resize((SIZE, SIZE), Image.Resampling.BOX)
             for s in training_samples(data)]  # fmt: skip
    return np.stack([np.asarray(m) > 127 for m in small])


def training_films(data: Path) -> np.ndarray:
    """(N, SIZE, SIZE) float32 [0, 1]: the training films (as read, before equalisation) at SIZE."""
    return np.stack([shape_image(read_xray(s.image), SIZE, equalize=False) for s in training_samples(data)])


def batch(masks: np.ndarray, rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """(corrupted, whole) masks, (BATCH, 1, SIZE, SIZE) float32 each."""
    inputs, targets = [], []
    for i in rng.integers(len(masks), size=BATCH):
        whole = moved(masks[i], rng)
        whole = whole if whole.sum() >= 50 else masks[i]
        inputs.append(corrupt(whole, rng))
        targets.append(whole)
    return tuple(torch.from_numpy(np.stack(a)[:, None].astype(np.float32)) for a in (inputs, targets))


def children_data(data: Path, failing: list[str] | None = None) -> tuple[np.ndarray, ...]:
    """(films, masks, cares[, founds]) of the v7 pediatric training films at SIZE (``--children``): each anatomical
    mask turned into the visible field by the shipped model's heart (``visible_field``), the loss counting where the
    conventions agree and on the heart, not behind it nor on the heart's uncertain border. ``failing``
    (``--real-failures``): also each lung model's own lungs of each film (post-processed, nothing completed), as
    founds (models, films, SIZE, SIZE)."""
    seg = Segmenter.from_pretrained("lungseg-unet-default", device="cpu", complete_lungs=False, shape_model=False)
    others = [Segmenter.from_pretrained(m, device="cpu", complete_lungs=False, shape_model=False, heart=None,
                                        quality=False) for m in failing or ()]  # fmt: skip
    split = load_split(HERE.parent / "splits" / "v7_pediatric.json")
    samples = select(discover(data / "v7_pediatric")[1], split["train"])
    films, masks, cares, founds = [], [], [], []
    for s in samples:
        xray = read_xray(s.image)
        heart = shape_input(seg(xray).heart, SIZE)[0, 0] > 0
        target, care = visible_field(shape_input(read_mask(s.mask), SIZE)[0, 0] > 0, heart, band=1)
        films.append(shape_image(xray, SIZE, equalize=False))
        masks.append(target)
        cares.append(care)
        if others:
            founds.append([shape_input(other(xray).mask, SIZE)[0, 0] > 0 for other in others])
    log.info("children's films: %d", len(samples))
    out = [np.stack(a) for a in (films, masks, cares)]
    return (*out, np.stack(founds).swapaxes(0, 1)) if founds else tuple(out)


def image_batch(films: np.ndarray, masks: np.ndarray, rng: np.random.Generator,
                cares: np.ndarray | None = None, adults: int = 0, founds: np.ndarray | None = None,
                extras: bool = False) -> tuple[torch.Tensor, ...]:  # fmt: skip
    """((corrupted mask, film with the lost zones made opaque, equalised), whole mask[, care]): (BATCH, 2 | 1, SIZE,
    SIZE). With ``cares`` (``--children``), the films past the first ``adults`` are drawn ``CHILDREN`` of the time;
    with ``founds`` (``--real-failures``), those films' corrupted mask is a lung model's own, on the film as it is;
    ``extras`` (``--extras``): ``EXTRA`` of the other pairs also take a gastric bubble or the mediastinum for lung."""
    inputs, targets, kept_cares = [], [], []
    n = len(masks)
    draws = rng.integers(n, size=BATCH) if cares is None else [pick(rng, adults, n) for _ in range(BATCH)]
    for i in draws:
        care = None if cares is None else cares[i]
        found = None
        if founds is not None and i >= adults:  # one failing model's lungs (drawn among several)
            found = founds[rng.integers(len(founds)) if len(founds) > 1 else 0, i - adults]
        film, whole, *rest = moved_pair(films[i], masks[i], rng, care=care, found=found)
        if whole.sum() < 50:  # moved off the film: the pair as it was
            film, whole, rest = films[i], masks[i], [m for m in (care, found) if m is not None]
        if care is not None:
            kept_cares.append(rest[0][None])
        if found is not None:
            kept = rest[-1]  # the disease on the film is real: nothing painted
        else:
            kept = whole if rng.random() < KEEP_WHOLE else remove_zones(whole, rng)
            film = paint_lost(film, whole, kept, rng)
            if extras and rng.random() < EXTRA:
                film, kept = add_extra(film, whole, kept, rng)
        film = low_contrast(film, rng) if rng.random() < LOW_CONTRAST else film
        inputs.append(np.stack([outline_noise(kept, rng).astype(np.float32), equalize_histogram(film)]))
        targets.append(whole[None])
    arrays = (inputs, targets, kept_cares) if kept_cares else (inputs, targets)
    return tuple(torch.from_numpy(np.stack(a).astype(np.float32)) for a in arrays)


def pick(rng: np.random.Generator, adults: int, total: int) -> int:
    """An adult film's index, or a child's ``CHILDREN`` of the time."""
    return int(adults + rng.integers(total - adults) if rng.random() < CHILDREN else rng.integers(adults))


def shape_loss(logits: torch.Tensor, y: torch.Tensor, care: torch.Tensor | None = None) -> torch.Tensor:
    """BCE + (1 - Dice) of (N, 1, S, S) logits against 0/1 targets, counted only where ``care`` is 1 if given."""
    if care is None:
        p = torch.sigmoid(logits)
        dice = (2 * (p * y).sum() + 1) / (p.sum() + y.sum() + 1)
        return torch.nn.functional.binary_cross_entropy_with_logits(logits, y) + 1 - dice
    p = torch.sigmoid(logits) * care
    dice = (2 * (p * y).sum() + 1) / (p.sum() + (y * care).sum() + 1)
    bce = torch.nn.functional.binary_cross_entropy_with_logits(logits, y, weight=care, reduction="sum") / care.sum()
    return bce + 1 - dice


def train(masks: np.ndarray, steps: int, checkpoint: Path, films: np.ndarray | None = None,
          cares: np.ndarray | None = None, adults: int = 0, founds: np.ndarray | None = None,
          width: int = WIDTH, extras: bool = False) -> None:
    """``cares`` (``--children``): where each mask's loss counts, the first ``adults`` films' all ones; ``founds``
    (``--real-failures``): a lung model's own masks of the films past the first ``adults``."""
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    model = UNet(1 if films is None else 2, 1, width, 4)
    opt = torch.optim.AdamW(model.parameters(), LR)
    schedule = torch.optim.lr_scheduler.OneCycleLR(opt, LR, total_steps=steps)
    start = time.time()
    for step in range(steps):
        x, y, *w = (batch(masks, rng) if films is None
                    else image_batch(films, masks, rng, cares, adults, founds, extras))  # fmt: skip
        logits = model(x)
        loss = shape_loss(logits, y, w[0] if w else None)
        opt.zero_grad()
        loss.backward()
        opt.step()
        schedule.step()
        if step % 100 == 0 or step == steps - 1:
            log.info("step %d loss %.4f %.0f s", step, loss.item(), time.time() - start)
    checkpoint.parent.mkdir(parents=True, exist_ok=True)
    save_checkpoint(checkpoint, model.eval().half(), licence=WEIGHTS_LICENCE, steps=steps,
                    train_config={"image_size": SIZE, "intensity": "mask" if films is None else "mask+equalize",
                                  "target": "shape"})  # fmt: skip


def validation_outputs(data: Path, precision: str = "fp32") -> list[dict]:
    """The shipped lung model's labels, heart and reference (and v7 agreement zone) per validation case."""
    seg = Segmenter.from_pretrained("lungseg-unet-default", device="cpu", complete_lungs=False, precision=precision)
    chosen = select(discover([str(data / "Lung Segmentation"), str(data / "wingspan")])[1],
                    load_split(HERE.parent / "splits" / "pathology.json")["val"])  # fmt: skip
    cases = []
    pairs = [(s, *read_labelled(s)) for s in chosen]
    for s, image, mask in pairs:
        heart = read_mask(s.heart) if s.heart is not None else None
        cases.append({"kind": "clean", "image": image, "ref": mask, "manual_heart": heart})
    for k, (kind, fn) in enumerate({**UNSEEN, **SEEN}.items()):  # validation_choice.py's draws, seed for seed
        for i, (_, image, mask) in enumerate(pairs):
            sick = np.clip(fn(image, mask, np.random.default_rng([1000 + k, i])), 0, 1)
            cases.append({"kind": kind, "image": sick.astype(np.float32), "ref": mask})
    for i, (_, image, mask) in enumerate(pairs):  # not lung however dark: what taking away is for (not in the mean)
        bubble = gastric_bubble(image, mask, np.random.default_rng([3000, i]))
        cases.append({"kind": "bubble", "image": bubble.astype(np.float32), "ref": mask})
    for image, mask, zone, group in v7_films(data / "v7_pediatric", str(HERE.parent / "splits" / "v7_pediatric.json")):
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
           removal: tuple[float, int] = (0.0, 2)) -> dict:
    """Per kind: Dice per case, cases changed, and lung over the manual heart (clean films with one); ``removal``:
    (below, width) of :func:`complete_shape`'s taking away (0: none)."""
    out: dict = {}
    for case in cases:
        labels = case["labels"]
        if model is not None:
            labels = complete_shape(labels, case["heart"], model, threshold, gain, prob=case["prob"], floor=floor,
                                    image=case["film"], min_width=width, remove_below=removal[0],
                                    remove_width=removal[1])  # fmt: skip
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
          removals: tuple[tuple[float, int], ...] = ()) -> dict:
    """Every growth setting's summary; then, for each of ``removals``, the growth setting :func:`choose` picks with
    that taking away added (keys ending ``_r<below>_rw<width>``)."""
    cases = validation_outputs(data, precision)
    model = Remembered(shape_model_file(checkpoint))
    base = scores(cases, None, 0, 0, 0)
    results, settings = {"none": summary(base, None)}, {}
    for threshold, gain, floor, width in itertools.product(THRESHOLDS, GAINS, FLOORS, widths):
        key = f"t{threshold}_g{gain}_f{floor}" + (f"_w{width}" if width else "")
        settings[key] = (threshold, gain, floor, width)
        results[key] = summary(scores(cases, model, threshold, gain, floor, width), base)
        log.info("%s %s", key, results[key])
    grown = choose(results)
    for below, width in removals if grown != "none" else ():
        key = f"{grown}_r{below}_rw{width}"
        results[key] = summary(scores(cases, model, *settings[grown], removal=(below, width)), base)
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
    within ``tolerance``, with the best Dice on the validation films with a gastric bubble, if it betters the
    growth setting's there by more than ``tolerance``."""
    none = results["none"]
    keep = [k for k, r in results.items() if k != "none" and "_r" not in k and keeps(r, none, tolerance,
                                                                                      heart_tolerance)]
    grown = max(keep, key=lambda k: results[k]["v7_pneumonia"], default="none")
    if grown == "none" or "bubble" not in results[grown]:
        return grown
    best = results[grown]
    taking = [k for k, r in results.items() if k.startswith(grown + "_r") and keeps(r, none, tolerance, heart_tolerance)
              and r["v7_pneumonia"] >= best["v7_pneumonia"] - tolerance]  # fmt: skip
    top = max(taking, key=lambda k: results[k]["bubble"], default=grown)
    return top if results[top]["bubble"] > best["bubble"] + tolerance else grown


def render(out: dict) -> str:
    kinds = [*UNSEEN, *SEEN]
    bubble = int("bubble" in out["results"]["none"])  # judged since taking away was (--extras)
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
        "v7 normal | changed (clean / v7 pneumonia / v7 normal) | v7 pneumonia gain |" + (" gastric bubble |" * bubble),
        "|---" * (len(kinds) + 8 + bubble) + "|",
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
                     + (f" {r['bubble']} |" if bubble else ""))  # fmt: skip
    lines += ["", f"Chosen (bold): **{out['chosen']}**, the largest v7 pneumonia gain among the settings that keep "
              "clean and simulated Dice within 0.0005 of `none` and lung over the heart within 0.002."]
    if bubble:
        lines[-1] += (
            " Rows ending `_r<below>_rw<width>`: that growth setting, with lung also taken away where the shape model"
            " is below `below`, in pieces about twice `width` wide; one is chosen over growth alone if it keeps the"
            " adults and v7 pneumonia within 0.0005 and betters Dice on the gastric bubble films (the 50 clean films"
            " with a bubble under a lung, drawn by `lungseg/training/pathology.py`'s `gastric_bubble`, seed"
            " [3000, film]; not in the simulated mean) by more than 0.0005.")
    return "\n".join(lines) + "\n"


def recorded_command(args: argparse.Namespace) -> str:
    """The command line that reproduces this run, as the JSON and the .md record it."""
    command = f"python benchmarks/shape_model.py --steps {args.steps}"
    command += " --image" if args.image else ""
    command += " --children" if args.children else ""
    command += " --real-failures " + " ".join(args.real_failures) if args.real_failures else ""
    command += f" --width {args.width}" if args.width != WIDTH else ""
    command += " --extras" if args.extras else ""
    command += f" --checkpoint {args.checkpoint} --judge-only" if args.judge_only else ""
    command += f" --output {args.output}" if args.output else ""
    return command + (f" --precision {args.precision}" if args.precision != "fp32" else "")


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=str(HERE.parent.parent / "shared" / "data"))
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--image", action="store_true",
                        help="the film as a second input (lost zones painted opaque in training); writes "
                        "shape_model_image.json/.md and runs/shape_model_image.pt unless --checkpoint")  # fmt: skip
    parser.add_argument("--children", action="store_true",
                        help="with --image: the v7 pediatric training films too (their masks turned into the visible "
                        "field by the shipped model's heart); writes shape_model_image_children.*")  # fmt: skip
    parser.add_argument("--real-failures", metavar="MODEL", nargs="+", default=None,
                        help="with --children: the children's films' corrupted masks are MODEL's own lungs (an older "
                        "lung model's real losses under opacity; several: one drawn each time) instead of drawn ones; "
                        "writes *_real.*")  # fmt: skip
    parser.add_argument("--width", type=int, default=WIDTH,
                        help=f"the shape model's base channels (default {WIDTH}); another width adds _w<N> to the name")
    parser.add_argument("--extras", action="store_true",
                        help="with --image: a fifth of the adult pairs also take a gastric bubble or the mediastinum "
                        "for lung, to be taken away; adds _extras to the name")  # fmt: skip
    parser.add_argument("--checkpoint", default=None, help="default runs/<name>.pt")
    parser.add_argument("--judge-only", action="store_true", help="judge an existing checkpoint")
    parser.add_argument("--output", default=None, help="name of the .json/.md in benchmarks/ (default from the flags)")
    parser.add_argument("--precision", default="fp32", choices=["fp32", "bf16", "auto"],
                        help="the lung model's, when judging (fp32: as every committed figure; a CPU with native "
                        "bf16 moves figures by up to 0.0003)")  # fmt: skip
    parser.add_argument("--render", action="store_true", help="rewrite the .md from the .json")
    args = parser.parse_args()
    if args.children and not args.image:
        parser.error("--children needs --image (the children's films are the second input)")
    if args.extras and not args.image:
        parser.error("--extras needs --image (the bubble is drawn on the film)")
    if args.real_failures and not args.children:
        parser.error("--real-failures needs --children (the failures are those on the children's films)")
    name = "shape_model" + ("_image" if args.image else "") + ("_children" if args.children else "")
    name = name + ("_real" if args.real_failures else "") + (f"_w{args.width}" if args.width != WIDTH else "")
    name += "_extras" if args.extras else ""
    name = args.output or name
    if args.render:
        (HERE / f"{name}.md").write_text(render(json.loads((HERE / f"{name}.json").read_text())))
        return
    data, checkpoint = Path(args.data), Path(args.checkpoint or f"runs/{name}.pt")
    start = time.time()
    if not args.judge_only:
        masks = training_masks(data)
        films = training_films(data) if args.image else None
        cares, adults, founds = None, len(masks), None
        if args.children:
            kid_films, kid_masks, kid_cares, *founds_list = children_data(data, args.real_failures)
            films, masks = np.concatenate([films, kid_films]), np.concatenate([masks, kid_masks])
            cares = np.concatenate([np.ones((adults, SIZE, SIZE), bool), kid_cares])
            founds = founds_list[0] if founds_list else None
        train(masks, args.steps, checkpoint, films, cares, adults, founds, args.width, args.extras)
    seconds = None if args.judge_only else round(time.time() - start)  # judged only: no training time to report
    results = judge(data, checkpoint, IMAGE_WIDTHS if args.image else (0,), args.precision,
                    REMOVALS if args.image else ())  # fmt: skip
    out = {"command": recorded_command(args), "name": name, "steps": args.steps, "train_seconds": seconds,
           "results": results, "chosen": choose(results)}  # fmt: skip
    if args.judge_only and (HERE / f"{name}.json").is_file():  # the training run's time, and no --judge-only
        out["train_seconds"] = json.loads((HERE / f"{name}.json").read_text())["train_seconds"]
    (HERE / f"{name}.json").write_text(json.dumps(out, indent=1) + "\n")
    (HERE / f"{name}.md").write_text(render(out))


if __name__ == "__main__":
    main()
