"""Train the view model (frontal chest X-ray or not, ``lungseg/model/viewnet.py``) and judge it on held-out inputs.

Positives: the training films of ``splits/pathology.json`` (Montgomery, Shenzhen, Wingspan) and of
``splits/v7_pediatric.json`` (children), each drawn with random shifts, turns up to 35 degrees, crops, padding,
gamma, contrast, noise, blur, inversion and blocks (all still frontal films). Negatives, drawn fresh each step:
the same films turned 90/180/270 degrees or flipped upside down, one side of them cut at the spine (a
stand-in for a lateral view), the "fit" half of scikit-image's pictures
(random crops, turns, gamma), random textures and shapes, blanks, and CT-slice and lateral phantoms (from
``quality_sets``' generators with other seeds). Nothing of the quality benchmark's test part is used: its test
films, its "eval" pictures and phantom seeds are only judged here.

Usage: python benchmarks/view_model.py [--data PATH] [--steps N] [--output FILE]
Writes the checkpoint (default runs/view_model.pt), benchmarks/view_model.json and benchmarks/view_model.md.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from scipy import ndimage

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from quality import small_pair  # noqa: E402
from quality_sets import _blanks, _ct_slice, _lateral, _photos, not_frontal, perturbed  # noqa: E402

from lungseg.data.layouts import discover, load_split, select  # noqa: E402
from lungseg.evaluation.quality_fit import auroc  # noqa: E402
from lungseg.inference.preprocess import resize_float  # noqa: E402
from lungseg.inference.view import thumbnail  # noqa: E402
from lungseg.io.reader import read_xray  # noqa: E402
from lungseg.model.viewnet import ViewConfig, ViewNet, save_view_model  # noqa: E402

log = logging.getLogger("view_model")
STORE = 160  # films are kept squeezed to this square, then drawn and shrunk to the model's 64 px
COMMAND = "python benchmarks/view_model.py"


def film_sets(data: Path) -> tuple[dict, list, dict, list]:
    """(``splits/pathology.json``, the adult samples, ``splits/v7_pediatric.json``, the v7 samples): the films the
    thumbnail models (view, polarity) learn from (train lists) and are judged on (test lists)."""
    adult = discover([str(data / "Lung Segmentation"), str(data / "wingspan")])[1]
    v7 = discover(data / "v7_pediatric")[1]
    return load_split(HERE.parent / "splits" / "pathology.json"), adult, load_split(
        HERE.parent / "splits" / "v7_pediatric.json"), v7  # fmt: skip


def load_films(samples, cache: Path | None) -> np.ndarray:
    """(N, STORE, STORE) float32 films in [0, 1], read once and cached."""
    if cache and cache.is_file():
        return np.load(cache)
    out = np.stack([resize_float(read_xray(s.image).pixels, STORE, STORE) for s in samples])
    if cache:
        np.save(cache, out)
    return out


def _affine(img: np.ndarray, rng: np.random.Generator, max_deg: float) -> np.ndarray:
    deg = np.deg2rad(rng.uniform(-max_deg, max_deg))
    scale = rng.uniform(0.85, 1.15)
    rot = np.array([[np.cos(deg), -np.sin(deg)], [np.sin(deg), np.cos(deg)]]) / scale
    centre = np.array(img.shape) / 2
    offset = centre - rot @ centre + rng.uniform(-0.08, 0.08, 2) * img.shape[0]
    return ndimage.affine_transform(img, rot, offset, order=1, mode="constant", cval=float(rng.choice([0, img.min()])))


def _crop_or_pad(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    n = img.shape[0]
    r = rng.random()
    if r < 0.2:  # cut away one side (up to 40%)
        c = int(n * rng.uniform(0.05, 0.4))
        return img[:, c:] if rng.random() < 0.5 else img[:, : n - c]
    if r < 0.35:  # cut the top or bottom (up to 25%)
        c = int(n * rng.uniform(0.05, 0.25))
        return img[c:] if rng.random() < 0.5 else img[: n - c]
    if r < 0.5:  # padding around (a small film on a large detector)
        return np.pad(img, int(n * rng.uniform(0.05, 0.3)), constant_values=float(rng.choice([0.0, 1.0])))
    return img


def _intensity(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    img = np.clip(img, 0, 1) ** np.exp(rng.uniform(np.log(0.3), np.log(3)))
    s = np.exp(rng.uniform(np.log(0.05), 0))  # down to a twentieth of the contrast
    img = s * img + rng.uniform(0, 1 - s)
    if rng.random() < 0.3:
        img = img + rng.normal(0, rng.uniform(0.01, 0.2), img.shape)
    if rng.random() < 0.2:
        img = ndimage.gaussian_filter(img, rng.uniform(0.5, 3))
    return img


def frontal(film: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A frontal film as a hospital might send it (side crops, padding, turned up to 35 degrees, any windowing)."""
    img = _crop_or_pad(_affine(film, rng, 35) if rng.random() < 0.7 else film, rng)
    img = img[:, ::-1] if rng.random() < 0.5 else img
    img = 1 - img if rng.random() < 0.1 else img
    if rng.random() < 0.15:  # a block (lead apron, detector fault)
        h, w = img.shape
        y, x = rng.integers(0, h // 2), rng.integers(0, w // 2)
        img = img.copy()
        img[y : y + int(h * rng.uniform(0.2, 0.5)), x : x + int(w * rng.uniform(0.2, 0.5))] = rng.choice([0.0, 1.0])
    return _intensity(img, rng)


def _texture(rng: np.random.Generator, n: int = STORE) -> np.ndarray:
    r = rng.random()
    if r < 0.4:  # 1/f noise: cloud- and landscape-like
        f = np.fft.fftfreq(n)
        amp = 1 / np.maximum(np.hypot(*np.meshgrid(f, f)), 1 / n) ** rng.uniform(1, 2.5)
        return np.real(np.fft.ifft2(amp * np.exp(2j * np.pi * rng.random((n, n)))))
    if r < 0.7:  # random shapes
        yy, xx = np.mgrid[:n, :n] / n
        img = np.full((n, n), rng.random())
        for _ in range(rng.integers(2, 12)):
            cy, cx, a, b = rng.random(4) * [1, 1, 0.4, 0.4] + [0, 0, 0.03, 0.03]
            shape = ((yy - cy) / a) ** 2 + ((xx - cx) / b) ** 2 <= 1 if rng.random() < 0.5 else (
                (abs(yy - cy) < a) & (abs(xx - cx) < b))  # fmt: skip
            img[shape] = rng.random()
        return img
    period = rng.uniform(4, 40)  # stripes and grids
    yy, xx = np.mgrid[:n, :n]
    angle = rng.uniform(0, np.pi)
    return np.sin((np.cos(angle) * xx + np.sin(angle) * yy) * 2 * np.pi / period) * (rng.random() < 0.5 or np.sin(
        yy * 2 * np.pi / period))  # fmt: skip


def hemithorax(film: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One side of a frontal film cut at the spine, to be squeezed square: one lung field with the spine along
    one edge, the nearest thing to a lateral view these films give (a kept side crop stays under 40%)."""
    n = film.shape[1]
    cut = int(n * rng.uniform(0.45, 0.55))
    half = film[:, :cut] if rng.random() < 0.5 else film[:, cut:]
    return half[:, ::-1] if rng.random() < 0.5 else half


class Negatives:
    """Draws inputs that must be flagged: turned films, pictures, textures, blanks, phantoms."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.photos = [img for _, img in _photos("fit")]
        self.ct = [resize_float(_ct_slice(rng), STORE, STORE) for _ in range(60)]
        self.lateral = [resize_float(_lateral(rng), STORE, STORE) for _ in range(60)]

    def __call__(self, films: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        r = rng.random()
        if r < 0.35:
            img = frontal(films[rng.integers(len(films))], rng)
            return np.rot90(img, int(rng.integers(1, 4))) if rng.random() < 0.75 else img[::-1]
        if r < 0.45:
            return _intensity(hemithorax(films[rng.integers(len(films))], rng), rng)
        if r < 0.65:
            photo = self.photos[rng.integers(len(self.photos))]
            h, w = photo.shape
            s = rng.uniform(0.5, 1)
            y, x = rng.integers(0, int(h * (1 - s)) + 1), rng.integers(0, int(w * (1 - s)) + 1)
            img = np.rot90(photo[y : y + int(h * s), x : x + int(w * s)], int(rng.integers(4)))
            return _intensity(img, rng)
        if r < 0.75:
            t = _texture(rng)
            return _intensity((t - t.min()) / max(np.ptp(t), 1e-9), rng)
        if r < 0.8:
            return [b for _, b in _blanks(rng)][rng.integers(4)]
        pool = self.ct if r < 0.9 else self.lateral
        img = _affine(pool[rng.integers(len(pool))], rng, 180 if pool is self.ct else 15)
        return _intensity(img[:, ::-1] if rng.random() < 0.5 else img, rng)


def batch(films, negatives, rng, size: int, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    images = [frontal(films[rng.integers(len(films))], rng) for _ in range(n // 2)]
    images += [negatives(films, rng) for _ in range(n - n // 2)]
    x = np.stack([thumbnail(np.ascontiguousarray(img, np.float32), size) for img in images])
    y = np.r_[np.zeros(n // 2), np.ones(n - n // 2)]
    return torch.from_numpy(x)[:, None], torch.from_numpy(y).float()


def train(films: np.ndarray, steps: int, seed: int = 0) -> ViewNet:
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model, negatives = ViewNet(ViewConfig()), Negatives(np.random.default_rng(1000 + seed))
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=2e-3, total_steps=steps, pct_start=0.1)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    model.train()
    for step in range(steps):
        x, y = batch(films, negatives, rng, model.config.size, 64)
        loss = loss_fn(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if step % 200 == 0 or step == steps - 1:
            log.info("step %d loss %.4f", step, loss.item())
    return model.eval()


def logits(model: ViewNet, images: list[np.ndarray]) -> np.ndarray:
    x = torch.from_numpy(np.stack([thumbnail(img, model.config.size) for img in images]))[:, None]
    with torch.inference_mode():
        return model(x).numpy()


def judge(model: ViewNet, test: list[tuple[np.ndarray, np.ndarray]], seed: int) -> dict:
    """Clean and corrupted test films (must pass; the same draws as the quality benchmark's test part) and the
    quality benchmark's held-out not-frontal set."""
    test_films = [img for img, _ in test]
    clean = logits(model, test_films)
    corrupted = [(k, img) for i, (f, m) in enumerate(test)
                 for k, (img, _) in perturbed(f, m, np.random.default_rng([seed, i]))]  # fmt: skip
    corr = logits(model, [img for _, img in corrupted])
    halves = np.random.default_rng(seed)
    other = not_frontal(test_films[:48], "eval") + [("hemithorax", np.ascontiguousarray(hemithorax(f, halves)))
                                                     for f in test_films[48:96]]  # fmt: skip
    kind_of = np.array([n.split(":")[0] for n, _ in other])
    oth = logits(model, [img for _, img in other])
    labels = np.r_[np.zeros(len(clean)), np.ones(len(oth))].astype(bool)
    return {
        "n_clean": len(clean), "clean_flagged": int((clean > 0).sum()), "clean_max_logit": round(float(clean.max()), 3),
        "n_corrupted": len(corr), "corrupted_flagged": int((corr > 0).sum()),
        "corrupted_flagged_kinds": sorted({k for (k, _), v in zip(corrupted, corr, strict=True) if v > 0}),
        "not_frontal": {str(k): {"n": int((kind_of == k).sum()), "flagged": int((oth[kind_of == k] > 0).sum())}
                        for k in sorted(set(kind_of))},
        "auroc_clean_vs_not_frontal": round(auroc(np.r_[clean, oth], labels), 4),
    }  # fmt: skip


def render(result: dict) -> str:
    t = result["test"]
    rows = [f"| {k} | {v['n']} | {v['flagged']} |" for k, v in t["not_frontal"].items()]
    return "\n".join([
        "# View model: is the input a frontal chest X-ray?", "",
        f"`{COMMAND}` trains the bundled `lungseg-view` model ({result['params']} weights, 64 px input) and writes",
        "`view_model.json`; every figure here is from it. Trained on the training films of `splits/pathology.json`",
        f"and `splits/v7_pediatric.json` ({result['n_train_films']} films) and on drawn negatives; judged on the",
        "quality benchmark's test films and its held-out not-frontal set, which training never sees.",
        f"Training: {result['steps']} steps of 64 inputs, {result['train_seconds']} s on this machine's CPU.", "",
        f"Clean test films flagged (logit > 0): {t['clean_flagged']} of {t['n_clean']} (highest logit "
        f"{t['clean_max_logit']}); corrupted versions flagged: {t['corrupted_flagged']} of {t['n_corrupted']} "
        f"(kinds: {', '.join(t['corrupted_flagged_kinds']) or 'none'}).", "",
        "| held-out kind | n | flagged by the view model alone |", "|---|---|---|", *rows, "",
        "(`hemithorax`: one side of another 48 test films cut at the spine, a stand-in for a lateral view; not",
        "part of the quality benchmark's set.)", "",
        f"AUROC, clean test films vs the held-out not-frontal set: {t['auroc_clean_vs_not_frontal']}.", "",
        "The quality model takes the logit as its `view` feature (`benchmarks/quality.md` gives the combined",
        "flag). The CT and lateral inputs are phantoms from the same generator as the training negatives",
        "(other seeds): they show the model learned the idea, not that it catches every real CT slice or",
        "lateral film.",
    ]) + "\n"  # fmt: skip


def thumbnail_run(description: str, steps: int, output: str,
                  extra: Callable[[argparse.ArgumentParser], None] | None = None) -> tuple[argparse.Namespace,
                                                                                          np.ndarray, tuple]:
    """The command line and the training films of a thumbnail model's benchmark (view, polarity): (arguments,
    films, :func:`film_sets`), logging on and torch on one thread; ``extra`` adds a benchmark's own options."""
    parser = argparse.ArgumentParser(description=description)
    if extra is not None:
        extra(parser)
    parser.add_argument("--data", type=Path, default=HERE.parent.parent / "shared" / "data")
    parser.add_argument("--steps", type=int, default=steps)
    parser.add_argument("--output", type=Path, default=HERE.parent / "runs" / output)
    parser.add_argument("--cache", type=Path, default=HERE.parent / "runs" / "view_films.npy")
    args = parser.parse_args()
    if args.steps < 20:
        parser.error("--steps must be at least 20 (the one-cycle schedule warms up over a tenth of them)")
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    torch.set_num_threads(1)
    sets = film_sets(args.data)
    path_split, adult, v7_split, v7 = sets
    films = load_films(select(adult, path_split["train"]) + select(v7, v7_split["train"]), args.cache)
    return args, films, sets


def main() -> None:
    args, films, (path_split, adult, _, _) = thumbnail_run(__doc__.splitlines()[0], 3000, "view_model.pt")
    start = time.perf_counter()
    model = train(films, args.steps)
    seconds = round(time.perf_counter() - start)
    test = [small_pair(s) for s in select(adult, path_split["test"])]
    result = {"params": sum(p.numel() for p in model.parameters()), "n_train_films": len(films),
              "steps": args.steps, "train_seconds": seconds, "test": judge(model, test, seed=1)}  # fmt: skip
    metrics = json.loads(json.dumps(result["test"]))  # plain Python types: the checkpoint loads with weights_only
    save_view_model(args.output, model, provenance=f"{COMMAND} --steps {args.steps}", metrics=metrics)
    (HERE / "view_model.json").write_text(json.dumps(result, indent=1) + "\n")
    (HERE / "view_model.md").write_text(render(result))
    print(render(result))


if __name__ == "__main__":
    main()
