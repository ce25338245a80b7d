"""The explorers in a real browser: JupyterLab on 127.0.0.1, headless Chromium, each widget worked by hand.

``make test-browser`` runs the tests marked ``browser`` (``make test`` deselects them). For each notebook
with an explorer (``tlhelpers.widgets``: 01's photo picker, 04's slider) it opens a fresh copy of the
notebook in JupyterLab, runs every cell, and for each explorer checks that

- it rendered as a widget (so ipywidgets' front end in JupyterLab and its kernel side agree);
- working it as a learner does (picking another photo, moving the slider by one step) redraws it;
- what it now shows is, byte for byte, the image the same explorer draws for that choice, built afresh in the
  same kernel: the top-5 of *that* photo, the run for *that* k.

A failing explorer leaves a screenshot in ``build/browser/`` (and the server's log beside it).

Offline: Chromium (Debian's ``chromium``, driven by Debian's ``chromium-driver``; Selenium is given both paths,
so nothing downloads a browser or a driver) resolves no host names and runs without its background services;
the JupyterLab server runs under ``tests/netguard.py`` and its kernels under the IPython start-up guard; the
test fails on any request the page sent to anything but 127.0.0.1, and checks that the running JupyterLab
has its news and update checks off (the settings ``make`` writes into the venv).
"""

from __future__ import annotations

import ast
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

from tests import netguard
from tools.notebook_list import all_notebooks

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "build" / "browser"
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",  # no host name resolves: the page uses 127.0.0.1
    "--window-size=1400,1000",
]
SERVER_START_S = 120
RUN_ALL_S = 900  # notebook 04 trains for about 70 s; a busy 2-core machine needs several times that
WIDGET_S = 60  # an explorer's redraw (one forward pass or one lookup) takes well under a second when idle


@dataclass(frozen=True)
class Explorer:
    """One cell that calls an explorer: its position, the explorer's name and the call's source."""

    index: int
    name: str
    args: tuple[str, ...]
    kwargs: tuple[tuple[str, str], ...]


def explorers_in(path: Path) -> list[Explorer]:
    """The cells whose code calls an explorer (tlhelpers.widgets' ``*_explorer`` functions)."""
    found = []
    for index, cell in enumerate(nbformat.read(path, as_version=4).cells):
        if cell.cell_type != "code" or "_explorer(" not in cell.source:
            continue
        for node in ast.walk(ast.parse(cell.source)):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id.endswith("_explorer"):
                segment = lambda part: ast.get_source_segment(cell.source, part)  # noqa: E731
                found.append(
                    Explorer(
                        index,
                        node.func.id,
                        tuple(segment(arg) for arg in node.args),
                        tuple((kw.arg, segment(kw.value)) for kw in node.keywords),
                    )
                )
    return found


WIDGET_NOTEBOOKS = [path for path in all_notebooks() if explorers_in(path)]
NOTEBOOK_IDS = [path.stem for path in WIDGET_NOTEBOOKS]


NARROWED = {  # explorer → (position and name of its choices argument, the choices narrowed to the one `_choice`)
    "prediction_explorer": (2, "images", lambda images: f"{{_choice: ({images})[_choice]}}"),
    "slider_explorer": (1, "values", lambda values: "[_choice]"),
}


def probe_call(explorer: Explorer) -> str:
    """The same explorer call with only the value ``_choice`` (a name in the kernel): it first draws that one.

    prediction_explorer(model, weights, images, k) → images narrowed to {_choice: images[_choice]};
    slider_explorer(compute, values, description, default) → values = [_choice], no default.
    """
    position, keyword, narrow = NARROWED[explorer.name]
    args, kwargs = list(explorer.args), dict(explorer.kwargs)
    if explorer.name == "slider_explorer":
        kwargs.pop("default", None)
        del args[3:]
    if keyword in kwargs:
        kwargs[keyword] = narrow(kwargs[keyword])
    else:
        args[position] = narrow(args[position])
    return f"{explorer.name}({', '.join([*args, *(f'{key}={value}' for key, value in kwargs.items())])})"


