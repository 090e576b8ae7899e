"""The rules file: every rule quotes the seed word for word, is dated and titled; assumptions are
explained; the two readings exist; and no rule number is written in the Python code."""

from __future__ import annotations

import ast
import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest
from seed_text import SEED, plain, seed_plain

from guichet.engine.rules import UnknownReading, load_rules

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "guichet"
RULES = load_rules()
SOURCE_DATE = dt.date(2023, 3, 10)


@pytest.fixture(scope="module")
def seed() -> str:
    text = seed_plain()
    if text is None:
        pytest.skip(f"texte source absent ({SEED}) : impossible de vérifier les citations")
    return text


@pytest.mark.parametrize("rule_id", sorted(RULES.rules))
def test_rule_quotes_the_seed_word_for_word(rule_id: str, seed: str) -> None:
    rule = RULES[rule_id]
    assert rule.source.strip(), f"{rule_id} : phrase source vide"
    assert plain(rule.source) in seed, f"{rule_id} : phrase introuvable telle quelle dans la page : {rule.source!r}"


@pytest.mark.parametrize("rule_id", sorted(RULES.rules))
def test_rule_is_dated_and_titled(rule_id: str) -> None:
    rule = RULES[rule_id]
    assert rule.title.strip(), f"{rule_id} : titre manquant"
    assert isinstance(rule.in_force, dt.date), f"{rule_id} : date d’entrée en vigueur manquante"
    assert rule.in_force <= dt.date.today()
    assert rule.in_force == SOURCE_DATE, f"{rule_id} : la page source est datée du 10 mars 2023"
    assert rule.value not in (None, "", []), f"{rule_id} : valeur manquante"


@pytest.mark.parametrize("rule_id", sorted(r for r in RULES.rules if RULES[r].assumption))
def test_assumption_has_a_note(rule_id: str) -> None:
    note = RULES[rule_id].note
    assert note.strip(), f"{rule_id} : une hypothèse du simulateur doit dire pourquoi (note)"
    assert "hypothèse" in note.lower()


def test_the_unquantified_training_share_is_an_assumption() -> None:
    rule = RULES["max_training_share"]
    assert rule.assumption
    assert Decimal(str(rule.value)) == Decimal("0.20")


def test_numbers_of_the_seed() -> None:
    """The figures of the page, as the page gives them (a typo in rules.toml fails here)."""
    assert RULES.decimal("min_project_ttc") == Decimal("100000")
    assert RULES.decimal("max_project_ttc") == Decimal("3000000")
    assert RULES.decimal("min_eligible_ttc") == Decimal("50000")
    assert RULES.decimal("max_cofinancing_rate") == Decimal("0.5")
    assert RULES["impact_horizon_months"].value == 6
    assert RULES["min_third_party_commitments"].value == 1
    assert set(RULES.values("eligible_applicants")) == {"state_administration", "state_operator"}
    assert set(RULES.values("trusted_targets")) == {"pi", "nubo", "secnumcloud"}
    assert set(RULES.values("extension_clouds")) == {"pi", "nubo"}
    assert set(RULES.values("excluded_categories")) == {"hardware", "software", "cloud_resources",
                                                        "functional_changes"}
    assert set(RULES.values("mandatory_indicators")) == {"annual_savings_ttc", "agents_trained"}


def test_metadata() -> None:
    assert RULES.version
    assert RULES.source_date == SOURCE_DATE
    assert RULES.title == "Guichet de financement : Adoption du Cloud de confiance"
    assert RULES.apply_url.startswith("https://")


def test_the_two_readings() -> None:
    assert set(RULES.readings) == {"total_cost", "eligible_base"}
    assert RULES.default_reading == "total_cost"
    assert RULES.reading(None).name == "total_cost"
    total, base = RULES.readings["total_cost"], RULES.readings["eligible_base"]
    assert (total.size_measure, total.minimum_applies_to) == ("total_cost", "eligible_base")
    assert (base.size_measure, base.minimum_applies_to) == ("eligible_base", "cofinancing")
    for reading in (total, base):
        assert reading.label.strip() and reading.description.strip()


def test_unknown_reading_is_refused_in_french() -> None:
    with pytest.raises(UnknownReading, match="lecture « moitié » inconnue"):
        RULES.reading("moitié")


