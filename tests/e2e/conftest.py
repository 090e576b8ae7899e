"""Browser tests: the running app (``streamlit run app.py``) driven in Debian's Chromium.

Without Chromium (or Playwright) every test here is skipped with the reason — unless
``GUICHET_REQUIRE_BROWSER=1`` (CI sets it): then they fail instead, so CI never skips them.
"""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path

import pytest
from e2e_support import App, chromium_path, launch_chromium, new_context, running_app

HERE = Path(__file__).resolve().parent
REQUIRED = os.environ.get("GUICHET_REQUIRE_BROWSER") == "1"


def _missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    try:
        import axe_playwright_python  # noqa: F401
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return ("Playwright for Python or axe-playwright-python is not installed "
                "(pip install -r requirements-dev.txt)")
    if not chromium_path():
        return ("Chromium is not installed: `sudo apt-get install chromium` "
                "(Debian's build; a Playwright browser download does not work on these machines)")
    return None


try:  # without them the test modules cannot even be imported: leave them out, saying why
    import axe_playwright_python  # noqa: F401
    import playwright.sync_api  # noqa: F401
except ImportError:
    if not REQUIRED:
        collect_ignore_glob = ["test_*.py"]


def pytest_report_header(config):
    missing = _missing()
    if missing:
        return [f"browser tests (tests/e2e): {'FAIL' if REQUIRED else 'skipped'} — {missing}"]
    return None


def pytest_collection_modifyitems(config, items):
    missing = _missing()
    for item in items:
        if HERE not in Path(str(item.path)).resolve().parents:
            continue
        item.add_marker(pytest.mark.e2e)
        if missing and not REQUIRED:
            item.add_marker(pytest.mark.skip(reason=f"browser tests skipped: {missing}"))


@pytest.fixture(scope="session")
def app_url():
    """The app, started once for the session on a free port; stopped at the end."""
    missing = _missing()
    if missing:
        pytest.fail(f"GUICHET_REQUIRE_BROWSER=1 but {missing}", pytrace=False)
    with running_app() as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    missing = _missing()
    if missing:
        pytest.fail(f"GUICHET_REQUIRE_BROWSER=1 but {missing}", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = launch_chromium(p)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def context(browser, app_url):
    """A fresh browser context (hence a fresh Streamlit session) per test, at 1280×800, fr-FR."""
    ctx = new_context(browser, app_url)
    yield ctx
    ctx.close()


@pytest.fixture
def app(context, request):
    """One tab on the simulator; its session is new (the default workspace). Afterwards, no
    Streamlit exception box may be left on any of the context's pages."""
    yield App(context.new_page())
    if request.node.get_closest_marker("xfail"):
        return
    boxes = [text for page in context.pages if not page.is_closed()
             for text in App(page).exceptions().all_inner_texts()]
    if boxes:
        pytest.fail("Streamlit showed an exception:\n" + "\n---\n".join(boxes), pytrace=False)


FAILURE_SHOTS = Path(os.environ.get("GUICHET_E2E_SHOTS", "/tmp/e2e-shots")) / "failures"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On a failed browser test, keep a screenshot of each of its pages (outside the repository)."""
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed or "context" not in getattr(item, "funcargs", {}):
        return
    FAILURE_SHOTS.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^\w.-]+", "_", item.nodeid.split("::", 1)[-1])
    for i, page in enumerate(item.funcargs["context"].pages):
        if not page.is_closed():
            path = FAILURE_SHOTS / f"{name}-{i}.png"
            with contextlib.suppress(Exception):
                page.screenshot(path=str(path))
                report.sections.append(("screenshot", str(path)))