def test_every_explorer_has_a_browser_check():
    """Runs in `make test` too: a new kind of explorer needs its interaction here before it ships."""
    assert WIDGET_NOTEBOOKS, "no notebook calls an explorer: the browser test would test nothing"
    for path in WIDGET_NOTEBOOKS:
        for explorer in explorers_in(path):
            assert explorer.name in INTERACTIONS and explorer.name in NARROWED, (
                f"{path.name}: tests/test_browser.py does not know how to work {explorer.name}"
            )
            compile(probe_call(explorer), "<probe>", "eval")


# --- JupyterLab and Chromium -----------------------------------------------------------------------


@dataclass
class Lab:
    url: str
    token: str
    root: Path
    log: Path
    process: subprocess.Popen

    def api(self, path: str) -> dict:
        with urllib.request.urlopen(f"{self.url}{path}?token={self.token}", timeout=10) as response:
            return json.load(response)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory) -> Iterator[Lab]:
    """JupyterLab on 127.0.0.1 with a random token, serving a scratch folder, its own settings and
    runtime folders (nothing in the user's home), under the network guard, kernels guarded too."""
    root = tmp_path_factory.mktemp("lab-root")
    home = Path(tempfile.mkdtemp(prefix="tl-lab-"))  # short: the kernels' IPC sockets live in it
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log = ARTIFACTS / "jupyterlab.log"
    token, port = secrets.token_hex(16), free_port()
    folders = {
        "JUPYTER_CONFIG_DIR": "config",
        "JUPYTER_DATA_DIR": "data",
        "JUPYTER_RUNTIME_DIR": "runtime",
        "JUPYTERLAB_SETTINGS_DIR": "settings",
        "JUPYTERLAB_WORKSPACES_DIR": "workspaces",
    }
    # One torch thread per kernel: on a CPU shared with other jobs, two threads wait on each other and notebook 04's
    # training takes many times longer (README, Troubleshooting); this test is about the widgets, not the speed.
    env = {
        **os.environ,
        "IPYTHONDIR": str(ROOT / "tests" / "ipython"),
        "OMP_NUM_THREADS": "1",
        **{name: str(home / folder) for name, folder in folders.items()},
    }
    launcher = (
        f"import runpy, sys; runpy.run_path({netguard.__file__!r})['block_network'](); "
        "from jupyterlab.labapp import main; sys.exit(main())"
    )
    command = [
        sys.executable,
        "-c",
        launcher,
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        "--ServerApp.allow_root=True",
        "--LabApp.expose_app_in_browser=True",
    ]
    with log.open("w") as log_file:
        process = subprocess.Popen(command, env=env, stdout=log_file, stderr=subprocess.STDOUT)
    server = Lab(f"http://127.0.0.1:{port}", token, root, log, process)
    try:
        deadline = time.monotonic() + SERVER_START_S
        while True:
            try:
                server.api("/api/status")
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not start:\n{log.read_text()[-3000:]}")
                time.sleep(0.5)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="module")
def browser(lab):
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.exists()]
    if missing:
        pytest.fail(f"{', '.join(missing)} missing — apt-get install chromium chromium-driver (.ci/run does)")
    os.environ["SE_AVOID_STATS"] = "true"  # Selenium Manager: no statistics, and never a download
    os.environ["SE_OFFLINE"] = "true"
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = Path(tempfile.mkdtemp(prefix="tl-chromium-"))
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_script_timeout(WIDGET_S)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def wait_for(condition, timeout: float, message) -> object:
    """Poll ``condition()`` until it returns something truthy; fail with ``message()`` after ``timeout``."""
    from selenium.common.exceptions import StaleElementReferenceException

    deadline = time.monotonic() + timeout
    while True:
        try:
            result = condition()
        except StaleElementReferenceException:  # JupyterLab redrew that part of the page: look again
            result = None
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(message() if callable(message) else message)
        time.sleep(0.5)