# --- no rule number in the Python code ----------------------------------------------------------
#
# The numbers live in rules.toml only. The tests read the Python sources (AST, docstrings left
# out: they may quote the page) and fail on a rule's amount written as a number or in a text, on
# the impact horizon written in a text, and, in the engine, on a rate written as a literal or in
# a text. (Elsewhere 0.5 and 0.2 are common layout numbers or examples of user input.)

PY_FILES = sorted(p for p in PACKAGE.rglob("*.py"))
ENGINE = ["engine/rules/__init__.py", "engine/models.py", "engine/checks.py",
          "engine/figures.py", "engine/formulas.py", "io/loading.py", "engine/evaluate.py",
          "present/formatting.py", "present/labels.py", "cli.py"]
SPACE = r"[ \u00a0\u202f]?"
AMOUNTS = {int(RULES.decimal(r)) for r in ("min_project_ttc", "max_project_ttc", "min_eligible_ttc")}
AMOUNTS.add(int(RULES.decimal("max_project_ttc") * RULES.decimal("max_cofinancing_rate")))  # 1.5 M€


def _grouped(n: int) -> str:
    """100000 → 100[ ]?000: the amount with or without thousands separators."""
    digits = str(n)
    head, groups = digits[: len(digits) % 3 or 3], re.findall(r"\d{3}", digits[len(digits) % 3 or 3:])
    return SPACE.join([head, *groups])


AMOUNT_TEXT = re.compile(r"(?<![\d.,])(?:" + "|".join(_grouped(n) for n in AMOUNTS)
                         + r"|\d" + SPACE + r"M€)(?![\d])")
RATES = {RULES.decimal("max_cofinancing_rate"), RULES.decimal("max_training_share"),
         RULES.decimal("default_vat_rate")}
HORIZON = RULES["impact_horizon_months"].value
PERCENTS = sorted({int(r * 100) for r in RATES})
RATE_TEXT = re.compile(r"(?<![\d,])(?:" + "|".join(str(p) for p in PERCENTS) + r")" + SPACE + "%")
HORIZON_TEXT = re.compile(rf"(?<!\d){HORIZON}{SPACE}(?:premiers{SPACE})?mois")


