"""The journeys of a project lead, in Chromium, each checked on what the page says.

Every expected figure comes from the engine (``guichet.engine.evaluate`` on the same scenario, formatted
with ``guichet.present.formatting.eur``): « 216 000,00 € » with U+202F between thousands and U+00A0 before
the euro sign, exactly as the page must print it.
"""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal

import pytest
from e2e_support import NBSP, NNBSP, App
from playwright.sync_api import expect

from guichet.engine.evaluate import Evaluation, evaluate
from guichet.engine.models import Scenario
from guichet.io.sharing import encode_scenario
from guichet.present import labels
from guichet.present.formatting import eur
from guichet.session.editing import COLUMN_LABELS, COLUMNS, row_to_line
from guichet.session.presets import list_presets, load_preset
from guichet.ui.router import PAGES

AMOUNT_COL = COLUMNS.index("amount")
CATEGORY_COL = COLUMNS.index("category")
TARGET_LABEL = "Cible de la migration"
PAGE_TITLES = [title for _, title, _, _ in PAGES]


def preset_title(preset_id: str) -> str:
    return next(p.title for p in list_presets() if p.id == preset_id)


def with_target(s: Scenario, target: str) -> Scenario:
    return s.model_copy(update={"migration": s.migration.model_copy(update={"target": target})})


def with_amount(s: Scenario, index: int, amount: str) -> Scenario:
    lines = list(s.cost_lines)
    lines[index] = lines[index].model_copy(update={"amount": Decimal(amount)})
    return s.model_copy(update={"cost_lines": lines})


def with_row(s: Scenario, row: dict) -> Scenario:
    """The scenario once a grid row is added, converted by the app's own row → line code."""
    line = row_to_line(row)
    assert not isinstance(line, str), line
    return s.model_copy(update={"cost_lines": [*s.cost_lines, line]})


def expect_figures(app: App, e: Evaluation) -> None:
    """The five key figures (st.metric), the status in words, and the line under the grid."""
    expect(app.metric_value("Coût total TTC")).to_have_text(eur(e.total_cost_ttc))
    expect(app.metric_value("Dépenses exclues")).to_have_text(eur(e.excluded_cost_ttc))
    expect(app.metric_value("Assiette éligible")).to_have_text(eur(e.eligible_base_ttc))
    expect(app.metric_value("Cofinancement")).to_have_text(eur(e.cofinancing_ttc))
    expect(app.metric_value("Reste à charge")).to_have_text(eur(e.own_contribution_ttc))
    expect(app.status_banner()).to_contain_text(f"Statut : {e.status_label}")
    strip = app.figures_strip()
    expect(strip).to_contain_text(f"assiette éligible : {eur(e.eligible_base_ttc)}")
    expect(strip).to_contain_text(f"dépenses exclues : {eur(e.excluded_cost_ttc)}")
    expect(strip).to_contain_text(f"cofinancement : {eur(e.cofinancing_ttc)}")
    expect(strip).to_contain_text(f"statut : {e.status_label}")
    expect(app.sidebar()).to_contain_text(f"Statut : {e.status_label}")


def grid_rows(app: App) -> list[dict]:
    """The cost-line grid as it shows now (its own CSV export). Read it last: after an export,
    glide-data-grid ignores the next click on the grid."""
    return list(csv.DictReader(io.StringIO(app.grid_csv())))


def test_french_number_format_is_what_the_engine_prints():
    """The expectations below rely on it: narrow no-break space, comma, no-break space, €."""
    assert eur(Decimal("1234567.89")) == f"1{NNBSP}234{NNBSP}567,89{NBSP}€"


# 1 ------------------------------------------------------------------------------------------------

def test_load_a_preset_from_home_then_read_its_cofinancing_and_status(app: App):
    preset = "secnumcloud-applications"
    title = preset_title(preset)
    expected = evaluate(load_preset(preset))

    app.goto("/")
    expect(app.heading("Simulateur du guichet « Adoption du Cloud de confiance »")).to_be_visible()
    app.load_preset(title)

    expect(app.alert(f"Succès : exemple « {title} » chargé.")).to_be_visible()
    expect(app.page.get_by_label("Nom du scénario")).to_have_value(title)
    expect_figures(app, expected)
    expect(app.metric_value("Cofinancement")).to_have_text(eur(expected.cofinancing_ttc))
    expect(app.sidebar()).to_contain_text(title)


