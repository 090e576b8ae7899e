"""The pages, run with Streamlit's AppTest: what a user reads after each action."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from guichet.engine.evaluate import evaluate
from guichet.io.sharing import encode_scenario
from guichet.present.formatting import eur
from guichet.session.presets import list_presets, load_preset

TIMEOUT = 30
APP = Path(__file__).resolve().parents[1] / "app.py"


def app() -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    return at.run()


def read(markdown: str) -> str:
    """What a person reads of a Markdown text: backslash escapes are not shown."""
    return re.sub(r"\\(.)", r"\1", markdown)


def texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [m.value for m in at.caption]
    for kind in (at.success, at.warning, at.error, at.info):
        parts += [m.value for m in kind]
    return "\n".join(str(p) for p in parts)


def metric(at: AppTest, label_start: str) -> str:
    for m in at.metric:
        if m.label.startswith(label_start):
            return m.value
    raise AssertionError(f"no metric {label_start!r} among {[m.label for m in at.metric]}")


def vega_charts(at: AppTest) -> list:
    return list(at.get("vega_lite_chart")) + list(at.get("arrow_vega_lite_chart"))


def open_simulator(at: AppTest) -> AppTest:
    return at.switch_page("pages/simulateur.py").run()


@pytest.mark.parametrize("page", ["pages/accueil.py", "pages/simulateur.py", "pages/calendrier.py",
                                  "pages/regles.py", "pages/comparer.py", "pages/indicateurs.py", "pages/fichiers.py"])
def test_every_page_opens_without_error(page):
    at = app().switch_page(page).run()
    assert not at.exception, at.exception
    assert at.title, "each page has a title"


@pytest.mark.parametrize("preset", [p.id for p in list_presets()])
def test_each_preset_shows_the_engines_figures(preset):
    at = app()
    at.button(key=f"preset_{preset}").click().run()
    assert not at.exception
    at = open_simulator(at) if not at.metric else at
    expected = evaluate(load_preset(preset))
    assert metric(at, "Coût total TTC") == eur(expected.total_cost_ttc)
    assert metric(at, "Assiette éligible") == eur(expected.eligible_base_ttc)
    assert metric(at, "Cofinancement") == eur(expected.cofinancing_ttc)
    assert metric(at, "Reste à charge") == eur(expected.own_contribution_ttc)
    assert f"Statut : {expected.status_label}" in texts(at)


def test_other_offer_makes_the_project_not_eligible_and_says_why():
    at = open_simulator(app())
    assert "Statut : Éligible" in texts(at)
    target = next(r for r in at.radio if r.label == "Cible de la migration")
    target.set_value("other").run()
    shown = texts(at)
    assert "Statut : Non éligible" in shown
    assert "n’est ni PI, ni NUBO, ni une offre commerciale qualifiée SecNumCloud" in shown
    assert metric(at, "Cofinancement") == eur(0)
    target = next(r for r in at.radio if r.label == "Cible de la migration")
    target.set_value("pi").run()
    assert "Statut : Éligible" in texts(at)


def test_state_survives_a_page_switch():
    at = open_simulator(app())
    next(r for r in at.radio if r.label == "Cible de la migration").set_value("nubo").run()
    at.switch_page("pages/regles.py").run()
    at = open_simulator(at)
    assert next(r for r in at.radio if r.label == "Cible de la migration").value == "nubo"
    assert at.session_state["workspace"].scenario.migration.target == "nubo"


def test_share_link_restores_a_scenario():
    scenario = load_preset("extension-nubo")
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.query_params["s"] = encode_scenario(scenario)
    at.run()
    assert at.session_state["workspace"].scenario == scenario
    at = open_simulator(at)
    assert metric(at, "Cofinancement") == eur(evaluate(scenario).cofinancing_ttc)


def test_a_bad_link_shows_a_message_and_loads_nothing():
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.query_params["s"] = "ceci-n-est-pas-un-scenario"
    at.run()
    assert any("lien de partage n’a pas pu être ouvert" in e.value for e in at.error)
    assert at.session_state["workspace"].scenario == load_preset("migration-pi")
    assert len(at.session_state["workspace"].entries) == 1


def test_rules_page_switches_the_reading_for_the_session():
    at = app().switch_page("pages/regles.py").run()
    at.radio(key="reading_choice").set_value("eligible_base").run()
    assert at.session_state["workspace"].reading == "eligible_base"
    at = open_simulator(at)
    assert "Taille sur l’assiette éligible" in texts(at)


def test_copy_link_gives_the_current_scenario():
    at = open_simulator(app())
    assert not at.code  # the link is made when the popover opens, not at every rerun
    at.session_state["partage"] = True  # the person opens « Copier le lien »
    at.run()
    link = at.code[0].value
    assert "?s=" in link
    from guichet.io.sharing import decode_scenario
    assert decode_scenario(link.split("?s=")[1]) == at.session_state["workspace"].scenario


def test_the_simulator_charts_are_drawn_when_asked_for():
    at = open_simulator(app())
    assert not vega_charts(at) and not [e for e in at.expander if "(tableau)" in e.label]
    at.toggle(key="show_charts").set_value(True).run()
    assert len(vega_charts(at)) == 2
    assert len([e for e in at.expander if "(tableau)" in e.label]) == 2
    at.toggle(key="show_charts").set_value(False).run()
    assert not vega_charts(at)


def test_the_simulator_toggles_keep_their_position_after_another_page():
    at = open_simulator(app())
    at.toggle(key="show_charts").set_value(True).run()
    at.toggle(key="show_line_detail").set_value(True).run()
    at.switch_page("pages/calendrier.py").run()
    assert "show_charts" not in at.session_state  # Streamlit forgot the page's widgets
    open_simulator(at)
    assert at.toggle(key="show_charts").value and at.toggle(key="show_line_detail").value
    assert len(vega_charts(at)) == 2
    at.toggle(key="show_charts").set_value(False).run()
    at.switch_page("pages/calendrier.py").run()
    open_simulator(at)
    assert not at.toggle(key="show_charts").value and not vega_charts(at)


def test_explanations_and_chart_tables_are_drawn_when_opened():
    at = open_simulator(app())
    evaluation = evaluate(at.session_state["workspace"].scenario)
    at.toggle(key="show_charts").set_value(True).run()
    assert "Formule" not in texts(at) and not at.dataframe[1:]  # closed: not drawn
    at.session_state["explication-cofinancing_ttc"] = True
    at.session_state["tableau-plan-de-financement"] = True
    at.run()
    shown = texts(at)
    assert f"**Cofinancement = {evaluation.explanations['cofinancing_ttc'].value}**" in shown
    assert "Cofinancement potentiel" in shown and "Coût total du projet TTC =" not in shown
    table = at.dataframe[-1].value
    assert list(table["Partie"])[:3] == ["Cofinancement", "Part propre de l’assiette éligible",
                                         "Dépenses exclues"]
    assert table["Montant TTC"].iloc[0] == eur(evaluation.cofinancing_ttc)


def test_indicators_page_updates_payback_and_adds_an_indicator():
    at = app().switch_page("pages/indicateurs.py").run()
    assert metric(at, "Retour sur investissement") == "36 mois"
    savings = next(n for n in at.number_input if n.label.startswith("Économies annuelles"))
    savings.set_value(63000.0).run()  # own contribution 126 000 € → 24 months
    assert metric(at, "Retour sur investissement") == "24 mois"
    assert at.session_state["workspace"].scenario.indicators.annual_savings_ttc == Decimal("63000.0")
    savings = next(n for n in at.number_input if n.label.startswith("Économies annuelles"))
    savings.set_value(0.0).run()  # no positive savings: no payback
    assert metric(at, "Retour sur investissement") == "—"
    before = len(at.session_state["workspace"].scenario.indicators.impact)
    next(s for s in at.selectbox if s.label == "Indicateur à ajouter").set_value("lead_time").run()
    next(b for b in at.button if b.label == "Ajouter").click().run()
    impact = at.session_state["workspace"].scenario.indicators.impact
    assert len(impact) == before + 1 and impact[-1].preset == "lead_time"
    assert not at.exception


def test_two_indicators_with_the_same_name_and_markup_in_a_name():
    """Names are the person's text: two alike must not clash, and markup in one stays text."""
    at = app().switch_page("pages/indicateurs.py").run()
    for _ in range(2):
        next(s for s in at.selectbox if s.label == "Indicateur à ajouter").set_value("lead_time").run()
        next(b for b in at.button if b.label == "Ajouter").click().run()
    assert not at.exception
    name = next(t for t in at.text_input if t.label == "Nom de l’indicateur")
    name.set_value("[lien](https://exemple.fr) **gras**").run()
    assert not at.exception
    labels = [e.label for e in at.expander if "(tableau)" in e.label]
    assert any(r"\[lien\]\(https\:" in label for label in labels), labels


