"""The model's share of the speed: this CPU's matmul peak, the default model's forward latency and achieved
GFLOP/s beside that peak, and the original project's architecture (64 base channels, four poolings,
512x512, fp32) for the ratio the speed issue asks for. Used by ``benchmarks/speed.py``.
"""

from __future__ import annotations

import platform
import statistics
import time
from pathlib import Path

import torch
from model_size import forward_flops

from lungseg.inference.predict import use_bf16
from lungseg.model.checkpoint import load_model
from lungseg.model.fuse import fused_for_inference
from lungseg.model.pretrained import resolve_model
from lungseg.model.unet import UNet


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def cpu_features() -> str:
    """The instruction sets that decide which path is fastest here (bf16 for torch, VNNI for int8, AMX's tiles for
    both: oneDNN's bf16 convolutions several times faster than fp32 where it is)."""
    try:
        flags = set(next(ln for ln in Path("/proc/cpuinfo").read_text().splitlines() if ln.startswith("flags")).split())
    except (OSError, StopIteration):
        return "instruction sets unknown"
    has = {"AVX-512": "avx512f" in flags, "native bf16": bool(flags & {"avx512_bf16", "amx_bf16"}),
           "VNNI": bool(flags & {"avx512_vnni", "avx_vnni"}), "AMX": "amx_bf16" in flags}  # fmt: skip
    return ", ".join(f"{name} {'yes' if v else 'no'}" for name, v in has.items())


def median_s(fn, repeats: int = 20, warmup: int = 3) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def matmul_peak_gflops(dtype: torch.dtype, n: int = 2048) -> float:
    """Achieved GFLOP/s of an n x n matmul: the practical peak of this CPU for dense work."""
    a, b = torch.randn(n, n, dtype=dtype), torch.randn(n, n, dtype=dtype)
    return 2 * n**3 / median_s(lambda: a @ b, repeats=10) / 1e9


def forward_ms(model: torch.nn.Module, size: int, bf16: bool) -> float:
    """Median latency (ms) of one forward pass, batch 1, as ``lungseg segment`` runs it (channels_last,
    BatchNorm folded, bf16 autocast where asked)."""
    model = fused_for_inference(model).to(memory_format=torch.channels_last)
    x = torch.rand(1, 1, size, size).contiguous(memory_format=torch.channels_last)

    def run() -> None:
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            model(x)

    return median_s(run) * 1000


def model_speed() -> dict:
    model, payload = load_model(resolve_model("lungseg-unet-default"))
    size = int(payload["train_config"]["image_size"])
    original = UNet(base_channels=64, depth=4, padding="same").eval()
    ours_flops, original_flops = forward_flops(model, size), forward_flops(original, 512)
    bf16 = use_bf16(torch.device("cpu"))  # as `lungseg segment` runs it: bf16 only where the CPU has it natively
    ours_ms = forward_ms(model, size, bf16=bf16)
    original_ms = forward_ms(original, 512, bf16=False)
    return {
        "cpu": cpu_name(), "threads": torch.get_num_threads(), "default_precision": "bf16" if bf16 else "fp32",
        "matmul_gflops_fp32": round(matmul_peak_gflops(torch.float32), 1),
        # emulated bf16 runs at a fraction of a GFLOP/s (minutes for this matmul): measured only where native
        "matmul_gflops_bf16": round(matmul_peak_gflops(torch.bfloat16), 1) if bf16 else None,
        "default_forward_ms": round(ours_ms, 2), "default_gflop": round(ours_flops / 1e9, 2),
        "default_gflops_achieved": round(ours_flops / 1e9 / (ours_ms / 1000), 1),
        "original_forward_ms": round(original_ms, 1), "original_gflop": round(original_flops / 1e9, 1),
        "original_gflops_achieved": round(original_flops / 1e9 / (original_ms / 1000), 1),
        "ratio_original_over_default": round(original_ms / ours_ms, 1),
        **fast_model_speed(size, bf16),
    }  # fmt: skip


def fast_model_speed(size: int, bf16: bool) -> dict:
    """The bundled fast model's forward latency and arithmetic (#11), where this build has it."""
    from lungseg.model.pretrained import FAST_MODEL, PRETRAINED

    if FAST_MODEL not in PRETRAINED:
        return {}
    fast, _ = load_model(resolve_model(FAST_MODEL))
    flops, ms = forward_flops(fast, size), forward_ms(fast, size, bf16=bf16)
    return {"fast_forward_ms": round(ms, 2), "fast_gflop": round(flops / 1e9, 2),
            "fast_gflops_achieved": round(flops / 1e9 / (ms / 1000), 1)}  # fmt: skip
