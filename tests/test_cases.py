"""Case files in the OpenFisca manner: ``tests/cases/*.json``, one test per file.

A case file is a JSON object::

    {
      "description": "what the case shows, in French",
      "reading": "eligible_base",        # optional; default: the rules' default reading
      "base": "_base.json",              # optional; null = "scenario" is a whole scenario
      "scenario": {...},                 # overrides deep-merged into the base scenario
      "expected": {...}                  # what the evaluation must give
    }

Overrides are deep-merged into the base (``tests/cases/_base.json``, a minimal eligible scenario):
dicts merge key by key, lists and scalars replace, and the string ``"__delete__"`` removes a key.

``expected`` holds any subset of the evaluation's JSON keys (``--format json``), compared exactly
(money as the JSON strings, e.g. ``"50000.00"``): a dict lists only the keys to check, a list must
have the same length (its items compared the same way), and a dict of indexes (``{"1": {...}}``)
checks chosen items of a list. Plus:

- ``"codes"``: the exact set of check codes present;
- ``"has_codes"`` / ``"lacks_codes"``: codes that must be present / absent;
- ``"check"``: ``{CODE: {field: value}}`` for the check of that code, fields compared exactly
  (``severity``, ``message``, ``advice``, ``source``, ``rule``, ``assumption``), or by substring
  with ``message_contains`` / ``advice_contains``.

Every case also checks the engine's invariants (schedule sums, status from severities,
co-financing and own contribution). Expected values are computed by hand: see each file's
description.
"""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from guichet.engine.evaluate import evaluate
from guichet.engine.rules import load_rules
from guichet.io.loading import ScenarioError, scenario_from_data

CASES_DIR = Path(__file__).parent / "cases"
DEFAULT_BASE = "_base.json"
DELETE = "__delete__"

CASE_KEYS = {"description", "reading", "base", "scenario", "expected"}
SPECIAL_KEYS = {"codes", "has_codes", "lacks_codes", "check"}
CHECK_FIELDS = {"severity", "message", "advice", "source", "rule", "assumption",
                "message_contains", "advice_contains"}

# The codes of the contract (issue 2), exactly.
CONTRACT_CODES = {
    "APPLICANT_NOT_ELIGIBLE": "blocking", "NO_OPERATION": "blocking",
    "TARGET_NOT_TRUSTED": "blocking", "ORIGIN_ALREADY_TRUSTED": "warning",
    "EXTENSION_WITHOUT_COMMITMENT": "blocking", "PROJECT_TOO_SMALL": "blocking",
    "PROJECT_TOO_LARGE": "blocking", "ELIGIBLE_BASE_TOO_LOW": "blocking",
    "TRAINING_SHARE_HIGH": "warning", "OTHER_COSTS_TO_JUSTIFY": "warning",
    "EXCLUDED_COSTS": "info", "NO_SIX_MONTH_IMPACT": "info",
    "SAVINGS_INDICATOR_MISSING": "warning", "AGENTS_TRAINED_MISSING": "warning",
    "IMPACT_INDICATORS_MISSING": "warning",
}


class CaseFormatError(Exception):
    """A case file that does not follow the format above (a typo in a test, not an engine bug)."""


def case_files() -> list[Path]:
    return sorted(p for p in CASES_DIR.glob("*.json") if not p.name.startswith("_"))


def read_json(path: Path) -> Any:
    # Numbers as Decimal, like the engine's own parser: a case never goes through a float.
    return json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)


def deep_merge(base: Any, overrides: Any, where: str = "scenario") -> Any:
    """``overrides`` merged into a copy of ``base``: dicts key by key, the rest replaced."""
    if not (isinstance(base, dict) and isinstance(overrides, dict)):
        return copy.deepcopy(overrides)
    out = copy.deepcopy(base)
    for key, value in overrides.items():
        if value == DELETE:
            if key not in out:
                raise CaseFormatError(f"{where}.{key} : « {DELETE} » d’une clé absente de la base")
            del out[key]
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value, f"{where}.{key}")
        else:
            out[key] = copy.deepcopy(value)
    return out


