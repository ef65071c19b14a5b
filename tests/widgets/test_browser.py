"""Real-browser test: the widgets served by Voilà and driven by Chromium through Playwright.

The notebooks in ``tests/browser_app/`` are copied to a temporary folder and
served by Voilà on 127.0.0.1 (a free port, no token). Headless Chromium
(Debian's ``/usr/bin/chromium``) opens them; any request that would leave the
loopback interface (Voilà asks a CDN for the Font Awesome style sheet) is
answered locally with an empty body and recorded, so the test never touches
the network. The test moves a slider and presses Run, checks that the ipympl
canvas shows a different image each time, and that the page logged no
JavaScript error.

Voilà 0.5 loads every federated JupyterLab extension it finds on the Jupyter
data path (the user's ``~/.local/share/jupyter``, the environment,
``/usr/local/share/jupyter``, ``/usr/share/jupyter``, ``$JUPYTER_PATH``) into a
page whose core is JupyterLab 4.2. An extension built with JupyterLab 4.6's
builder (module-federation runtime) that needs a shared package Voilà does not
provide fails there with "The getter for the shared module is not a function
... #RUNTIME-012" (issue 10): a console error from an extension the dashboards
never use, present on one machine and absent on another. So the server runs
with its own empty user data and config folders, without ``$JUPYTER_PATH``,
and with an allowlist of the extensions the pinned packages install
(``EXTENSIONS``); and it always has one such foreign extension planted on its
path (JupyterLab's own galata-extension, built with 4.6), so that a lost
allowlist fails here on every machine, not only on the ones with a stray
extension.

The lecture app (``arpes-sigma lecture``: the packaged ``arpes_sigma/app/lecture.ipynb``
served by Voilà without sources) is started through the command itself, with
the same isolated Jupyter folders and allowlist passed after ``--``; the test
clicks two Playground presets and checks that the figure and the caption change.

Screenshots go to ``$ARPES_SIGMA_ARTIFACTS`` (default: a pytest temporary
folder). With ``ARPES_SIGMA_SCREENSHOTS=docs`` the test also waits for a
converged fit and writes ``docs/explorer.png`` and ``docs/playground.png``.

Skipped, with the reason, when Chromium, Voilà or Playwright is not installed;
with ``CI`` set (as ``.ci/run`` is run) that is a failure instead.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
APP = Path(__file__).parent / "browser_app"
LOOPBACK = {"127.0.0.1", "localhost"}
# the federated extensions Voilà may load: those the pinned packages install
EXTENSIONS = (
    "@voila-dashboards/widgets-manager8",  # voila: the ipywidgets 8 manager it injects
    "@jupyter-widgets/jupyterlab-manager",  # jupyterlab_widgets: the ipywidgets 8 views
    "jupyter-matplotlib",  # ipympl: the figure canvas
    "jupyterlab_pygments",  # jupyterlab_pygments (through nbconvert): code colours
)
# a JupyterLab-4.6-built extension that fails in Voilà's page (issue 10), planted on the path
FOREIGN = "@jupyterlab/galata-extension"


def _missing():
    missing = []
    if not os.access(CHROMIUM, os.X_OK):
        missing.append(f"Chromium at {CHROMIUM} (apt-get install chromium)")
    if importlib.util.find_spec("voila") is None:
        missing.append("voila (pip install voila)")
    if importlib.util.find_spec("playwright") is None:
        missing.append("playwright (pip install playwright)")
    return missing


def _plant_foreign_extension(labextensions):
    """Copy JupyterLab's galata-extension into ``labextensions``; fail if JupyterLab no longer ships it."""
    import jupyterlab

    source = Path(jupyterlab.__file__).parent / "galata" / FOREIGN
    if not (source / "package.json").is_file():
        pytest.fail(f"jupyterlab {jupyterlab.__version__} ships no {FOREIGN} to plant (issue 10 regression check)")
    # a copy, not a link: Voilà refuses to serve files that resolve outside its folders
    shutil.copytree(source, labextensions / FOREIGN)