def _constants(path: Path):
    """(line, value) of every literal of the file that is not a docstring."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                docstrings.add(id(body[0].value))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and id(node) not in docstrings:
            yield node.lineno, node.value


def _rel(path: Path) -> str:
    return path.relative_to(PACKAGE).as_posix()


@pytest.mark.parametrize("path", PY_FILES, ids=_rel)
def test_no_rule_amount_in_python(path: Path) -> None:
    found = []
    for line, value in _constants(path):
        if isinstance(value, bool):
            continue
        if isinstance(value, (int, float)) and value in AMOUNTS:
            found.append((line, value))
        elif isinstance(value, str) and (value.strip() in {str(a) for a in AMOUNTS}
                                         or AMOUNT_TEXT.search(value)):
            found.append((line, value))
    assert not found, f"{_rel(path)} : montant d’une règle écrit en dur (à lire dans rules.toml) : {found}"


@pytest.mark.parametrize("name", ENGINE)
def test_no_rule_rate_literal_in_the_engine(name: str) -> None:
    rate_texts = {f"{r}" for r in RATES} | {f"{r.normalize()}" for r in RATES} | {"0.50", "0.20"}
    found = []
    for line, value in _constants(PACKAGE / name):
        if isinstance(value, float) and Decimal(str(value)) in RATES:
            found.append((line, value))
        elif isinstance(value, str) and value.strip() in rate_texts:
            found.append((line, value))
    assert not found, f"{name} : taux d’une règle écrit en dur (à lire dans rules.toml) : {found}"


@pytest.mark.parametrize("path", PY_FILES, ids=_rel)
def test_no_impact_horizon_in_python_texts(path: Path) -> None:
    found = [(line, value) for line, value in _constants(path)
             if isinstance(value, str) and HORIZON_TEXT.search(value)]
    assert not found, (f"{_rel(path)} : horizon d’impact écrit en dur dans un texte (à lire dans "
                       f"rules.toml, impact_horizon_months) : {found}")


@pytest.mark.parametrize("name", ENGINE)
def test_no_rule_rate_in_engine_texts(name: str) -> None:
    """Engine texts only: elsewhere « 20 % » may be an example of what a user types."""
    found = [(line, value) for line, value in _constants(PACKAGE / name)
             if isinstance(value, str) and RATE_TEXT.search(value)]
    assert not found, f"{name} : taux d’une règle écrit dans un texte (à lire dans rules.toml) : {found}"


def test_the_number_detectors_work() -> None:
    for text in ("100000", "100 000 €", "100\u202f000", "3 000 000", "3 M€", "50 000", "1 500 000"):
        assert AMOUNT_TEXT.search(text), text
    for text in ("1000000000000", "150000", "12 500,50", "5 000", "250 000"):
        assert not AMOUNT_TEXT.search(text), text
    for text in ("50 %", "20\u00a0%", "jusqu'à 50%"):
        assert RATE_TEXT.search(text), text
    for text in ("0 %", "5,5 %", "120 %", "0,20 %"):
        assert not RATE_TEXT.search(text), text
    for text in ("moins de 6 mois", "les 6 premiers mois", "6\u00a0mois"):
        assert HORIZON_TEXT.search(text), text
    for text in ("16 mois", "mois 6", "36 mois"):
        assert not HORIZON_TEXT.search(text), text


# --- dated values, references, units -----------------------------------------------------------

def _raw() -> dict:
    import tomllib
    return tomllib.loads((PACKAGE / "engine" / "rules" / "rules.toml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("rule_id", sorted(RULES.rules))
def test_every_value_names_where_its_sentence_stands(rule_id: str, seed: str) -> None:
    for entry in RULES[rule_id].values:
        assert entry.reference.startswith("section « ")
        assert entry.reference.endswith(" » de la page du 10 mars 2023")
        section = entry.reference.split("« ", 1)[1].split(" —")[0].split(" »")[0]
        assert plain(section) in seed, f"{rule_id} : section introuvable dans la page : {section!r}"


def test_a_later_dated_value_is_in_force_from_its_date_only() -> None:
    from guichet.engine.rules import parse_rules
    raw = _raw()
    first = raw["rules"]["max_cofinancing_rate"]["values"][0]
    raw["rules"]["max_cofinancing_rate"]["values"].append(
        {**first, "since": dt.date(2030, 1, 1), "value": "0.4"})
    rule = parse_rules(raw)["max_cofinancing_rate"]
    assert rule.at(dt.date(2029, 12, 31)).value == "0.5"
    assert rule.at(dt.date(2030, 1, 1)).value == "0.4"
    assert rule.at(dt.date(2020, 1, 1)).value == "0.5"  # before any entry: the first one
    assert rule.value == ("0.4" if dt.date.today() >= dt.date(2030, 1, 1) else "0.5")


def test_units_are_for_the_code_and_labels_for_display() -> None:
    from guichet.engine.rules import UNITS, parse_rules
    assert {r.unit for r in RULES.rules.values()} <= set(UNITS)
    assert RULES["min_project_ttc"].unit == "eur" and RULES["min_project_ttc"].unit_label == "€ TTC"
    raw = _raw()
    raw["rules"]["min_project_ttc"]["unit"] = "€ TTC"  # display text where a unit is expected
    with pytest.raises(ValueError, match="unknown unit"):
        parse_rules(raw)


def test_the_readings_texts_follow_the_values() -> None:
    from guichet.engine.rules import parse_rules
    raw = _raw()
    raw["rules"]["min_eligible_ttc"]["values"][0]["value"] = "60000"
    readings = parse_rules(raw).readings
    assert "60\u202f000\u00a0€" in readings["total_cost"].label
    assert "60\u202f000\u00a0€" in readings["eligible_base"].description
    assert "50\u202f000" not in readings["eligible_base"].description


def test_every_figure_stands_on_rules_of_the_file_and_fills_its_placeholders() -> None:
    from guichet.engine.figures import FIGURES
    for figure in FIGURES.values():
        assert set(figure.rules) <= set(RULES.rules), figure.key
        shown = figure.name() + figure.name(short=True)
        assert "{" not in shown, (figure.key, shown)
        if "{measured_on}" not in figure.formula:
            assert "{" not in figure.formula_text(), figure.key
