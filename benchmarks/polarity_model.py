"""Train the polarity model (is this X-ray inverted, bone dark and air bright?) and judge it on held-out films.

An X-ray exported with its grey scale flipped (a MONOCHROME1 image saved as PNG without its flip, a
negative screenshot) makes the lung model fail outright: on the Montgomery test films inverted, the masks
score Dice 0.0-0.3. ``lungseg segment`` therefore asks this small model first and turns an inverted input
back (flag ``inverted_input``). Architecture: the view model's 64 px CNN (``lungseg/model/viewnet.py``), one
logit, positive: inverted.

Training: the training films of ``splits/pathology.json`` (Montgomery, Shenzhen, Wingspan) and of
``splits/v7_pediatric.json`` (children), each drawn as a hospital might send it (turns, crops, padding, a
block, any windowing, noise, blur; ``view_model.py``'s drawing without its inversion), then inverted with
probability 1/2: the label is known by construction. Judged on films training never sees: the quality
benchmark's test films (clean and 4 corrupted versions each) and the 200 v7 test films, each both ways; and,
end to end, Dice of the shipped model on the 69 Montgomery test films inverted, with the check off and on.

``--portable`` (round 42): ``PORTABLE`` of the training films are also given a portable film's look before the
inversion (:func:`portable_look`: shutter bands up to a quarter of a side, white as unexposed film is, black or grey;
flat and noisy): round 41 found the shipped check calling such films inverted. The row ``adult_portable`` judges that
on the test films made flat and shuttered by the lung simulator's own ``low_contrast`` and ``collimation``.
``--judge CHECKPOINT`` judges an existing model (the bundled one: src/lungseg/model/weights/lungseg-polarity.pt).

Usage: python benchmarks/polarity_model.py [--data PATH] [--steps N] [--output FILE] [--portable] [--judge FILE]
  [--name NAME]
Writes the checkpoint (default runs/polarity_model.pt), benchmarks/<NAME>.json and .md (default polarity_model).
"""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from quality import small_pair  # noqa: E402
from quality_sets import perturbed  # noqa: E402
from view_model import _affine, _crop_or_pad, _intensity, thumbnail_run  # noqa: E402

from lungseg.data.layouts import select  # noqa: E402
from lungseg.evaluation.evaluate import read_labelled  # noqa: E402
from lungseg.evaluation.metrics import overlap_metrics  # noqa: E402
from lungseg.evaluation.quality_fit import auroc  # noqa: E402
from lungseg.inference.preprocess import resize_float  # noqa: E402
from lungseg.inference.segmenter import Segmenter  # noqa: E402
from lungseg.inference.view import thumbnail  # noqa: E402
from lungseg.model.viewnet import ViewConfig, ViewNet, load_view_model, save_view_model  # noqa: E402
from lungseg.training.pathology import collimation, low_contrast  # noqa: E402

log = logging.getLogger("polarity_model")
COMMAND = "python benchmarks/polarity_model.py"
PORTABLE = 0.3  # --portable: share of training films given a portable film's look before the inversion
SMALL_FIELD = 0.15  # --small-field: share of training films shrunk into a noisy black field (round 67)