def _voila_env(home):
    """The environment for Voilà: CPU JAX, and Jupyter user folders of its own (see the module docstring)."""
    env = {k: v for k, v in os.environ.items() if k not in ("JUPYTER_PATH", "JUPYTER_CONFIG_PATH")}
    env.update(
        JAX_PLATFORMS="cpu",
        PYTHONUNBUFFERED="1",
        JUPYTER_DATA_DIR=str(home / "data"),
        JUPYTER_CONFIG_DIR=str(home / "config"),
    )
    return env


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_http(url, proc, timeout, any_status=False):
    """Wait until ``url`` answers 200 (or, with ``any_status``, answers at all: the server is up)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"voila exited with code {proc.returncode} before serving {url}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except urllib.error.HTTPError:
            if any_status:
                return
            time.sleep(0.25)
        except (urllib.error.URLError, OSError):
            time.sleep(0.25)
    raise RuntimeError(f"voila did not answer {url} within {timeout} s")


def _stop_server(proc):
    """Terminate Voilà and every process it started (kernels run in their own sessions)."""
    import psutil

    try:
        children = psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        children = []
    for p in [proc, *children]:
        try:
            p.terminate()
        except (psutil.NoSuchProcess, ProcessLookupError):
            pass
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)
    _, alive = psutil.wait_procs(children, timeout=10)
    for p in alive:
        p.kill()


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory):
    folder = os.environ.get("ARPES_SIGMA_ARTIFACTS")
    path = Path(folder) if folder else tmp_path_factory.mktemp("browser_artifacts")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="module")
def voila_url(tmp_path_factory):
    missing = _missing()
    if missing:
        reason = "browser test needs " + ", ".join(missing)
        if os.environ.get("CI"):
            pytest.fail(reason + " (CI is set: bash scripts/test.sh installs them)")
        pytest.skip(reason)
    app = tmp_path_factory.mktemp("voila_app")
    for notebook in APP.glob("*.ipynb"):
        shutil.copy(notebook, app)
    home = tmp_path_factory.mktemp("jupyter_home")
    _plant_foreign_extension(home / "data" / "labextensions")
    port = _free_port()
    env = _voila_env(home)
    cmd = [
        sys.executable, "-m", "voila", str(app), "--no-browser", f"--port={port}", "--Voila.ip=127.0.0.1",
        "--Voila.token=", "--Voila.port_retries=0", "--show_tracebacks=True",
        *(f"--VoilaConfiguration.extension_allowlist={name}" for name in EXTENSIONS),
    ]
    log_path = app / "voila.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(cmd, cwd=app, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_http(f"http://127.0.0.1:{port}/", proc, timeout=60)
            yield f"http://127.0.0.1:{port}"
        except RuntimeError as exc:
            raise RuntimeError(f"{exc}\n--- voila log ---\n{log_path.read_text()[-3000:]}") from None
        finally:
            _stop_server(proc)


@pytest.fixture(scope="module")
def lecture_url(tmp_path_factory, voila_url):
    """``arpes-sigma lecture`` on a free port, with Voilà's Jupyter folders isolated as for ``voila_url``."""
    workdir = tmp_path_factory.mktemp("lecture")
    home = tmp_path_factory.mktemp("lecture_home")
    _plant_foreign_extension(home / "data" / "labextensions")
    port = _free_port()
    cmd = [
        sys.executable, "-m", "arpes_sigma.cli", "lecture", "--no-browser", "--port", str(port), "--ip", "127.0.0.1",
        "--", "--Voila.token=", "--Voila.port_retries=0", "--show_tracebacks=True",
        *(f"--VoilaConfiguration.extension_allowlist={name}" for name in EXTENSIONS),
    ]
    log_path = workdir / "lecture.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(cmd, cwd=workdir, env=_voila_env(home), stdout=log, stderr=subprocess.STDOUT)
        try:
            # the page itself would start a kernel: wait for any answer from a path that does not exist
            _wait_http(f"http://127.0.0.1:{port}/no-such-page", proc, timeout=60, any_status=True)
            yield f"http://127.0.0.1:{port}"
        except RuntimeError as exc:
            raise RuntimeError(f"{exc}\n--- lecture log ---\n{log_path.read_text()[-3000:]}") from None
        finally:
            _stop_server(proc)


