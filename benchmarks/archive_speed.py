"""Throughput on an archive: ``lungseg segment`` on folders of growing size, and the rate per extra film.

``benchmarks/speed.py`` times #11's cases as the issue set them (100 PNGs of 512x512; 5 films of 2500x3000), start-up
included; with 5 films, start-up is a third of the run. An archive of 100,000 films pays it once, so its rate is the
marginal one: (seconds for the large folder - seconds for the small one) / (films between them). Both backends, default
outputs, one process per folder, nothing else running.

    python benchmarks/archive_speed.py [--data PATH]  ->  benchmarks/archive_speed.json, benchmarks/archive_speed.md
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
from model_speed import cpu_features  # noqa: E402
from speed import timed  # noqa: E402

from dicom_factory import write_dicom  # noqa: E402

# case -> (small folder's films, large folder's films)
CASES = {"png512": (100, 300), "png2500": (5, 20), "dcm2500": (5, 20)}
LABELS = {"png512": "512x512 PNG", "png2500": "2500x3000 16-bit PNG", "dcm2500": "2500x3000 uncompressed DICOM"}
BACKENDS = ("onnxruntime", "torch")
ARCHIVE = 100_000


def make_folders(data: Path, tmp: Path) -> dict[str, Path]:
    """Folders ``{case}_{n}``: the first n films of the case (512 px: Montgomery and Shenzhen as they are; 2500x3000:
    Montgomery films upscaled as speed.py does)."""
    kaggle = data / "Lung Segmentation" / "CXR_png"
    names = sorted(p.name for p in kaggle.glob("*.png"))[: max(n for n in CASES["png512"])]
    folders = {}
    for n in CASES["png512"]:
        folders[f"png512_{n}"] = folder = tmp / f"png512_{n}"
        folder.mkdir()
        for name in names[:n]:
            (folder / name).write_bytes((kaggle / name).read_bytes())
    big = sorted(p for p in kaggle.glob("MCUCXR_*.png"))[: max(CASES["png2500"])]
    for n in CASES["png2500"]:
        for case in ("png2500", "dcm2500"):
            folders[f"{case}_{n}"] = tmp / f"{case}_{n}"
            folders[f"{case}_{n}"].mkdir()
        for k, path in enumerate(big[:n]):
            film = Image.open(path).convert("F").resize((2500, 3000), Image.Resampling.BICUBIC)
            arr = np.clip(np.asarray(film) * 257, 0, 65535).astype(np.uint16)
            Image.fromarray(arr).save(folders[f"png2500_{n}"] / f"big{k}.png")
            write_dicom(folders[f"dcm2500_{n}"] / f"big{k}.dcm", arr, monochrome1=False, spacing=(0.14, 0.14))
    return folders


def run(folders: dict[str, Path], tmp: Path, backend: str) -> dict:
    cli = [sys.executable, "-m", "lungseg", "segment"]
    env = {**os.environ, "PYTHONPATH": str(HERE.parent / "src"), "LUNGSEG_CACHE": str(tmp / "cache")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    timed([*cli, str(folders["png512_100"]), "-o", str(tmp / f"warm_{backend}"), "--backend", backend], env)
    out = {}
    for case, (small, large) in CASES.items():
        walls = {}
        for n in (small, large):
            walls[n] = timed([*cli, str(folders[f"{case}_{n}"]), "-o", str(tmp / f"{backend}_{case}_{n}"),
                              "--backend", backend], env)[0]  # fmt: skip
        per_film = (walls[large] - walls[small]) / (large - small)
        out[case] = {f"{n}_films_s": round(w, 2) for n, w in walls.items()} | {
            f"{n}_films_per_s": round(n / w, 2) for n, w in walls.items()} | {
            "marginal_s_per_film": round(per_film, 4), "marginal_films_per_s": round(1 / per_film, 2),
            "archive_hours": round(ARCHIVE * per_film / 3600, 1)}  # fmt: skip
        print(backend, case, out[case], flush=True)
    return out


def render(result: dict) -> str:
    lines = ["# Throughput on an archive", "", f"`{result['command']}`; {result['machine']}; nothing else running. "
             "One `lungseg segment` process per folder, default outputs, start-up included in each folder's time; "
             "the marginal rate is (large folder's seconds - small folder's) / (films between them): what each "
             f"further film of an archive costs. Hours: {ARCHIVE:,} films at that rate.", "",
             "| backend | films | small folder | films/s | large folder | films/s | marginal films/s | hours |",
             "|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for backend, cases in result["backends"].items():
        for case, (small, large) in CASES.items():
            r = cases[case]
            cells = [backend, LABELS[case], f"{small} in {r[f'{small}_films_s']} s", r[f"{small}_films_per_s"],
                     f"{large} in {r[f'{large}_films_s']} s", r[f"{large}_films_per_s"],
                     f"**{r['marginal_films_per_s']}**", r["archive_hours"]]  # fmt: skip
            lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=HERE.parent.parent / "shared" / "data")
    parser.add_argument("--render", action="store_true", help="only rewrite the .md from the JSON")
    args = parser.parse_args()
    if args.render:
        result = json.loads((HERE / "archive_speed.json").read_text())
    else:
        with tempfile.TemporaryDirectory() as tmp:
            folders = make_folders(args.data, Path(tmp))
            machine = f"{os.cpu_count()} CPU cores ({cpu_features()})"
            result = {"command": "python benchmarks/archive_speed.py", "machine": machine,
                      "backends": {b: run(folders, Path(tmp), b) for b in BACKENDS}}  # fmt: skip
        (HERE / "archive_speed.json").write_text(json.dumps(result, indent=1) + "\n")
    (HERE / "archive_speed.md").write_text(render(result))


if __name__ == "__main__":
    main()
