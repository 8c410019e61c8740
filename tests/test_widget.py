"""The ray-deformation widget in a real JupyterLab, driven by Debian's headless Chromium: run all, move the time slider,
the deformed render changes."""
import io, os, shutil, socket, subprocess, sys, time, urllib.request
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "nbs" / "experiments" / "ray_deformation_widget.ipynb"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")


def _missing() -> str | None:
    if CHROMIUM is None: return "Debian's chromium is not installed (apt-get install chromium)"
    if CHROMEDRIVER is None: return "chromedriver is not installed (apt-get install chromium-driver)"
    for mod, pkg in (("selenium", "selenium"), ("jupyterlab", "jupyterlab"), ("ipywidgets", "ipywidgets")):
        try: __import__(mod)
        except ImportError: return f"{pkg} is not installed in this environment (pip install {pkg})"
    return None


pytestmark = pytest.mark.skipif(_missing() is not None, reason=_missing() or "")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def lab(tmp_path):
    "A JupyterLab server (token auth, a temporary root holding a copy of the notebook); yields its base url and token."
    root = tmp_path / "root"
    root.mkdir()
    shutil.copy(NOTEBOOK, root / NOTEBOOK.name)
    port, token = _free_port(), "th-widget-test-token"
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(tmp_path / "config"), "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
           "JUPYTER_DATA_DIR": str(tmp_path / "data"),
           "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    env.pop("MPLBACKEND", None)
    log = open(tmp_path / "lab.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--ServerApp.port={port}",
                             "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
                             "--ServerApp.port_retries=0", "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
                             f"--LabApp.workspaces_dir={tmp_path / 'workspaces'}"] + (["--allow-root"] if os.geteuid() == 0 else []),
                            stdout=log, stderr=subprocess.STDOUT, env=env, cwd=root)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            if proc.poll() is not None: pytest.fail(f"jupyter lab exited: {(tmp_path / 'lab.log').read_text()[-2000:]}")
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
                break
            except OSError: time.sleep(0.5)
        else: pytest.fail("jupyter lab did not answer within 60 s")
        yield base, token, tmp_path
    finally:
        proc.terminate()
        try: proc.wait(20)
        except subprocess.TimeoutExpired: proc.kill(); proc.wait()
        log.close()


@pytest.fixture
def browser(tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1500,1400",
              f"--user-data-dir={tmp_path / 'chromium'}"):
        opts.add_argument(a)
    drv = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    try: yield drv
    finally: drv.quit()


def _wait(fn, timeout: float, what: str, poll: float = 0.5):
    t0 = time.time()
    while time.time() - t0 < timeout:
        try:
            v = fn()
            if v: return v
        except Exception: pass
        time.sleep(poll)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def _pixels(el) -> np.ndarray:
    from PIL import Image
    return np.asarray(Image.open(io.BytesIO(el.screenshot_as_png)).convert("RGB")).astype(int)


def test_slider_changes_the_deformed_render(lab, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    base, token, tmp = lab
    browser.get(f"{base}/lab/tree/{NOTEBOOK.name}?token={token}")
    _wait(lambda: browser.find_elements(By.CSS_SELECTOR, ".jp-Notebook .jp-Cell"), 120, "the notebook to open")
    _wait(lambda: "Idle" in browser.find_element(By.CSS_SELECTOR, "body").get_attribute("innerHTML")
          or browser.find_elements(By.CSS_SELECTOR, ".jp-Notebook-ExecutionIndicator[data-status='idle']"), 120, "the kernel")
    run_menu = _wait(lambda: [e for e in browser.find_elements(By.CSS_SELECTOR, ".lm-MenuBar-item") if e.text.strip() == "Run"],
                     30, "the Run menu")[0]
    run_menu.click()
    _wait(lambda: browser.find_element(By.CSS_SELECTOR, "[data-command='runmenu:run-all']"), 20, "Run All Cells").click()

    deformed = _wait(lambda: [e for e in browser.find_elements(By.CSS_SELECTOR, "img.nffs-deformed")
                              if (e.get_attribute("src") or "") and e.size["width"] > 0], 420,
                     "the widget's deformed render (the notebook runs all its cells)")[0]
    status = _wait(lambda: [e for e in browser.find_elements(By.CSS_SELECTOR, ".widget-label")
                            if e.text.startswith("frame ")], 60, "the redraw status")[0]
    # the notebook's own checks move the slider to 12, then 2, then leave it there: wait until everything has run
    _wait(lambda: [e for e in browser.find_elements(By.CSS_SELECTOR, ".jp-OutputArea-output") if "redraw: new setting" in e.text],
          300, "the notebook's checks (their printed redraw times)")
    _wait(lambda: status.text.startswith("frame 2 "), 60, "the slider back at 2")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", deformed)
    time.sleep(1.0)
    before_src, before_px, before_status = deformed.get_attribute("src"), _pixels(deformed), status.text
    assert before_status.startswith("frame 2 ")

    slider = [s for s in browser.find_elements(By.CSS_SELECTOR, ".widget-slider")
              if "time step" in s.text][0]
    handle = slider.find_element(By.CSS_SELECTOR, ".noUi-handle")
    handle.click()
    for _ in range(10): handle.send_keys(Keys.ARROW_RIGHT)
    _wait(lambda: status.text != before_status and deformed.get_attribute("src") != before_src, 120,
          "the redraw after moving the slider")
    time.sleep(1.0)
    after_px = _pixels(deformed)
    assert status.text.startswith("frame 12 "), status.text
    assert before_px.shape == after_px.shape
    d = np.abs(after_px - before_px).max(-1)                  # the PNG is lossless: any difference is the render's
    assert d.max() >= 3 and (d >= 3).sum() >= 9, f"the deformed render did not change (max {d.max()}, {(d >= 3).sum()} pixels)"
