"""Train the shape model (``lungseg-shape``) and choose how it completes lungs, on validation films only.

Training: the manual lung masks of the training films of ``splits/pathology.json`` (Shenzhen, Montgomery training
half, Wingspan training part), at 128 px, turned, scaled and shifted, with zones removed by
``lungseg/training/shape_masks.py`` (a lost base, a patch, a whole lung, patchy loss; or none); the target is the
whole mask. A U-Net of width 8, BCE + Dice, AdamW with a one-cycle schedule, seed 0. No image is used.

Choice: the shipped lung model's outputs (its mirror-image completion off) on the validation films of
``validation_choice.py`` (50 adult films clean and with six simulated diseases; 100 v7 pediatric films on the
zones both conventions agree on; lung over the manual heart on the 16 Wingspan films), completed by the shape
model at each threshold, minimum gain and probability floor (growth only where the lung model's probability is
above it). Test films are never used here.

Usage: python benchmarks/shape_model.py [--steps N] [--checkpoint runs/shape_model.pt] [--judge-only]
Writes the checkpoint (fp16), benchmarks/shape_model.json and benchmarks/shape_model.md.
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
from lungseg.inference.preprocess import resize_mask, to_byte_mask  # noqa: E402
from lungseg.inference.segmenter import Segmenter  # noqa: E402
from lungseg.inference.shape_completion import complete_shape, shape_model_file  # noqa: E402
from lungseg.io.reader import XRay, read_mask  # noqa: E402
from lungseg.model.checkpoint import save_checkpoint  # noqa: E402
from lungseg.model.pretrained import WEIGHTS_LICENCE  # noqa: E402
from lungseg.model.unet import UNet  # noqa: E402
from lungseg.training.shape_masks import corrupt, moved  # noqa: E402

SIZE, WIDTH, BATCH, LR = 128, 8, 16, 2e-3
THRESHOLDS, GAINS, FLOORS = (0.5, 0.7, 0.9), (0.0, 0.02), (0.0, 0.05, 0.1, 0.2, 0.3)
log = logging.getLogger("shape_model")


def training_masks(data: Path) -> np.ndarray:
    """(N, SIZE, SIZE) bool: the training films' manual lung masks, box-averaged to SIZE."""
    samples = select(discover([str(data / "Lung Segmentation"), str(data / "wingspan")])[1],
                     load_split(HERE.parent / "splits" / "pathology.json")["train"])  # fmt: skip
    small = [Image.fromarray(to_byte_mask(read_mask(s.mask))).resize((SIZE, SIZE), Image.Resampling.BOX)
             for s in samples]  # fmt: skip
    return np.stack([np.asarray(m) > 127 for m in small])


def batch(masks: np.ndarray, rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """(corrupted, whole) masks, (BATCH, 1, SIZE, SIZE) float32 each."""
    inputs, targets = [], []
    for i in rng.integers(len(masks), size=BATCH):
        whole = moved(masks[i], rng)
        whole = whole if whole.sum() >= 50 else masks[i]
        inputs.append(corrupt(whole, rng))
        targets.append(whole)
    return tuple(torch.from_numpy(np.stack(a)[:, None].astype(np.float32)) for a in (inputs, targets))


def train(masks: np.ndarray, steps: int, checkpoint: Path) -> None:
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    model = UNet(1, 1, WIDTH, 4)
    opt = torch.optim.AdamW(model.parameters(), LR)
    schedule = torch.optim.lr_scheduler.OneCycleLR(opt, LR, total_steps=steps)
    start = time.time()
    for step in range(steps):
        x, y = batch(masks, rng)
        logits = model(x)
        p = torch.sigmoid(logits)
        dice = (2 * (p * y).sum() + 1) / (p.sum() + y.sum() + 1)
        loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, y) + 1 - dice
        opt.zero_grad()
        loss.backward()
        opt.step()
        schedule.step()
        if step % 100 == 0 or step == steps - 1:
            log.info("step %d loss %.4f %.0f s", step, loss.item(), time.time() - start)
    checkpoint.parent.mkdir(parents=True, exist_ok=True)
    save_checkpoint(checkpoint, model.eval().half(), licence=WEIGHTS_LICENCE, steps=steps,
                    train_config={"image_size": SIZE, "intensity": "mask", "target": "shape"})  # fmt: skip


def validation_outputs(data: Path) -> list[dict]:
    """The shipped lung model's labels, heart and reference (and v7 agreement zone) per validation case."""
    seg = Segmenter.from_pretrained("lungseg-unet-default", device="cpu", complete_lungs=False)
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
    for image, mask, zone, group in v7_films(data / "v7_pediatric", str(HERE.parent / "splits" / "v7_pediatric.json")):
        cases.append({"kind": f"v7_{group}", "image": image, "ref": mask, "zone": zone})
    for case in cases:
        result = seg(XRay(case.pop("image")))  # labels 3 (the heart) back to 0: completion sees the lungs only
        case["labels"], case["heart"] = np.where(result.labels == HEART, 0, result.labels), result.heart
        case["prob"] = result.probabilities
    return cases


