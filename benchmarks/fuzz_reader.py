"""Long fuzzing of the X-ray reader: the properties of tests/test_fuzz_reader.py with many more examples.

Usage: python benchmarks/fuzz_reader.py [--examples 3000]  -> benchmarks/fuzz_reader.json
Each example is one file (random bytes, or a real PNG/JPEG/BMP/TIFF/DICOM with bit flips and truncation)
that must give a valid image or a ValueError naming the file; never a crash of another kind.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--examples", type=int, default=3000, help="per property (two properties)")
    args = parser.parse_args()
    env = {**os.environ, "LUNGSEG_FUZZ_EXAMPLES": str(args.examples)}
    start = time.perf_counter()
    module = "tests/test_fuzz_reader.py::"
    tests = [module + "test_random_bytes", module + "test_bit_flips_and_truncation_of_real_files"]
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *tests],
                          cwd=HERE.parent, env=env, capture_output=True, text=True)  # fmt: skip
    result = {
        "command": f"python benchmarks/fuzz_reader.py --examples {args.examples}",
        "cases": 2 * args.examples,
        "passed": proc.returncode == 0,
        "seconds": round(time.perf_counter() - start, 1),
        "pytest_tail": proc.stdout.strip().splitlines()[-1:],
    }
    (HERE / "fuzz_reader.json").write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
