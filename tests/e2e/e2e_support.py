"""Driving the running simulator in Chromium: start the app, wait for it, read what a person reads.

Shared by ``tests/e2e`` (through ``conftest.py``) and ``bench/browser_latency.py``.

Waiting follows Streamlit's own end-to-end suite (``e2e_playwright/conftest.py``): the root element
``[data-testid="stApp"]`` carries ``data-test-connection-state`` and ``data-test-script-state``
(``initial`` → ``running`` → ``notRunning`` on every run), and no ``stStatusWidget`` or
``stSkeleton`` is left. Instead of Streamlit's short fixed pause after each click (the run may not
have started yet), an init script counts the runs the server reports; after an action we wait
until a *new* run has finished — no fixed sleep anywhere.
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
from collections.abc import Callable, Iterator
from pathlib import Path

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
#:
#: - Script runs are counted from the messages the server sends (Streamlit's ``ForwardMsg``, read
#:   on the page's own WebSocket): ``new_session`` (field 4) opens a run, ``script_finished``
#:   (field 6) closes it unless its status is ``FINISHED_EARLY_FOR_RERUN`` (2: another run follows).
#:   The ``data-test-script-state`` attribute alone misses a quick run: React may render
#:   ``running`` and ``notRunning`` in one batch, and the attribute never changes.
#: - ``window.showSaveFilePicker`` is replaced by a recorder, so the grid's « Download as CSV »
#:   button hands its text to the test instead of opening a native dialog.
INIT_SCRIPT = r"""
(() => {
  const g = window.__guichet = {started: 0, done: 0, running: false, csv: [], okKey: null, okFrames: 0,
                                startedAt: null, doneAt: null, sentAt: null};
  function varint(b, i) {
    let v = 0, m = 1, x;
    do { x = b[i++]; v += (x & 0x7f) * m; m *= 128; } while (x & 0x80);
    return [v, i];
  }
  function onMessage(data) {
    if (!(data instanceof ArrayBuffer)) return;
    const b = new Uint8Array(data);
    let i = 0;
    try {
      while (i < b.length) {
        let key, v, len;
        [key, i] = varint(b, i);
        const field = Math.floor(key / 8), wire = key & 7;
        if (wire === 0) {
          [v, i] = varint(b, i);
          if (field === 6) { if (v !== 2) { g.running = false; g.done++; g.doneAt = performance.now(); } }
        } else if (wire === 2) {
          [len, i] = varint(b, i);
          if (field === 4) { g.running = true; g.started++; g.startedAt = performance.now(); }
          i += len;
        } else if (wire === 1) { i += 8; } else if (wire === 5) { i += 4; } else { return; }
      }
    } catch (e) { /* not a ForwardMsg */ }
  }
  const Native = window.WebSocket;
  window.WebSocket = new Proxy(Native, {
    construct(target, args) {
      const ws = Reflect.construct(target, args);
      ws.addEventListener('message', ev => onMessage(ev.data));
      const send = ws.send.bind(ws);
      ws.send = data => { g.sentAt = performance.now(); return send(data); };
      return ws;
    },
  });
  window.showSaveFilePicker = async () => {
    const chunks = [];
    return {createWritable: async () => ({
      write: async (data) => { chunks.push(typeof data === 'string' ? data : new TextDecoder().decode(data)); },
      close: async () => { g.csv.push(chunks.join('')); },
    })};
  };
})();
"""

#: The page shows a finished run: connected, no run going on (by the server's messages and by the
#: root element), no status widget, no loading skeleton — two animation frames in a row, so
#: React has drawn what the last messages carried.
IDLE_JS = """([doneAtLeast, key]) => {
  const g = window.__guichet, app = document.querySelector('[data-testid="stApp"]');
  const ok = !!app && g.done >= doneAtLeast && !g.running
    && app.getAttribute('data-test-connection-state') === 'CONNECTED'
    && app.getAttribute('data-test-script-state') === 'notRunning'
    && !document.querySelector('[data-testid="stStatusWidget"]')
    && !document.querySelector('[data-testid="stSkeleton"]');
  if (g.okKey !== key) { g.okKey = key; g.okFrames = 0; }
  g.okFrames = ok ? g.okFrames + 1 : 0;
  return g.okFrames >= 2;
}"""


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


def _die_with_parent() -> None:
    """In the server's process, before exec: on Linux, be sent SIGTERM when the test process
    dies, even killed (e.g. by SIGPIPE under ``| head``), so no server is left behind."""
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        with contextlib.suppress(Exception):
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@contextlib.contextmanager
def running_app(script: str | Path = "app.py", timeout_s: float = 90) -> Iterator[str]:
    """``python -m streamlit run app.py`` (or ``script``) on a free port, from the repository root,
    with this interpreter; yields its URL once ``/_stcore/health`` answers; stops it afterwards.

    The file watcher is off: files edited while the tests run must not put a « rerun » prompt in
    the page (it would be taken for a run in progress)."""
    port = free_port()
    url = f"http://localhost:{port}"
    log = tempfile.NamedTemporaryFile(prefix="guichet-e2e-streamlit-", suffix=".log", delete=False)
    cmd = [sys.executable, "-m", "streamlit", "run", str(script), "--server.headless", "true",
           "--server.port", str(port), "--server.fileWatcherType", "none",
           "--browser.gatherUsageStats", "false"]
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, env=env,
                            preexec_fn=_die_with_parent)
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


#: A phone's browser (Streamlit folds the sidebar after a page change only for a mobile agent).
PHONE_USER_AGENT = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 "
                    "(KHTML, like Gecko) Chrome/156.0.0.0 Mobile Safari/537.36")


def new_context(browser, base_url: str, viewport: dict | None = None):
    viewport = viewport or DESKTOP
    phone = viewport["width"] < 640
    context = browser.new_context(
        locale=LOCALE, viewport=viewport, base_url=base_url, timezone_id="Europe/Paris",
        **({"is_mobile": True, "has_touch": True, "user_agent": PHONE_USER_AGENT} if phone else {}))
    context.add_init_script(INIT_SCRIPT)
    context.set_default_timeout(TIMEOUT_MS)
    return context


# --- the page --------------------------------------------------------------------------------------

class App:
    """One browser tab on the simulator, with the reads and gestures of a person using it."""

    def __init__(self, page):
        self.page = page

    # waiting
    def _wait_done(self, at_least: int, timeout_ms: int) -> None:
        key = f"{id(self)}-{time.monotonic_ns()}"
        self.page.wait_for_function(IDLE_JS, arg=[at_least, key], polling="raf",
                                    timeout=timeout_ms)

    def wait_idle(self, timeout_ms: int = TIMEOUT_MS) -> None:
        """Wait until no script run is going on and the page has drawn the last one."""
        self._wait_done(0, timeout_ms)

    def runs(self) -> int:
        """Script runs this page has seen finish."""
        return self.page.evaluate("() => window.__guichet.done")

    def after_rerun(self, action: Callable[[], object], timeout_ms: int = TIMEOUT_MS) -> None:
        """Do ``action`` (which makes Streamlit rerun) and wait until that new run has finished
        and been drawn."""
        before = self.runs()
        action()
        self._wait_done(before + 1, timeout_ms)

    def wait_loaded(self, timeout_ms: int = TIMEOUT_MS) -> None:
        """After a (re)load: the first run has finished and been drawn."""
        self._wait_done(1, timeout_ms)

    def goto(self, path: str = "/") -> App:
        self.page.goto(path)
        self.wait_loaded()
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
        expect(link).to_be_in_viewport(ratio=1)  # the sidebar has finished sliding in
        self.after_rerun(link.click)
        expect(self.nav_link(title)).to_have_attribute("aria-current", "page")
        self.wait_idle()

    def preset_button(self, title: str):
        """The button that loads the preset ``title`` on « Accueil »: the button of the card that
        shows the title (or, failing that, a button named after the preset)."""
        card = self.main().get_by_test_id("stVerticalBlock").filter(
            has=self.page.get_by_text(title, exact=True)).last
        in_card = card.get_by_test_id("stButton").get_by_role("button")
        named = self.main().get_by_role("button", name=title, exact=True)
        return named.or_(in_card).first

    def load_preset(self, title: str) -> None:
        """From « Accueil », click the preset's button: the app opens the Simulateur with it."""
        if not re.search(r"/$", self.page.url) or self.runs() == 0:
            self.goto("/")
        self.after_rerun(self.preset_button(title).click)
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

    def show_charts(self) -> None:
        """On the Simulateur, the charts are drawn on request: turn « Afficher les graphiques » on."""
        toggle = self.main().get_by_test_id("stCheckbox").filter(has_text="Afficher les graphiques")
        self.after_rerun(toggle.locator("label").click)  # its input is visually hidden
        expect(toggle.get_by_role("switch")).to_be_checked()
        charts = self.main().locator('[data-testid="stVegaLiteChart"], [data-testid="stArrowVegaLiteChart"]')
        expect(charts).to_have_count(2)

    # the cost-line grid (glide-data-grid: a canvas; cells are reached by keyboard from a click)
    def grid(self, alt_start: str = "Tableau des lignes de coût"):
        return self.page.get_by_test_id("stDataFrame").filter(
            has=self.page.get_by_role("button", name=re.compile(r"^Add row: " + re.escape(alt_start))))

    #: The grid cell that has the focus, as "glide-cell-<column>-<row>" (or "editor" when a cell's
    #: editor is open), if it belongs to ``grid``. glide-data-grid mirrors its canvas in an
    #: accessible table whose cells are ``glide-cell-<column>-<row>`` (column 0 is the row-marker
    #: column); the selected cell takes the focus once the grid has drawn the selection.
    FOCUSED_CELL_JS = """grid => {
      const a = document.activeElement;
      if (a && a.closest && a.closest('[data-testid="portal"] .gdg-clip-region')) return 'editor';
      return a && grid.contains(a) && /^glide-cell-\\d+-\\d+$/.test(a.id) ? a.id : null;
    }"""

    def _wait_focused_cell(self, grid, *expected: str, timeout_ms: int = TIMEOUT_MS) -> str | None:
        """Wait until the focus is on one of ``expected`` (see FOCUSED_CELL_JS); which one, or None."""
        try:
            handle = grid.page.wait_for_function(
                f"([g, ok]) => {{ const f = ({self.FOCUSED_CELL_JS})(g); return ok.includes(f) && f; }}",
                arg=[grid.element_handle(), list(expected)], timeout=timeout_ms)
            return handle.json_value()
        except Exception:  # playwright's TimeoutError
            return None

    def _select_cell(self, grid, row: int, col: int) -> None:
        """Select the cell at data row ``row`` and column ``col`` (both 0-based, index hidden) as a
        person does: a click in the grid's first column, then the arrow keys (column widths are not
        fixed, the keyboard is exact), checking which cell has the focus at each step — never from
        a focus left over from before the click."""
        self.page.keyboard.press("Escape")  # close an open cell editor, if any
        grid.scroll_into_view_if_needed()
        start_row = min(row, 4)  # at most the 5th row: it is on screen
        start = f"glide-cell-1-{start_row}"
        if grid.evaluate(self.FOCUSED_CELL_JS) != start:
            for _attempt in range(3):
                # Past the row-marker column (~33 px), in the first column.
                grid.click(position={"x": 60, "y": 35 + 35 * start_row + 17})
                got = self._wait_focused_cell(grid, start, "editor", timeout_ms=3_000)
                if got == "editor":  # the click fell on the selected cell: it opened its editor
                    self.page.keyboard.press("Escape")
                    got = self._wait_focused_cell(grid, start, timeout_ms=3_000)
                if got == start:
                    break
                # After the toolbar's CSV export the grid ignores one click: click again.
            else:
                raise AssertionError(f"the grid did not select its cell (1, {start_row})")
        for _ in range(row - start_row):
            self.page.keyboard.press("ArrowDown")
        for _ in range(col):
            self.page.keyboard.press("ArrowRight")
        target = f"glide-cell-{col + 1}-{row}"
        assert self._wait_focused_cell(grid, target) == target, (
            f"could not reach the grid cell {target}: focus on {grid.evaluate(self.FOCUSED_CELL_JS)}")

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
        button = grid.get_by_role("button", name=re.compile(r"^Add row"))
        button.wait_for(state="visible")
        # The toolbar floats over the line above the grid (the caption), which may take the
        # pointer while the page settles on a loaded machine: the button itself gets the click.
        button.dispatch_event("click")

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
