"""#11: a DICOM run imports pydicom without its test-data downloader's requests and tqdm, and nothing else changes."""

import subprocess
import sys
import threading

import numpy as np
import pytest

from lungseg.io.pydicom_import import _SkipInThisThread

from .dicom_factory import write_dicom


def test_the_finder_refuses_only_the_skipped_packages_and_only_in_its_own_thread():
    finder = _SkipInThisThread()
    with pytest.raises(ModuleNotFoundError):
        finder.find_spec("requests")
    with pytest.raises(ModuleNotFoundError):
        finder.find_spec("tqdm.auto")
    assert finder.find_spec("numpy") is None and finder.find_spec("requests_toolbelt") is None
    elsewhere = []
    thread = threading.Thread(target=lambda: elsewhere.append(finder.find_spec("requests")))
    thread.start()
    thread.join()
    assert elsewhere == [None]


def test_reading_a_dicom_leaves_requests_out_and_importable(tmp_path):
    pytest.importorskip("requests")  # installed with the project's extras; without it there is nothing to leave out
    pixels = np.linspace(0, 4095, 64 * 48).reshape(48, 64).astype(np.uint16)
    write_dicom(tmp_path / "a.dcm", pixels)
    code = (
        "import sys; from lungseg.io.reader import read_xray; "
        f"x = read_xray({str(tmp_path / 'a.dcm')!r}); "
        "print(x.pixels.shape, 'pydicom' in sys.modules, 'requests' in sys.modules, 'tqdm' in sys.modules); "
        "import requests, tqdm; print('later', requests.__name__, tqdm.__name__, len(sys.meta_path))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.splitlines()
    assert out[0] == "(48, 64) True False False"
    assert out[1].startswith("later requests tqdm")
    base = subprocess.run([sys.executable, "-c", "import sys; print(len(sys.meta_path))"], capture_output=True,
                          text=True, check=True).stdout.strip()  # fmt: skip
    assert out[1].split()[-1] == base  # the finder is gone again