# The open notebook's panel, found in the main area rather than as the shell's current widget: that one follows
# focus, and a headless browser window may have none (Debian's Chromium 150 does not give it any).
NOTEBOOK_PANEL = "Array.from(window.jupyterapp.shell.widgets('main')).find(w => w.sessionContext && w.context)"

NOTEBOOK_STATE_JS = """
const app = window.jupyterapp;
if (!app) return null;
const panel = NOTEBOOK_PANEL;
if (!panel || !panel.context.isReady) return null;
const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
const cells = [];
for (let i = 0; i < panel.model.cells.length; i++) {
  const cell = panel.model.cells.get(i);
  if (cell.type !== 'code') { cells.push(null); continue; }
  const errors = cell.outputs.toJSON().filter(o => o.output_type === 'error').map(o => o.ename + ': ' + o.evalue);
  cells.push({count: cell.executionCount, errors});
}
return {kernel: kernel ? kernel.status : null, path: panel.context.path, cells};
""".replace("NOTEBOOK_PANEL", NOTEBOOK_PANEL)

EXECUTE_JS = """
const [code, done] = arguments;
const kernel = NOTEBOOK_PANEL.sessionContext.session.kernel;
const future = kernel.requestExecute({code, silent: false, store_history: false});
let text = '';
future.onIOPub = msg => {
  if (msg.header.msg_type === 'stream') text += msg.content.text;
  if (msg.header.msg_type === 'error') text += '\\n' + msg.content.ename + ': ' + msg.content.evalue;
};
future.done.then(() => done(text), error => done(text + '\\n' + error));
""".replace("NOTEBOOK_PANEL", NOTEBOOK_PANEL)


