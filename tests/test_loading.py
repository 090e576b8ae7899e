"""Loading scenarios: one French message per problem, naming the field path; bytes, BOM, size."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path

import pytest

from guichet.engine.models import Scenario
from guichet.io.loading import (MAX_SCENARIO_BYTES, Problem, ScenarioError, dump_scenario,
                                french_message, load_scenario, parse_json, path_of,
                                scenario_from_data)
from guichet.present.formatting import number

BASE_FILE = Path(__file__).parent / "cases" / "_base.json"
BASE = json.loads(BASE_FILE.read_text(encoding="utf-8"))

# Words of pydantic's English messages: none may reach the user.
ENGLISH = ("Input should", "Field required", "Extra inputs", "a valid", "should be", "must be",
           "greater than", "less than", "at least", "at most", "Value error")


def problems_of(change=None, text: str | bytes | None = None) -> list[Problem]:
    if text is None:
        data = copy.deepcopy(BASE)
        change(data)
        text = json.dumps(data, ensure_ascii=False)
    with pytest.raises(ScenarioError) as info:
        load_scenario(text)
    problems = info.value.problems
    assert problems
    for p in problems:
        assert not any(word in p.message for word in ENGLISH), p.message
    return problems


def only(change=None, text=None) -> Problem:
    problems = problems_of(change, text)
    assert len(problems) == 1, [str(p) for p in problems]
    return problems[0]


def test_base_loads() -> None:
    scenario = load_scenario(BASE_FILE.read_bytes())
    assert isinstance(scenario, Scenario)
    assert scenario.requested_rate == Decimal("0.5")  # default, from the rules
    assert scenario.cost_lines[0].amount == Decimal("200000.00")


# --- one case per error kind: (change, path, French words) ---------------------------------------

def _set(path, value):
    def change(d):
        target = d
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return change


def _drop(path):
    def change(d):
        target = d
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]
    return change


ERROR_KINDS = {
    "missing": (_drop(["applicant", "kind"]), "applicant.kind", "champ obligatoire manquant"),
    "extra_forbidden": (_set(["indicators", "impact", 0, "colour"], "x"), "indicators.impact[0].colour",
                        "champ inconnu du format de scénario"),
    "literal_error": (_set(["cost_lines", 0, "basis"], "net"), "cost_lines[0].basis",
                      "valeur 'net' inconnue ; valeurs possibles : 'ht', 'ttc'"),
    "decimal_parsing": (_set(["cost_lines", 0, "amount"], "12 000"), "cost_lines[0].amount",
                        "nombre attendu (reçu '12 000')"),
    "decimal_type": (_set(["cost_lines", 0, "amount"], True), "cost_lines[0].amount",
                     "nombre attendu (reçu True)"),
    "finite_number": (_set(["cost_lines", 0, "vat_rate"], "NaN"), "cost_lines[0].vat_rate",
                      "nombre fini attendu (NaN et Infinity sont refusés)"),
    "int_parsing": (_set(["cost_lines", 0, "start_month"], "janvier"), "cost_lines[0].start_month",
                    "nombre entier attendu (reçu 'janvier')"),
    "int_type": (_set(["milestones", 0, "month"], [3]), "milestones[0].month", "nombre entier attendu"),
    "int_from_float": (_set(["cost_lines", 0, "end_month"], 4.5), "cost_lines[0].end_month",
                       "nombre entier attendu (reçu '4.5')"),
    "bool_parsing": (_set(["milestones", 0, "impact"], "peut-être"), "milestones[0].impact",
                     "vrai ou faux attendu (reçu 'peut-être')"),
    "bool_type": (_set(["milestones", 0, "impact"], []), "milestones[0].impact", "vrai ou faux attendu"),
    "string_type": (_set(["applicant", "name"], 12), "applicant.name", "texte attendu (reçu 12)"),
    "string_too_long": (_set(["name"], "x" * 301), "name", "texte trop long (au plus 300 caractères)"),
    "list_type": (_set(["cost_lines"], {}), "cost_lines", "liste attendue"),
    "model_type": (_set(["migration"], "PI"), "migration", "objet attendu"),
    "date_from_datetime_parsing": (_set(["start_date"], "2027-13-01"), "start_date",
                                   "date attendue au format AAAA-MM-JJ (reçu '2027-13-01')"),
    "date_from_datetime_inexact": (_set(["start_date"], "2027-01-04T10:00:00"), "start_date",
                                   "date attendue au format AAAA-MM-JJ"),
    "date_type": (_set(["start_date"], []), "start_date", "date attendue au format AAAA-MM-JJ"),
    "greater_than_equal": (_set(["cost_lines", 0, "amount"], -1), "cost_lines[0].amount",
                           "doit être supérieur ou égal à 0 (reçu -1)"),
    "less_than_equal": (_set(["cost_lines", 0, "vat_rate"], "1.2"), "cost_lines[0].vat_rate",
                        "doit être inférieur ou égal à 1 (reçu '1.2')"),
    "too_short": (_set(["extension"], {"clouds": [], "third_party_commitments": 1}), "extension.clouds",
                  "au moins 1 élément(s) attendu(s)"),
    "too_long": (_set(["extension"], {"clouds": ["pi", "nubo", "pi"], "third_party_commitments": 1}),
                 "extension.clouds", "au plus 2 élément(s)"),
    "string_unicode": (None, "name", "texte invalide"),
    # the scenario format's own rules
    "months_order": (_set(["cost_lines", 0, "start_month"], 6), "cost_lines[0].end_month",
                     "le mois de fin (4) précède le mois de début (6)"),
    "text_characters": (_set(["cost_lines", 0, "label"], "Prestation\x01"), "cost_lines[0].label",
                        "caractère non autorisé (U+0001"),
    "number_places": (_set(["cost_lines", 0, "amount"], "1E-999999"), "cost_lines[0].amount",
                           "trop de décimales (au plus 6)"),
    "number_digits": (_set(["requested_rate"], "1E+999999"), "requested_rate",
                      "nombre trop long (au plus 24 chiffres)"),
    "rate_cap": (_set(["requested_rate"], "0.6"), "requested_rate",
                 "le taux demandé doit être supérieur à 0\u00a0% et au plus 50\u00a0%"),
    "duplicate": (_set(["extension"], {"clouds": ["pi", "pi"], "third_party_commitments": 1}),
                  "extension.clouds", "chaque cloud ne peut figurer qu’une fois"),
    "schema_version": (_set(["schema_version"], 2), "schema_version",
                       "version de format 2 inconnue ; seule la version 1 est prise en charge"),
}


@pytest.mark.parametrize("kind", sorted(ERROR_KINDS))
def test_error_kind_has_a_french_message_with_its_path(kind: str) -> None:
    change, path, words = ERROR_KINDS[kind]
    if kind == "string_unicode":  # a lone surrogate, only possible as a JSON escape
        problem = only(text=BASE_FILE.read_text(encoding="utf-8").replace("Cas de test", "\\ud800"))
    else:
        problem = only(change)
    assert problem.path == path
    assert words in problem.message, problem.message
    assert str(problem) == f"{path} : {problem.message}"


@pytest.mark.parametrize("kind,ctx,words", [
    # kinds the scenario format cannot produce today, still translated
    ("enum", {"expected": "'a' or 'b'"}, "valeurs possibles : 'a', 'b'"),
    ("dict_type", {}, "objet attendu"),
    ("model_attributes_type", {}, "objet attendu"),
    ("date_parsing", {}, "date attendue"),
    ("greater_than", {"gt": 0}, "doit être supérieur à 0"),
    ("less_than", {"lt": 1}, "doit être inférieur à 1"),
    ("decimal_max_digits", {}, "nombre trop long"),
    ("decimal_max_places", {}, "trop de décimales"),
])
def test_french_message_of_other_kinds(kind: str, ctx: dict, words: str) -> None:
    message = french_message({"type": kind, "ctx": ctx, "input": "x", "msg": "English"})
    assert words in message


def test_long_received_values_are_shortened() -> None:
    message = french_message({"type": "decimal_parsing", "input": "9" * 500, "msg": ""})
    assert len(message) < 100 and message.endswith("…)")


def test_path_of() -> None:
    assert path_of(("cost_lines", 2, "amount")) == "cost_lines[2].amount"
    assert path_of(("indicators", "impact", 0, "name")) == "indicators.impact[0].name"
    assert path_of(()) == ""
    assert path_of(("x", 0, 1)) == "x[0][1]"


def test_path_names_the_third_line() -> None:
    def change(d):
        line = d["cost_lines"][0]
        d["cost_lines"] = [dict(line), dict(line), dict(line, amount="-12")]
    assert only(change).path == "cost_lines[2].amount"


def test_every_problem_is_reported_in_document_order() -> None:
    def change(d):
        d["name"] = 5
        d["cost_lines"][0]["amount"] = "abc"
        d["cost_lines"].append(dict(d["cost_lines"][0], amount="-1", category="food"))
        d["milestones"][0]["month"] = 0
    paths = [p.path for p in problems_of(change)]
    assert paths == ["name", "cost_lines[0].amount", "cost_lines[1].category", "cost_lines[1].amount",
                     "milestones[0].month"]


# --- JSON text: NaN, malformed, size, encoding ------------------------------------------------

@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_tokens_with_their_path(token: str) -> None:
    text = BASE_FILE.read_text(encoding="utf-8").replace('"48"', token)
    problem = only(text=text)
    assert problem.path == "indicators.impact[0].baseline"
    assert problem.message == f"valeur non finie ({token}) : un nombre fini est attendu"


def test_several_non_finite_tokens_in_document_order() -> None:
    text = '{"a": [1, NaN, {"b": Infinity}], "c": -Infinity}'
    problems = problems_of(text=text)
    assert [p.path for p in problems] == ["a[1]", "a[2].b", "c"]


@pytest.mark.parametrize("text,words", [
    ('{"name": "x",}', "nom de champ entre guillemets attendu"),
    ('{"name" "x"}', "deux-points attendus"),
    ('{"name": "x" "y": 1}', "virgule attendue"),
    ('{"name": ', "valeur attendue"),
    ('{"name": "x"} {}', "contenu en trop après la fin du JSON"),
    ('{"name": "x', "texte non terminé"),
    ("", "valeur attendue"),
])
def test_malformed_json(text: str, words: str) -> None:
    problem = only(text=text)
    assert problem.path == ""
    assert problem.message.startswith("JSON mal formé, ligne 1, colonne ")
    assert words in problem.message


def test_malformed_json_line_and_column() -> None:
    problem = only(text='{\n  "name": "x",\n  "applicant": ?\n}')
    assert "ligne 3, colonne 16" in problem.message


def test_top_level_must_be_an_object() -> None:
    for text in ("[]", "12", '"scénario"', "null"):
        assert "objet JSON" in only(text=text).message


def test_oversized_bytes() -> None:
    problem = only(text=b" " * (MAX_SCENARIO_BYTES + 1))
    assert problem.message == f"fichier trop volumineux : plus de {number(MAX_SCENARIO_BYTES)} octets"


def test_oversized_text() -> None:
    assert "texte trop volumineux" in only(text=" " * (MAX_SCENARIO_BYTES + 1)).message


def test_size_limit_is_inclusive() -> None:
    text = BASE_FILE.read_bytes()
    padded = text + b" " * (MAX_SCENARIO_BYTES - len(text))
    assert len(padded) == MAX_SCENARIO_BYTES
    assert load_scenario(padded).name == BASE["name"]


def test_bom_is_accepted_in_bytes_and_text() -> None:
    raw = BASE_FILE.read_bytes()
    assert load_scenario(b"\xef\xbb\xbf" + raw).name == BASE["name"]
    assert load_scenario("\ufeff" + raw.decode("utf-8")).name == BASE["name"]


@pytest.mark.parametrize("encoding", ["latin-1", "utf-16"])
def test_non_utf8_bytes(encoding: str) -> None:
    raw = BASE_FILE.read_text(encoding="utf-8").encode(encoding)
    problem = only(text=raw)
    assert problem.message == "le fichier n’est pas du texte UTF-8"


def test_invalid_utf8_sequence() -> None:
    assert "UTF-8" in only(text=b'{"name": "\xff\xfe"}').message


@pytest.mark.parametrize("depth", [600, 990, 3000, 100_000])
def test_deep_nesting_is_a_clear_error(depth: int) -> None:
    """Found while writing these tests: a few hundred nested lists used to escape as a
    RecursionError (a traceback on the command line)."""
    for opening, closing in (("[", "]"), ('{"a":', "}")):
        text = '{"name": ' + opening * depth + "1" + closing * depth + "}"
        with pytest.raises(ScenarioError) as info:
            load_scenario(text)
        assert info.value.problems


def test_deep_nan_is_found() -> None:
    text = '{"name": ' + "[" * 900 + "NaN" + "]" * 900 + "}"
    problem = problems_of(text=text)[0]
    assert problem.path == "name" + "[0]" * 900
    assert "valeur non finie (NaN)" in problem.message


def test_numbers_are_exact_decimals() -> None:
    data = parse_json('{"a": 0.1, "b": 1.005, "c": 12, "d": 1e2}')
    assert data == {"a": Decimal("0.1"), "b": Decimal("1.005"), "c": 12, "d": Decimal("1E+2")}
    assert all(not isinstance(v, float) for v in data.values())


def test_scenario_from_data_refuses_non_objects() -> None:
    with pytest.raises(ScenarioError):
        scenario_from_data(["not", "an", "object"])


def test_text_fields_are_stripped() -> None:
    data = copy.deepcopy(BASE)
    data["name"] = "  Mon projet  "
    assert load_scenario(json.dumps(data)).name == "Mon projet"


def test_dump_and_load_round_trip() -> None:
    scenario = load_scenario(BASE_FILE.read_bytes())
    text = dump_scenario(scenario)
    assert load_scenario(text) == scenario
    dumped = json.loads(text)
    assert dumped["cost_lines"][0]["amount"] == "200000.00"  # money kept exact, as a string
    assert dumped["requested_rate"] == "0.5"


def test_scenario_error_message_lists_every_problem() -> None:
    error = ScenarioError([Problem("a", "x"), Problem("", "y")])
    assert str(error) == "a : x\ny"


@pytest.mark.parametrize("change,path,message", [
    (_set(["name"], ["a"]), "name", "texte attendu (reçu une liste)"),
    (_set(["cost_lines", 0, "amount"], {"value": 1}), "cost_lines[0].amount", "nombre attendu (reçu un objet)"),
    (_set(["applicant", "kind"], ["state_operator"]), "applicant.kind",
     "valeur inconnue (reçu une liste) ; valeurs possibles : 'state_administration', 'state_operator', 'other'"),
    (_set(["schema_version"], [1]), "schema_version",
     "version de format inconnue (reçu une liste) ; seule la version 1 est prise en charge"),
])
def test_containers_are_named_not_printed(change, path: str, message: str) -> None:
    problem = only(change)
    assert (problem.path, problem.message) == (path, message)
