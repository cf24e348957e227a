"""lungseg collects and sends nothing, and it asks the runtimes it loads to do the same.

Two of its optional runtimes report usage by default: ONNX Runtime (the default ``--backend`` where it is installed;
since 1.2x its Linux and macOS builds keep a device id under ``~/.cache/Microsoft/DeveloperTools`` and queue usage
events for Microsoft) and Ray (usage statistics of the clusters it starts). X-rays are read on hospital machines,
where nothing should leave for a vendor on a user's behalf, so before either is imported lungseg sets each one's
documented opt-out variable, unless the user has set it: ``ORT_DISABLE_TELEMETRY=0`` or
``RAY_USAGE_STATS_ENABLED=1`` in the environment turns reporting back on.
"""

from __future__ import annotations

import os

OPT_OUTS = {"ORT_DISABLE_TELEMETRY": "1", "RAY_USAGE_STATS_ENABLED": "0"}


def opt_out() -> None:
    """Set each runtime's opt-out variable where the user has not set it (read when the runtime starts)."""
    for name, value in OPT_OUTS.items():
        os.environ.setdefault(name, value)
