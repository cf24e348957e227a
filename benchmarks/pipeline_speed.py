"""Images per second of the augmentation pipeline alone versus the training step.

Usage: python benchmarks/pipeline_speed.py [--data PATH] [--size 256] [--batch-size 8] [--loss dice_bce]
Runs in one process on the CPU (torch uses all cores for the step; the pipeline runs on one).
"""

from __future__ import annotations

import argparse
import time

import torch

from lungseg.data.layouts import discover, labelled
from lungseg.inference.predict import autocast, predict_logits
from lungseg.model.unet import UNet
from lungseg.training.config import TrainConfig
from lungseg.training.loop import make_datasets
from lungseg.training.losses import get_loss


def pipeline_rate(dataset, n: int) -> float:
    start = time.perf_counter()
    for i in range(n):
        dataset[i % len(dataset)]
    return n / (time.perf_counter() - start)


def step_rate(config: TrainConfig, batch: dict, steps: int) -> float:
    model = UNet.from_config(config.model).to(memory_format=torch.channels_last)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    loss_fn = get_loss(config.loss)
    images = batch["image"].contiguous(memory_format=torch.channels_last)
    device = torch.device("cpu")
    for k in range(steps + 2):  # two warm-up steps
        if k == 2:
            start = time.perf_counter()
        with autocast(device):
            logits = predict_logits(model, images)
        loss = loss_fn(logits.float(), batch["mask"], batch.get("weight"))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return steps * len(images) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", default="../shared/data/Lung Segmentation")
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--loss", default="dice_bce")
    parser.add_argument("--n", type=int, default=64, help="samples to time")
    args = parser.parse_args()
    config = TrainConfig(data=args.data, image_size=args.size, batch_size=args.batch_size, loss=args.loss)
    samples = labelled(discover(args.data)[1])[: args.n]
    train_ds, _ = make_datasets(config, samples, samples[:1])
    rate = pipeline_rate(train_ds, args.n)
    batch = torch.utils.data.default_collate([train_ds[i] for i in range(args.batch_size)])
    step = step_rate(config, batch, steps=5)
    print(f"size {args.size}, batch {args.batch_size}, loss {args.loss}, torch threads {torch.get_num_threads()}")
    print(f"augmentation pipeline (one process): {rate:.1f} images/s")
    print(f"training step (forward + backward + AdamW, bf16): {step:.1f} images/s")


if __name__ == "__main__":
    main()
