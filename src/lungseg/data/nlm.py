"""The NLM tuberculosis sets (Montgomery, Shenzhen): their naming rules and split protocols.

Names: ``MCUCXR_NNNN_L`` (Montgomery), ``CHNCXR_NNNN_L`` (Shenzhen); ``L`` is the label, 0 = normal,
1 = tuberculosis. Kept apart from the generic loaders in :mod:`lungseg.data.layouts`.
"""

from __future__ import annotations

import random

SOURCES = ("shenzhen", "montgomery", "other")


def source_of(name: str) -> str:
    if name.startswith("CHNCXR"):
        return "shenzhen"
    if name.startswith("MCUCXR"):
        return "montgomery"
    return "other"


def nlm_group(name: str) -> str | None:
    """'normal' or 'abnormal' from an NLM name's label digit (``_0`` / ``_1``); None for other names."""
    if source_of(name) == "other":
        return None
    label = name.rsplit("_", 1)[-1]
    return {"0": "normal", "1": "abnormal"}.get(label)


def _halves(names: list[str], seed: int) -> tuple[list[str], list[str]]:
    shuffled = sorted(names)
    random.Random(seed).shuffle(shuffled)
    half = (len(shuffled) + 1) // 2
    return sorted(shuffled[:half]), sorted(shuffled[half:])


def nlm_split(names: list[str], protocol: str, seed: int) -> dict[str, list[str]]:
    shenzhen = sorted(n for n in names if source_of(n) == "shenzhen")
    montgomery = [n for n in names if source_of(n) == "montgomery"]
    if len(shenzhen) < 2 or len(montgomery) < 4:
        raise ValueError(
            f"the '{protocol}' protocol needs Shenzhen (CHNCXR_*) and Montgomery (MCUCXR_*) images; "
            "use --protocol random for other data"
        )
    val, test = _halves(montgomery, seed)
    if protocol == "original":
        return {"train": shenzhen, "val": val, "test": test}
    m_train, m_val = _halves(val, seed + 1)
    shuffled = list(shenzhen)
    random.Random(seed).shuffle(shuffled)
    n_test = max(1, round(0.1 * len(shuffled)))
    s_test, s_train = sorted(shuffled[:n_test]), sorted(shuffled[n_test:])
    return {"train": sorted(s_train + m_train), "val": m_val, "test": sorted(test + s_test)}
