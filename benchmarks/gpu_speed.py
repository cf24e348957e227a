"""Training and inference images/s on a GPU at batch 32 with bf16 mixed precision (#11), and which card.

Model throughput only: random inputs already on the card, so the figures bound what the data pipeline must feed;
the real training runs' epoch times (CPU augmentation in loader workers) are in the run logs that
``benchmarks/gpu_speed.md`` quotes. Run on a machine with a CUDA GPU:

    PYTHONPATH=src python benchmarks/gpu_speed.py --output benchmarks/gpu_speed.json
    python benchmarks/gpu_speed.py --render benchmarks/gpu_speed.json   # rewrites gpu_speed.md, needs no GPU
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from lungseg.model.checkpoint import load_model
from lungseg.model.pretrained import resolve_pretrained
from lungseg.model.unet import UNet, count_parameters

BATCH = 32
EPOCH_LOG = Path(__file__).with_name("gpu_round23_log.csv")  # the 512 px training run on the same card (#9 round 23)


def _cases() -> list[tuple[str, UNet, int]]:
    """(label, model, working size): the bundled default and fast models, the default at 512 px, the original's."""
    default = load_model(resolve_pretrained("lungseg-unet-default"))[0]
    fast = load_model(resolve_pretrained("lungseg-unet-fast"))[0]
    original = UNet(base_channels=64, depth=4, padding="same", out_channels=1)
    return [("default", default, 256), ("default at 512 px", default, 512), ("fast", fast, 256),
            ("original architecture", original, 512)]  # fmt: skip


def _median_seconds(step, repeats: int, warmup: int = 5) -> float:
    """Median wall time of ``step()`` over ``repeats`` runs after ``warmup``, the card synchronised around each."""
    for _ in range(warmup):
        step()
    times = []
    for _ in range(repeats):
        torch.cuda.synchronize()
        start = time.perf_counter()
        step()
        torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def inference_images_per_s(model: UNet, size: int, repeats: int) -> float:
    """Forward passes of a batch of 32 under bf16 autocast, channels_last, no gradients."""
    model = model.cuda().eval().to(memory_format=torch.channels_last)
    x = torch.rand(BATCH, 1, size, size, device="cuda").to(memory_format=torch.channels_last)

    def step() -> None:
        with torch.inference_mode(), torch.autocast("cuda", dtype=torch.bfloat16):
            model(x)

    return BATCH / _median_seconds(step, repeats)


def training_images_per_s(model: UNet, size: int, repeats: int) -> float:
    """Forward, cross-entropy, backward and an AdamW step on a batch of 32 under bf16 autocast."""
    model = model.cuda().train().to(memory_format=torch.channels_last)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    x = torch.rand(BATCH, 1, size, size, device="cuda").to(memory_format=torch.channels_last)
    target = (torch.rand(BATCH, model.config.out_channels, size, size, device="cuda") > 0.5).float()

    def step() -> None:
        optimizer.zero_grad(set_to_none=True)
        with torch.autocast("cuda", dtype=torch.bfloat16):
            loss = F.binary_cross_entropy_with_logits(model(x).float(), target)
        loss.backward()
        optimizer.step()

    return BATCH / _median_seconds(step, repeats)


def _epoch_line() -> str:
    """The real training run's epoch times on the card, where its log is committed."""
    if not EPOCH_LOG.is_file():
        return ""
    lines = EPOCH_LOG.read_text().splitlines()[1:]
    seconds = sorted(float(line.split(",")[-1]) for line in lines)
    low, high, median = seconds[0], seconds[-1], statistics.median(seconds)
    return (
        "\nA real training run on this card (`configs/anatomical_512_gpu.yaml`, 512 px, 380 adult films (485 items "
        "with Montgomery repeated) and 856 children's films an epoch, 15 loader workers on 16 cores) took "
        f"{low:.0f}-{high:.0f} s an epoch ({len(seconds)} epochs, `{EPOCH_LOG.name}`): about {1341 / median:.0f} "
        "items/s, bound by the CPU augmentation in the workers, not by the card (the model trains at over 700 "
        "images/s at 512 px above).\n"
    )


def render(result: dict) -> str:
    """speed figures as markdown."""
    head = (
        f"# GPU throughput\n\n`python benchmarks/gpu_speed.py` on one {result['card']} (torch {result['torch']}, "
        f"{result['precision']}, channels_last, batch {BATCH}; random inputs on the card, median of the timed "
        "steps). Model throughput only.\n\n"
        "| model | size | weights | inference images/s | training images/s |\n| --- | --- | --- | --- | --- |\n"
    )
    rows = "".join(f"| {r['model']} | {r['size']} | {r['parameters']:,} | {r['inference_images_per_s']:,} | "
                   f"{r['training_images_per_s']:,} |\n" for r in result["rows"])  # fmt: skip
    return head + rows + _epoch_line()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--output", type=Path)
    parser.add_argument("--render", type=Path, help="only rewrite the .md beside this JSON")
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    if args.render:
        args.render.with_suffix(".md").write_text(render(json.loads(args.render.read_text())))
        return
    if args.output is None:
        raise SystemExit("give --output FILE.json (or --render FILE.json)")
    if not torch.cuda.is_available():
        raise SystemExit("no CUDA GPU here: run this benchmark on a machine with one")
    torch.backends.cudnn.benchmark = True
    rows = []
    for label, model, size in _cases():
        rows.append({
            "model": label, "size": size, "parameters": count_parameters(model), "batch": BATCH,
            "inference_images_per_s": round(inference_images_per_s(model, size, args.repeats), 1),
            "training_images_per_s": round(training_images_per_s(model, size, args.repeats), 1),
        })  # fmt: skip
        print(json.dumps(rows[-1]))
    result = {"card": torch.cuda.get_device_name(), "torch": torch.__version__, "precision": "bf16 autocast",
              "rows": rows}  # fmt: skip
    args.output.write_text(json.dumps(result, indent=1) + "\n")
    args.output.with_suffix(".md").write_text(render(result))


if __name__ == "__main__":
    main()
