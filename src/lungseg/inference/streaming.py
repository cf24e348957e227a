"""Streaming inputs through a :class:`~lungseg.inference.segmenter.Segmenter`: batches, read-ahead, threads.

``lungseg segment`` only orchestrates: this module decides how inputs are grouped and overlapped, so that
decoding, the model and post-processing of different films run at once on a few cores.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from lungseg.inference.pipeline import SegmentationResult, View, load_input
from lungseg.inference.prepare import crop_view
from lungseg.inference.readahead import index_batches
from lungseg.inference.segmenter import Segmenter
from lungseg.io.reader import XRay, read_xray


class _Inputs:
    """Steps 1-2 (read, preprocess) for DataLoader workers, so decoding runs ahead of the model."""

    def __init__(
        self, items: list, size: int, intensity: str, read: Callable | None = None, view: View | None = None
    ) -> None:
        self.items, self.size, self.intensity = items, size, intensity
        self.read = read  # None in worker processes (a ReadAhead's threads do not travel): read_xray
        self.view = view  # None in worker processes too (it holds the segmenter): the crop is decided later

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> dict:
        return load_input(self.items[index], index, self.size, self.intensity, self.read or read_xray, self.view)


def stream(
    segmenter: Segmenter,
    items: list,
    batch_size: int,
    workers: int,
    parallel: int = 1,
    read: Callable[[str | Path], XRay] = read_xray,
) -> Iterator[SegmentationResult]:
    """Results in input order. With ``workers``, reading and preprocessing run ahead in that many processes;
    with ``parallel`` > 1 (and no workers), that many batches are read and segmented at once in threads (decoding,
    the model and most array work release the GIL, so one batch's decoding and post-processing overlap the next
    one's forward pass). Without workers, paths are read by ``read`` (see :func:`load_input`)."""
    view = crop_view(segmenter)  # the crop decided as a film is loaded: only what the model sees is resized
    if workers or parallel <= 1:
        size, intensity = segmenter.image_size, segmenter.intensity
        inputs = _Inputs(items, size, intensity) if workers else _Inputs(items, size, intensity, read, view)
        batches = read_batches(inputs, batch_size, workers)
        run = segmenter.segment_prepared
    else:
        batches = index_batches(items, batch_size)

        def run(indices: list[int]) -> list[SegmentationResult]:
            size, intensity = segmenter.image_size, segmenter.intensity
            return segmenter.segment_prepared([load_input(items[i], i, size, intensity, read, view) for i in indices])

    if parallel <= 1:
        for batch in batches:
            yield from run(batch)
        return
    with ThreadPoolExecutor(parallel) as pool:
        running: deque = deque()
        for batch in batches:
            running.append(pool.submit(run, batch))
            if len(running) > parallel:
                yield from running.popleft().result()
        while running:
            yield from running.popleft().result()


def read_batches(inputs: _Inputs, batch_size: int, workers: int) -> Iterator[list[dict]]:
    """Lists of ``batch_size`` loaded inputs, in order; with ``workers``, read ahead in that many processes (a
    torch DataLoader, so only then is torch imported for reading)."""
    if not workers:
        for indices in index_batches(inputs.items, batch_size):
            yield [inputs[k] for k in indices]
        return
    from torch.utils.data import DataLoader

    yield from DataLoader(inputs, batch_size=batch_size, num_workers=workers, collate_fn=list, prefetch_factor=2)