def files_page() -> AppTest:
    return app().switch_page("pages/fichiers.py").run()


def uploader(at: AppTest, label_start: str):
    return next(u for u in at.file_uploader if u.label.startswith(label_start))


@pytest.mark.parametrize("content,expected", [
    (b"{pas du json", "JSON mal formé"),
    (b'{"schema_version": 1, "name": "x"}', "applicant"),
    (b'{"schema_version": 7}', "schema_version"),
    (bytes([0xff, 0xfe, 0x00]), "UTF-8"),
])
def test_a_bad_scenario_file_names_the_problem_and_changes_nothing(content, expected):
    at = files_page()
    before = at.session_state["workspace"].scenario
    uploader(at, "Ouvrir un scénario").upload("mauvais.json", content, "application/json").run()
    errors = [read(e.value) for e in at.error]
    assert any("n’a pas pu être ouvert" in e and expected in e for e in errors), errors
    ws = at.session_state["workspace"]
    assert ws.scenario == before and len(ws.entries) == 1


def test_a_saved_scenario_reopens_identically():
    from guichet.io.loading import dump_scenario
    saved = load_preset("extension-nubo")
    at = files_page()
    uploader(at, "Ouvrir un scénario").upload("nubo.json", dump_scenario(saved).encode(), "application/json").run()
    ws = at.session_state["workspace"]
    assert ws.scenario == saved and len(ws.entries) == 2
    assert any("ouvert" in s.value for s in at.success)


