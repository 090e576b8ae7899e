"""Accessibility (RGAA) in the browser: axe-core on every page, then what axe cannot see — the
keyboard journey, the status in words, the table beside every chart, live regions, the language."""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from e2e_support import PHONE, App, new_context
from playwright.sync_api import expect

from guichet.engine.evaluate import evaluate
from guichet.engine.models import Milestone
from guichet.engine.rules import impact_horizon
from guichet.io.sharing import encode_scenario
from guichet.present import labels
from guichet.present.formatting import eur
from guichet.session.presets import list_presets, load_preset
from guichet.ui.router import PAGES

PRESET = "secnumcloud-applications"
BLOCKING = {"serious", "critical"}
PAGE_TITLES = [title for _, title, _, _ in PAGES]
CHART_TEST_IDS = ["stVegaLiteChart", "stArrowVegaLiteChart", "stPlotlyChart", "stPyplot",
                  "stDeckGlJsonChart", "stGraphVizChart", "stBokehChart"]


def preset_title(preset_id: str) -> str:
    return next(p.title for p in list_presets() if p.id == preset_id)


def axe_report(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']} — {v['helpUrl']}")
        for node in v["nodes"][:8]:
            lines.append(f"    target {node['target']}: {node['html'][:160]}")
        if len(v["nodes"]) > 8:
            lines.append(f"    … and {len(v['nodes']) - 8} more")
    return "\n".join(lines)


def run_axe(app: App) -> list[dict]:
    results = Axe().run(app.page)
    violations = results.response["violations"]
    print(f"\naxe on {app.page.url} ({app.page.viewport_size}):")
    print(axe_report(violations) or "    no violation")
    return violations


def open_with_preset(app: App, title: str, preset: str = PRESET) -> None:
    app.load_preset(preset_title(preset))
    if title != "Simulateur":
        app.open_page(title)
    else:
        app.show_charts()
    expect(app.main().get_by_role("heading", level=1)).to_have_count(1)


# --- axe ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("title", PAGE_TITLES)
def test_axe_no_serious_or_critical_violation_at_1280(app: App, title: str):
    open_with_preset(app, title)
    violations = run_axe(app)
    blocking = [v for v in violations if v["impact"] in BLOCKING]
    assert not blocking, "axe, serious or critical:\n" + axe_report(blocking)
    # Streamlit fades captions to 60 %: inline code in one (green on grey) falls to ≈ 3:1, which
    # axe reports only when it can compute the colours (not on every run).
    faded_code = app.main().get_by_test_id("stCaptionContainer").locator("code")
    assert faded_code.count() == 0, faded_code.all_inner_texts()[:5]


@pytest.mark.parametrize("title", PAGE_TITLES)
def test_axe_no_serious_or_critical_violation_on_a_phone(browser, app_url, title: str):
    context = new_context(browser, app_url, viewport=PHONE)
    try:
        app = App(context.new_page())
        open_with_preset(app, title)
        violations = run_axe(app)
    finally:
        context.close()
    blocking = [v for v in violations if v["impact"] in BLOCKING]
    assert not blocking, "axe, serious or critical:\n" + axe_report(blocking)


@pytest.mark.parametrize("preset", ["not-eligible-commercial-cloud", "extension-nubo"])
def test_axe_on_the_simulator_with_other_presets_and_the_share_popover_open(app: App, preset):
    """Errors and reservations, the extension form, and the open « Copier le lien » popover."""
    open_with_preset(app, "Simulateur", preset)
    app.page.get_by_test_id("stPopover").get_by_role("button", name="Copier le lien").click()
    expect(app.page.get_by_test_id("stPopoverBody").get_by_test_id("stCode")).to_be_visible()
    violations = run_axe(app)
    blocking = [v for v in violations if v["impact"] in BLOCKING]
    assert not blocking, "axe, serious or critical:\n" + axe_report(blocking)


# --- keyboard -------------------------------------------------------------------------------------

def tab_until(app: App, predicate_js: str, limit: int = 80) -> int:
    """Press Tab until ``predicate_js(document.activeElement)`` holds; returns the number of Tabs."""
    for n in range(1, limit + 1):
        app.page.keyboard.press("Tab")
        if app.page.evaluate(f"() => !!({predicate_js})(document.activeElement)"):
            return n
    raise AssertionError(f"not reached with {limit} Tab presses")


TARGET_RADIO_JS = ("e => e.type === 'radio' && !!e.closest('[data-testid=stRadio]')"
                   " && e.closest('[data-testid=stRadio]').innerText.includes('Cible de la migration')")


def keyboard_to_simulator_with_preset(app: App, title: str) -> int:
    """From « Accueil », Tab to the preset's button and press Space. Returns the Tab count."""
    app.goto("/")
    button = app.preset_button(title)
    button.evaluate("b => { window.__presetButton = b; }")
    tabs = tab_until(app, "e => e === window.__presetButton")
    app.after_rerun(lambda: app.page.keyboard.press("Space"))
    expect(app.page).to_have_url(re.compile(r"/simulateur$"))
    app.wait_idle()
    return tabs


def test_the_main_journey_works_with_the_keyboard_alone(app: App):
    """Load a preset, switch the target to an unqualified offer and back, with Tab, Space and the
    arrow keys only; each result is read on screen. (Where a rerun drops the focus — see the
    xfail test below — the person tabs back to the group, as they would.)"""
    scenario = load_preset(PRESET)
    eligible = evaluate(scenario)
    other = evaluate(scenario.model_copy(update={
        "migration": scenario.migration.model_copy(update={"target": "other"})}))
    targets = list(labels.TARGETS)
    radio = app.radio("Cible de la migration")

    tabs_to_preset = keyboard_to_simulator_with_preset(app, preset_title(PRESET))
    expect(app.status_banner()).to_contain_text(f"Statut : {eligible.status_label}")
    tabs_to_target = tab_until(app, TARGET_RADIO_JS)
    print(f"\nTab presses: {tabs_to_preset} to the preset's button on « Accueil », then "
          f"{tabs_to_target} to « Cible de la migration » on « Simulateur »")
    expect(radio.get_by_role("radio", name=labels.TARGETS[scenario.migration.target])).to_be_focused()

    refocus, current = 0, scenario.migration.target
    for key, goal in (("ArrowDown", "other"), ("ArrowUp", scenario.migration.target)):
        steps, current = abs(targets.index(goal) - targets.index(current)), goal
        for _ in range(steps):
            if not app.page.evaluate(f"() => ({TARGET_RADIO_JS})(document.activeElement)"):
                refocus += tab_until(app, TARGET_RADIO_JS)
            app.after_rerun(lambda key=key: app.page.keyboard.press(key))
        expect(radio.get_by_role("radio", name=labels.TARGETS[goal])).to_be_checked()
        e = other if goal == "other" else eligible
        expect(app.status_banner()).to_contain_text(f"Statut : {e.status_label}")
        expect(app.metric_value("Cofinancement")).to_have_text(eur(e.cofinancing_ttc))
    print(f"Tab presses to get the focus back after a rerun: {refocus}")


def test_the_focus_stays_on_the_target_after_changing_it_with_the_keyboard(app: App):
    keyboard_to_simulator_with_preset(app, preset_title(PRESET))
    expect(app.alert("Succès : exemple")).to_be_visible()
    tab_until(app, TARGET_RADIO_JS)
    app.after_rerun(lambda: app.page.keyboard.press("ArrowDown"))
    expect(app.radio("Cible de la migration").get_by_role("radio", name=labels.TARGETS["other"])
           ).to_be_focused()


def test_an_explanation_opens_with_the_keyboard_and_keeps_the_focus(app: App):
    """« Comment est-ce calculé ? » is drawn when opened (a rerun): Enter on it shows the
    explanation, and the focus is still on it afterwards."""
    open_with_preset(app, "Simulateur")
    explanation = evaluate(load_preset(PRESET)).explanations["cofinancing_ttc"]
    summary = (app.main().get_by_test_id("stExpander")
               .filter(has=app.page.get_by_text("Comment est-ce calculé ?")).nth(3).locator("summary"))
    expect(app.main().get_by_text(f"Cofinancement = {explanation.value}")).to_have_count(0)
    summary.focus()
    app.after_rerun(lambda: app.page.keyboard.press("Enter"))
    expect(app.main().get_by_text(f"Cofinancement = {explanation.value}")).to_be_visible()
    expect(summary).to_be_focused()


def test_each_preset_button_says_which_example_it_loads(app: App):
    app.goto("/")
    names = []
    for preset in list_presets():
        button = app.preset_button(preset.title)
        expect(button).to_be_visible()
        names.append(button.evaluate("b => b.innerText.trim() || b.getAttribute('aria-label')"))
    print(f"\npreset buttons: {names}")
    for preset, name in zip(list_presets(), names, strict=False):
        assert preset.title in name, f"button {name!r} does not name « {preset.title} »"


def test_a_skip_link_leads_to_the_main_content(app: App):
    app.goto("/simulateur")
    app.page.keyboard.press("Tab")
    skip = app.page.get_by_test_id("stSkipToContent")
    expect(skip).to_be_focused()
    print(f"\nskip link text: {skip.inner_text()!r}")


def test_the_skip_link_is_in_french(app: App):
    app.goto("/simulateur")
    expect(app.page.get_by_test_id("stSkipToContent")).to_have_text(
        re.compile(r"contenu|Aller", re.I))


# --- the status in words --------------------------------------------------------------------------

def late_impact(scenario):
    """The preset with every impact milestone moved after the six-month horizon."""
    late = impact_horizon() + 3
    milestones = [Milestone(label=m.label, month=max(m.month, late) if m.impact else m.month,
                            impact=m.impact) for m in scenario.milestones]
    return scenario.model_copy(update={"milestones": milestones})


@pytest.mark.parametrize("variant", ["preset", "late-impact", "not-eligible"])
def test_status_and_six_month_flag_are_stated_in_words(app: App, variant: str):
    base = load_preset("not-eligible-commercial-cloud" if variant == "not-eligible" else PRESET)
    scenario = late_impact(base) if variant == "late-impact" else base
    e = evaluate(scenario)
    if variant == "late-impact":
        assert not e.six_month_impact
    flag = f"Impact réel en moins de {impact_horizon()} mois : {'oui' if e.six_month_impact else 'non'}"

    app.goto(f"/simulateur?s={encode_scenario(scenario)}")
    for title in ("Simulateur", "Calendrier et impact"):
        if title != "Simulateur":
            app.open_page(title)
        banner = app.status_banner()
        expect(banner).to_contain_text(f"Statut : {e.status_label}")
        # The type is said in words too, not only by colour and icon.
        expect(app.main().get_by_text(flag)).to_be_visible()
        expect(app.sidebar()).to_contain_text(f"Statut : {e.status_label}")
        role = "alert" if e.status in ("ineligible", "eligible_with_reservations") else "status"
        expect(banner.get_by_role(role)).to_have_count(1)


# --- what axe cannot see --------------------------------------------------------------------------

CHARTS_WITHOUT_TABLE_JS = """ids => {
  const missing = [];
  for (const chart of document.querySelectorAll(ids.map(i => `[data-testid="${i}"]`).join(','))) {
    const holder = chart.closest('[data-testid="stElementContainer"]');
    let next = holder && holder.nextElementSibling;
    const summary = next && next.querySelector('[data-testid="stExpander"] summary');
    const table = next && next.querySelector('[data-testid="stDataFrame"], [data-testid="stTable"]');
    if (!summary || !/tableau/i.test(summary.innerText) || !table)
      missing.push((chart.getAttribute('aria-label') || chart.innerText || chart.outerHTML).slice(0, 120));
  }
  return {charts: document.querySelectorAll(ids.map(i => `[data-testid="${i}"]`).join(',')).length, missing};
}"""


@pytest.mark.parametrize("title", PAGE_TITLES)
def test_every_chart_has_its_table_right_after_it(app: App, title: str):
    """Right after each chart, an expander « … (tableau) »; opened (its table is drawn on demand),
    it holds the chart's data as a table."""
    open_with_preset(app, title)
    summaries = app.main().locator('[data-testid="stExpander"] summary').filter(has_text="(tableau)")
    for i in range(summaries.count()):
        app.after_rerun(summaries.nth(i).click)
    result = app.page.evaluate(CHARTS_WITHOUT_TABLE_JS, CHART_TEST_IDS)
    print(f"\n{title}: {result['charts']} chart(s)")
    assert not result["missing"], f"charts without an adjacent « (tableau) » expander: {result['missing']}"


def test_new_figures_after_a_grid_edit_are_announced(app: App):
    scenario = load_preset(PRESET)
    lines = list(scenario.cost_lines)
    from decimal import Decimal
    lines[0] = lines[0].model_copy(update={"amount": Decimal("130000")})
    after = evaluate(scenario.model_copy(update={"cost_lines": lines}))

    app.load_preset(preset_title(PRESET))
    app.edit_cell(0, 2, "130000")
    strip = app.figures_strip()
    expect(strip).to_contain_text(f"cofinancement : {eur(after.cofinancing_ttc)}")
    live = strip.locator("xpath=ancestor-or-self::*[@role='status' or @role='alert' or "
                         "@aria-live='polite' or @aria-live='assertive']")
    expect(live).to_have_count(1)


def test_the_page_language_is_french(app: App):
    app.goto("/")
    assert app.page.evaluate("document.documentElement.lang").lower().startswith("fr")