# 2 ------------------------------------------------------------------------------------------------

def test_an_unqualified_commercial_target_is_not_eligible_and_says_why(app: App):
    preset = "migration-pi"
    scenario = load_preset(preset)
    eligible = evaluate(scenario)
    other = evaluate(with_target(scenario, "other"))
    reason = next(c for c in other.checks if c.code == "TARGET_NOT_TRUSTED")
    assert eligible.status != "ineligible" and other.status == "ineligible"

    app.load_preset(preset_title(preset))
    expect_figures(app, eligible)

    app.choose_radio(TARGET_LABEL, labels.TARGETS["other"])
    expect(app.status_banner()).to_contain_text("Statut : Non éligible")
    expect_figures(app, other)
    expect(app.alert(f"Bloquant — {reason.message}")).to_be_visible()
    expect(app.alert(f"Bloquant — {reason.message}")).to_contain_text(f"Conseil : {reason.advice}")

    app.choose_radio(TARGET_LABEL, labels.TARGETS["pi"])
    expect_figures(app, eligible)
    expect(app.alert(reason.message)).to_have_count(0)


# 3 ------------------------------------------------------------------------------------------------

def test_editing_an_amount_in_the_grid_updates_base_and_cofinancing(app: App):
    preset = "migration-pi"
    scenario = load_preset(preset)
    before = evaluate(scenario)
    after = evaluate(with_amount(scenario, 0, "130000"))
    assert after.eligible_base_ttc != before.eligible_base_ttc
    assert after.cofinancing_ttc != before.cofinancing_ttc

    app.load_preset(preset_title(preset))
    expect_figures(app, before)
    loaded = app.alert(f"Succès : exemple « {preset_title(preset)} » chargé.")
    expect(loaded).to_be_visible()

    app.edit_cell(0, AMOUNT_COL, "130000")
    expect(app.figures_strip()).to_contain_text(
        f"Après vos lignes — assiette éligible : {eur(after.eligible_base_ttc)}")
    expect_figures(app, after)
    expect(loaded).to_have_count(0)  # a message shown once goes at the next action, grid included
    assert grid_rows(app)[0][COLUMNS[AMOUNT_COL]] == "130000"


def test_a_grid_edit_that_changes_the_status_updates_the_sidebar_too(app: App):
    """An edit of the grid redraws the lines and the results only (an ``st.fragment``); the
    status is also in the sidebar, so an edit that changes it must redraw the whole page."""
    preset = "migration-pi"
    scenario = load_preset(preset)
    eligible = evaluate(scenario)
    too_large = evaluate(with_amount(scenario, 0, "12500000"))
    assert eligible.status == "eligible" and too_large.status == "ineligible"
    reason = next(c for c in too_large.checks if c.code == "PROJECT_TOO_LARGE")

    app.load_preset(preset_title(preset))
    app.edit_cell(0, AMOUNT_COL, "12500000")
    expect_figures(app, too_large)  # sidebar included
    expect(app.alert(f"Bloquant — {reason.message}")).to_be_visible()

    app.edit_cell(0, AMOUNT_COL, str(scenario.cost_lines[0].amount))
    expect_figures(app, eligible)
    expect(app.alert(reason.message)).to_have_count(0)


