"""Driving the running simulator in Chromium: start the app, wait for it, read what a person reads.

Shared by ``tests/e2e`` (through ``conftest.py``) and ``bench/browser_latency.py``.

Waiting follows Streamlit's own end-to-end suite (``e2e_playwright/conftest.py``): the root element
``[data-testid="stApp"]`` carries ``data-test-connection-state`` and ``data-test-script-state``
(``initial`` → ``running`` → ``notRunning`` on every run). Instead of Streamlit's short fixed
pause after each click (the run may not have started yet), an init script counts the runs the page
has seen; after an action we wait until a *new* run has finished — no fixed sleep anywhere.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Callable, Iterator

try:
    from playwright.sync_api import expect
except ImportError:  # conftest.py skips the browser tests (or fails them in CI) with the reason
    expect = None

REPO = Path(__file__).resolve().parents[2]

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-dev-shm-usage"]
LOCALE = "fr-FR"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 30_000

NNBSP, NBSP = "\u202f", "\u00a0"

#: Installed in every page before Streamlit loads.
#: - ``window.__guichet.runs`` counts the script runs this page has seen start (the attribute
#:   ``data-test-script-state`` leaving ``notRunning``/``initial`` for ``running``);
#: - ``window.showSaveFilePicker`` is replaced by a recorder, so the grid's « Download as CSV »
#:   button hands its text to the test instead of opening a native dialog.
INIT_SCRIPT = r"""
(() => {
  const g = window.__guichet = {runs: 0, csv: []};
  new MutationObserver(records => {
    for (const r of records) {
      if (r.attributeName !== 'data-test-script-state') continue;
      const now = r.target.getAttribute('data-test-script-state');
      if (now === 'running' && r.oldValue !== 'running') g.runs++;
    }
  }).observe(document, {subtree: true, attributes: true, attributeOldValue: true,
                        attributeFilter: ['data-test-script-state']});
  window.showSaveFilePicker = async () => {
    const chunks = [];
    return {createWritable: async () => ({
      write: async (data) => { chunks.push(typeof data === 'string' ? data : new TextDecoder().decode(data)); },
      close: async () => { g.csv.push(chunks.join('')); },
    })};
  };
})();
"""

#: True when the app is connected, no script run is going on and every element has rendered.
IDLE_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  return !!app
    && app.getAttribute('data-test-connection-state') === 'CONNECTED'
    && app.getAttribute('data-test-script-state') === 'notRunning'
    && !document.querySelector('[data-testid="stStatusWidget"]')
    && !document.querySelector('[data-testid="stSkeleton"]');
}"""

RERUN_DONE_JS = "n => window.__guichet.runs > n && (" + IDLE_JS + ")()"


# --- the server ------------------------------------------------------------------------------------

def chromium_path() -> str | None:
    return shutil.which("chromium")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
            return r.status == 200 and r.read().strip() == b"ok"
    except OSError:
        return False


@contextlib.contextmanager
def running_app(timeout_s: float = 90) -> Iterator[str]:
    """``python -m streamlit run app.py`` on a free port, from the repository root, with this
    interpreter; yields its URL once ``/_stcore/health`` answers; stops it afterwards.

    The file watcher is off: files edited while the tests run must not put a « rerun » prompt in
    the page (it would be taken for a run in progress)."""
    port = free_port()
    url = f"http://localhost:{port}"
    log = tempfile.NamedTemporaryFile(prefix="guichet-e2e-streamlit-", suffix=".log", delete=False)
    cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
           "--server.port", str(port), "--server.fileWatcherType", "none",
           "--browser.gatherUsageStats", "false"]
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, env=env,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + timeout_s
        while not _healthy(url):
            if proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with {proc.returncode}:\n"
                                   + Path(log.name).read_text(errors="replace")[-4000:])
            if time.monotonic() > deadline:
                raise RuntimeError(f"streamlit did not answer on {url} within {timeout_s} s:\n"
                                   + Path(log.name).read_text(errors="replace")[-4000:])
            time.sleep(0.2)  # polling a server that is starting, not waiting for the UI
        yield url
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=15)
        log.close()
        with contextlib.suppress(OSError):
            os.unlink(log.name)