@pytest.fixture(scope="module")
def browser(voila_url):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


class Page:
    """A Playwright page that records JavaScript errors and keeps every request on loopback."""

    def __init__(self, browser):
        self.errors: list[str] = []
        self.offsite: list[str] = []
        self.context = browser.new_context(viewport={"width": 1300, "height": 1000}, device_scale_factor=1)
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        self.page.on("console", self._console)

    def _route(self, route):
        host = urlparse(route.request.url).hostname
        if host in LOOPBACK:
            route.continue_()
        else:  # never leave the machine: answer locally with an empty resource
            self.offsite.append(route.request.url)
            kind = "text/css" if route.request.url.split("?")[0].endswith(".css") else "text/plain"
            route.fulfill(status=200, content_type=kind, body="")

    def _console(self, message):
        if message.type == "error":
            self.errors.append(f"console error: {message.text}")

    def canvas_image(self, figure=0) -> str:
        """The PNG data URL of the image layer of the ``figure``-th ipympl canvas."""
        canvas = self.page.locator(".jupyter-matplotlib-canvas-div").nth(figure).locator("canvas").first
        return canvas.evaluate("c => c.toDataURL('image/png')")

    def wait_for_new_image(self, old, timeout=60.0, figure=0) -> str:
        """Poll the canvas until it differs from ``old``; return the new data URL."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            now = self.canvas_image(figure)
            if now != old:
                return now
            time.sleep(0.2)
        raise AssertionError(f"the figure did not change within {timeout} s")

    def wait_for_stable_image(self, timeout=30.0, quiet=0.6, figure=0) -> str:
        """Poll the canvas until it stays the same for ``quiet`` seconds; return its data URL."""
        deadline = time.monotonic() + timeout
        last = self.canvas_image(figure)
        since = time.monotonic()
        while time.monotonic() < deadline:
            time.sleep(0.15)
            now = self.canvas_image(figure)
            if now != last:
                last, since = now, time.monotonic()
            elif time.monotonic() - since >= quiet:
                return now
        raise AssertionError(f"the figure kept changing for {timeout} s")

    def slider_handle(self, label):
        slider = self.page.locator(".widget-slider", has=self.page.locator("label", has_text=label))
        return slider.locator(".noUi-handle").first

    def close(self):
        self.context.close()


def _blank_image(page):
    # what an empty canvas of the same size encodes to
    script = """c => {
        const d = document.createElement('canvas');
        d.width = c.width;
        d.height = c.height;
        return d.toDataURL('image/png');
    }"""
    return page.page.locator(".jupyter-matplotlib-canvas-div canvas").first.evaluate(script)


def _open(browser, url, ready_text, timeout=150_000):
    page = Page(browser)
    page.page.goto(url, timeout=timeout)
    page.page.wait_for_selector(f"text={ready_text}", timeout=timeout)
    page.page.wait_for_selector(".jupyter-matplotlib-canvas-div canvas", timeout=timeout)
    page.wait_for_new_image(_blank_image(page), timeout=60)
    return page, page.wait_for_stable_image()


def _save(page, artifacts, name):
    widget = page.page.locator(".jp-OutputArea-output").first
    widget.screenshot(path=str(artifacts / name))
    target = os.environ.get("ARPES_SIGMA_SCREENSHOTS")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copy(artifacts / name, Path(target) / name)


def test_voila_serves_only_the_tested_extensions(voila_url):
    """Voilà's pages ask for exactly ``EXTENSIONS``, although the planted foreign one is on the path."""
    with urllib.request.urlopen(f"{voila_url}/", timeout=30) as response:  # the tree page: no kernel
        html = response.read().decode()
    match = re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', html, re.S)
    assert match, "no jupyter-config-data in the Voilà page"
    names = sorted(e["name"] for e in json.loads(match.group(1))["federated_extensions"])
    assert names == sorted(EXTENSIONS)


