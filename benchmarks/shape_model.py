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
from adult_failures import adult_failures, after_adults  # noqa: E402
from shape_judge import BATCH, IMAGE_WIDTHS, REMOVALS, SIZE, choose, judge, render  # noqa: E402

from lungseg.data.layouts import discover, load_split, select  # noqa: E402
from lungseg.inference.preprocess import equalize_histogram, to_byte_mask  # noqa: E402
from lungseg.inference.segmenter import Segmenter  # noqa: E402
from lungseg.inference.shape_completion import shape_image, shape_input  # noqa: E402
from lungseg.io.reader import read_mask, read_xray  # noqa: E402
from lungseg.model.checkpoint import save_checkpoint  # noqa: E402
from lungseg.model.pretrained import WEIGHTS_LICENCE  # noqa: E402
from lungseg.model.unet import UNet  # noqa: E402
from lungseg.training.conventions import visible_field  # noqa: E402
from lungseg.training.pathology import low_contrast  # noqa: E402
from lungseg.training.shape_masks import (  # noqa: E402
    KEEP_WHOLE,
    ZONES,
    ZONES_BESIDE_HEART,
    add_extra,
    corrupt,
    fill_lost,
    moved,
    moved_pair,
    outline_noise,
    paint_lost,
    remove_zones,
)

WIDTH, LR = 8, 2e-3
LOW_CONTRAST = 0.2  # share of the image model's training films made flat and noisy (portable films)
CHILDREN = 0.35  # --children: share of training pairs drawn from the v7 pediatric training films
EXTRA = 0.2  # --extras: share of adult pairs given something that is not lung taken for lung (add_extra)
ADULT_FAILURES = 0.3  # --adult-failures: share of adult pairs that are a failing model's lungs on a sick film
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
                extras: bool = False, large: bool = False, zones: tuple = ZONES,
                sick: int = 0,
                basal: tuple[float, float] = (0.0, 0.0)) -> tuple[torch.Tensor, ...]:
    """((corrupted mask, film with the lost zones made opaque, equalised), whole mask[, care]): (BATCH, 2 | 1, SIZE,
    SIZE). With ``cares`` (``--children``), the films past the first ``adults`` are drawn ``CHILDREN`` of the time;
    with ``founds`` (``--real-failures``), those films' corrupted mask is a lung model's own, on the film as it is;
    ``extras`` (``--extras``): ``EXTRA`` of the other pairs also take a gastric bubble or the mediastinum for lung
    (``large``, ``--large-bubbles``: bubbles from ``shape_masks.LARGE_BUBBLES``); ``zones``: the kinds of loss drawn
    (``--beside-heart``: ``ZONES_BESIDE_HEART``); ``sick`` (``--adult-failures``): the ``sick`` films after the first
    ``adults`` are adult films with disease drawn, their founds a lung model's own, drawn ``ADULT_FAILURES`` of the
    adult time; ``basal`` (``--basal-fill``, ``--basal-below``): (share, below): that share of the painted pairs is a
    lower zone filled to the abdomen's density instead (``shape_masks.fill_lost``, round 80), ``below`` of them with
    the fill up to the base only and nothing lost (round 82)."""
    inputs, targets, kept_cares = [], [], []
    n = len(masks)
    draws = rng.integers(n, size=BATCH) if cares is None else [pick(rng, adults, n, sick) for _ in range(BATCH)]
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
        elif basal[0] and rng.random() < basal[0]:
            film, kept = fill_lost(film, whole, rng, basal[1])
        else:
            kept = whole if rng.random() < KEEP_WHOLE else remove_zones(whole, rng, zones)
            film = paint_lost(film, whole, kept, rng)
            if extras and rng.random() < EXTRA:
                film, kept = add_extra(film, whole, kept, rng, large)
        film = low_contrast(film, rng) if rng.random() < LOW_CONTRAST else film
        inputs.append(np.stack([outline_noise(kept, rng).astype(np.float32), equalize_histogram(film)]))
        targets.append(whole[None])
    arrays = (inputs, targets, kept_cares) if kept_cares else (inputs, targets)
    return tuple(torch.from_numpy(np.stack(a).astype(np.float32)) for a in arrays)


def pick(rng: np.random.Generator, adults: int, total: int, sick: int = 0) -> int:
    """An adult film's index, or a child's ``CHILDREN`` of the time; with ``sick`` films after the adults, one of
    those ``ADULT_FAILURES`` of the adult time (``sick`` 0 draws as before round 39)."""
    if rng.random() < CHILDREN:
        return int(adults + sick + rng.integers(total - adults - sick))
    if sick and rng.random() < ADULT_FAILURES:
        return int(adults + rng.integers(sick))
    return int(rng.integers(adults))


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
          width: int = WIDTH, extras: bool = False, large: bool = False, zones: tuple = ZONES, sick: int = 0,
          basal: tuple[float, float] = (0.0, 0.0)) -> None:
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
                    else image_batch(films, masks, rng, cares, adults, founds, extras, large, zones, sick, basal))
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


