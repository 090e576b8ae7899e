"""The command line, run as a user runs it: ``python -m guichet …`` in a subprocess."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
BASE = ROOT / "tests" / "cases" / "_base.json"

CONTRACT_KEYS = {"status", "total_cost_ttc", "excluded_cost_ttc", "eligible_base_ttc",
                 "requested_rate", "potential_cofinancing_ttc", "cofinancing_ttc",
                 "own_contribution_ttc", "six_month_impact", "first_impact_month", "checks",
                 "reading", "rules_version", "by_category", "monthly_schedule"}
MONEY_KEYS = ["total_cost_ttc", "excluded_cost_ttc", "eligible_base_ttc",
              "potential_cofinancing_ttc", "cofinancing_ttc", "own_contribution_ttc"]
TWO_DECIMALS = re.compile(r"^-?\d+\.\d{2}$")


def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONIOENCODING="utf-8")
    return subprocess.run([sys.executable, "-m", "guichet", *args], input=stdin,
                          capture_output=True, cwd=ROOT, env=env, timeout=60)


def out(proc: subprocess.CompletedProcess) -> str:
    return proc.stdout.decode("utf-8")


def err(proc: subprocess.CompletedProcess) -> str:
    return proc.stderr.decode("utf-8")


def base_data() -> dict:
    return json.loads(BASE.read_text(encoding="utf-8"))


def write(tmp_path: Path, data: dict | str | bytes, name: str = "scenario.json") -> Path:
    path = tmp_path / name
    if isinstance(data, dict):
        data = json.dumps(data, ensure_ascii=False)
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.write_bytes(data)
    return path


# --- evaluation ---------------------------------------------------------------------------------

@pytest.mark.parametrize("example", sorted(EXAMPLES.glob("*.json")), ids=lambda p: p.stem)
def test_every_example_evaluates_with_exit_0(example: Path) -> None:
    proc = run("evaluate", str(example), "--format", "json")
    assert proc.returncode == 0, err(proc)
    assert err(proc) == ""
    result = json.loads(out(proc))
    assert CONTRACT_KEYS <= set(result)


def test_eligible_scenario_json_output() -> None:
    proc = run("evaluate", str(BASE), "--format", "json")
    assert proc.returncode == 0, err(proc)
    result = json.loads(out(proc))
    assert CONTRACT_KEYS <= set(result)
    assert result["status"] == "eligible"
    assert result["reading"] == "total_cost"
    assert result["total_cost_ttc"] == "200000.00"
    assert result["cofinancing_ttc"] == "100000.00"
    for key in MONEY_KEYS:
        assert isinstance(result[key], str) and TWO_DECIMALS.match(result[key]), (key, result[key])
    for month in result["monthly_schedule"]:
        for key in ("eligible_ttc", "excluded_ttc", "total_ttc", "cumulative_ttc"):
            assert TWO_DECIMALS.match(month[key]), (key, month)
    for category in result["by_category"]:
        assert TWO_DECIMALS.match(category["ttc"])
    assert isinstance(result["six_month_impact"], bool)
    assert result["first_impact_month"] == 3
    assert result["checks"] == []


def test_ineligible_scenario_exits_0_and_says_why() -> None:
    example = EXAMPLES / "not-eligible-commercial-cloud.json"
    proc = run("evaluate", str(example), "--format", "json")
    assert proc.returncode == 0, err(proc)
    result = json.loads(out(proc))
    assert result["status"] == "ineligible"
    assert result["cofinancing_ttc"] == "0.00"
    blocking = [c for c in result["checks"] if c["severity"] == "blocking"]
    assert blocking
    for check in result["checks"]:
        assert {"code", "severity", "message", "source"} <= set(check)
        assert check["message"] and check["source"]
    for check in blocking:
        assert check["advice"]


def test_text_output_is_french() -> None:
    proc = run("evaluate", str(EXAMPLES / "not-eligible-commercial-cloud.json"))
    assert proc.returncode == 0, err(proc)
    text = out(proc)
    for words in ("Statut : NON ÉLIGIBLE", "Coût total TTC", "Assiette éligible TTC",
                  "Cofinancement", "Reste à la charge du porteur", "Contrôles :", "Conseil :",
                  "Source", "Comment est-ce calculé ?"):
        assert words in text, words
    assert "\u202f000,00\u00a0€" in text  # French money: 80 000,00 €
    assert "Traceback" not in text


def test_text_output_of_an_eligible_scenario() -> None:
    proc = run("evaluate", str(BASE), "--format", "text")
    assert proc.returncode == 0, err(proc)
    assert "Statut : ÉLIGIBLE" in out(proc)
    assert "Aucun contrôle à signaler." in out(proc)


def test_reading_option_changes_the_reading() -> None:
    data = base_data()
    data["cost_lines"].append({"label": "Serveurs", "category": "hardware", "amount": "1000.00",
                               "basis": "ttc", "start_month": 1, "end_month": 1})
    proc = run("evaluate", "-", "--format", "json", "--reading", "eligible_base",
               stdin=json.dumps(data).encode())
    assert proc.returncode == 0, err(proc)
    result = json.loads(out(proc))
    assert result["reading"] == "eligible_base"
    assert result["project_size_ttc"] == "200000.00"  # the base, not the total 201 000.00
    default = json.loads(out(run("evaluate", "-", "--format", "json", stdin=json.dumps(data).encode())))
    assert default["reading"] == "total_cost"
    assert default["project_size_ttc"] == "201000.00"


def test_stdin_input_with_dash() -> None:
    proc = run("evaluate", "-", "--format", "json", stdin=BASE.read_bytes())
    assert proc.returncode == 0, err(proc)
    assert json.loads(out(proc))["status"] == "eligible"


def test_bom_input_is_accepted() -> None:
    proc = run("evaluate", "-", "--format", "json", stdin=b"\xef\xbb\xbf" + BASE.read_bytes())
    assert proc.returncode == 0, err(proc)


def test_schema_prints_a_json_schema() -> None:
    proc = run("schema")
    assert proc.returncode == 0, err(proc)
    schema = json.loads(out(proc))
    assert schema["type"] == "object"
    for field in ("schema_version", "name", "applicant", "migration", "extension", "start_date",
                  "cost_lines", "milestones", "requested_rate", "indicators"):
        assert field in schema["properties"], field
    assert {"name", "applicant", "start_date"} <= set(schema["required"])
    text = json.dumps(schema)
    for code in ("state_administration", "secnumcloud", "functional_changes", "trusted_cloud"):
        assert code in text


# --- bad input: exit 2, one French message per problem naming the field, never a traceback ------

def assert_bad_input(proc: subprocess.CompletedProcess, *expected: str, count: int | None = None) -> list[str]:
    text = err(proc)
    assert proc.returncode == 2, (proc.returncode, text, out(proc))
    assert "Traceback" not in text
    assert out(proc) == ""
    lines = [line for line in text.splitlines() if line.strip()]
    for fragment in expected:
        assert any(fragment in line for line in lines), (fragment, lines)
    if count is not None:
        assert len(lines) == count, lines
    return lines


def modified(change) -> bytes:
    data = base_data()
    change(data)
    return json.dumps(data, ensure_ascii=False).encode("utf-8")


def test_malformed_json(tmp_path: Path) -> None:
    path = write(tmp_path, '{"schema_version": 1, "name": "x",,}')
    proc = run("evaluate", str(path))
    assert_bad_input(proc, "JSON mal formé, ligne 1, colonne", count=1)


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_tokens(token: str) -> None:
    text = BASE.read_text(encoding="utf-8").replace('"200000.00"', token)
    proc = run("evaluate", "-", stdin=text.encode())
    assert_bad_input(proc, "cost_lines[0].amount", f"({token})", count=1)


@pytest.mark.parametrize("text", ["NaN", "Infinity", "-inf"])
def test_nan_and_infinity_strings(text: str) -> None:
    proc = run("evaluate", "-", stdin=modified(lambda d: d["cost_lines"][0].update(amount=text)))
    assert_bad_input(proc, "cost_lines[0].amount : nombre fini attendu", count=1)


def test_negative_amount() -> None:
    proc = run("evaluate", "-", stdin=modified(lambda d: d["cost_lines"][0].update(amount="-5")))
    assert_bad_input(proc, "cost_lines[0].amount : doit être supérieur ou égal à 0", count=1)


@pytest.mark.parametrize("amount", ["douze mille", "12 000", "1,5", True, [], None])
def test_non_numeric_amount(amount) -> None:
    proc = run("evaluate", "-", stdin=modified(lambda d: d["cost_lines"][0].update(amount=amount)))
    lines = assert_bad_input(proc, "cost_lines[0].amount", count=1)
    assert "nombre" in lines[0]


def test_unknown_category_code_names_the_line() -> None:
    def change(d):
        d["cost_lines"] += [dict(d["cost_lines"][0]), dict(d["cost_lines"][0], category="catering")]
    proc = run("evaluate", "-", stdin=modified(change))
    assert_bad_input(proc, "cost_lines[2].category : valeur 'catering' inconnue", "external_services",
                     count=1)


@pytest.mark.parametrize("field,value,path", [
    ("applicant", {"kind": "municipality"}, "applicant.kind"),
    ("migration", {"origin": "mainframe", "target": "pi"}, "migration.origin"),
    ("migration", {"origin": "physical", "target": "aws"}, "migration.target"),
    ("extension", {"clouds": ["azure"], "third_party_commitments": 1}, "extension.clouds[0]"),
])
def test_unknown_codes(field: str, value, path: str) -> None:
    proc = run("evaluate", "-", stdin=modified(lambda d: d.update({field: value})))
    assert_bad_input(proc, f"{path} : valeur", "inconnue", count=1)


def test_end_month_before_start_month() -> None:
    proc = run("evaluate", "-", stdin=modified(
        lambda d: d["cost_lines"][0].update(start_month=5, end_month=2)))
    assert_bad_input(proc, "cost_lines[0]", "le mois de fin (2) précède le mois de début (5)", count=1)


@pytest.mark.parametrize("rate", ["0.51", "0.500001", "1", "0", "-0.1"])
def test_rate_outside_the_cap(rate: str) -> None:
    proc = run("evaluate", "-", stdin=modified(lambda d: d.update(requested_rate=rate)))
    assert_bad_input(proc, "requested_rate : le taux demandé doit être", "50\u00a0%", count=1)


def test_rate_of_exactly_50_percent_is_accepted() -> None:
    proc = run("evaluate", "-", "--format", "json",
               stdin=modified(lambda d: d.update(requested_rate="0.50")))
    assert proc.returncode == 0, err(proc)


@pytest.mark.parametrize("version", [2, 0, "1", None])
def test_unknown_schema_version(version) -> None:
    proc = run("evaluate", "-", stdin=modified(lambda d: d.update(schema_version=version)))
    assert_bad_input(proc, "schema_version : version de format", "seule la version 1", count=1)


def test_unknown_field() -> None:
    proc = run("evaluate", "-", stdin=modified(lambda d: d["cost_lines"][0].update(colour="bleu")))
    assert_bad_input(proc, "cost_lines[0].colour : champ inconnu", count=1)


def test_unknown_top_level_field() -> None:
    proc = run("evaluate", "-", stdin=modified(lambda d: d.update(budget="100")))
    assert_bad_input(proc, "budget : champ inconnu", count=1)


def test_missing_field() -> None:
    proc = run("evaluate", "-", stdin=modified(lambda d: d["applicant"].pop("kind")))
    assert_bad_input(proc, "applicant.kind : champ obligatoire manquant", count=1)


def test_one_message_per_problem() -> None:
    def change(d):
        d["cost_lines"][0]["amount"] = "-1"
        d["cost_lines"].append(dict(d["cost_lines"][0], amount="1", category="catering"))
        d["requested_rate"] = "0.9"
        d["milestones"][0]["month"] = 0
    proc = run("evaluate", "-", stdin=modified(change))
    assert_bad_input(proc, "cost_lines[0].amount", "cost_lines[1].category", "requested_rate",
                     "milestones[0].month", count=4)


def test_missing_file(tmp_path: Path) -> None:
    proc = run("evaluate", str(tmp_path / "absent.json"))
    assert_bad_input(proc, "fichier introuvable", "absent.json", count=1)


def test_directory_instead_of_a_file(tmp_path: Path) -> None:
    proc = run("evaluate", str(tmp_path))
    assert_bad_input(proc, "est un dossier, pas un fichier de scénario", count=1)


def test_non_utf8_input() -> None:
    proc = run("evaluate", "-", stdin=BASE.read_text(encoding="utf-8").encode("latin-1"))
    assert_bad_input(proc, "UTF-8", count=1)


def test_empty_input() -> None:
    proc = run("evaluate", "-", stdin=b"")
    assert_bad_input(proc, "JSON mal formé", count=1)


def test_not_an_object() -> None:
    proc = run("evaluate", "-", stdin=b"[1, 2, 3]")
    assert_bad_input(proc, "objet JSON", count=1)


def test_deeply_nested_input_is_a_clear_error() -> None:
    for depth in (600, 5000):
        stdin = ('{"name": ' + "[" * depth + "]" * depth + "}").encode()
        proc = run("evaluate", "-", stdin=stdin)
        assert_bad_input(proc)


def test_unknown_reading() -> None:
    proc = run("evaluate", str(BASE), "--reading", "half_cost")
    lines = assert_bad_input(proc, "half_cost")
    assert any("total_cost" in line and "eligible_base" in line for line in lines), lines


def test_no_command_exits_2() -> None:
    proc = run()
    assert proc.returncode == 2
    assert "Traceback" not in err(proc)