def launch_chromium(playwright):
    return playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)


def new_context(browser, base_url: str, viewport: dict | None = None):
    context = browser.new_context(locale=LOCALE, viewport=viewport or DESKTOP, base_url=base_url,
                                  timezone_id="Europe/Paris")
    context.add_init_script(INIT_SCRIPT)
    context.set_default_timeout(TIMEOUT_MS)
    return context


# --- the page --------------------------------------------------------------------------------------

class App:
    """One browser tab on the simulator, with the reads and gestures of a person using it."""

    def __init__(self, page):
        self.page = page

    # waiting
    def wait_idle(self, timeout_ms: int = TIMEOUT_MS) -> None:
        self.page.wait_for_function(IDLE_JS, timeout=timeout_ms)

    def runs(self) -> int:
        return self.page.evaluate("() => window.__guichet.runs")

    def after_rerun(self, action: Callable[[], object], timeout_ms: int = TIMEOUT_MS) -> None:
        """Do ``action`` (which makes Streamlit rerun) and wait until that new run has finished."""
        before = self.runs()
        action()
        self.page.wait_for_function(RERUN_DONE_JS, arg=before, timeout=timeout_ms)

    def goto(self, path: str = "/") -> "App":
        self.page.goto(path)
        self.page.wait_for_function("() => window.__guichet.runs > 0", timeout=TIMEOUT_MS)
        self.wait_idle()
        return self

    # navigation
    def nav_link(self, title: str):
        return self.page.get_by_test_id("stSidebarNav").get_by_role("link", name=title, exact=True)

    def open_page(self, title: str) -> None:
        """Go to a page with its link in the sidebar, as a person does (on a phone the sidebar is
        folded away: open it first)."""
        link = self.nav_link(title)
        expand = self.page.get_by_test_id("stExpandSidebarButton")
        if expand.is_visible():
            expand.click()
        expect(link).to_be_in_viewport()
        self.after_rerun(link.click)
        expect(self.nav_link(title)).to_have_attribute("aria-current", "page")
        self.wait_idle()

    def load_preset(self, title: str) -> None:
        """From « Accueil », click the preset's button: the app opens the Simulateur with it."""
        if not re.search(r"/$", self.page.url) or self.runs() == 0:
            self.goto("/")
        self.after_rerun(self.page.get_by_role("button", name=title, exact=True).click)
        expect(self.page).to_have_url(re.compile(r"/simulateur$"))
        expect(self.heading("Simulateur")).to_be_visible()
        self.wait_idle()

    # reading
    def heading(self, text: str):
        return self.page.get_by_role("heading", name=text, exact=True)

    def main(self):
        return self.page.get_by_test_id("stMain")

    def sidebar(self):
        return self.page.get_by_test_id("stSidebar")

    def metric_value(self, label: str | re.Pattern):
        label_re = label if isinstance(label, re.Pattern) else re.compile("^" + re.escape(label))
        metric = self.page.get_by_test_id("stMetric").filter(
            has=self.page.get_by_test_id("stMetricLabel").filter(has_text=label_re))
        return metric.get_by_test_id("stMetricValue")

    def markdown(self, starting: str):
        return self.main().get_by_test_id("stMarkdownContainer").filter(
            has_text=re.compile("^" + re.escape(starting)))

    def figures_strip(self):
        """The line right under the grid: « Après vos lignes — assiette éligible : … »."""
        return self.markdown("Après vos lignes")

    def alert(self, text: str | re.Pattern):
        return self.page.get_by_test_id("stAlert").filter(has_text=text)

    def status_banner(self):
        return self.main().get_by_test_id("stAlert").filter(has_text="Statut : ")

    def exceptions(self):
        return self.page.get_by_test_id("stException")

    # widgets
    def radio(self, label: str):
        return self.page.get_by_test_id("stRadio").filter(
            has=self.page.get_by_test_id("stWidgetLabel").filter(has_text=label))

    def choose_radio(self, label: str, option: str) -> None:
        group = self.radio(label)
        self.after_rerun(group.get_by_test_id("stRadioOption")
                         .filter(has_text=re.compile("^" + re.escape(option))).first.click)

    # the cost-line grid (glide-data-grid: a canvas; cells are reached by keyboard from a click)
    def grid(self, alt_start: str = "Tableau des lignes de coût"):
        return self.page.get_by_test_id("stDataFrame").filter(
            has=self.page.get_by_role("button", name=re.compile(r"^Add row: " + re.escape(alt_start))))

    def _active_cell(self, expected: str | None = None) -> tuple[int, int]:
        """(column, row) of the grid cell that has the focus. glide-data-grid mirrors its canvas
        in an accessible table whose cells are ``glide-cell-<column>-<row>``, column 0 being the
        row-marker column; the selected cell gets the focus once the grid has drawn it."""
        handle = self.page.wait_for_function(
            """expected => { const id = document.activeElement && document.activeElement.id || '';
                             return /^glide-cell-\\d+-\\d+$/.test(id) && (!expected || id === expected) && id; }""",
            arg=expected)
        _, _, col, row = handle.json_value().split("-")
        return int(col), int(row)

    def _select_cell(self, grid, row: int, col: int) -> None:
        """Select the cell at data row ``row`` and column ``col`` (both 0-based, index hidden) as a
        person does: a click in the grid, then the arrow keys (column widths are not fixed, the
        keyboard is exact), checking each time which cell has the focus."""
        self.page.keyboard.press("Escape")
        grid.scroll_into_view_if_needed()
        # Past the row-marker column (~33 px), in the first column; at most the 5th row.
        grid.click(position={"x": 60, "y": 35 + 35 * min(row, 4) + 17})
        at_col, at_row = self._active_cell()
        target_col = col + 1
        for key, n in (("ArrowDown", row - at_row), ("ArrowUp", at_row - row),
                       ("ArrowRight", target_col - at_col), ("ArrowLeft", at_col - target_col)):
            for _ in range(max(0, n)):
                self.page.keyboard.press(key)
        self._active_cell(f"glide-cell-{target_col}-{row}")

    def cell_overlay(self):
        return self.page.get_by_test_id("portal").locator(".gdg-clip-region")

    def open_cell_editor(self, row: int, col: int, grid=None):
        self._select_cell(grid or self.grid(), row, col)
        self.page.keyboard.press("Enter")
        overlay = self.cell_overlay()
        expect(overlay).to_be_visible()
        return overlay

    def edit_cell(self, row: int, col: int, text: str, grid=None, wait: bool = True) -> None:
        """Type ``text`` into a cell's editor and commit it with Enter (Streamlit's own e2e way:
        open the overlay, fill its input, press Enter)."""
        overlay = self.open_cell_editor(row, col, grid)
        overlay.locator("input, textarea").first.fill(text)
        if wait:
            self.after_rerun(lambda: self.page.keyboard.press("Enter"))
        else:
            self.page.keyboard.press("Enter")

    def choose_in_cell(self, row: int, col: int, option: str, grid=None) -> None:
        """A select cell: type the option's label in the overlay's combobox and press Enter."""
        overlay = self.open_cell_editor(row, col, grid)
        overlay.get_by_role("combobox").fill(option)
        # The list of options is drawn outside the overlay (a menu portal).
        expect(self.page.get_by_role("option", name=option, exact=True)).to_be_visible()
        self.after_rerun(lambda: self.page.keyboard.press("Enter"))

    def add_grid_row(self, grid=None) -> None:
        grid = grid or self.grid()
        grid.scroll_into_view_if_needed()
        grid.hover()
        grid.get_by_role("button", name=re.compile(r"^Add row")).click()

    def grid_csv(self, grid=None) -> str:
        """The grid's content as its own « Download as CSV » button exports it.

        Call it after the last edit: once the export has run, the grid ignores the next click."""
        grid = grid or self.grid()
        before = self.page.evaluate("() => window.__guichet.csv.length")
        grid.scroll_into_view_if_needed()
        grid.hover()
        grid.get_by_role("button", name=re.compile(r"^Download as CSV")).click()
        self.page.wait_for_function("n => window.__guichet.csv.length > n", arg=before)
        return self.page.evaluate("() => window.__guichet.csv[window.__guichet.csv.length - 1]")