def recorded_command(args: argparse.Namespace) -> str:
    """The command line that reproduces this run, as the JSON and the .md record it."""
    command = "python benchmarks/shape_model.py" + ("" if args.judge_only else f" --steps {args.steps}")
    command += " --image" if args.image else ""
    command += " --children" if args.children else ""
    command += " --real-failures " + " ".join(args.real_failures) if args.real_failures else ""
    command += f" --width {args.width}" if args.width != WIDTH else ""
    command += " --extras" if args.extras else ""
    command += " --large-bubbles" if args.large_bubbles else ""
    command += " --beside-heart" if args.beside_heart else ""
    command += " --heart-grid" if args.heart_grid else ""
    command += f" --adult-failures {args.adult_failures}" if args.adult_failures else ""
    command += " --portable" if args.portable else ""
    command += f" --basal-fill {args.basal_fill}" if args.basal_fill else ""
    command += f" --basal-below {args.basal_below}" if args.basal_below else ""
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
    parser.add_argument("--large-bubbles", action="store_true",
                        help="with --extras: the bubbles drawn wider and deeper, sometimes with no diaphragm between "
                        "(shape_masks.LARGE_BUBBLES); adds _large to the name")  # fmt: skip
    parser.add_argument("--beside-heart", action="store_true",
                        help="with --image: a sixth kind of lost zone, a lung's lower medial part beside the heart "
                        "(shape_masks.drop_beside_heart); adds _beside to the name")  # fmt: skip
    parser.add_argument("--adult-failures", type=int, default=0, metavar="N",
                        help="with --real-failures: N sick copies of each adult training film (dense disease drawn, "
                        "adult_failures.py) with the failing models' lungs on them, ADULT_FAILURES of the adult pairs; "
                        "adds _adult to the name")  # fmt: skip
    parser.add_argument("--portable", action="store_true",
                        help="with --adult-failures: the sick copies also look like portable ICU films (squashed, "
                        "flat, shuttered, off-centre; adult_failures.PORTABLE); adds _portable to the name",
                        )  # fmt: skip
    parser.add_argument("--heart-grid", action="store_true",
                        help="judge each growth setting also with growth into the heart found allowed (keys _nh)")
    parser.add_argument("--basal-fill", type=float, default=0.0, metavar="P",
                        help="share of the painted pairs whose lower zone is filled to the abdomen's density instead "
                        "(round 80; needs --image)")
    parser.add_argument("--basal-below", type=float, default=0.0, metavar="Q",
                        help="share of those whose fill rises only to the base, nothing lost (round 82)")
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
    if args.large_bubbles and not args.extras:
        parser.error("--large-bubbles needs --extras (it changes the bubbles --extras draws)")
    if args.real_failures and not args.children:
        parser.error("--real-failures needs --children (the failures are those on the children's films)")
    if (args.adult_failures and not args.real_failures) or args.adult_failures < 0:
        parser.error("--adult-failures N (N >= 0) needs --real-failures (the failing models whose lungs are drawn)")
    if not 0 <= args.basal_fill <= 1 or (args.basal_fill and not args.image):
        parser.error("--basal-fill P (0 <= P <= 1) needs --image (the fill is drawn on the film)")
    if not 0 <= args.basal_below <= 1 or (args.basal_below and not args.basal_fill):
        parser.error("--basal-below Q (0 <= Q <= 1) needs --basal-fill P (it is a share of those pairs)")
    if args.portable and not args.adult_failures:
        parser.error("--portable needs --adult-failures N (it changes the look of those sick copies)")
    name = "shape_model" + ("_image" if args.image else "") + ("_children" if args.children else "")
    name = name + ("_real" if args.real_failures else "") + (f"_w{args.width}" if args.width != WIDTH else "")
    name += ("_extras" if args.extras else "") + ("_large" if args.large_bubbles else "")
    name += ("_beside" if args.beside_heart else "") + ("_adult" if args.adult_failures else "")
    name += ("_portable" if args.portable else "") + ("_basal" if args.basal_fill else "")
    name += "_below" if args.basal_below else ""
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
        sick = 0
        if args.adult_failures:
            sick_data = adult_failures(training_samples(data), args.real_failures, args.adult_failures, SIZE,
                                       args.portable)
            films, masks, cares, founds, sick = after_adults((films, masks, cares, founds), adults, *sick_data)
        train(masks, args.steps, checkpoint, films, cares, adults, founds, args.width, args.extras,
              args.large_bubbles, ZONES_BESIDE_HEART if args.beside_heart else ZONES, sick,
              (args.basal_fill, args.basal_below))
    seconds = None if args.judge_only else round(time.time() - start)  # judged only: no training time to report
    results = judge(data, checkpoint, IMAGE_WIDTHS if args.image else (0,), args.precision,
                    REMOVALS if args.image else (), args.heart_grid)  # fmt: skip
    out = {"command": recorded_command(args), "name": name, "steps": args.steps, "train_seconds": seconds,
           "results": results, "chosen": choose(results)}  # fmt: skip
    if args.judge_only and (HERE / f"{name}.json").is_file():  # the training run's time, and no --judge-only
        out["train_seconds"] = json.loads((HERE / f"{name}.json").read_text())["train_seconds"]
    (HERE / f"{name}.json").write_text(json.dumps(out, indent=1) + "\n")
    (HERE / f"{name}.md").write_text(render(out))


if __name__ == "__main__":
    main()