def test_an_open_explanation_follows_grid_edits_and_results_are_drawn_once(app: App):
    """The results column beside the form is drawn by the grid's fragment: after an edit of the
    grid and after a change in the form, one « Résultat » section, with the explanation that
    was open still open and showing the new figure."""
    preset = "migration-pi"
    scenario = load_preset(preset)
    before = evaluate(scenario).explanations["eligible_base_ttc"]
    edited = with_amount(scenario, 0, "130000")
    after = evaluate(edited).explanations["eligible_base_ttc"]
    nubo = evaluate(with_target(edited, "nubo"))

    app.load_preset(preset_title(preset))
    summary = (app.main().get_by_test_id("stExpander")
               .filter(has=app.page.get_by_text("Comment est-ce calculé ?")).nth(2).locator("summary"))
    app.after_rerun(summary.click)
    expect(app.main().get_by_text(f"{before.label} = {before.value}")).to_be_visible()

    app.edit_cell(0, AMOUNT_COL, "130000")
    expect(app.main().get_by_text(f"{after.label} = {after.value}")).to_be_visible()
    expect(app.main().get_by_text(f"{before.label} = {before.value}")).to_have_count(0)
    expect(app.heading("Résultat")).to_have_count(1)
    expect(app.status_banner()).to_have_count(1)
    expect(app.page.get_by_test_id("stMetric")).to_have_count(5)

    app.choose_radio(TARGET_LABEL, labels.TARGETS["nubo"])
    expect_figures(app, nubo)
    expect(app.heading("Résultat")).to_have_count(1)
    expect(app.status_banner()).to_have_count(1)
    expect(app.page.get_by_test_id("stMetric")).to_have_count(5)
    expect(app.main().get_by_text(f"{after.label} = {after.value}")).to_be_visible()


def test_the_charts_once_shown_follow_grid_edits(app: App):
    """Off by default (they slow every edit down); once shown, each chart and its table follow
    the grid."""
    preset = "migration-pi"
    after = evaluate(with_amount(load_preset(preset), 0, "130000"))

    app.load_preset(preset_title(preset))
    app.show_charts()
    app.edit_cell(0, AMOUNT_COL, "130000")
    expect(app.figures_strip()).to_contain_text(f"cofinancement : {eur(after.cofinancing_ttc)}")
    summary = (app.main().locator('[data-testid="stExpander"] summary')
               .filter(has_text="« plan de financement » (tableau)"))
    app.after_rerun(summary.click)
    table = app.main().get_by_test_id("stDataFrame").last
    expect(table).to_contain_text(eur(after.cofinancing_ttc))


# 4 ------------------------------------------------------------------------------------------------

def test_an_excluded_cost_line_moves_the_excluded_total_not_the_base(app: App):
    preset = "migration-pi"
    scenario = load_preset(preset)
    before = evaluate(scenario)
    new_row = {"label": None, "category": labels.CATEGORIES["hardware"], "amount": 10000.0,
               "basis": "HT", "vat": None, "start": 1, "end": 1}
    after = evaluate(with_row(scenario, new_row))
    assert after.eligible_base_ttc == before.eligible_base_ttc
    assert after.excluded_cost_ttc > before.excluded_cost_ttc

    app.load_preset(preset_title(preset))
    n = len(scenario.cost_lines)
    app.add_grid_row()
    app.choose_in_cell(n, CATEGORY_COL, labels.CATEGORIES["hardware"])
    # A line without an amount is shown as incomplete and not counted yet.
    expect(app.alert(f"Attention : ligne {n + 1} non comptée dans les totaux")).to_contain_text(
        COLUMN_LABELS["amount"])
    expect_figures(app, before)

    app.edit_cell(n, AMOUNT_COL, "10000")
    expect(app.alert("non comptée dans les totaux")).to_have_count(0)
    expect(app.metric_value("Assiette éligible")).to_have_text(eur(before.eligible_base_ttc))
    expect(app.metric_value("Dépenses exclues")).to_have_text(eur(after.excluded_cost_ttc))
    expect_figures(app, after)
    excluded = next(c for c in after.checks if c.code == "EXCLUDED_COSTS")
    expect(app.alert(excluded.message)).to_be_visible()


# 5 ------------------------------------------------------------------------------------------------

