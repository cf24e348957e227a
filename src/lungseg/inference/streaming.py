"""Streaming inputs through a :class:`~lungseg.inference.segmenter.Segmenter`: batches, read-ahead, threads.

``lungseg segment`` only orchestrates: this module decides how inputs are grouped and overlapped, so that
decoding, the model and post-processing of different films run at once on a few cores.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from lungseg.inference.pipeline import SegmentationResult, load_input
from lungseg.inference.segmenter import Segmenter

# a batch closes at this many bytes of input files: a clinical-size film goes alone, so the threads share a few
# large films evenly (5 films in batches of 4 and 1 leave one thread idle most of the run)
BATCH_BYTES = 2_000_000


class _Inputs:
    """Steps 1-2 (read, preprocess) for DataLoader workers, so decoding runs ahead of the model."""

    def __init__(self, items: list, size: int, intensity: str) -> None:
        self.items, self.size, self.intensity = items, size, intensity

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> dict:
        return load_input(self.items[index], index, self.size, self.intensity)


def stream(
    segmenter: Segmenter, items: list, batch_size: int, workers: int, parallel: int = 1
) -> Iterator[SegmentationResult]:
    """Results in input order. With ``workers``, reading and preprocessing run ahead in that many processes;
    with ``parallel`` > 1 (and no workers), that many batches are read and segmented at once in threads (decoding,
    the model and most array work release the GIL, so one batch's decoding and post-processing overlap the next
    one's forward pass)."""
    if workers or parallel <= 1:
        batches = read_batches(_Inputs(items, segmenter.image_size, segmenter.intensity), batch_size, workers)
        run = segmenter.segment_prepared
    else:
        batches = index_batches(items, batch_size)

        def run(indices: list[int]) -> list[SegmentationResult]:
            size, intensity = segmenter.image_size, segmenter.intensity
            return segmenter.segment_prepared([load_input(items[i], i, size, intensity) for i in indices])

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


def index_batches(items: list, batch_size: int, max_bytes: int = BATCH_BYTES) -> Iterator[list[int]]:
    """Indices of ``items`` in batches of at most ``batch_size``, closed early once their files reach
    ``max_bytes`` (the model's batch gains nothing on large films; even shares between threads do)."""
    batch: list[int] = []
    total = 0
    for index, item in enumerate(items):
        batch.append(index)
        total += _file_bytes(item)
        if len(batch) == batch_size or total >= max_bytes:
            yield batch
            batch, total = [], 0
    if batch:
        yield batch


def _file_bytes(item) -> int:
    """The size of an input file on disk; 0 for an array or a file that cannot be read (it fails later)."""
    try:
        return Path(item).stat().st_size if isinstance(item, str | Path) else 0
    except OSError:
        return 0


def read_batches(inputs: _Inputs, batch_size: int, workers: int) -> Iterator[list[dict]]:
    """Lists of ``batch_size`` loaded inputs, in order; with ``workers``, read ahead in that many processes (a
    torch DataLoader, so only then is torch imported for reading)."""
    if not workers:
        for indices in index_batches(inputs.items, batch_size):
            yield [inputs[k] for k in indices]
        return
    from torch.utils.data import DataLoader

    yield from DataLoader(inputs, batch_size=batch_size, num_workers=workers, collate_fn=list, prefetch_factor=2)