def load_case(path: Path) -> dict:
    case = read_json(path)
    if not isinstance(case, dict):
        raise CaseFormatError("un fichier de cas est un objet JSON")
    unknown = set(case) - CASE_KEYS
    if unknown:
        raise CaseFormatError(f"clés inconnues dans le fichier de cas : {sorted(unknown)}")
    for key in ("description", "expected"):
        if key not in case:
            raise CaseFormatError(f"clé « {key} » manquante")
    base_name = case.get("base", DEFAULT_BASE)
    overrides = case.get("scenario", {})
    scenario = deep_merge(read_json(CASES_DIR / base_name), overrides) if base_name else overrides
    expected = case["expected"]
    for code in _expected_codes(expected):
        if code not in CONTRACT_CODES:
            raise CaseFormatError(f"code de contrôle inconnu du contrat : {code}")
    for code, fields in expected.get("check", {}).items():
        unknown = set(fields) - CHECK_FIELDS
        if unknown:
            raise CaseFormatError(f"check.{code} : champs inconnus {sorted(unknown)}")
    return {"description": case["description"], "reading": case.get("reading"),
            "scenario": scenario, "expected": expected}


def _expected_codes(expected: dict) -> set[str]:
    return (set(expected.get("codes", [])) | set(expected.get("has_codes", []))
            | set(expected.get("lacks_codes", [])) | set(expected.get("check", {})))


# --- comparison ---------------------------------------------------------------------------------