def edit_a_preset_on_screen(app: App, target: str | None, preset: str = "migration-pi"):
    """Load ``preset``, set line 1 to 130 000 € in the grid and, if given, the target to
    ``target``; the figures shown are the engine's. Returns (the edited scenario, its evaluation)."""
    edited = with_amount(load_preset(preset), 0, "130000")
    if target:
        edited = with_target(edited, target)
    expected = evaluate(edited)
    app.load_preset(preset_title(preset))
    app.edit_cell(0, AMOUNT_COL, "130000")
    if target:
        app.choose_radio(TARGET_LABEL, labels.TARGETS[target])
    expect_figures(app, expected)
    return edited, expected


def test_leaving_the_page_and_coming_back_loses_nothing(app: App):
    edited, expected = edit_a_preset_on_screen(app, "nubo")

    app.open_page("Calendrier et impact")
    expect(app.heading("Calendrier et impact")).to_be_visible()
    expect(app.status_banner()).to_contain_text(f"Statut : {expected.status_label}")
    app.open_page("Simulateur")

    expect(app.radio(TARGET_LABEL).get_by_role("radio", name=labels.TARGETS["nubo"])).to_be_checked()
    expect_figures(app, expected)
    # The grid itself still holds the first edit: a second edit counts both, and it shows both.
    both = evaluate(with_amount(edited, 1, "50000"))
    app.edit_cell(1, AMOUNT_COL, "50000")
    expect_figures(app, both)
    assert [r[COLUMNS[AMOUNT_COL]] for r in grid_rows(app)][:3] == ["130000", "50000", "15000"]


# 6 ------------------------------------------------------------------------------------------------

def test_the_share_link_opens_the_same_scenario_in_a_new_page(app: App, context):
    edited, expected = edit_a_preset_on_screen(app, "secnumcloud")

    app.page.get_by_test_id("stPopover").get_by_role("button", name="Copier le lien").click()
    code = app.page.get_by_test_id("stPopoverBody").get_by_test_id("stCode")
    expect(code).to_contain_text("/simulateur?s=")
    link = re.sub(r"\s+", "", code.inner_text())
    assert link.startswith(app.page.url.split("/simulateur")[0])

    other = App(context.new_page())
    other.goto(link)
    expect(other.alert(f"Succès : scénario « {edited.name} » ouvert depuis le lien de partage."
                       )).to_be_visible()
    expect_figures(other, expected)
    expect(other.radio(TARGET_LABEL).get_by_role("radio", name=labels.TARGETS["secnumcloud"])
           ).to_be_checked()
    assert [r[COLUMNS[AMOUNT_COL]] for r in grid_rows(other)][0] == "130000"


FILES_PAGE = next(title for path, title, _, _ in PAGES if path == "pages/fichiers.py")
OPEN_LABEL = "Ouvrir un scénario enregistré (.json)"


def upload(app: App, label: str, files) -> None:
    """Give a file to the st.file_uploader labelled ``label`` (its hidden <input type=file>)."""
    uploader = app.page.get_by_test_id("stFileUploader").filter(has_text=label)
    app.after_rerun(lambda: uploader.get_by_test_id("stFileUploaderDropzoneInput")
                    .set_input_files(files))


def test_save_the_scenario_reload_and_open_the_file_gives_the_same_figures(app: App, tmp_path):
    edited, expected = edit_a_preset_on_screen(app, "nubo")

    app.open_page(FILES_PAGE)
    with app.page.expect_download() as info:
        app.page.get_by_role("button", name="Enregistrer le scénario (.json)").click()
    saved = tmp_path / info.value.suggested_filename
    info.value.save_as(saved)
    assert saved.suffix == ".json"

    app.page.reload()  # a new session: the default scenario, the edits gone
    app.wait_loaded()
    app.open_page("Simulateur")
    expect(app.metric_value("Cofinancement")).not_to_have_text(eur(expected.cofinancing_ttc))

    app.open_page(FILES_PAGE)
    upload(app, OPEN_LABEL, saved)
    expect(app.alert(f"Succès : scénario « {edited.name} » ouvert")).to_be_visible()
    app.open_page("Simulateur")
    expect_figures(app, expected)
    expect(app.radio(TARGET_LABEL).get_by_role("radio", name=labels.TARGETS["nubo"])).to_be_checked()
    assert [r[COLUMNS[AMOUNT_COL]] for r in grid_rows(app)][0] == "130000"


