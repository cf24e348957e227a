"""End to end in headless Chromium (Debian's chromium + chromedriver, driven by Selenium): report.html and
the ``lungseg serve`` page. ``.ci/run`` installs the browser, so in CI (CI=true) these never skip.

Set LUNGSEG_SCREENSHOTS=docs to save the screenshots shown in the README.
"""

import os
import shutil
import socket
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from lungseg.cli import main
from lungseg.inference.jobs import sample_path
from tests.conftest import missing_data

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


@pytest.fixture(scope="module")
def browser():
    if not (Path(CHROMIUM).exists() and Path(DRIVER).exists()):
        missing_data("chromium/chromedriver not installed (apt-get install chromium chromium-driver)")
    webdriver = pytest.importorskip("selenium.webdriver")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--window-size=1280,1000"):  # fmt: skip
        options.add_argument(flag)
    driver = webdriver.Chrome(service=webdriver.ChromeService(DRIVER), options=options)
    yield driver
    driver.quit()


def wait_for(condition, timeout: float = 60.0):
    end = time.time() + timeout
    while time.time() < end:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("timed out waiting in the browser")


def screenshot(driver, name: str) -> None:
    folder = os.environ.get("LUNGSEG_SCREENSHOTS")
    if folder:
        driver.save_screenshot(str(Path(folder) / name))


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory) -> Path:
    """A segment run: three X-rays, a blank image (flagged) and a broken file (an error row)."""
    inputs = tmp_path_factory.mktemp("in")
    sample = Image.open(sample_path()).convert("L")
    sample.save(inputs / "patient_a.png")
    sample.resize((220, 260)).save(inputs / "patient_b.png")
    sample.rotate(12).save(inputs / "patient_c.png")
    Image.fromarray(np.full((200, 200), 128, np.uint8)).save(inputs / "blank.png")
    (inputs / "broken.png").write_bytes(b"not an image")
    out = tmp_path_factory.mktemp("out")
    assert main(["segment", str(inputs), "-o", str(out)]) == 1
    return out


def test_report_rows_sort_and_filter(browser, run_folder):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    browser.get((run_folder / "report.html").as_uri())
    rows = wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, "#body tr"))
    assert len(rows) == 5
    names = [r.get_attribute("data-name").rsplit("/", 1)[-1] for r in rows]
    assert names[0] == "broken.png"  # errors first, then worst quality first
    qualities = [float(r.find_element(By.CLASS_NAME, "quality").text) for r in rows[1:]]
    assert qualities == sorted(qualities) and names[1] == "blank.png"
    assert "not_frontal_cxr" in rows[1].text
    thumbs = browser.find_elements(By.CSS_SELECTOR, "#body img")
    assert len(thumbs) == 4 and all(browser.execute_script("return arguments[0].naturalWidth", t) > 0 for t in thumbs)
    screenshot(browser, "report_page.png")
    Select(browser.find_element(By.ID, "flag")).select_by_value("not_frontal_cxr")
    rows = browser.find_elements(By.CSS_SELECTOR, "#body tr")
    assert [r.get_attribute("data-name").rsplit("/", 1)[-1] for r in rows] == ["blank.png"]
    Select(browser.find_element(By.ID, "flag")).select_by_value("error")
    assert len(browser.find_elements(By.CSS_SELECTOR, "#body tr")) == 1
    assert "5 inputs" in browser.find_element(By.ID, "count").text


@pytest.fixture(scope="module")
def server():
    uvicorn = pytest.importorskip("uvicorn")
    from lungseg.inference.segmenter import Segmenter
    from lungseg.serve.app import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(create_app(Segmenter.from_pretrained(), 5 * 1024 * 1024), "127.0.0.1", port,
                            log_level="warning")  # fmt: skip
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    wait_for(lambda: srv.started, 30)
    yield f"http://127.0.0.1:{port}/"
    srv.should_exit = True
    thread.join(10)


def test_served_page_uploads_an_xray_and_a_broken_file(browser, server, tmp_path):
    from selenium.webdriver.common.by import By

    browser.get(server)
    picker = browser.find_element(By.ID, "file")
    picker.send_keys(str(sample_path()))
    wait_for(lambda: browser.find_element(By.ID, "result").is_displayed())
    overlay = browser.find_element(By.ID, "overlay")
    assert overlay.get_attribute("src").startswith("data:image/png;base64,")
    assert browser.execute_script("return arguments[0].naturalWidth", overlay) > 100
    table = browser.find_element(By.ID, "measurements").text
    assert "area_px" in table and "ctr" in table
    assert float(browser.find_element(By.ID, "quality").text) > 0.5
    assert browser.find_element(By.ID, "mask").get_attribute("download") == "sample_cxr_mask.png"
    screenshot(browser, "serve_page.png")
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    picker.send_keys(str(broken))
    error = wait_for(lambda: browser.find_element(By.ID, "error").text)
    assert error.startswith("broken.png:") and not browser.find_element(By.ID, "result").is_displayed()
