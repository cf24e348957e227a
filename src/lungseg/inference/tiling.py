"""Overlap-tile inference (Ronneberger et al. 2015, fig. 2), built from small pure steps.

tile geometry -> tile positions -> blend weights -> accumulate -> crop.

For an unpadded ("valid") model this is the paper's scheme: the image is mirror-padded by the
receptive-field margin, each input tile's output covers the tile's center region, and tile
positions are multiples of 2**depth, so the stitched output equals a single pass over the whole
image exactly. For a padded ("same") model, tiles overlap and are blended with Gaussian weights
that play down each tile's zero-padded border.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from lungseg.inference.predict import mirror_pad
from lungseg.model.unet import ModelConfig, nearest_same_size, nearest_valid_input_size, valid_output_size

Predictor = Callable[[torch.Tensor], torch.Tensor]


@dataclass(frozen=True)
class TileGeometry:
    """Input and output side of a tile, the margin between them, and the step between tiles."""

    in_tile: int
    out_tile: int
    step: int
    blend: str = "constant"  # or "gaussian"

    @property
    def offset(self) -> int:
        return (self.in_tile - self.out_tile) // 2


def model_tile_geometry(config: ModelConfig, tile: int, overlap: float = 0.5) -> TileGeometry:
    """Geometry for a U-Net: ``tile`` is the input side (rounded to a size the model accepts)."""
    align = 2**config.depth
    if config.padding == "valid":
        in_tile = nearest_valid_input_size(tile, config.depth)
        out_tile = valid_output_size(in_tile, config.depth)
        return TileGeometry(in_tile, out_tile, max(align, out_tile // align * align), "constant")
    if not 0.0 <= overlap < 1.0:
        raise ValueError(f"tile overlap must be in [0, 1), got {overlap}")
    side = nearest_same_size(tile, config.depth)
    step = max(align, int(side * (1 - overlap)) // align * align)
    return TileGeometry(side, side, step, "gaussian")


def tile_starts(length: int, out_tile: int, step: int) -> list[int]:
    """Output-tile starts (multiples of ``step``) whose tiles cover [0, length)."""
    if length <= out_tile:
        return [0]
    count = math.ceil((length - out_tile) / step) + 1
    return [k * step for k in range(count)]


def blend_weights(out_tile: int, kind: str) -> np.ndarray:
    """(out_tile, out_tile) float32 weights: all ones, or a Gaussian (sigma = side / 8) floored at 1e-3."""
    if kind == "constant":
        return np.ones((out_tile, out_tile), np.float32)
    if kind != "gaussian":
        raise ValueError(f"unknown blend {kind!r}; use constant or gaussian")
    axis = np.arange(out_tile) - (out_tile - 1) / 2
    g = np.exp(-(axis**2) / (2 * (out_tile / 8) ** 2))
    w = np.outer(g, g)
    return np.maximum(w / w.max(), 1e-3).astype(np.float32)


def positions(height: int, width: int, geometry: TileGeometry) -> list[tuple[int, int]]:
    ys = tile_starts(height, geometry.out_tile, geometry.step)
    xs = tile_starts(width, geometry.out_tile, geometry.step)
    return [(y, x) for y in ys for x in xs]


def accumulate(acc: torch.Tensor, wsum: torch.Tensor, out: torch.Tensor, weight: torch.Tensor, y: int, x: int) -> None:
    """Add one tile's weighted output (N, C, t, t) into the running sums at (y, x)."""
    t = out.shape[-1]
    acc[..., y : y + t, x : x + t] += out * weight
    wsum[..., y : y + t, x : x + t] += weight


@torch.inference_mode()
def sliding_window(x: torch.Tensor, predict: Predictor, geometry: TileGeometry, batch_tiles: int = 4) -> torch.Tensor:
    """Predict (N, C, H, W) tile by tile; returns (N, C_out, H, W) float32."""
    n, _, h, w = x.shape
    places = positions(h, w, geometry)
    ph, pw = places[-1][0] + geometry.out_tile, places[-1][1] + geometry.out_tile
    off, t_in = geometry.offset, geometry.in_tile
    padded = mirror_pad(x, off, ph + off - h, off, pw + off - w)
    weight = torch.from_numpy(blend_weights(geometry.out_tile, geometry.blend)).to(x.device)
    acc = wsum = None
    for start in range(0, len(places), batch_tiles):
        chunk = places[start : start + batch_tiles]
        tiles = torch.cat([padded[..., y : y + t_in, xx : xx + t_in] for y, xx in chunk])
        outs = predict(tiles).float().split(n)
        if acc is None:
            acc = torch.zeros(n, outs[0].shape[1], ph, pw, device=x.device)
            wsum = torch.zeros(1, 1, ph, pw, device=x.device)
        for (y, xx), out in zip(chunk, outs, strict=True):
            accumulate(acc, wsum, out, weight, y, xx)
    return (acc / wsum)[..., :h, :w]
