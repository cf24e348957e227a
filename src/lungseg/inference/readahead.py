"""Reading the first inputs while the model loads, and how inputs are grouped into batches.

A one-film run of a 5000x6000 PNG spends a third of a second decoding it and about as long importing the
libraries and loading the models; Pillow's decoders release the GIL, so on two cores both can happen at once.
``lungseg segment`` starts a :class:`ReadAhead` on its first batches as soon as it has listed its inputs, before
anything heavy is imported; the stream then takes those films from it instead of reading them again. Like
:mod:`lungseg.inference.jobs`, this module imports neither the model nor scipy.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from lungseg.io.reader import XRay, read_xray

log = logging.getLogger(__name__)

# the first batches are read ahead only from this many bytes of files on: a few small films decode in milliseconds,
# less than a second thread costs the imports it runs beside (benchmarks/big_film.md)
READ_AHEAD_MIN_BYTES = 1_000_000
# a batch closes at this many bytes of input files: a clinical-size film goes alone, so the threads share a few
# large films evenly (5 films in batches of 4 and 1 leave one thread idle most of the run)
BATCH_BYTES = 2_000_000


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


def worth_reading_ahead(paths: list) -> bool:
    """Whether ``paths`` hold enough bytes for a read-ahead to pay (see :data:`READ_AHEAD_MIN_BYTES`)."""
    return sum(_file_bytes(p) for p in paths) >= READ_AHEAD_MIN_BYTES


def first_batches(items: list, batch_size: int, count: int) -> list:
    """The items of the first ``count`` batches that :func:`index_batches` makes of ``items``."""
    firsts: list = []
    for n, indices in enumerate(index_batches(items, batch_size)):
        if n == count:
            break
        firsts += [items[k] for k in indices]
    return firsts


class ReadAhead:
    """Files decoded in one background thread from the moment this is made; :meth:`read` hands each one over
    once (a reader's error is raised there, as :func:`~lungseg.io.reader.read_xray` would raise it) and reads
    any other item itself. :meth:`close` drops what was never asked for (a resumed run's finished inputs)."""

    def __init__(self, paths: list[str | Path]) -> None:
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="lungseg-readahead")
        self._futures: dict[str, Future] = {str(p): self._pool.submit(read_xray, p) for p in paths}
        self._pool.shutdown(wait=False)

    def read(self, item: str | Path) -> XRay:
        """The film at ``item``: the one read ahead if there is one, else read now."""
        future = self._futures.pop(str(item), None)
        return future.result() if future is not None else read_xray(item)

    def close(self) -> None:
        """Cancel the reads not started and forget those never asked for."""
        for future in self._futures.values():
            future.cancel()
        self._futures.clear()

    def __len__(self) -> int:
        return len(self._futures)
