"""CPU inference time per image: model forward alone and the whole `Segmenter` pipeline.

Usage: python benchmarks/inference_speed.py [--model CKPT] [--size 256] [--base-channels 16] [--repeats 20]
Without --model an untrained U-Net of the given width is timed (the time does not depend on weights).
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch

from lungseg.inference.predict import autocast, predict_logits
from lungseg.inference.segmenter import Segmenter
from lungseg.model.checkpoint import load_model
from lungseg.model.unet import UNet


def median_ms(fn, repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model")
    parser.add_argument("--size", type=int, default=256, help="working size when no --model is given")
    parser.add_argument("--base-channels", type=int, default=16)
    parser.add_argument("--input", type=int, default=512, help="side of the X-ray fed to the pipeline")
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    if args.model:
        model, payload = load_model(args.model)
        size = int(payload["train_config"]["image_size"])
    else:
        model, size = UNet(base_channels=args.base_channels).eval(), args.size
    model = model.to(memory_format=torch.channels_last)
    x = torch.rand(1, 1, size, size).contiguous(memory_format=torch.channels_last)

    def forward() -> None:
        with torch.inference_mode(), autocast(torch.device("cpu")):
            predict_logits(model, x)

    segmenter = Segmenter(model, size, "equalize", threshold=0.5, device="cpu")
    image = np.random.default_rng(0).integers(0, 255, (args.input, args.input), dtype=np.uint8)
    print(f"torch threads {torch.get_num_threads()}, working size {size}, width {model.config.base_channels}")
    print(f"model forward (bf16, batch 1): {median_ms(forward, args.repeats):.1f} ms")
    pipeline = median_ms(lambda: segmenter(image), args.repeats)
    print(f"Segmenter, {args.input}x{args.input} image (read to measurements): {pipeline:.1f} ms")


if __name__ == "__main__":
    main()
