"""Refit only the heart row of a lungs + heart checkpoint's last 1x1 conv on the manual training hearts.

A fine-tune can improve the lungs while its heart slips a little (round 18: v7Q's best epoch, heart 0.9313 on
validation against the rule's 0.9316). Everything but the heart channel's 16 weights and bias stays frozen, so the
lung output is unchanged bit for bit; the row starts from the checkpoint's own and is fitted (BCE + soft Dice, seed
0) on the Wingspan training films' manual hearts of the checkpoint's own split, at its working size. Calibration is
dropped: calibrate the result (``benchmarks/calibrate_checkpoint.py``) before scoring it on validation.

Usage: python benchmarks/heart_refit.py --checkpoint runs/v7Q_best.pt --output runs/v7Q_best_heart.pt
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from heart_levers import area_target, bce_dice  # noqa: E402
from soup import CALIBRATION  # noqa: E402

from lungseg.data.layouts import discover  # noqa: E402
from lungseg.evaluation.evaluate import read_labelled  # noqa: E402
from lungseg.inference.preprocess import preprocess  # noqa: E402
from lungseg.model.checkpoint import load_model, save_checkpoint  # noqa: E402

HEART = 1  # the heart's output channel in a lungs + heart model


def training_hearts(model, payload: dict, data: Path) -> tuple[torch.Tensor, torch.Tensor]:
    """The frozen last features (N, C, S, S) and area-averaged manual hearts (N, 1, S, S) of the checkpoint's
    Wingspan training films."""
    config, wanted = payload["train_config"], set(payload["split"]["train"])
    size, intensity = config["image_size"], config["intensity"]
    feats: dict = {}
    hook = model.head.register_forward_hook(lambda m, i, o: feats.update(x=i[0].detach()))
    xs, ys = [], []
    for s in discover([str(data / "wingspan")])[1]:
        if s.name not in wanted or s.heart is None:
            continue
        image, heart = read_labelled(s, s.heart)
        with torch.inference_mode():
            model(torch.from_numpy(preprocess(image, size, intensity))[None, None])
        xs.append(feats["x"][0].clone())
        ys.append(torch.from_numpy(area_target(heart, size))[None])
    hook.remove()
    if not xs:
        raise SystemExit(f"no Wingspan training film with a heart mask in {data}; pass --data")
    return torch.stack(xs), torch.stack(ys)


def fit_row(weight: torch.Tensor, bias: torch.Tensor, x: torch.Tensor, y: torch.Tensor, steps: int) -> tuple:
    """Fit a 1x1 conv row (C weights + bias), started from the given one, to the targets; seed 0."""
    torch.manual_seed(0)
    w, b = weight.clone().requires_grad_(True), bias.clone().requires_grad_(True)
    opt = torch.optim.Adam([w, b], 1e-3)
    for _ in range(steps):
        idx = torch.randint(len(x), (8,))
        loss = bce_dice(torch.nn.functional.conv2d(x[idx], w[None, :, None, None], b), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    return w.detach(), b.detach()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("--output", required=True)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--data", default=str(HERE.parent.parent / "shared" / "data"))
    args = parser.parse_args()
    model, payload = load_model(args.checkpoint)
    model.float().eval()
    x, y = training_hearts(model, payload, Path(args.data))
    head = model.head
    w, b = fit_row(head.weight[HEART, :, 0, 0].detach(), head.bias[HEART : HEART + 1].detach(), x, y, args.steps)
    with torch.no_grad():
        head.weight[HEART, :, 0, 0] = w
        head.bias[HEART] = b[0]
    keep = {k: v for k, v in payload.items() if k not in ("format", "lungseg_version", "model_config", "state_dict")}
    keep = {k: v for k, v in keep.items() if k not in CALIBRATION}
    save_checkpoint(args.output, model, heart_refit_of=args.checkpoint, heart_refit_films=len(x), **keep)
    print(f"{args.output}: {args.checkpoint} with its heart row refitted on {len(x)} films; calibrate it next")


if __name__ == "__main__":
    main()