def scores(cases: list[dict], model, threshold: float, gain: float, floor: float) -> dict:
    """Per kind: Dice per case, cases changed, and lung over the manual heart (clean films with one)."""
    out: dict = {}
    for case in cases:
        labels = case["labels"]
        if model is not None:
            labels = complete_shape(labels, case["heart"], model, threshold, gain, prob=case["prob"], floor=floor)
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


def judge(data: Path, checkpoint: Path) -> dict:
    cases = validation_outputs(data)
    model = shape_model_file(checkpoint)
    base = scores(cases, None, 0, 0, 0)
    results = {"none": summary(base, None)}
    for threshold, gain, floor in itertools.product(THRESHOLDS, GAINS, FLOORS):
        key = f"t{threshold}_g{gain}_f{floor}"
        results[key] = summary(scores(cases, model, threshold, gain, floor), base)
        log.info("%s %s", key, results[key])
    return results


def choose(results: dict, tolerance: float = 0.0005, heart_tolerance: float = 0.002) -> str:
    """The setting with the largest v7 pneumonia gain among those that keep the adults: clean and simulated
    Dice within ``tolerance`` of no completion, lung over the heart within ``heart_tolerance``."""
    none = results["none"]
    keep = [k for k, r in results.items() if k != "none"
            and r["clean"] >= none["clean"] - tolerance and r["simulated_mean"] >= none["simulated_mean"] - tolerance
            and r["lung_over_heart"] <= none["lung_over_heart"] + heart_tolerance]  # fmt: skip
    return max(keep, key=lambda k: results[k]["v7_pneumonia"], default="none")


def render(out: dict) -> str:
    kinds = [*UNSEEN, *SEEN]
    lines = [
        "# The shape model: choosing how it completes lungs, on validation films",
        "",
        f"Generated by `{out['command']}` (`shape_model.json`; `--render` rewrites this file from it). "
        f"Training: {out['steps']} steps of {BATCH} masks, {out['train_seconds']} s on this machine. "
        "Each row (`t`hreshold, `g`ain, `f`loor): the shipped lung model's validation outputs (mirror-image "
        "completion off), grown by the shape model where its probability is above the threshold and the lung "
        "model's above the floor, if that adds more than the gain's share of the lung area; `none`: no "
        "completion. Dice per kind (50 adult films each; v7: 75 pneumonia and 25 "
        "normal children's films on the zones both conventions agree on), lung over the manual heart (16 Wingspan "
        "films), films changed, and the paired v7 pneumonia gain over `none` (bootstrap 95% interval, films "
        "up/down).",
        "",
        "| setting | clean | " + " | ".join(kinds) + " | simulated mean | lung over heart | v7 pneumonia | "
        "v7 normal | changed (clean / v7 pneumonia / v7 normal) | v7 pneumonia gain |",
        "|---" * (len(kinds) + 8) + "|",
    ]
    for key, r in out["results"].items():
        gain = r.get("v7_pneumonia_vs_none")
        gain_text = f"{gain['mean']:+.4f} [{gain['ci95'][0]:+.4f}, {gain['ci95'][1]:+.4f}] {gain['films_up']}/" \
                    f"{gain['films_down']}" if gain else ""  # fmt: skip
        c = r["changed"]
        name = f"**{key}**" if key == out["chosen"] else key
        lines.append(f"| {name} | {r['clean']} | " + " | ".join(str(r[k]) for k in kinds)
                     + f" | {r['simulated_mean']} | {r['lung_over_heart']} | {r['v7_pneumonia']} | {r['v7_normal']}"
                     f" | {c['clean']} / {c['v7_pneumonia']} / {c['v7_normal']} | {gain_text} |")  # fmt: skip
    lines += ["", f"Chosen (bold): **{out['chosen']}**, the largest v7 pneumonia gain among the settings that keep "
              "clean and simulated Dice within 0.0005 of `none` and lung over the heart within 0.002."]
    return "\n".join(lines) + "\n"


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=str(HERE.parent.parent / "shared" / "data"))
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--checkpoint", default="runs/shape_model.pt")
    parser.add_argument("--judge-only", action="store_true", help="judge an existing checkpoint")
    parser.add_argument("--render", action="store_true", help="rewrite shape_model.md from shape_model.json")
    args = parser.parse_args()
    if args.render:
        (HERE / "shape_model.md").write_text(render(json.loads((HERE / "shape_model.json").read_text())))
        return
    data, checkpoint = Path(args.data), Path(args.checkpoint)
    start = time.time()
    if not args.judge_only:
        train(training_masks(data), args.steps, checkpoint)
    seconds = round(time.time() - start)
    results = judge(data, checkpoint)
    out = {"command": f"python benchmarks/shape_model.py --steps {args.steps}", "steps": args.steps,
           "train_seconds": seconds, "results": results, "chosen": choose(results)}  # fmt: skip
    if args.judge_only and (HERE / "shape_model.json").is_file():
        out["train_seconds"] = json.loads((HERE / "shape_model.json").read_text())["train_seconds"]
    (HERE / "shape_model.json").write_text(json.dumps(out, indent=1) + "\n")
    (HERE / "shape_model.md").write_text(render(out))


if __name__ == "__main__":
    main()