MARKUP = "![pixel](https://exemple.invalid/p.png) [lien](https://exemple.invalid)"


def shown_as_typed(markdown: str) -> bool:
    """Markdown that displays the person's text as typed: no image, no link is made of it."""
    return "](" not in markdown and r"\!\[pixel\]" in markdown


def test_names_and_file_names_in_messages_are_shown_as_typed():
    """A scenario name, a file name or a value from a file never becomes an image or a link."""
    from guichet.io.loading import dump_scenario
    scenario = load_preset("migration-pi").model_copy(update={"name": MARKUP})
    at = files_page()
    uploader(at, "Ouvrir un scénario").upload(f"{MARKUP}.json", dump_scenario(scenario).encode(),
                                              "application/json").run()
    assert at.session_state["workspace"].scenario.name == MARKUP  # opened, name kept as typed
    assert [s.value for s in at.success] and all(shown_as_typed(s.value) for s in at.success)
    uploader(at, "Ouvrir un scénario").upload(f"{MARKUP}.json", b"{pas du json", "application/json").run()
    assert [e.value for e in at.error] and all(shown_as_typed(e.value) for e in at.error)
    # the same scenario through a share link
    at = app()
    at.query_params["s"] = encode_scenario(scenario)
    at.run()
    assert [s.value for s in at.success] and all(shown_as_typed(s.value) for s in at.success)


def test_import_preview_changes_nothing_until_confirmed():
    at = files_page()
    lines_before = list(at.session_state["workspace"].scenario.cost_lines)
    data = (Path(__file__).parent / "fixtures" / "budget-rejects.csv").read_bytes()
    uploader(at, "Fichier de lignes de coût").upload("budget.csv", data, "text/csv").run()
    assert any("Aperçu de « budget.csv »" in read(i.value) for i in at.info)
    assert at.session_state["workspace"].scenario.cost_lines == lines_before
    name, preview = at.session_state["import_preview"]
    assert preview.rejected, "the fixture has rejected rows, shown before anything changes"
    rejected_table = at.dataframe[-1].value
    assert list(rejected_table["Ligne du fichier"]) == [r.row for r in preview.rejected]
    next(b for b in at.button if b.label.startswith("Ajouter ces")).click().run()
    after = at.session_state["workspace"].scenario.cost_lines
    assert after == lines_before + list(preview.lines)
    assert any("ajoutée(s)" in s.value for s in at.success)


def test_an_unreadable_spreadsheet_imports_nothing():
    at = files_page()
    before = at.session_state["workspace"].scenario
    uploader(at, "Fichier de lignes de coût").upload("faux.xlsx", b"PK\x03\x04 pas un classeur", "application/octet-stream").run()
    assert any("n’a pas pu être lu" in e.value for e in at.error)
    assert at.session_state["workspace"].scenario == before
    assert "import_preview" not in at.session_state


def test_compare_page_with_two_presets():
    at = app()
    at.button(key="preset_not-eligible-commercial-cloud").click().run()
    at.switch_page("pages/comparer.py").run()
    table = at.dataframe[0].value
    names = [c for c in table.columns if c]
    assert len(names) == 2
    row = table.set_index("").loc["Statut"]
    assert list(row) == ["Éligible", "Non éligible"]
    cof = table.set_index("").loc["Cofinancement"]
    assert list(cof) == [eur(evaluate(load_preset("migration-pi")).cofinancing_ttc), eur(0)]
    differs = at.dataframe[1].value.set_index("")
    assert "Statut" in differs.index and "Cible de migration" in differs.index
    assert "Demandeur" not in differs.index  # both are State administrations