@pytest.mark.parametrize("name, content", [
    ("abime.json", b'{"schema_version": 1, "name": "coup'),
    ("pas-un-scenario.json", b'{"schema_version": 1, "name": "X", "cost_lines": "beaucoup"}'),
    ("image.json", bytes(range(256))),
], ids=["truncated-json", "invalid-scenario", "binary"])
def test_a_malformed_scenario_file_says_why_in_french_and_changes_nothing(app: App, name, content):
    edited, expected = edit_a_preset_on_screen(app, None, "secnumcloud-applications")

    app.open_page(FILES_PAGE)
    upload(app, OPEN_LABEL, {"name": name, "mimeType": "application/json", "buffer": content})
    error = app.alert(f"Erreur : le fichier « {name} » n’a pas pu être ouvert")
    expect(error).to_be_visible()
    expect(error).to_contain_text("Le scénario affiché est inchangé.")
    expect(error.get_by_role("alert")).to_have_count(1)
    expect(app.sidebar()).to_contain_text(edited.name)

    app.open_page("Simulateur")
    expect(app.page.get_by_label("Nom du scénario")).to_have_value(edited.name)
    expect_figures(app, expected)
    assert [r[COLUMNS[AMOUNT_COL]] for r in grid_rows(app)][0] == "130000"


# 7 ------------------------------------------------------------------------------------------------

#: Not base64url: a link damaged by copy and paste.
BROKEN_TOKEN = "eJzLSM3*not*a*scenario"
#: A real link cut short (the end of the compressed scenario is missing).
TRUNCATED_TOKEN = encode_scenario(load_preset("extension-nubo"))[:-12]


def test_a_broken_share_link_in_a_new_tab_says_so_in_french_and_loads_nothing(app: App):
    default = evaluate(load_preset("migration-pi"))  # what a new session shows

    app.goto(f"/simulateur?s={BROKEN_TOKEN}")
    error = app.alert("le lien de partage n’a pas pu être ouvert")
    expect(error).to_be_visible()
    expect(error).to_contain_text("Erreur : le lien de partage n’a pas pu être ouvert")
    expect(error).to_contain_text("le scénario affiché est inchangé")
    expect(error.get_by_role("alert")).to_have_count(1)  # announced (role="alert")
    expect_figures(app, default)

    app.open_page("Comparer")  # no scenario was added: the session still holds only one
    expect(app.alert("Information : choisissez au moins deux scénarios")).to_be_visible()
    app.open_page("Simulateur")
    expect_figures(app, default)


@pytest.mark.parametrize("token", [BROKEN_TOKEN, TRUNCATED_TOKEN], ids=["not-base64url", "truncated"])
def test_a_broken_share_link_followed_in_a_session_leaves_its_scenario_unchanged(app: App, token):
    """Back/forward to a damaged link (the history API, as Streamlit follows it in the same tab):
    the error in French, and the scenario being worked on is still there, figures and all."""
    edited, expected = edit_a_preset_on_screen(app, None, "secnumcloud-applications")

    app.after_rerun(lambda: app.page.evaluate(
        """t => { history.pushState({}, '', '/simulateur?s=' + t);
                  window.dispatchEvent(new PopStateEvent('popstate')); }""", token))
    expect(app.alert("Erreur : le lien de partage n’a pas pu être ouvert")).to_be_visible()
    expect(app.page.get_by_label("Nom du scénario")).to_have_value(edited.name)
    expect_figures(app, expected)
    assert [r[COLUMNS[AMOUNT_COL]] for r in grid_rows(app)][0] == "130000"


def test_every_page_of_the_router_opens_from_the_sidebar_without_error(app: App):
    app.goto("/")
    for title in PAGE_TITLES:
        app.open_page(title)
        expect(app.main().get_by_role("heading", level=1)).to_have_count(1)
        expect(app.exceptions()).to_have_count(0)
