"""benchmarks/reliability.md: the reliability figures in one place, from the committed benchmark outputs.

Runs (unless --render) the fault and fuzz benchmarks, then renders their JSON:
  python benchmarks/kill_segment.py --kills 25 --images 40   -> kill_segment.json
  python benchmarks/fuzz_reader.py --examples 20000          -> fuzz_reader.json
Usage: python benchmarks/reliability.py [--render]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def render(kill: dict, fuzz: dict) -> str:
    lost = 0 if kill["one_row_per_input"] and not kill["errors"] else "see kill_segment.json"
    crashes = 0 if fuzz["passed"] and kill["final_exit_code"] == 0 else "see the JSON files"
    lines = [
        "# Reliability", "",
        "Rendered by `python benchmarks/reliability.py --render` from `kill_segment.json` "
        f"(`{kill['command']}`) and `fuzz_reader.json` (`{fuzz['command']}`).", "",
        "| what was tried | count | outcome |", "|---|---|---|",
        f"| `lungseg segment` killed with SIGKILL at random moments (0.5-6 s), then rerun | {kill['kills']} kills, "
        f"{kill['rows']} inputs | final run exit {kill['final_exit_code']}; one row per input: "
        f"{kill['one_row_per_input']} |",
        f"| random bytes as .png/.jpg/.dcm/.tif/no suffix | {fuzz['cases'] // 2} files | image or one-line error |",
        f"| real PNG/JPEG/BMP/TIFF/DICOM with bit flips and truncation | {fuzz['cases'] // 2} files | image or "
        "one-line error |", "",
        f"Inputs lost: **{lost}**. Half-written files: **{len(kill['broken_outputs'])}**. "
        f"Temporaries left: **{len(kill['temporaries_left'])}**. "
        f"Crashes: **{crashes}**.", "",
        "Also tested on every `make test` (`tests/test_faults.py`, `tests/test_safety.py`,",
        "`tests/test_fuzz_reader.py`): SIGKILL during training then `--resume` (bit-identical weights),",
        "a truncated checkpoint, two processes on",
        "one output folder, a full disk (ENOSPC), a checkpoint carrying code, sockets disabled, a symlink out of",
        "`-o`, decompression bombs, NaN/inf/constant/1x1 pixels, names with spaces, unicode and leading dashes.",
    ]  # fmt: skip
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--render", action="store_true", help="only render from the existing JSON files")
    args = parser.parse_args()
    if not args.render:
        subprocess.run([sys.executable, str(HERE / "kill_segment.py"), "--kills", "25", "--images", "40"], check=True)
        subprocess.run([sys.executable, str(HERE / "fuzz_reader.py"), "--examples", "20000"], check=True)
    kill = json.loads((HERE / "kill_segment.json").read_text())
    fuzz = json.loads((HERE / "fuzz_reader.json").read_text())
    (HERE / "reliability.md").write_text(render(kill, fuzz))


if __name__ == "__main__":
    main()
