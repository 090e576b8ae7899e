"""Hostile input, one test per class of the reliability issue: each failed on the code before the
validation boundary (a raw exception, a crash, a silent change) and now gets a French message
naming the field, or is made harmless, and never changes the scenario on screen."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from guichet import cli
from guichet.engine.evaluate import evaluate
from guichet.engine.models import MAX_LINES, CostLine, Scenario
from guichet.io import loading
from guichet.io.loading import ScenarioError, dump_scenario, load_scenario
from guichet.io.sharing import decode_scenario, encode_scenario
from guichet.present.formatting import escape_markdown
from guichet.session.editing import rows_from_lines
from guichet.session.presets import load_preset
from guichet.session.workspace import Workspace

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "migration-pi.json"
APP = Path(__file__).resolve().parents[1] / "app.py"


def example() -> dict:
    return json.loads(EXAMPLE.read_text(encoding="utf-8"))


def problems(data: dict | str) -> list[str]:
    text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(text)
    return [str(p) for p in caught.value.problems]


# --- 1. control characters -------------------------------------------------------------------

@pytest.mark.parametrize("char", ["\x01", "\x1b", "\x7f", "\x9b", "\ufffe", "\uffff", "\U0010ffff",
                                  "\ufdd0", "\ud800"])
def test_a_control_character_or_noncharacter_is_refused_naming_the_field(char):
    data = example()
    data["cost_lines"][1]["label"] = f"Prestation{char}"
    found = problems(data)
    assert len(found) == 1 and found[0].startswith("cost_lines[1].label : "), found
    assert "caractère" in found[0] or "texte invalide" in found[0]


def test_a_forbidden_character_in_a_link_loads_nothing():
    scenario = load_preset("migration-pi")
    data = json.loads(dump_scenario(scenario))
    data["name"] = "Nom\x01"
    token = encode_scenario(scenario.model_construct(**{**dict(scenario), "name": "Nom\x01"}))
    with pytest.raises(ScenarioError) as caught:
        decode_scenario(token)
    assert str(caught.value.problems[0]).startswith("name : caractère non autorisé (U+0001")


# --- 2. numbers at the edges -----------------------------------------------------------------

def test_a_5000_digit_json_integer_is_a_french_problem_with_its_path():
    text = EXAMPLE.read_text(encoding="utf-8").replace('"start_month": 1', '"start_month": ' + "9" * 5000, 1)
    found = problems(text)
    assert found and found[0].startswith("cost_lines[0].start_month : nombre trop long"), found


@pytest.mark.parametrize("value", ["1E-999999", "1E-99999999999", "1E-50000000", "0.0000001"])
def test_an_amount_with_a_huge_exponent_is_refused_before_any_arithmetic(value):
    data = example()
    data["cost_lines"][0]["amount"] = value
    assert problems(data) == ["cost_lines[0].amount : trop de décimales (au plus 6)"]


@pytest.mark.parametrize("field", ["annual_savings_ttc", "current_annual_run_cost_ttc"])
def test_savings_with_a_huge_exponent_are_refused(field):
    data = example()
    data["indicators"][field] = "1E-99999999999"
    assert problems(data) == [f"indicators.{field} : trop de décimales (au plus 6)"]


def test_the_smallest_numbers_accepted_evaluate_and_export():
    """At the bounds: savings of one millionth of a euro give a huge payback, never an error."""
    from guichet.io.exports import export
    data = example()
    data["indicators"]["annual_savings_ttc"] = "0.000001"
    data["cost_lines"][0]["amount"] = "999999999999.999999"
    data["requested_rate"] = "0.000001"
    scenario = load_scenario(json.dumps(data))
    for reading in ("total_cost", "eligible_base"):
        e = evaluate(scenario, reading=reading)
        assert e.payback_months and e.payback_months > 10**12
    for fmt in ("md", "csv", "xlsx"):
        assert len(export(scenario, evaluate(scenario), fmt)) < 2_000_000


def test_trailing_zeros_are_not_decimal_places():
    data = example()
    data["cost_lines"][0]["amount"] = "1500.000000000000"
    assert load_scenario(json.dumps(data)).cost_lines[0].amount == Decimal("1500")


@pytest.mark.parametrize("date", ["0001-01-01", "9999-12-31"])
def test_start_dates_far_away_are_refused(date):
    data = example()
    data["start_date"] = date
    found = problems(data)
    assert len(found) == 1 and found[0].startswith("start_date : "), found


def test_a_rate_below_the_rate_fields_old_minimum_opens_the_simulator():
    data = example()
    data["requested_rate"] = "0.001"
    scenario = load_scenario(json.dumps(data))
    at = AppTest.from_file(str(APP), default_timeout=30).run()
    at.query_params["s"] = encode_scenario(scenario)
    at.run()
    at.switch_page("pages/simulateur.py").run()
    assert not at.exception, at.exception
    assert at.session_state["workspace"].scenario.requested_rate == Decimal("0.001")
    rate = next(n for n in at.number_input if n.label.startswith("Taux de cofinancement"))
    assert rate.value == pytest.approx(0.1)


def test_a_scenario_that_cannot_be_evaluated_is_never_added():
    ws = Workspace()
    ws.add(load_preset("migration-pi"))
    before = (list(ws.entries), ws.current_id)
    good = load_preset("migration-pi")
    bad_line = CostLine.model_construct(**{**dict(good.cost_lines[0]), "amount": Decimal("1E+999999")})
    broken = good.model_construct(**{**dict(good), "cost_lines": [bad_line]})
    with pytest.raises(ScenarioError) as caught:
        ws.add(broken)
    assert "n’a pas pu être calculé" in str(caught.value)
    assert (ws.entries, ws.current_id) == before


# --- 5. and 6. Markdown: one line, shown as typed -------------------------------------------

@pytest.mark.parametrize("sep", ["\r", "\n", "\v", "\f", "\x85", "\u2028", "\u2029", "\t"])
def test_line_separators_in_a_name_become_spaces(sep):
    data = example()
    data["name"] = f"Nom{sep}==="
    assert load_scenario(json.dumps(data)).name == "Nom ==="
    assert sep not in escape_markdown(f"Nom{sep}===")


def test_a_typed_html_entity_is_shown_as_typed():
    assert escape_markdown("R&amp;D") == "R\\&amp;D"


def test_the_simulator_caption_shows_a_name_with_a_carriage_return_as_typed():
    scenario = load_preset("migration-pi").model_construct(
        **{**dict(load_preset("migration-pi")), "name": "Nom\r=== R&amp;D"})
    at = AppTest.from_file(str(APP), default_timeout=30).run()
    at.session_state["workspace"].add(scenario)
    at.switch_page("pages/simulateur.py").run()
    assert not at.exception
    shown = [m.value for m in [*at.markdown, *at.caption] if "Nom" in m.value]
    assert shown and all("\r" not in v and "\\&amp;" in v for v in shown), shown


def test_duplicate_keys_are_refused_naming_the_key():
    text = EXAMPLE.read_text(encoding="utf-8").replace('"basis": "ht"', '"basis": "ht", "basis": "ttc"', 1)
    assert problems(text) == ["cost_lines[0].basis : champ en double : il ne doit figurer qu’une "
                              "fois dans son objet"]


# --- 7. messages -----------------------------------------------------------------------------

def test_a_month_order_error_names_the_end_month():
    data = example()
    data["cost_lines"][1]["start_month"] = 9
    data["cost_lines"][1]["end_month"] = 2
    assert problems(data) == ["cost_lines[1].end_month : le mois de fin (2) précède le mois de "
                              "début (9)"]


@pytest.mark.parametrize("argv,words", [
    ([], "arguments obligatoires manquants : COMMANDE"),
    (["evaluate"], "arguments obligatoires manquants : FICHIER"),
    (["evaluate", "x.json", "--format", "yaml"], "choix invalide : 'yaml'"),
    (["evaluate", "x.json", "--bogus"], "arguments non reconnus : --bogus"),
    (["frobnicate"], "choix invalide : 'frobnicate'"),
])
def test_cli_usage_errors_are_french_and_exit_2(argv, words, capsys):
    with pytest.raises(SystemExit) as caught:
        cli.main(argv)
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert words in err and "Erreur : " in err and "utilisation : " in err
    assert "usage" not in err and "error" not in err and "required" not in err


def test_cli_help_is_french(capsys):
    with pytest.raises(SystemExit) as caught:
        cli.main(["--help"])
    assert caught.value.code == 0
    out = capsys.readouterr().out
    assert "afficher cette aide et quitter" in out and "show this help" not in out


# --- 9. appends and the grid go through validation ------------------------------------------

def test_appending_past_the_cap_is_refused_and_changes_nothing():
    ws = Workspace()
    ws.add(load_preset("migration-pi"))
    before = ws.scenario
    line = before.cost_lines[0]
    with pytest.raises(ScenarioError) as caught:
        ws.append_lines([line] * MAX_LINES)
    assert str(caught.value.problems[0]).startswith("cost_lines : au plus 20000")
    assert ws.scenario is before and len(ws.current.rows) == len(before.cost_lines)
    ws.append_lines([line] * (MAX_LINES - len(before.cost_lines)))  # exactly the cap: accepted
    assert len(ws.scenario.cost_lines) == MAX_LINES
    saved = loading.scenario_file_bytes(ws.scenario)
    assert loading.reopens(saved) and len(load_scenario(saved).cost_lines) == MAX_LINES  # the file reopens


def test_grid_rows_past_the_cap_are_refused():
    ws = Workspace()
    ws.add(load_preset("migration-pi"))
    before = ws.scenario
    with pytest.raises(ScenarioError):
        ws.set_rows(rows_from_lines(list(before.cost_lines)) * (MAX_LINES // 2))
    assert ws.scenario is before


def test_import_over_the_cap_shows_a_french_message_in_the_app():
    from guichet.io.imports import ImportPreview
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    at.switch_page("pages/fichiers.py").run()
    before = at.session_state["workspace"].scenario
    line = before.cost_lines[0]
    preview = ImportPreview(lines=(line,) * MAX_LINES, rows=tuple(range(2, MAX_LINES + 2)),
                            rejected=(), source_format="csv", columns={})
    at.session_state["import_preview"] = ("grand.csv", preview)
    at.run()
    next(b for b in at.button if b.label.startswith("Ajouter ces")).click().run()
    assert not at.exception
    assert any("n’ont pas été importées" in e.value and "20" in e.value for e in at.error)
    assert at.session_state["workspace"].scenario == before


def test_renaming_to_a_forbidden_name_changes_nothing():
    ws = Workspace()
    ws.add(load_preset("migration-pi"))
    with pytest.raises(ScenarioError):
        ws.rename("Nom\x00")
    assert ws.scenario.name == load_preset("migration-pi").name


def test_duplicating_a_scenario_with_a_long_name_keeps_it_valid():
    ws = Workspace()
    ws.add(load_scenario(json.dumps({**example(), "name": "N" * 300})))
    copy = ws.duplicate()
    assert copy.scenario.name.endswith(" (copie)") and len(copy.scenario.name) == 300
    Scenario.model_validate(copy.scenario.model_dump())


# --- found by trying again as a hostile user would ----------------------------------------------

@pytest.mark.parametrize("typed", ["Voir www.exemple-piege.fr", "pirate@exemple.fr",
                                   "https://evil.example/x", "mailto:a@b.fr"])
def test_addresses_in_a_person_s_text_never_become_links(typed):
    """The Markdown renderer links « www.… », e-mails and « …://… » by itself: a word joiner
    (invisible) keeps them plain text; what is read stays what was typed."""
    shown = escape_markdown(typed)
    assert not re.search(r"(?i)www\\?\.|@[\w-]|:\\?//|\\:\/\/", shown.replace("\\", ""))
    assert shown.replace("\u2060", "").replace("\\", "") == typed


@pytest.mark.parametrize("char", ["\u202e", "\u202a", "\u2066", "\u2069"])
def test_bidirectional_controls_are_refused_and_dropped_from_markdown(char):
    data = example()
    data["name"] = f"{char}abc"
    assert problems(data)[0].startswith("name : caractère non autorisé (U+")
    assert char not in escape_markdown(f"fichier{char}.json")


@pytest.mark.parametrize("name", ["", "   ", "\u3000"])
def test_an_empty_scenario_name_is_refused(name):
    data = example()
    data["name"] = name
    assert problems(data) == ["name : le nom du scénario ne peut pas être vide"]


@pytest.mark.parametrize("field,value", [("start_month", "9" * 5000), ("start_month", "3"),
                                         ("start_month", True), ("start_month", 2.5)])
def test_a_month_must_be_a_whole_number(field, value):
    data = example()
    data["cost_lines"][0][field] = value
    found = problems(data)
    assert len(found) == 1 and found[0].startswith(f"cost_lines[0].{field} : nombre entier")


@pytest.mark.parametrize("value", ["1_000", "\u0661\u0662\u0663", "\uff11\uff12\uff13", " 1 000",
                                   True])
def test_numbers_are_written_with_ascii_digits(value):
    data = example()
    data["cost_lines"][0]["amount"] = value
    found = problems(data)
    assert len(found) == 1 and found[0].startswith("cost_lines[0].amount : nombre attendu")


@pytest.mark.parametrize("field,value,words", [
    ("impact", "yes", "vrai ou faux attendu"), ("impact", 1, "vrai ou faux attendu"),
])
def test_milestone_impact_is_true_or_false(field, value, words):
    data = example()
    data["milestones"][0][field] = value
    assert words in problems(data)[0]


def test_a_date_with_a_time_is_refused():
    data = example()
    data["start_date"] = "2027-01-04T00:00:00"
    assert problems(data)[0].startswith("start_date : date attendue au format AAAA-MM-JJ")


def test_a_flood_of_problems_is_cut_short_in_time_and_words():
    data = example()
    data["cost_lines"] = [{f"k{j}": 0 for j in range(30)}] * 20_000
    with pytest.raises(ScenarioError) as caught:
        load_scenario(json.dumps(data, separators=(",", ":")))
    found = caught.value.problems
    assert len(found) == loading.MAX_PROBLEMS + 1
    assert str(found[-1]) == "et 599900 autre(s) problème(s) : corriger d’abord les premiers"


def test_the_cli_reads_no_more_than_a_file_may_hold(tmp_path, capsys):
    big = tmp_path / "big.json"
    with big.open("wb") as f:
        f.truncate(300 * 1024 * 1024)  # a sparse file: 300 MB that take no disk
    assert cli.main(["evaluate", str(big)]) == 2
    assert "fichier trop volumineux : plus de 5" in capsys.readouterr().err
    assert cli.main(["evaluate", str(tmp_path)]) == 2
    assert "est un dossier" in capsys.readouterr().err


@pytest.mark.parametrize("row", [
    {"category": "Formation et acculturation", "amount": 1, "start": float("inf")},
    {"category": ["x"], "amount": 1},
    {"category": "Formation et acculturation", "amount": 1, "basis": ["HT"]},
    {"category": "Formation et acculturation", "amount": 1, "start": 2.7},
    {"category": "Formation et acculturation", "amount": "abc"},
])
def test_any_grid_cell_gives_a_line_or_a_french_reason(row):
    from guichet.session.editing import row_to_line
    assert isinstance(row_to_line(row), str)


def test_any_milestone_or_target_cell_gives_a_french_reason():
    from guichet.session import changes
    from guichet.session.editing import milestones_from_rows
    out, incomplete = milestones_from_rows([{"label": "a", "month": float("inf")},
                                            {"label": "b", "month": 2.7},
                                            {"label": "c", "month": 3, "impact": "false"}])
    assert out == [] and [r.number for r in incomplete] == [1, 2, 3]
    scenario = load_preset("migration-pi")
    for rows in ([{"month": "x", "value": 1}], [{"month": 1, "value": "abc"}],
                 [{"month": "9" * 5000, "value": 1}], [{"month": 2.7, "value": 1}]):
        with pytest.raises(ScenarioError):
            changes.set_impact_targets(scenario, 0, rows)
    with pytest.raises(ScenarioError):
        changes.money_or_none("abc")


def test_a_refused_field_shows_the_scenario_s_value_again():
    at = AppTest.from_file(str(APP), default_timeout=30).run()
    at.switch_page("pages/simulateur.py").run()
    rate = next(n for n in at.number_input if n.label.startswith("Taux de cofinancement"))
    rate.set_value(0.0).run()
    assert any("doit être supérieur à 0" in e.value for e in at.error)
    rate = next(n for n in at.number_input if n.label.startswith("Taux de cofinancement"))
    assert rate.value == pytest.approx(50.0)
    assert at.session_state["workspace"].scenario.requested_rate == Decimal("0.5")
