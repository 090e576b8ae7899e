"""Browser tests: the running app (``streamlit run app.py``) driven in Debian's Chromium.

Without Chromium (or Playwright) every test here is skipped with the reason — unless
``GUICHET_REQUIRE_BROWSER=1`` (CI sets it): then they fail instead, so CI never skips them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from e2e_support import App, chromium_path, launch_chromium, new_context, running_app

HERE = Path(__file__).resolve().parent
REQUIRED = os.environ.get("GUICHET_REQUIRE_BROWSER") == "1"


def _missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (pip install -r requirements-dev.txt)"
    if not chromium_path():
        return ("Chromium is not installed: `sudo apt-get install chromium` "
                "(Debian's build; a Playwright browser download does not work on these machines)")
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
def app(context):
    """One tab on the simulator; its session is new (the default workspace)."""
    return App(context.new_page())


@pytest.fixture(autouse=True)
def _no_app_exception(request):
    """After each browser test: no Streamlit exception box was left on the page."""
    yield
    if "app" not in request.fixturenames:
        return
    app = request.getfixturevalue("app")
    if app.page.is_closed():
        return
    boxes = app.exceptions()
    if boxes.count():
        pytest.fail("Streamlit showed an exception:\n" + "\n---\n".join(boxes.all_inner_texts()),
                    pytrace=False)