def shutters(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """1-4 sides covered by a flat band of 2-25% of the side: white (unexposed film) half the time, else black or
    grey."""
    out, (h, w) = img.copy(), img.shape
    value = 1.0 if rng.random() < 0.5 else float(rng.choice([0.0, rng.uniform(0.6, 0.95)]))
    sides = np.flatnonzero(rng.random(4) < 0.5)
    for side in sides if len(sides) else [int(rng.integers(4))]:
        depth = int(rng.uniform(0.02, 0.25) * (h if side < 2 else w))
        region = [(slice(0, depth), slice(None)), (slice(h - depth, h), slice(None)),
                  (slice(None), slice(0, depth)), (slice(None), slice(w - depth, w))][side]  # fmt: skip
        out[region] = value
    return out


def portable_look(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A portable film's look: flat and noisy 60% of the time, shuttered 80% of the time."""
    img = low_contrast(img, rng) if rng.random() < 0.6 else img
    return np.clip(shutters(img, rng) if rng.random() < 0.8 else img, 0, 1)


def small_in_field(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A small patient on a large detector: the film shrunk to 40-75% of each side at a random place in a black
    field, with noise of sigma up to 0.02 over the whole film, clipped at black (as ``small_chest.py`` draws it)."""
    h, w = img.shape
    scale = rng.uniform(0.4, 0.75)
    sh, sw = max(1, int(h * scale)), max(1, int(w * scale))
    y0, x0 = int(rng.integers(0, h - sh + 1)), int(rng.integers(0, w - sw + 1))
    out = np.zeros((h, w), np.float32)
    out[y0 : y0 + sh, x0 : x0 + sw] = resize_float(np.asarray(img, np.float32), sh, sw)
    return np.clip(out + rng.normal(0, rng.uniform(0, 0.02), out.shape), 0, 1)


def drawn(film: np.ndarray, rng: np.random.Generator, portable: bool = False, small_field: bool = False) -> np.ndarray:
    """A film as a hospital might send it, grey scale as it was (turned, cropped or padded, a block, windowing;
    with ``portable``, a portable film's look ``PORTABLE`` of the time; with ``small_field``, shrunk into a black
    field ``SMALL_FIELD`` of the time; the draws before each as without)."""
    img = _crop_or_pad(_affine(film, rng, 35) if rng.random() < 0.7 else film, rng)
    img = img[:, ::-1] if rng.random() < 0.5 else img
    if rng.random() < 0.15:  # a block (lead apron, detector fault, a label)
        h, w = img.shape
        y, x = rng.integers(0, h // 2), rng.integers(0, w // 2)
        img = img.copy()
        img[y : y + int(h * rng.uniform(0.2, 0.5)), x : x + int(w * rng.uniform(0.2, 0.5))] = rng.choice([0.0, 1.0])
    img = np.clip(_intensity(img, rng), 0, 1)
    img = portable_look(img, rng) if portable and rng.random() < PORTABLE else img
    return small_in_field(img, rng) if small_field and rng.random() < SMALL_FIELD else img


def batch(films: np.ndarray, rng: np.random.Generator, size: int, n: int,
          portable: bool = False, small_field: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` drawn films, the second half inverted (label 1)."""
    images = [drawn(films[rng.integers(len(films))], rng, portable, small_field) for _ in range(n)]
    y = np.r_[np.zeros(n // 2), np.ones(n - n // 2)]
    images = [1 - img if flip else img for img, flip in zip(images, y, strict=True)]
    x = np.stack([thumbnail(np.ascontiguousarray(img, np.float32), size) for img in images])
    return torch.from_numpy(x)[:, None], torch.from_numpy(y).float()


def train(films: np.ndarray, steps: int, seed: int = 0, portable: bool = False, small_field: bool = False) -> ViewNet:
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = ViewNet(ViewConfig())
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=2e-3, total_steps=steps, pct_start=0.1)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    model.train()
    for step in range(steps):
        x, y = batch(films, rng, model.config.size, 64, portable, small_field)
        loss = loss_fn(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if step % 200 == 0 or step == steps - 1:
            log.info("step %d loss %.4f", step, loss.item())
    return model.eval()


def logits(model: ViewNet, images: list[np.ndarray]) -> np.ndarray:
    x = torch.from_numpy(np.stack([thumbnail(np.asarray(img, np.float32), model.config.size) for img in images]))
    with torch.inference_mode():
        return model(x[:, None]).numpy()


def both_ways(model: ViewNet, images: list[np.ndarray], kinds: list[str] | None = None) -> dict:
    """Each image as it is and inverted: upright ones called inverted, inverted ones missed, the AUROC, and the
    kinds of the images behind the errors. ``kinds``: each image's corruptions (``inverted`` among them: the
    image is inverted as given)."""
    kinds = kinds or ["clean"] * len(images)
    given = np.array(["inverted" in k.split("+") for k in kinds])
    scores = np.r_[logits(model, images), logits(model, [1 - img for img in images])]
    truth = np.r_[given, ~given]
    up, down = scores[~truth], scores[truth]
    wrong = (scores > 0) != truth
    return {"n": len(images), "upright_called_inverted": int((up > 0).sum()),
            "inverted_missed": int((down <= 0).sum()), "upright_max_logit": round(float(up.max()), 2),
            "inverted_min_logit": round(float(down.min()), 2), "auroc": round(auroc(scores, truth), 4),
            "error_kinds": sorted({(kinds * 2)[k] for k in np.flatnonzero(wrong)})}  # fmt: skip


def judge(model: ViewNet, adult_test: list, v7_test: list, seed: int = 1, portable_row: bool = False) -> dict:
    films = [img for img, _ in adult_test]
    corrupted = [(kind, img) for i, (f, m) in enumerate(adult_test)
                 for kind, (img, _) in perturbed(f, m, np.random.default_rng([seed, i]))]  # fmt: skip
    out = {"adult_clean": both_ways(model, films),
           "adult_corrupted": both_ways(model, [img for _, img in corrupted], [kind for kind, _ in corrupted]),
           "v7_clean": both_ways(model, [img for img, _ in v7_test])}  # fmt: skip
    if portable_row:  # round 42: flat and shuttered by the lung simulator's own functions, the benchmark's seeds
        looks = [np.clip(collimation(low_contrast(f, rng := np.random.default_rng([42, i])), rng), 0, 1)
                 for i, f in enumerate(films)]  # fmt: skip
        out["adult_portable"] = both_ways(model, looks)
    return out


def inverted_dice(samples: list, checkpoint: Path) -> dict:
    """Mean (min) Dice of the shipped lung model on inverted films, the polarity check off and on."""
    out = {}
    for polarity in ("keep", "auto"):
        seg = Segmenter.from_pretrained(polarity=polarity, polarity_model=checkpoint)
        dice = []
        for sample in samples:
            image, mask = read_labelled(sample)
            dice.append(overlap_metrics(seg(1 - image).mask, mask)["dice"])
        out[polarity] = {"dice_mean": round(float(np.mean(dice)), 4), "dice_min": round(float(np.min(dice)), 4)}
    return {"n": len(samples), **out}


def header(result: dict) -> list[str]:
    """The first lines of a run with options (round 42): what ran, and how long training took if it trained."""
    looks = "a portable film's look" + (" and small films in a black field" * ("--small-field" in result["command"]))
    trained = (f"Trained on {result['n_train_films']} training films as the bundled model was, with "
               f"{looks}; {result['steps']} steps of 64 inputs, {result['train_seconds']} s on this machine's CPU."
               if result["steps"] else "Judges an existing model; trains nothing.")  # fmt: skip
    return [f"`{result['command']}` ({result['params']} weights, 64 px input); every figure here is from it.", trained,
            "`adult_portable`: the adult test films made flat and shuttered (the lung simulator's `low_contrast` and "
            "`collimation`, the benchmark's seeds)."]  # fmt: skip


def render(result: dict) -> str:
    t, d = result["test"], result["montgomery_test_inverted"]
    rows = [f"| {name} | {r['n']} | {r['upright_called_inverted']} | {r['inverted_missed']} | "
            f"{r['upright_max_logit']} / {r['inverted_min_logit']} | {r['auroc']} |"
            for name, r in t.items()]  # fmt: skip
    return "\n".join([
        "# Polarity model: is the X-ray inverted?", "",
        *(header(result) if "command" in result else [
            f"`{COMMAND}` trains the bundled `lungseg-polarity` model ({result['params']} weights, 64 px input) and",
            "writes `polarity_model.json`; every figure here is from it. Trained on the training films of",
            f"`splits/pathology.json` and `splits/v7_pediatric.json` ({result['n_train_films']} films), drawn and",
            f"inverted at random; {result['steps']} steps of 64 inputs, {result['train_seconds']} s on this machine's "
            "CPU."]),
        "Judged on films training never sees, each as it is and inverted (logit > 0: inverted).", "",
        "| test films | n | upright called inverted | inverted missed | highest upright / lowest inverted logit "
        "| AUROC |", "|---|---|---|---|---|---|", *rows, "",
        "(`adult`: the quality benchmark's 173 test films of `splits/pathology.json`; `corrupted`: 4 corrupted",
        "versions of each, as in `benchmarks/quality.md`, where the `inverted` corruption counts as inverted;",
        "`v7`: the 200 children's test films.) Errors, by the corruptions of the film behind them: "
        + ("; ".join(f"{name}: {', '.join(r['error_kinds'])}" for name, r in t.items() if r["error_kinds"]) or "none")
        + ".", "",
        f"End to end, the shipped lung model on the {d['n']} Montgomery test films inverted: Dice "
        f"{d['keep']['dice_mean']} (min {d['keep']['dice_min']}) with `--polarity keep`, **{d['auto']['dice_mean']}** "
        f"(min {d['auto']['dice_min']}) with the check (`--polarity auto`, the default).",
    ]) + "\n"  # fmt: skip


def options(parser) -> None:
    parser.add_argument("--portable", action="store_true", help="train with a portable film's look (round 42)")
    parser.add_argument("--small-field", action="store_true", help="also small films in a black field (round 67)")
    parser.add_argument("--judge", type=Path, help="judge this polarity model instead of training one")
    parser.add_argument("--name", default="polarity_model", help="benchmarks/<NAME>.json and .md")


def main() -> None:
    args, films, (path_split, adult, v7_split, v7) = thumbnail_run(__doc__.splitlines()[0], 2000, "polarity_model.pt",
                                                                   options)  # fmt: skip
    start = time.perf_counter()
    model = (load_view_model(args.judge)[0] if args.judge
             else train(films, args.steps, portable=args.portable, small_field=args.small_field))  # fmt: skip
    seconds = round(time.perf_counter() - start)
    test = judge(model, [small_pair(s) for s in select(adult, path_split["test"])],
                 [small_pair(s) for s in select(v7, v7_split["test"])], portable_row=args.portable or bool(args.judge))
    metrics = json.loads(json.dumps(test))  # plain Python types: the checkpoint loads with weights_only
    command = COMMAND + " --portable" * args.portable + " --small-field" * args.small_field
    command += f" --judge {args.judge}" if args.judge else ""
    command += f" --name {args.name}" if args.name != "polarity_model" else ""
    if not args.judge:
        save_view_model(args.output, model, provenance=f"{command} --steps {args.steps}", metrics=metrics)
    montgomery = [s for s in select(adult, path_split["test"]) if s.image.name.startswith("MCUCXR")]
    result = {"params": sum(p.numel() for p in model.parameters()), "n_train_films": len(films),
              "steps": None if args.judge else args.steps, "train_seconds": None if args.judge else seconds,
              "test": test, "montgomery_test_inverted": inverted_dice(montgomery, args.judge or args.output)}
    result |= {"command": command} if command != COMMAND else {}  # the committed round-19 output has no command
    (HERE / f"{args.name}.json").write_text(json.dumps(result, indent=1) + "\n")
    (HERE / f"{args.name}.md").write_text(render(result))
    print(render(result))


if __name__ == "__main__":
    main()
