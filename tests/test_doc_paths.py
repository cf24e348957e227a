"""Every repository path the documents name in backticks exists (a renamed script or result fails here)."""

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DOCS = ("README.md", "MODEL_CARD.md", "docs/development_log.md", "docs/model_rounds.md")
PATH = re.compile(r"`((?:benchmarks|docs|configs|splits|tests|src|lungseg)/[\w./*-]+)`")


def named_paths(text: str) -> set[str]:
    """Repository paths in backticks; ``lungseg/...`` is the package under ``src/``."""
    return {p if not p.startswith("lungseg/") else f"src/{p}" for p in PATH.findall(text)}


def test_named_paths_reads_backticked_repository_paths():
    text = "see `benchmarks/speed.md`, `lungseg/io/png.py`, `runs/x.pt` and `benchmarks/history/*_round1.json`"
    assert named_paths(text) == {"benchmarks/speed.md", "src/lungseg/io/png.py", "benchmarks/history/*_round1.json"}


@pytest.mark.parametrize("doc", DOCS)
def test_every_named_path_exists(doc):
    missing = [p for p in sorted(named_paths((REPO / doc).read_text()))
               if not (list(REPO.glob(p)) if "*" in p else (REPO / p).exists())]  # fmt: skip
    assert not missing, f"{doc} names paths that are not in the repository: {missing}"
