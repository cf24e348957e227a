"""Train the edge model (``lungseg-edge``): the lung outline moved onto the film's own edges at the masks' 512 px.

Why: the lung model sees the film at 256 px and its masks are scored at 512; on the Montgomery validation films
72% of its wrong pixels lie within 3 px of the manual outline (48% within 1.5 px). The edge model is a small U-Net
at ``SIZE`` px that takes the film and the lung model's logits (bilinearly enlarged) and returns a correction to
those logits (``lungseg.inference.edge_refine``), so it only has to learn where an outline sits, not what a lung is.

Training: the training films of ``splits/combined_no_shenzhen_abnormal.json`` (Shenzhen normal films, Montgomery
training half, Wingspan training part: masks that follow the lung's edge), the shipped lung model's logits on each
(computed once), crops of ``CROP`` px centred near the manual outline most of the time, flipped, the film's contrast
jittered and the logits shifted by up to ``SHIFT`` px and scaled (a lung model is not as close to the outline on
films it never saw). BCE, AdamW, one-cycle schedule, seed 0.

Usage: python benchmarks/edge_model.py --steps 3000 --output runs/edge_model.pt [--balanced] [--only MCU]
(``--balanced``: each data set drawn as often as the others; ``--only``: the films whose names start so.)
Judged with ``benchmarks/validation_choice.py`` (``MODEL@EDGE``) like any change to the pipeline (MODEL_CARD, round 37).
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from lungseg.data.layouts import discover, load_split, select
from lungseg.inference.edge_refine import EDGE_INPUT_SCALE, SIZE
from lungseg.inference.pipeline import to_working
from lungseg.inference.preprocess import resize_mask
from lungseg.inference.segmenter import Segmenter
from lungseg.io.reader import read_mask, read_xray
from lungseg.model.checkpoint import save_checkpoint
from lungseg.model.pretrained import WEIGHTS_LICENCE
from lungseg.model.unet import UNet

HERE = Path(__file__).resolve().parent
WIDTH, DEPTH, LR, BATCH, CROP, SHIFT = 8, 3, 2e-3, 16, 128, 3
NEAR_EDGE = 0.85  # share of crops centred on the manual outline (the rest anywhere)
log = logging.getLogger("edge_model")


def training_samples(data: Path) -> list:
    return select(discover([str(data / "Lung Segmentation"), str(data / "wingspan")])[1],
                  load_split(HERE.parent / "splits" / "combined_no_shenzhen_abnormal.json")["train"])  # fmt: skip


def prepare(data: Path, lung_model: str, only: str = "") -> tuple[np.ndarray, ...]:
    """(films (N, SIZE, SIZE) float16 as the edge model sees them, lung logits (N, 256, 256) float16, masks (N,
    SIZE, SIZE) bool): the lung model run once per film, fp32."""
    seg = Segmenter.from_pretrained(lung_model, precision="fp32")
    films, logits, masks = [], [], []
    samples = [s for s in training_samples(data) if s.name.startswith(only)]
    for s in samples:
        xray = read_xray(s.image)
        films.append(to_working(xray, SIZE, seg.intensity)[0].astype(np.float16))
        logits.append(seg.predict_working(to_working(xray, seg.image_size, seg.intensity)[None])[0, 0])
        masks.append(resize_mask(read_mask(s.mask), SIZE, SIZE))
    return np.stack(films), np.stack(logits).astype(np.float16), np.stack(masks), [s.name for s in samples]


def crop_centre(mask: np.ndarray, rng: np.random.Generator) -> tuple[int, int]:
    """A crop's top-left corner: centred on a random outline pixel ``NEAR_EDGE`` of the time, else anywhere."""
    if rng.random() < NEAR_EDGE:
        edge = mask ^ np.roll(mask, 1, 0) | mask ^ np.roll(mask, 1, 1)
        ys, xs = np.nonzero(edge)
        if len(ys):
            k = rng.integers(len(ys))
            return (int(np.clip(ys[k] - CROP // 2, 0, SIZE - CROP)), int(np.clip(xs[k] - CROP // 2, 0, SIZE - CROP)))
    return int(rng.integers(SIZE - CROP + 1)), int(rng.integers(SIZE - CROP + 1))


def source_groups(names: list[str]) -> list[np.ndarray]:
    """Film indices by data set (Montgomery, Shenzhen, Wingspan: their names tell them apart)."""
    keys = ["MCU" if n.startswith("MCU") else "CHN" if n.startswith("CHN") else "other" for n in names]
    return [np.flatnonzero(np.array(keys) == k) for k in sorted(set(keys))]


def draw(groups: list[np.ndarray] | None, n: int, rng: np.random.Generator) -> np.ndarray:
    """BATCH film indices: uniformly, or (``groups``) each data set as often as the others."""
    if groups is None:
        return rng.integers(n, size=BATCH)
    return np.array([rng.choice(groups[rng.integers(len(groups))]) for _ in range(BATCH)])


def batch(films, logits_up, masks, rng, groups=None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(inputs (B, 2, CROP, CROP), lung logits enlarged (B, 1, CROP, CROP), targets (B, 1, CROP, CROP))."""
    xs, ls, ys = [], [], []
    for i in draw(groups, len(films), rng):
        top, left = crop_centre(masks[i], rng)
        dy, dx = rng.integers(-SHIFT, SHIFT + 1, size=2) if rng.random() < 0.5 else (0, 0)
        t2, l2 = int(np.clip(top + dy, 0, SIZE - CROP)), int(np.clip(left + dx, 0, SIZE - CROP))
        film = films[i, top : top + CROP, left : left + CROP].astype(np.float32)
        gamma = float(np.exp(rng.normal(0, 0.25)))
        film = np.clip(film, 0, 1) ** gamma
        logit = logits_up[i, t2 : t2 + CROP, l2 : l2 + CROP].astype(np.float32) * float(rng.uniform(0.6, 1.4))
        mask = masks[i, top : top + CROP, left : left + CROP]
        if rng.random() < 0.5:
            film, logit, mask = film[:, ::-1], logit[:, ::-1], mask[:, ::-1]
        xs.append(film)
        ls.append(logit)
        ys.append(mask)
    film_t, logit_t = (torch.from_numpy(np.stack(a)[:, None].copy()) for a in (xs, ls))
    inputs = torch.cat([film_t, torch.tanh(logit_t * EDGE_INPUT_SCALE)], 1)
    return inputs, logit_t, torch.from_numpy(np.stack(ys)[:, None].astype(np.float32))


def train(films, logits, masks, steps: int, output: Path, groups: list[np.ndarray] | None = None) -> None:
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    up = F.interpolate(torch.from_numpy(logits.astype(np.float32))[:, None], size=SIZE, mode="bilinear",
                       align_corners=False)[:, 0].numpy().astype(np.float16)  # fmt: skip
    model = UNet(2, 1, WIDTH, DEPTH)
    opt = torch.optim.AdamW(model.parameters(), LR)
    schedule = torch.optim.lr_scheduler.OneCycleLR(opt, LR, total_steps=steps)
    start = time.time()
    for step in range(steps):
        x, base, y = batch(films, up, masks, rng, groups)
        loss = F.binary_cross_entropy_with_logits(base + model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        schedule.step()
        if step % 100 == 0 or step == steps - 1:
            log.info("step %d loss %.4f %.0f s", step, loss.item(), time.time() - start)
            if step % 1000 == 0 or step == steps - 1:
                save(model, output, step + 1)


def save(model: UNet, output: Path, steps: int) -> None:
    output.parent.mkdir(parents=True, exist_ok=True)
    was = model.training
    save_checkpoint(output, model.eval(), licence=WEIGHTS_LICENCE, steps=steps,
                    train_config={"image_size": SIZE, "intensity": "equalize", "target": "edge"})  # fmt: skip
    model.train(was)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=HERE.parent.parent / "shared" / "data")
    parser.add_argument("--lung-model", default="lungseg-unet-default")
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--balanced", action="store_true", help="each data set drawn as often as the others")
    parser.add_argument("--only", default="", help="only the training films whose names start so (MCU: Montgomery)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stdout)
    start = time.time()
    films, logits, masks, names = prepare(args.data, args.lung_model, args.only)
    log.info("%d training films prepared in %.0f s", len(films), time.time() - start)
    train(films, logits, masks, args.steps, args.output, source_groups(names) if args.balanced else None)


if __name__ == "__main__":
    main()