def compare(expected: Any, actual: Any, path: str) -> list[str]:
    """Mismatches between an expected subset and the actual JSON value, each naming its path."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        out = []
        for key, value in expected.items():
            if key not in actual:
                out.append(f"{path}.{key} : clé absente du résultat (clés : {sorted(actual)})")
            else:
                out += compare(value, actual[key], f"{path}.{key}")
        return out
    if isinstance(expected, dict) and isinstance(actual, list):
        out = []
        for key, value in expected.items():
            if not key.isdigit():
                raise CaseFormatError(f"{path} est une liste : index attendu, reçu « {key} »")
            index = int(key)
            if index >= len(actual):
                out.append(f"{path}[{index}] : absent (la liste a {len(actual)} éléments)")
            else:
                out += compare(value, actual[index], f"{path}[{index}]")
        return out
    if isinstance(expected, list) and isinstance(actual, list):
        out = []
        if len(expected) != len(actual):
            out.append(f"{path} : {len(expected)} éléments attendus, {len(actual)} obtenus")
        for index, (exp, act) in enumerate(zip(expected, actual, strict=False)):
            out += compare(exp, act, f"{path}[{index}]")
        return out
    if expected != actual or type(expected) is not type(actual):
        return [f"{path} : attendu {expected!r}, obtenu {actual!r}"]
    return []


def mismatches(expected: dict, result: dict) -> list[str]:
    checks = {c["code"]: c for c in result["checks"]}
    codes = [c["code"] for c in result["checks"]]
    out = []
    if "codes" in expected:
        want = expected["codes"]
        if sorted(want) != sorted(codes):
            extra = sorted(set(codes) - set(want))
            missing = sorted(set(want) - set(codes))
            out.append(f"codes : attendus {sorted(want)}, obtenus {sorted(codes)}"
                       f" (en trop : {extra}, manquants : {missing})")
    for code in expected.get("has_codes", []):
        if code not in checks:
            out.append(f"has_codes : {code} absent (codes obtenus : {codes})")
    for code in expected.get("lacks_codes", []):
        if code in checks:
            out.append(f"lacks_codes : {code} présent ({checks[code]['message']})")
    for code, fields in expected.get("check", {}).items():
        if code not in checks:
            out.append(f"check.{code} : contrôle absent (codes obtenus : {codes})")
            continue
        check = checks[code]
        for field, want in fields.items():
            if field.endswith("_contains"):
                got = check.get(field.removesuffix("_contains")) or ""
                if want not in got:
                    out.append(f"check.{code}.{field} : {want!r} introuvable dans {got!r}")
            elif check.get(field) != want:
                out.append(f"check.{code}.{field} : attendu {want!r}, obtenu {check.get(field)!r}")
    plain = {k: v for k, v in expected.items() if k not in SPECIAL_KEYS}
    for key in plain:
        if key not in result:
            raise CaseFormatError(f"« {key} » n’est pas une clé de l’évaluation ni une clé spéciale "
                                  f"({sorted(SPECIAL_KEYS)})")
    return out + compare(plain, result, "résultat")


def invariants(result: dict) -> list[str]:
    """What must hold for every evaluation, whatever the scenario."""
    d = {k: Decimal(result[k]) for k in ("total_cost_ttc", "excluded_cost_ttc", "eligible_base_ttc",
                                         "potential_cofinancing_ttc", "cofinancing_ttc",
                                         "own_contribution_ttc")}
    out = []
    months = result["monthly_schedule"]
    sums = {key: sum((Decimal(m[key]) for m in months), Decimal("0.00"))
            for key in ("eligible_ttc", "excluded_ttc", "total_ttc")}
    if sums["total_ttc"] != d["total_cost_ttc"]:
        out.append(f"invariant : l’échéancier totalise {sums['total_ttc']}, "
                   f"le coût total est {d['total_cost_ttc']}")
    if sums["eligible_ttc"] != d["eligible_base_ttc"]:
        out.append(f"invariant : l’échéancier éligible totalise {sums['eligible_ttc']}, "
                   f"l’assiette est {d['eligible_base_ttc']}")
    if sums["excluded_ttc"] != d["excluded_cost_ttc"]:
        out.append(f"invariant : l’échéancier exclu totalise {sums['excluded_ttc']}, "
                   f"les dépenses exclues sont {d['excluded_cost_ttc']}")
    if months and Decimal(months[-1]["cumulative_ttc"]) != d["total_cost_ttc"]:
        out.append(f"invariant : le cumul final {months[-1]['cumulative_ttc']} n’est pas le total")
    if d["total_cost_ttc"] - d["excluded_cost_ttc"] != d["eligible_base_ttc"]:
        out.append("invariant : assiette ≠ total − exclu")
    severities = {c["severity"] for c in result["checks"]}
    status = ("ineligible" if "blocking" in severities else
              "eligible_with_reservations" if "warning" in severities else "eligible")
    if result["status"] != status:
        out.append(f"invariant : statut {result['status']} alors que les sévérités donnent {status}")
    cofinancing = d["potential_cofinancing_ttc"] if status != "ineligible" else Decimal("0.00")
    if d["cofinancing_ttc"] != cofinancing:
        out.append(f"invariant : cofinancement {d['cofinancing_ttc']}, attendu {cofinancing}")
    if d["own_contribution_ttc"] != d["total_cost_ttc"] - d["cofinancing_ttc"]:
        out.append("invariant : reste à charge ≠ total − cofinancement")
    for check in result["checks"]:
        if CONTRACT_CODES.get(check["code"]) != check["severity"]:
            out.append(f"invariant : {check['code']} de sévérité {check['severity']} "
                       "(hors contrat)")
    for key in ("total_cost_ttc", "excluded_cost_ttc", "eligible_base_ttc",
                "potential_cofinancing_ttc", "cofinancing_ttc", "own_contribution_ttc"):
        text = result[key]
        if not (isinstance(text, str) and len(text.partition(".")[2]) == 2):
            out.append(f"invariant : {key} = {text!r} n’est pas un texte à deux décimales")
    return out


@pytest.mark.parametrize("path", case_files(), ids=lambda p: p.stem)
def test_case(path: Path) -> None:
    case = load_case(path)
    try:
        scenario = scenario_from_data(case["scenario"])
    except ScenarioError as exc:
        pytest.fail(f"{path.name} : le scénario du cas est invalide :\n{exc}", pytrace=False)
    evaluation = evaluate(scenario, reading=case["reading"])
    result = evaluation.model_dump(mode="json")
    problems = mismatches(case["expected"], result) + invariants(result)
    if problems:
        codes = [c["code"] for c in result["checks"]]
        pytest.fail(
            f"{path.name} — {case['description']}\n"
            f"lecture : {result['reading']} ; statut : {result['status']} ; codes : {codes}\n"
            + "\n".join(f"  ✗ {p}" for p in problems),
            pytrace=False)


# --- the case files themselves cover what issue 2 asks ---------------------------------------------

def _all_cases() -> list[tuple[str, dict]]:
    return [(p.stem, load_case(p)) for p in case_files()]


def test_there_are_case_files() -> None:
    assert len(case_files()) >= 50


def test_every_check_code_is_seen_present_and_absent() -> None:
    present, absent = set(), set()
    for _, case in _all_cases():
        exp = case["expected"]
        present |= set(exp.get("codes", [])) | set(exp.get("has_codes", [])) | set(exp.get("check", {}))
        absent |= set(exp.get("lacks_codes", []))
        if "codes" in exp:
            absent |= set(CONTRACT_CODES) - set(exp["codes"])
    assert set(CONTRACT_CODES) - present == set(), "codes jamais attendus présents"
    assert set(CONTRACT_CODES) - absent == set(), "codes jamais attendus absents"


# Both sides of every threshold, under each reading where they differ: (reading, key, value).
THRESHOLD_SIDES = [
    *[("total_cost", "project_size_ttc", v)
      for v in ("99999.99", "100000.00", "3000000.00", "3000000.01")],
    *[("eligible_base", "project_size_ttc", v)
      for v in ("99999.99", "100000.00", "3000000.00", "3000000.01")],
    ("total_cost", "eligible_base_ttc", "49999.99"),
    ("total_cost", "eligible_base_ttc", "50000.00"),
    ("eligible_base", "potential_cofinancing_ttc", "49999.99"),
    ("eligible_base", "potential_cofinancing_ttc", "50000.00"),
    ("total_cost", "training_cost_ttc", "20000.00"),
    ("total_cost", "training_cost_ttc", "20000.01"),
    ("total_cost", "first_impact_month", 6),
    ("total_cost", "first_impact_month", 7),
]


@pytest.mark.parametrize("reading,key,value", THRESHOLD_SIDES)
def test_threshold_side_has_a_case(reading: str, key: str, value: Any) -> None:
    default = load_rules().default_reading
    found = [name for name, case in _all_cases()
             if (case["reading"] or default) == reading and case["expected"].get(key) == value]
    assert found, f"aucun cas n’attend {key} = {value!r} sous la lecture {reading}"


def test_deep_merge() -> None:
    base = {"a": {"b": 1, "c": [1, 2]}, "d": 1, "e": 2}
    merged = deep_merge(base, {"a": {"c": [3]}, "d": None, "e": DELETE, "f": {"g": 1}})
    assert merged == {"a": {"b": 1, "c": [3]}, "d": None, "f": {"g": 1}}
    assert base == {"a": {"b": 1, "c": [1, 2]}, "d": 1, "e": 2}
    with pytest.raises(CaseFormatError):
        deep_merge(base, {"zz": DELETE})


def test_compare_reports_paths() -> None:
    assert compare({"x": [{"y": "1.00"}]}, {"x": [{"y": "1.00", "z": 2}]}, "r") == []
    assert compare({"x": {"1": {"y": 2}}}, {"x": [{"y": 1}, {"y": 3}]}, "r") == [
        "r.x[1].y : attendu 2, obtenu 3"]
    assert compare({"x": True}, {"x": 1}, "r") == ["r.x : attendu True, obtenu 1"]
    assert compare({"x": [1]}, {"x": [1, 2]}, "r") == ["r.x : 1 éléments attendus, 2 obtenus"]