def test_explorer_in_a_real_browser(browser, voila_url, artifacts):
    page, image = _open(browser, f"{voila_url}/voila/render/explorer_app.ipynb", "press Run")
    try:
        # a slider: the EDC of the cancellation panel (no fitting, just redraws)
        handle = page.slider_handle("EDC (k index)")
        for _ in range(3):
            handle.press("ArrowLeft")
        page.wait_for_new_image(image, timeout=30)
        image = page.wait_for_stable_image()
        # Run: compiles, then the worker pushes a new frame after every call
        page.page.get_by_role("button", name="Run").click()
        page.page.wait_for_selector("text=/step [1-9][0-9]* · χ²/", timeout=150_000)  # an update has finished
        page.wait_for_new_image(image, timeout=60)
        if os.environ.get("ARPES_SIGMA_SCREENSHOTS"):
            page.page.wait_for_selector("text=done", timeout=300_000)
            handle = page.slider_handle("EDC (k index)")
            for _ in range(3):
                handle.press("ArrowRight")
            time.sleep(3)
        else:
            page.page.get_by_role("button", name="Stop").click()
            page.page.wait_for_selector("text=/stopped|done/", timeout=30_000)
        time.sleep(1.0)
        _save(page, artifacts, "explorer.png")
        assert page.errors == [], page.errors
        assert not page.page.locator("text=Traceback").count()
    finally:
        page.close()


def test_playground_in_a_real_browser(browser, voila_url, artifacts):
    page, image = _open(browser, f"{voila_url}/voila/render/playground_app.ipynb", "hidden-fermion poles")
    try:
        handle = page.slider_handle("V (eV)")
        for _ in range(10):
            handle.press("ArrowRight")
        page.wait_for_new_image(image, timeout=30)
        image = page.wait_for_stable_image()
        handle = page.slider_handle("D (eV)")
        for _ in range(5):
            handle.press("ArrowLeft")
        page.wait_for_new_image(image, timeout=30)
        time.sleep(1.0)
        _save(page, artifacts, "playground.png")
        assert page.errors == [], page.errors
    finally:
        page.close()


def test_lecture_app_presets_change_the_figure(browser, lecture_url, artifacts):
    """``arpes-sigma lecture``: no code on the page; presets change the caption, the sliders and the figure."""
    page, image = _open(browser, f"{lecture_url}/", "hidden-fermion poles")
    try:
        p = page.page
        p.wait_for_selector("text=press Run", timeout=150_000)  # the Explorer is on the page too
        assert p.locator(".jupyter-matplotlib-canvas-div canvas").count() >= 2
        assert not p.locator("text=from arpes_sigma").count()  # sources stripped
        assert p.locator("text=Choose a preset").count()

        def readout(label):
            slider = p.locator(".widget-slider", has=p.locator("label", has_text=label))
            return slider.locator(".widget-readout").first.inner_text().strip()

        p.get_by_role("button", name="BCS (static gap)").click()
        p.wait_for_selector("text=BCS: a static gap", timeout=30_000)
        image = page.wait_for_new_image(image, timeout=30)
        assert readout("V (eV)") == "0.000" and readout("static gap") == "0.025"
        image = page.wait_for_stable_image()

        p.get_by_role("button", name="same hidden fermion, unpaired (normal-state dip that mimics a gap)").click()
        p.wait_for_selector("text=The same hidden fermion without pairing", timeout=30_000)
        page.wait_for_new_image(image, timeout=30)
        assert readout("coherence") == "0.00" and readout("V (eV)") == "0.100"
        time.sleep(1.0)
        _save(page, artifacts, "lecture.png")
        assert page.errors == [], page.errors
        assert not p.locator("text=Traceback").count()
    finally:
        page.close()