class Page:
    """One notebook open in JupyterLab."""

    def __init__(self, driver, lab: Lab, name: str) -> None:
        self.driver, self.lab, self.name = driver, lab, name

    def open(self) -> None:
        quoted = urllib.parse.quote(self.name)
        self.driver.get(f"{self.lab.url}/lab/tree/{quoted}?reset&token={self.lab.token}")  # reset: only this one

        def ready():
            state = self.driver.execute_script(NOTEBOOK_STATE_JS)
            return state and state["path"] == self.name and state["kernel"] == "idle"

        wait_for(ready, SERVER_START_S, f"{self.name} did not open with an idle kernel in JupyterLab")

    def run_all(self) -> list[int | None]:
        """Run every cell (Run → Run All Cells); the execution count of each cell (None for markdown)."""
        log_start = len(self.lab.log.read_text())
        self.driver.execute_script("window.jupyterapp.commands.execute('notebook:run-all-cells')")

        def finished():
            state = self.driver.execute_script(NOTEBOOK_STATE_JS)
            errors = [f"cell {i}: {e}" for i, cell in enumerate(state["cells"]) if cell for e in cell["errors"]]
            if errors:
                pytest.fail(f"{self.name}: {errors[0]}")
            if "restarting kernel" in self.lab.log.read_text()[log_start:]:
                pytest.fail(f"{self.name}: the kernel died and JupyterLab restarted it, see {self.lab.log}")
            counts = [cell["count"] for cell in state["cells"] if cell]
            return state["kernel"] == "idle" and all(counts) and counts

        def not_finished():
            cells = self.driver.execute_script(NOTEBOOK_STATE_JS)["cells"]
            waiting = next(i for i, cell in enumerate(cells) if cell and not cell["count"])
            self.screenshot(ARTIFACTS / f"{Path(self.name).stem}-run-all.png")
            return (
                f"{self.name}: not every cell ran within {RUN_ALL_S} s, cell {waiting} had not finished "
                f"(a busy CPU slows PyTorch down many times over) — screenshot in {ARTIFACTS}"
            )

        wait_for(finished, RUN_ALL_S, not_finished)
        return [cell and cell["count"] for cell in self.driver.execute_script(NOTEBOOK_STATE_JS)["cells"]]

    def cell(self, index: int):
        script = f"return {NOTEBOOK_PANEL}.content.widgets[arguments[0]].node"
        node = self.driver.execute_script(script, index)
        self.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", node)
        return node

    def kernel(self, code: str) -> str:
        """Run ``code`` in the notebook's kernel (outside any cell); its printed text."""
        return self.driver.execute_async_script(EXECUTE_JS, code)

    def shut_down_kernel(self) -> None:
        self.driver.execute_async_script(
            f"const done = arguments[0]; {NOTEBOOK_PANEL}.sessionContext.shutdown().then(() => done(), () => done());"
        )

    def screenshot(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.driver.save_screenshot(str(path))


# --- the explorers, worked as a learner works them ---------------------------------------------------


def find(node, selector: str):
    from selenium.webdriver.common.by import By

    found = node.find_elements(By.CSS_SELECTOR, selector)
    return found[0] if found else None


def shown_image(cell) -> str | None:
    """The base64 PNG that the explorer's Output widget shows, or None (read in one step: a redraw replaces it)."""
    script = "const image = arguments[0].querySelector('.widget-output img'); return image ? image.src : null;"
    source = cell.parent.execute_script(script, cell)
    return source.split(",", 1)[1] if source and source.startswith("data:image/png;base64,") else None


def pick_another_photo(cell) -> None:
    from selenium.webdriver.support.ui import Select

    menu = Select(find(cell, ".widget-dropdown select"))
    menu.select_by_visible_text(next(o.text for o in menu.options if o.text != menu.first_selected_option.text))


def picked_photo(cell) -> str:
    from selenium.webdriver.support.ui import Select

    return Select(find(cell, ".widget-dropdown select")).first_selected_option.text


def move_slider(cell) -> None:
    """One step to the right with the keyboard (to the left from the last value), as a learner may."""
    from selenium.webdriver.common.keys import Keys

    handle = find(cell, ".widget-slider .noUi-handle")
    at_end = handle.get_attribute("aria-valuenow") == handle.get_attribute("aria-valuemax")
    handle.click()
    handle.send_keys(Keys.ARROW_LEFT if at_end else Keys.ARROW_RIGHT)


def slider_value(cell) -> str:
    return find(cell, ".widget-readout").text


@dataclass(frozen=True)
class Interaction:
    control: str  # CSS selector of the control that shows the explorer rendered
    work: object  # what a learner does to it
    chosen: object  # what the browser shows as chosen afterwards
    kernel_value: str  # the chosen value, read from the explorer's widgets in the kernel


INTERACTIONS = {
    "prediction_explorer": Interaction(
        ".widget-dropdown select", pick_another_photo, picked_photo, "children[0].children[0].value"
    ),
    "slider_explorer": Interaction(".widget-slider .noUi-handle", move_slider, slider_value, "children[0].value"),
}


def check_explorer(page: Page, explorer: Explorer, execution_count: int) -> None:
    interaction = INTERACTIONS[explorer.name]
    cell = page.cell(explorer.index)
    rendered = lambda: find(cell, interaction.control) and shown_image(cell)  # noqa: E731
    wait_for(
        rendered,
        WIDGET_S,
        lambda: (
            "did not render as a widget (do ipywidgets' front end and kernel side "
            f"match?); the cell shows:\n{cell.text[-1500:]}"
        ),
    )
    before, shown_before = interaction.chosen(cell), shown_image(cell)
    interaction.work(cell)
    choice = interaction.chosen(cell)
    assert choice != before, f"the control still shows {before!r} after it was worked"
    wait_for(
        lambda: shown_image(cell) not in (None, shown_before),
        WIDGET_S,
        f"the view did not change within {WIDGET_S} s after choosing {choice!r}",
    )
    after = shown_image(cell)
    probe = (
        "import contextlib as _contextlib, io as _io, json as _json\n"
        f"_choice = Out[{execution_count}].{interaction.kernel_value}\n"
        "with _contextlib.redirect_stdout(_io.StringIO()):\n"
        f"    _fresh = {probe_call(explorer)}\n"
        "_png = _fresh.children[-1].outputs[0]['data']['image/png']\n"
        "print('@@' + _json.dumps({'choice': str(_choice), 'png': _png}))\n"
    )
    reply = page.kernel(probe)
    lines = [line for line in reply.splitlines() if line.startswith("@@")]
    assert lines, f"the kernel could not draw the expected view:\n{reply[-1500:]}"
    expected = json.loads(lines[-1][2:])
    assert expected["choice"] == choice, f"the browser shows {choice!r}, the kernel has {expected['choice']!r}"
    assert "".join(after.split()) == "".join(expected["png"].split()), (
        f"after choosing {choice!r} the widget shows another image than the explorer draws for {choice!r}"
    )


def outbound_requests(driver) -> list[str]:
    """Every URL the page requested that is not on this machine (data:, blob: and chrome: are local)."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] in ("Network.requestWillBeSent", "Network.webSocketCreated"):
            url = message["params"].get("request", {}).get("url") or message["params"].get("url", "")
            parts = urllib.parse.urlsplit(url)
            if parts.scheme in ("http", "https", "ws", "wss") and parts.hostname not in ("127.0.0.1", "localhost"):
                urls.append(url)
    return urls


def prepared_copy(source: Path, folder: Path) -> Path:
    """The notebook without its stored outputs (a stale widget view would look rendered), in the scratch folder,
    with the committed results files it reads (``results/``, beside the lessons) next to it."""
    results = next(
        folder for folder in (source.parent / "results", source.parent.parent / "results") if folder.is_dir()
    )
    if not (folder / "results").exists():
        shutil.copytree(results, folder / "results")
    notebook = nbformat.read(source, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    notebook.metadata.pop("widgets", None)
    target = folder / source.name
    nbformat.write(notebook, target)
    return target


@pytest.mark.browser
def test_jupyterlab_runs_offline(lab):
    """The running JupyterLab has read the venv's settings: no news, no update checks, no PyPI look-ups."""
    notification = lab.api("/lab/api/settings/@jupyterlab/apputils-extension:notification")
    defaults = {key: value["default"] for key, value in notification["schema"]["properties"].items()}
    assert defaults["fetchNews"] == "false" and defaults["checkForUpdates"] is False, (
        "JupyterLab would fetch news or check for updates — run make (it writes the venv's overrides.json)"
    )
    log = lab.log.read_text()
    assert "Extension Manager is 'readonly'" in log, "the venv's jupyter_server_config.json was not read"


def check_notebook_in_browser(source: Path, lab: Lab, driver) -> None:
    """Open a fresh copy of ``source``, run it, check each explorer in it; fail with what went wrong."""
    copy = prepared_copy(source, lab.root)
    page = Page(driver, lab, copy.name)
    page.open()
    failures = []
    try:
        counts = page.run_all()
        for explorer in explorers_in(copy):
            try:
                check_explorer(page, explorer, counts[explorer.index])
            except (AssertionError, pytest.fail.Exception) as error:
                shot = ARTIFACTS / f"{source.stem}-cell{explorer.index}-{explorer.name}.png"
                page.cell(explorer.index)
                page.screenshot(shot)
                failures.append(f"{explorer.name} (cell {explorer.index}): {error} — screenshot {shot}")
    finally:
        outbound = outbound_requests(driver)
        console = [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
        page.shut_down_kernel()
    assert not failures, "\n".join([*failures, *(f"browser console: {line}" for line in console[-10:])])
    assert not outbound, f"the page tried to reach other machines: {outbound[:5]}"
    log = lab.log.read_text()
    assert "network access blocked" not in log, f"JupyterLab's server tried to go online: {lab.log}"
    assert "without encryption" not in log, f"JupyterLab's kernels spoke TCP, not IPC: {lab.log}"


@pytest.mark.browser
@pytest.mark.parametrize("source", WIDGET_NOTEBOOKS, ids=NOTEBOOK_IDS)
def test_explorers_respond_in_the_browser(source, lab, browser):
    check_notebook_in_browser(source, lab, browser)
