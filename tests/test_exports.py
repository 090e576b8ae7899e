"""Exports: XLSX formulas give the engine's figures, CSV/Markdown/PDF content, formula injection,
the ``export`` command."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import shutil
import subprocess
import sys
import time
import types
import zipfile
from decimal import ROUND_DOWN, ROUND_HALF_UP, ROUND_UP, Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from guichet.cli import main
from guichet.engine.evaluate import evaluate
from guichet.engine.models import Extension
from guichet.io import exports
from guichet.io.exports import (LINES_SHEET, SUMMARY_SHEET, export_csv, export_markdown, export_pdf,
                                export_xlsx, neutralise)
from guichet.io.imports import import_cost_lines
from guichet.io.loading import load_scenario, scenario_from_data
from guichet.present.formatting import escape_markdown

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.json"))
WHEN = dt.datetime(2027, 2, 1, 9, 5)
MALICIOUS = ["=HYPERLINK(\"http://evil.example\",\"clic\")", "+cmd|' /C calc'!A0", "@SUM(1+1)*cmd",
             "-2+3", "\t=1+1", "\r=1+1"]


def load(path: Path):
    return load_scenario(path.read_bytes())


def scenario_data(**over) -> dict:
    data = {
        "name": "Scénario de test",
        "applicant": {"name": "DNUM", "kind": "state_administration"},
        "migration": {"origin": "physical", "target": "pi", "applications": ["RH"]},
        "start_date": "2027-01-04",
        "cost_lines": [],
        "milestones": [{"label": "Mise en production", "month": 4, "impact": True}],
        "indicators": {"annual_savings_ttc": "1000", "agents_trained": 3,
                       "impact": [{"name": "RTO", "unit": "h", "baseline": "48", "target": "4"}]},
    }
    data.update(over)
    return data


def cl(label, category, amount, basis="ht", vat=None, start=1, end=3) -> dict:
    d = {"label": label, "category": category, "amount": amount, "basis": basis,
         "start_month": start, "end_month": end}
    if vat is not None:
        d["vat_rate"] = vat
    return d


# odd cents, half-cent VAT, TTC lines whose HT is derived, VAT-free staff, a rate of 35 %
TRICKY = scenario_from_data(scenario_data(
    name="Centimes délicats", requested_rate="0.35",
    cost_lines=[
        cl("Prestation A", "external_services", "100000.01"),
        cl("TVA réduite au demi-centime", "external_services", "1.00", vat="0.055"),
        cl("Saisie TTC", "external_services", "100.02", basis="ttc"),
        cl("Saisie TTC à 5,5 %", "training", "333.33", basis="ttc", vat="0.055"),
        cl("Agents", "internal_staff", "12345.67"),
        cl("Licences", "software", "999.99", start=2, end=2),
        cl("Autres frais", "other", "0.07", basis="ttc"),
    ]))
INELIGIBLE = scenario_from_data(scenario_data(
    name="Trop petit", cost_lines=[cl("Prestation", "external_services", "1000.00")]))
EMPTY = scenario_from_data(scenario_data(name="Vide", milestones=[]))
SCENARIOS = [pytest.param(load(p), id=p.stem) for p in EXAMPLES] + [
    pytest.param(TRICKY, id="tricky"), pytest.param(INELIGIBLE, id="ineligible"),
    pytest.param(EMPTY, id="empty")]


# --- a tiny evaluator of the formulas the export writes ------------------------------------------
# SUM, SUMIF, ROUND, ROUNDDOWN, ROUNDUP, IF (lazy), + - * /, = <> < >, cell references and ranges
# (optionally on another sheet), numbers and strings, #DIV/0!. Decimal arithmetic, like a
# spreadsheet's « what you see » rounding.

TOKEN = re.compile(r"""\s*(?:
    (?P<str>"(?:[^"]|"")*")
  | (?P<ref>(?:'(?:[^']|'')+'!|[A-Za-z_][\w.]*!)?\$?[A-Z]{1,3}\$?\d+(?::\$?[A-Z]{1,3}\$?\d+)?)
  | (?P<func>[A-Z][A-Z0-9.]*)\(
  | (?P<num>\d+(?:\.\d+)?)
  | (?P<op><>|<=|>=|[-+*/=<>(),])
)""", re.X)


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    while pos < len(text):
        m = TOKEN.match(text, pos)
        assert m and m.end() > pos, f"formule non comprise : {text[pos:]!r} dans {text!r}"
        kind = m.lastgroup
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


def _col(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def _num(v) -> Decimal:
    if v is None:
        return Decimal(0)
    if isinstance(v, Decimal):
        return v
    if isinstance(v, bool):
        raise AssertionError("booléen inattendu")
    if isinstance(v, (int, float)):
        return Decimal(repr(v)) if isinstance(v, float) else Decimal(v)
    raise AssertionError(f"nombre attendu, reçu {v!r}")


class XlError:
    """A spreadsheet error value (``#DIV/0!``): it flows through the formulas as in a
    spreadsheet, so that ``IF`` can leave out the branch that would fail."""

    def __init__(self, code: str):
        self.code = code

    def __repr__(self):
        return self.code


def _failed(*values) -> XlError | None:
    return next((v for v in values if isinstance(v, XlError)), None)


class Evaluator:
    def __init__(self, wb):
        self.wb = wb
        self.cache: dict[tuple[str, int, int], object] = {}

    def value(self, sheet: str, row: int, col: int):
        key = (sheet, row, col)
        if key not in self.cache:
            cell = self.wb[sheet].cell(row=row, column=col)
            v = cell.value
            if cell.data_type == "f":
                v = self.formula(sheet, v)
            elif isinstance(v, (int, float)) and not isinstance(v, bool):
                v = _num(v)
            self.cache[key] = v
        return self.cache[key]

    def formula(self, sheet: str, text: str):
        assert text.startswith("=")
        saved = (getattr(self, "toks", None), getattr(self, "i", 0), getattr(self, "sheet", None))
        self.toks, self.i, self.sheet = _tokens(text[1:]), 0, sheet
        result = self.compare()
        assert self.i == len(self.toks), f"reste non lu dans {text!r}"
        self.toks, self.i, self.sheet = saved
        return result

    # recursive descent; :meth:`formula` saves the state around nested cell evaluations
    def peek(self):
        return self.toks[self.i] if self.i < len(self.toks) else (None, None)

    def take(self, value=None):
        tok = self.peek()
        assert value is None or tok[1] == value, f"attendu {value!r}, reçu {tok!r}"
        self.i += 1
        return tok

    def compare(self):
        left = self.additive()
        kind, op = self.peek()
        if kind == "op" and op in ("=", "<>", "<", ">", "<=", ">="):
            self.take()
            right = self.additive()
            if _failed(left, right):
                return _failed(left, right)
            # as a spreadsheet: a blank cell is "" beside text and 0 beside a number; a number
            # is never equal to a text, and sorts before it
            if left is None:
                left = "" if isinstance(right, str) else Decimal(0)
            if right is None:
                right = "" if isinstance(left, str) else Decimal(0)
            if isinstance(left, str) and isinstance(right, str):
                a, b = left.casefold(), right.casefold()
            elif isinstance(left, str) or isinstance(right, str):
                a, b = (1, 0) if isinstance(left, str) else (0, 1)
            else:
                a, b = _num(left), _num(right)
            return {"=": a == b, "<>": a != b, "<": a < b, ">": a > b, "<=": a <= b,
                    ">=": a >= b}[op]
        return left

    def additive(self):
        v = self.term()
        while self.peek() in (("op", "+"), ("op", "-")):
            op = self.take()[1]
            w = self.term()
            v = _failed(v, w) or (_num(v) + _num(w) if op == "+" else _num(v) - _num(w))
        return v

    def term(self):
        v = self.unary()
        while self.peek() in (("op", "*"), ("op", "/")):
            op = self.take()[1]
            w = self.unary()
            if _failed(v, w):
                v = _failed(v, w)
            elif op == "/" and _num(w) == 0:
                v = XlError("#DIV/0!")
            else:
                v = _num(v) * _num(w) if op == "*" else _num(v) / _num(w)
        return v

    def unary(self):
        if self.peek() == ("op", "-"):
            self.take()
            v = self.unary()
            return _failed(v) or -_num(v)
        return self.primary()

    def primary(self):
        kind, text = self.take()
        if kind == "num":
            return Decimal(text)
        if kind == "str":
            return text[1:-1].replace('""', '"')
        if kind == "op" and text == "(":
            v = self.compare()
            self.take(")")
            return v
        if kind == "ref":
            return self.ref(text)
        if kind == "func":
            args = []
            if self.peek() != ("op", ")"):
                args.append(self.compare())
                while self.peek() == ("op", ","):
                    self.take()
                    args.append(self.compare())
            self.take(")")
            return self.call(text, args)
        raise AssertionError(f"jeton inattendu {text!r}")

    def ref(self, text: str):
        sheet = self.sheet
        if "!" in text:
            name, text = text.rsplit("!", 1)
            sheet = name[1:-1].replace("''", "'") if name.startswith("'") else name
        text = text.replace("$", "")
        parts = text.split(":")
        coords = []
        for p in parts:
            m = re.fullmatch(r"([A-Z]+)(\d+)", p)
            coords.append((int(m.group(2)), _col(m.group(1))))
        if len(coords) == 1:
            return self.value(sheet, *coords[0])
        (r1, c1), (r2, c2) = coords
        return [self.value(sheet, r, c) for r in range(min(r1, r2), max(r1, r2) + 1)
                for c in range(min(c1, c2), max(c1, c2) + 1)]

    def call(self, name: str, args: list):
        if name == "IF":  # only the branch taken may fail, as in a spreadsheet
            cond, yes, no = args
            return _failed(cond) or (yes if cond else no)
        if _failed(*args):
            return _failed(*args)
        if name == "SUM":
            total = Decimal(0)
            for a in args:
                for v in (a if isinstance(a, list) else [a]):
                    if isinstance(v, Decimal):
                        total += v
            return total
        if name == "SUMIF":
            rng, criterion, sums = args
            assert len(rng) == len(sums)
            return sum((v for k, v in zip(rng, sums, strict=True)
                        if isinstance(v, Decimal) and str(k or "").casefold()
                        == str(criterion).casefold()), Decimal(0))
        if name in ("ROUND", "ROUNDDOWN", "ROUNDUP"):
            x, digits = _num(args[0]), int(_num(args[1]))
            q = Decimal(1).scaleb(-digits)
            mode = {"ROUND": ROUND_HALF_UP, "ROUNDDOWN": ROUND_DOWN, "ROUNDUP": ROUND_UP}[name]
            return x.quantize(q, rounding=mode)
        raise AssertionError(f"fonction non prise en charge par l’évaluateur : {name}")


def _summary_rows(ws) -> dict[str, int]:
    return {ws.cell(r, 1).value: r for r in range(1, ws.max_row + 1)
            if isinstance(ws.cell(r, 1).value, str)}


# --- XLSX -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("scenario", SCENARIOS)
def test_xlsx_formulas_give_the_engine_figures(scenario):
    e = evaluate(scenario)
    wb = load_workbook(io.BytesIO(export_xlsx(scenario, e, exported_at=WHEN)))
    assert wb.sheetnames == ["Synthèse", "Lignes de coût", "Contrôles", "Calendrier", "Indicateurs"]
    ev = Evaluator(wb)
    ws = wb[SUMMARY_SHEET]
    rows = _summary_rows(ws)
    expected = {
        "Coût total TTC": e.total_cost_ttc,
        "Dépenses exclues de l’assiette": e.excluded_cost_ttc,
        "Assiette éligible TTC": e.eligible_base_ttc,
        "Taille du projet retenue": e.project_size_ttc,
        "Cofinancement potentiel": e.potential_cofinancing_ttc,
        "Cofinancement": e.cofinancing_ttc,
        "Reste à la charge du porteur": e.own_contribution_ttc,
        "Formation et acculturation TTC": e.training_cost_ttc,
    }
    for label, value in expected.items():
        r = rows[label]
        assert ws.cell(r, 2).data_type == "f", label  # a formula, to audit
        assert ev.value(SUMMARY_SHEET, r, 2) == value, label
        assert _num(ws.cell(r, 3).value) == value, label  # the simulator's value next to it
        assert "€" in ws.cell(r, 2).number_format and "€" in ws.cell(r, 3).number_format
    assert _num(ws.cell(rows["Taux de cofinancement demandé"], 2).value) == e.requested_rate
    assert ws.cell(rows["Statut"], 2).value == e.status_label
    # every line: HT, VAT and TTC formulas give the engine's amounts
    lines = wb[LINES_SHEET]
    assert [c.value for c in lines[1]] == list(exports.LINE_COLUMNS)
    for i, ln in enumerate(e.lines, start=2):
        assert lines.cell(i, 1).value == ln.label
        assert ev.value(LINES_SHEET, i, 6) == ln.ht
        assert ev.value(LINES_SHEET, i, 7) == ln.vat
        assert ev.value(LINES_SHEET, i, 8) == ln.ttc
        assert lines.cell(i, 9).value == ("Exclue" if ln.excluded else "Éligible")
        for c in (4, 6, 7, 8):
            assert "€" in lines.cell(i, c).number_format
    # per category
    for c in e.by_category:
        r = rows[c.label]
        assert ev.value(SUMMARY_SHEET, r, 2) == c.ttc
    assert ev.value(SUMMARY_SHEET, rows["Total"], 2) == e.total_cost_ttc
    _check_indicator_rows(wb, e)


def _check_indicator_rows(wb, e) -> None:
    """Savings, payback, savings over the horizon and agents on the summary: the workbook's
    formulas give the engine's figures (« — » where the engine has none)."""
    ws = wb[SUMMARY_SHEET]
    rows = _summary_rows(ws)
    ev = Evaluator(wb)
    savings = rows["Économies annuelles induites TTC"]
    if e.annual_savings_ttc is None:
        assert ws.cell(savings, 2).value is None  # left empty for the instructor to fill in
        assert ws.cell(savings, 3).value == "non renseignées"
    else:
        assert ev.value(SUMMARY_SHEET, savings, 2) == e.annual_savings_ttc
        assert _num(ws.cell(savings, 3).value) == e.annual_savings_ttc
    assert (ws.cell(savings, 2).data_type == "f") == (e.annual_savings_source == "derived")
    source = ws.cell(rows["Origine des économies"], 3).value
    assert source == exports._cap(exports.SAVINGS_SOURCES[e.annual_savings_source])
    assert ev.value(SUMMARY_SHEET, rows["Horizon des économies cumulées"], 2) == \
        e.savings_horizon_years
    expected = {
        "Retour sur investissement": e.payback_months,
        exports.horizon_savings_label(e): e.five_year_savings_ttc,
    }
    for label, value in expected.items():
        r = rows[label]
        assert ws.cell(r, 2).data_type == "f", label  # a formula, to audit
        got = ev.value(SUMMARY_SHEET, r, 2)
        if value is None:
            assert got == "—" and ws.cell(r, 3).value == "—", label
        else:
            assert got == value and _num(ws.cell(r, 3).value) == value, label
    assert "ROUNDUP(" in ws.cell(rows["Retour sur investissement"], 2).value
    for label, value in (("Agents formés", e.agents_trained),
                         ("Agents travaillant dans un contexte Cloud", e.agents_cloud_context)):
        cell = ws.cell(rows[label], 3)
        assert cell.value == (value if value is not None else "non renseigné"), label


def test_formula_reproduces_round_down_and_zero_when_ineligible():
    e = evaluate(TRICKY)
    assert e.potential_cofinancing_ttc != e.eligible_base_ttc * Decimal("0.35")  # really rounded
    wb = load_workbook(io.BytesIO(export_xlsx(TRICKY, e)))
    rows = _summary_rows(wb[SUMMARY_SHEET])
    assert "ROUNDDOWN(" in wb[SUMMARY_SHEET].cell(rows["Cofinancement potentiel"], 2).value
    bad = evaluate(INELIGIBLE)
    assert bad.status == "ineligible" and bad.potential_cofinancing_ttc > 0
    wb = load_workbook(io.BytesIO(export_xlsx(INELIGIBLE, bad)))
    rows = _summary_rows(wb[SUMMARY_SHEET])
    ev = Evaluator(wb)
    assert ev.value(SUMMARY_SHEET, rows["Cofinancement"], 2) == 0
    assert ev.value(SUMMARY_SHEET, rows["Reste à la charge du porteur"], 2) == bad.total_cost_ttc


def test_xlsx_other_sheets():
    scenario = load(ROOT / "examples" / "not-eligible-commercial-cloud.json")
    e = evaluate(scenario, reading="eligible_base")
    wb = load_workbook(io.BytesIO(export_xlsx(scenario, e, exported_at=WHEN)))
    summary = [str(c.value) for row in wb[SUMMARY_SHEET].iter_rows() for c in row if c.value]
    assert "1er février 2027 à 9 h 05" in summary
    assert e.rules_version in summary
    assert any(e.reading_label in v for v in summary)
    assert "Oui (premier jalon d’impact au mois 4 ; horizon : mois 6)" in summary
    checks = wb["Contrôles"]
    got = [(checks.cell(r, 1).value, checks.cell(r, 3).value, checks.cell(r, 4).value,
            checks.cell(r, 7).value) for r in range(2, 2 + len(e.checks))]
    assert got == [(exports.severity_word(c.severity), c.message, c.advice or "", c.source)
                   for c in e.checks]
    assert {g[0] for g in got} <= {"Bloquant", "Réserve", "Information"}
    calendar = [c.value for row in wb["Calendrier"].iter_rows() for c in row if c.value]
    assert "M1" in calendar and "janvier 2027" in calendar
    ev = Evaluator(wb)
    cal = wb["Calendrier"]
    total_row = max(r for r in range(1, cal.max_row + 1) if cal.cell(r, 1).value == "Total")
    assert ev.value("Calendrier", total_row, 5) == e.total_cost_ttc
    indicators = [c.value for row in wb["Indicateurs"].iter_rows() for c in row if c.value]
    assert "Indicateurs d’impact" in indicators


# --- indicators: savings, payback, agents, impact targets ----------------------------------------

#: own contribution 61 500,01 € (a 50 % co-financing of 123 000,01 €, rounded down)
SAVINGS_LINES = [cl("Prestation", "external_services", "100000.01", basis="ttc"),
                 cl("Formation", "training", "23000.00", basis="ttc")]


def savings_scenario(**indicators):
    return scenario_from_data(scenario_data(name="Économies", cost_lines=SAVINGS_LINES,
                                            indicators=indicators))


SAVINGS_CASES = {
    "derived": dict(current_annual_run_cost_ttc="90000", target_annual_run_cost_ttc="50000",
                    agents_trained=4, agents_cloud_context=9),
    "derived-odd-cents": dict(current_annual_run_cost_ttc="90000.005",
                              target_annual_run_cost_ttc="1.1234"),
    "derived-negative": dict(current_annual_run_cost_ttc="50000",
                             target_annual_run_cost_ttc="90000.50"),
    "derived-zero": dict(current_annual_run_cost_ttc="50000", target_annual_run_cost_ttc="50000"),
    "declared-wins": dict(annual_savings_ttc="12345.67", current_annual_run_cost_ttc="90000",
                          target_annual_run_cost_ttc="50000"),
    "declared-rounds-up": dict(annual_savings_ttc="41999"),
    "declared-negative": dict(annual_savings_ttc="-1000"),
    "none": dict(agents_trained=0),
    "one-run-cost-only": dict(current_annual_run_cost_ttc="90000"),
}


@pytest.mark.parametrize("case", SAVINGS_CASES)
def test_xlsx_savings_formulas_give_the_engine_figures(case):
    s = savings_scenario(**SAVINGS_CASES[case])
    e = evaluate(s)
    wb = load_workbook(io.BytesIO(export_xlsx(s, e, exported_at=WHEN)))
    _check_indicator_rows(wb, e)
    ws = wb[SUMMARY_SHEET]
    rows = _summary_rows(ws)
    savings, payback = rows["Économies annuelles induites TTC"], rows["Retour sur investissement"]
    if case == "derived":
        assert e.annual_savings_ttc == Decimal("40000") and e.payback_months == 19
        assert ws.cell(savings, 2).value == (f"=B{rows['Coût annuel de fonctionnement actuel TTC']}"
                                             f"-B{rows['Coût annuel de fonctionnement visé TTC']}")
        assert ws.cell(rows["Agents formés"], 2).value == 4
    if case == "derived-negative":
        assert e.annual_savings_ttc < 0 and e.payback_months is None
        assert e.five_year_savings_ttc == Decimal("-200002.50")
    if case == "declared-rounds-up":  # 61 500,01 × 12 ÷ 41 999 = 17,57… → 18
        assert e.payback_months == 18
    if case == "none":
        assert e.annual_savings_ttc is None and e.five_year_savings_ttc is None
    # the instructor can type other savings and see the payback and the horizon follow
    ws.cell(savings, 2).value = 61500.01
    ev = Evaluator(wb)
    assert ev.value(SUMMARY_SHEET, payback, 2) == 12
    assert ev.value(SUMMARY_SHEET, rows[exports.horizon_savings_label(e)], 2) == \
        Decimal("307500.05")


def test_xlsx_payback_is_zero_without_own_contribution():
    s = scenario_from_data(scenario_data(name="Rien à payer"))  # no lines, savings 1 000 €
    e = evaluate(s)
    assert e.own_contribution_ttc == 0 and e.payback_months == 0
    _check_indicator_rows(load_workbook(io.BytesIO(export_xlsx(s, e))), e)


IMPACT = [
    {"name": "Fréquence des déploiements en production", "preset": "deployment_frequency",
     "baseline": "0.1", "targets": [{"month": 12, "value": "40"}, {"month": 3, "value": "1"}]},
    {"name": "Utilisateurs", "unit": "comptes", "targets": [{"month": 18, "value": "120"}]},
    {"name": "RTO", "unit": "h", "baseline": "48", "target": "4"},  # first form: no month
    {"name": "Taux de réussite des changements", "baseline": "70"},
]


def _sheet_rows(ws) -> list[list]:
    return [[c.value for c in row] for row in ws.iter_rows()]


def test_xlsx_indicators_sheet_lists_every_dated_target_and_band():
    s = savings_scenario(current_annual_run_cost_ttc="90000", target_annual_run_cost_ttc="50000",
                         agents_trained=4, impact=IMPACT)
    e = evaluate(s)
    ws = load_workbook(io.BytesIO(export_xlsx(s, e, exported_at=WHEN)))["Indicateurs"]
    rows = _sheet_rows(ws)
    mandatory = {r[0]: r[1] for r in rows if isinstance(r[0], str)}
    assert _num(mandatory["Coût annuel de fonctionnement actuel TTC"]) == 90000
    assert _num(mandatory["Économies annuelles induites TTC"]) == e.annual_savings_ttc == 40000
    assert mandatory["Retour sur investissement"] == e.payback_months
    assert _num(mandatory["Économies cumulées sur 5 ans TTC"]) == e.five_year_savings_ttc
    assert mandatory["Agents formés"] == 4
    assert mandatory["Agents travaillant dans un contexte Cloud"] == "—"
    header = rows.index(["Indicateur", "Unité", "Point", "Mois du projet", "Mois calendaire",
                         "Valeur", "Bande DORA"])
    impact = [r[:7] for r in rows[header + 1:] if r[2] in ("Mesure actuelle", "Cible")]

    def n(v):
        return _num(v) if isinstance(v, (int, float)) else v

    got = [(r[0], r[1], r[2], r[3], r[4], n(r[5]), r[6]) for r in impact]
    assert got == [
        ("Fréquence des déploiements en production", "déploiements par mois", "Mesure actuelle",
         "aujourd’hui", "—", Decimal("0.1"), "Faible"),
        ("Fréquence des déploiements en production", "déploiements par mois", "Cible", 3,
         "mars 2027", 1, "Élevée"),
        ("Fréquence des déploiements en production", "déploiements par mois", "Cible", 12,
         "décembre 2027", 40, "Élite"),
        ("Utilisateurs", "comptes", "Mesure actuelle", "aujourd’hui", "—", "—", "—"),
        ("Utilisateurs", "comptes", "Cible", 18, "juin 2028", 120, "—"),
        ("RTO", "h", "Mesure actuelle", "aujourd’hui", "—", 48, "—"),
        ("RTO", "h", "Cible", "non datée", "—", 4, "—"),
        ("Taux de réussite des changements", "%", "Mesure actuelle", "aujourd’hui", "—", 70,
         "Élevée, moyenne ou faible"),
        ("Taux de réussite des changements", "%", "Cible", "—", "—", "non renseignée", "—"),
    ]
    # the same as the engine, target by target
    engine = [(r.name, t.month, t.value, t.band or "—") for r in e.impact_indicators
              for t in r.targets]
    assert [(g[0], g[3] if g[3] != "non datée" else 0, g[5], g[6]) for g in got
            if g[2] == "Cible" and g[5] != "non renseignée"] == engine
    texts = [str(v) for r in rows for v in r if v]
    assert any("DORA" in t and "pas des règles du guichet" in t for t in texts)


def test_xlsx_indicators_sheet_without_indicators():
    s = savings_scenario()
    e = evaluate(s)
    rows = _sheet_rows(load_workbook(io.BytesIO(export_xlsx(s, e)))["Indicateurs"])
    mandatory = {r[0]: r[1] for r in rows if isinstance(r[0], str)}
    assert mandatory["Économies annuelles induites TTC"] == "—"
    assert mandatory["Retour sur investissement"] == "—"
    assert mandatory["Agents formés"] == "—"
    assert ["Aucun indicateur d’impact saisi."] == [r[0] for r in rows
                                                    if r[0] == "Aucun indicateur d’impact saisi."]


def test_markdown_indicators_section():
    s = load(ROOT / "examples" / "migration-pi.json")
    md = export_markdown(s, evaluate(s), exported_at=WHEN)
    section = md[md.index("## Indicateurs"):]
    assert "- Économies annuelles induites TTC : 42\u202f000,00\u00a0€ par an (déclarées par le " \
           "porteur)" in section
    assert "- Retour sur investissement : 36 mois d’économies pour couvrir le reste à charge " \
           "(126\u202f000,00\u00a0€)" in section
    assert "  - Calcul : 126\u202f000,00\u00a0€ × 12 ÷ 42\u202f000,00\u00a0€ = 36 mois" in section
    assert "- Économies cumulées sur 5 ans TTC : 210\u202f000,00\u00a0€" in section
    assert "- Agents formés : 12" in section
    assert "- Agents travaillant dans un contexte Cloud : non renseigné" in section
    assert ("| Fréquence des déploiements en production | déploiements par mois | Mesure actuelle | "
            "aujourd’hui | 1 | Élevée |") in section
    assert ("| Temps de restauration sur incident \\(RTO\\) | heures | Cible | M9 (septembre "
            "2027) | 4 | Élevée |") in section


def test_markdown_indicators_derived_negative_and_missing():
    s = savings_scenario(current_annual_run_cost_ttc="50000", target_annual_run_cost_ttc="90000.50",
                         impact=[{"name": "[x](http://evil.example)", "baseline": "1"}])
    md = export_markdown(s, evaluate(s))
    assert ("- Économies annuelles induites TTC : -40\u202f000,50\u00a0€ par an (coût annuel de "
            "fonctionnement : actuel 50\u202f000,00\u00a0€ − visé 90\u202f000,50\u00a0€)") in md
    assert "- Retour sur investissement : — (pas d’économies annuelles positives)" in md
    assert "- Économies cumulées sur 5 ans TTC : -200\u202f002,50\u00a0€" in md
    assert "- Agents formés : non renseigné" in md
    assert "](http" not in md.replace("\\](http", "")
    assert "| Cible | — | non renseignée | — |" in md
    md = export_markdown(savings_scenario(), evaluate(savings_scenario()))
    assert "- Économies annuelles induites TTC : non renseignées" in md
    assert "- Retour sur investissement : — (économies non renseignées)" in md
    assert "Aucun indicateur d’impact saisi." in md


def test_csv_stays_cost_lines_only():
    s = savings_scenario(current_annual_run_cost_ttc="90000", target_annual_run_cost_ttc="50000",
                         agents_trained=4, impact=IMPACT)
    text = export_csv(s, evaluate(s)).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    assert rows[0] == list(exports.LINE_COLUMNS) and len(rows) == 1 + len(SAVINGS_LINES)
    assert "conomies" not in text and "DORA" not in text


# --- formula injection ----------------------------------------------------------------------------

def _malicious_scenario():
    return scenario_from_data(scenario_data(
        name="=HYPERLINK(\"http://evil.example\")",
        applicant={"name": "@SUM(A1)", "kind": "state_administration"},
        cost_lines=[cl(label, "external_services", "60000") for label in MALICIOUS],
        milestones=[{"label": "+cmd", "month": 2, "impact": True}],
        indicators={"impact": [{"name": "-2+3", "unit": "=1", "baseline": "1", "target": "2"}]},
    ))


def test_neutralise():
    for text in MALICIOUS:
        assert neutralise(text) == "'" + text
    assert neutralise("Prestation") == "Prestation"
    assert neutralise("") == ""


def test_malicious_labels_are_neutralised_in_csv():
    s = _malicious_scenario()
    data = export_csv(s, evaluate(s))
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))
    labels = [r[0] for r in rows[1:]]
    # (the scenario format strips the tab and carriage return around a label)
    assert labels == ["'" + ln.label for ln in s.cost_lines]
    assert all(label.startswith(("'=", "'+", "'-", "'@")) for label in labels)
    for row in rows[1:]:
        assert not any(cell.startswith(exports.FORMULA_TRIGGERS) for cell in row)


def test_malicious_labels_are_text_cells_in_xlsx():
    s = _malicious_scenario()
    data = export_xlsx(s, evaluate(s))
    wb = load_workbook(io.BytesIO(data))
    lines = wb[LINES_SHEET]
    for i, text in enumerate((ln.label for ln in s.cost_lines), start=2):
        cell = lines.cell(i, 1)
        assert cell.value == text  # kept as typed…
        assert cell.data_type == "s"  # …as text, never a formula
        assert cell.quotePrefix
    user_texts = {"=HYPERLINK(\"http://evil.example\")", "+cmd", "-2+3", "=1"}
    seen = set()
    for ws in wb:
        for row in ws.iter_rows():
            for cell in row:
                if cell.value in user_texts:
                    assert cell.data_type == "s", (ws.title, cell.coordinate)
                    seen.add(cell.value)
    assert seen == user_texts
    # and in the file itself, no <f> element holds user text
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        xml = "".join(z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/"))
    formulas = re.findall(r"<f>(.*?)</f>", xml)
    assert formulas and not any("HYPERLINK" in f or "cmd" in f or "evil" in f for f in formulas)


def test_malicious_text_is_inert_in_markdown():
    s = scenario_from_data(scenario_data(
        name="[clic](http://evil.example) <script>",
        cost_lines=[cl("| col | ![img](x)", "external_services", "60000")]))
    md = export_markdown(s, evaluate(s))
    assert "](http" not in md.replace("\\](http", "") and "<script>" not in md
    assert "\\| col \\|" in md


#: Text a spreadsheet may read as a formula although it does not start with « = + - @ »: the
#: fullwidth and small forms, and a formula after spaces or invisible characters.
LOOKALIKES = ["＝HYPERLINK(\"http://evil.example\")", "＋cmd", "－2+3", "＠SUM(A1)", "﹦1+1", "﹢1",
              "﹣1", "﹫x", "\u200b=1+1", "\u200c+1", "\u200d-1", "\u2060@SUM(A1)", "\ufeff=1+1",
              "\u200b\ufeff＝1", "\u3000=1", "  +1", "\u00a0\u200b =1"]
NOT_FORMULAS = ["Prestation", "1 = 1", "e-mail", "R&D", "a@b.fr", "— tiret", "¨=1", "'=1",
                "\u200bPrestation", "（=1）", ""]


def test_neutralise_sees_through_look_alikes_and_invisible_characters():
    for text in LOOKALIKES:
        assert exports.looks_like_formula(text), repr(text)
        assert neutralise(text) == "'" + text  # the text itself as typed
    for text in NOT_FORMULAS:
        assert not exports.looks_like_formula(text), repr(text)
        assert neutralise(text) == text


def _lookalike_scenario():
    return scenario_from_data(scenario_data(
        name=LOOKALIKES[0], applicant={"name": LOOKALIKES[1], "kind": "state_administration"},
        cost_lines=[cl(label, "external_services", "60000") for label in LOOKALIKES],
        milestones=[{"label": LOOKALIKES[3], "month": 2, "impact": True}],
        indicators={"impact": [{"name": LOOKALIKES[8], "unit": LOOKALIKES[2], "baseline": "1",
                                "target": "2"}]}))


def test_look_alike_formulas_are_neutralised_in_csv():
    s = _lookalike_scenario()
    rows = list(csv.reader(io.StringIO(export_csv(s, evaluate(s)).decode("utf-8-sig"),
                                       newline=""), delimiter=";"))
    assert [r[0] for r in rows[1:]] == ["'" + ln.label for ln in s.cost_lines]
    for row in rows[1:]:
        assert not any(exports.looks_like_formula(cell) for cell in row)


def test_look_alike_formulas_keep_the_quote_prefix_in_xlsx():
    s = _lookalike_scenario()
    wb = load_workbook(io.BytesIO(export_xlsx(s, evaluate(s))))
    lines = wb[LINES_SHEET]
    for i, ln in enumerate(s.cost_lines, start=2):
        cell = lines.cell(i, 1)
        assert cell.value == ln.label and cell.data_type == "s" and cell.quotePrefix, ln.label
    _no_user_formula(wb)


#: What the export's own formulas are made of: these functions, and these texts.
EXPORT_FUNCTIONS = {"SUM", "SUMIF", "ROUND", "ROUNDDOWN", "ROUNDUP", "IF"}
EXPORT_STRINGS = {"HT", "—", exports.OUT_OF_BASE, exports.labels.STATUSES["ineligible"],
                  exports.labels.CATEGORIES["training"], ""}


def _no_user_formula(wb) -> None:
    """Every cell a spreadsheet could run is a formula the export wrote (its functions, its
    texts, references to cells); every text that looks like a formula is a text cell with
    Excel's quote prefix."""
    for ws in wb:
        for row in ws.iter_rows():
            for cell in row:
                where = (ws.title, cell.coordinate, cell.value)
                if cell.data_type == "f":
                    literals = re.findall(r'"((?:[^"]|"")*)"', cell.value)
                    assert set(literals) <= EXPORT_STRINGS, where
                    code = re.sub(r'"(?:[^"]|"")*"', '""', cell.value)
                    assert set(re.findall(r"([A-Z][A-Z0-9.]*)\(", code)) <= EXPORT_FUNCTIONS, where
                elif isinstance(cell.value, str) and exports.looks_like_formula(cell.value):
                    assert cell.data_type == "s" and cell.quotePrefix, where


def test_text_that_xml_cannot_hold_does_not_break_the_exports(tmp_path):
    s = load(ROOT / "examples" / "migration-pi.json")
    # characters the scenario format refuses, forced in: the writers must be safe on their own
    bad = "Nom\x01\x0b\x1f\ufffe\uffff fin"
    surrogate = "\ud800"
    s = s.model_copy(update={
        "name": bad, "applicant": s.applicant.model_copy(update={"name": "\x00DNUM"}),
        "cost_lines": [ln.model_copy(update={"label": f"\x08{ln.label}\x7f"})
                       for ln in s.cost_lines],
        "milestones": [m.model_copy(update={"label": "\x0c" + m.label}) for m in s.milestones],
        "migration": s.migration.model_copy(update={"applications": [f"app{surrogate}"]})})
    e = evaluate(s)
    wb = load_workbook(io.BytesIO(export_xlsx(s, e, exported_at=WHEN)))
    assert wb[SUMMARY_SHEET].cell(2, 1).value == "Nom\ufffd\ufffd\ufffd\ufffd\ufffd fin"
    assert wb[LINES_SHEET].cell(2, 1).value == f"\ufffd{s.cost_lines[0].label[1:-1]}\x7f"
    assert wb.properties.title == "Synthèse — Nom\ufffd\ufffd\ufffd\ufffd\ufffd fin"
    assert export_csv(s, e).startswith(b"\xef\xbb\xbf")
    assert export_markdown(s, e).startswith("# Nom")
    assert b"app?" in exports.export(s, e, "md")
    for fmt in exports.FORMATS:
        assert exports.export(s, e, fmt)
    pdf = export_pdf(s, e, charts=False)
    assert pdf.startswith(b"%PDF") and _pages(pdf) <= exports.PDF_MAX_PAGES
    text = _text(pdf, tmp_path)
    if text is not None:
        assert "Nom? ??? fin" in text  # (the vertical tab as a space)


def _md_cells(row: str) -> list[str]:
    """The cells of a Markdown table row, split at its unescaped pipes."""
    return re.split(r"(?<!\\)\|", row.strip())[1:-1]


def _shown(markdown: str) -> str:
    """What a CommonMark reader shows for inline text: each backslash escape as its character
    (an escaped « & » starts no entity)."""
    return re.sub(r"\\(.)", r"\1", markdown.strip())


def test_markdown_shows_user_text_as_typed_and_on_its_line():
    s = load(ROOT / "examples" / "migration-pi.json")
    # \r and U+2028 forced in (the scenario format turns them into spaces)
    first, second, *rest = s.cost_lines
    s = s.model_copy(update={"name": "Nom\r===", "cost_lines": [
        first.model_copy(update={"label": "a\u2028b|c"}),
        second.model_copy(update={"label": "R&amp;D"}), *rest]})
    md = export_markdown(s, evaluate(s))
    lines = md.splitlines()  # (str.splitlines breaks at \r, \v, \f, U+0085, U+2028, U+2029)
    assert lines[:2] == ["# Nom ===", ""]  # a heading on one line, never a setext underline
    header = lines.index("| Libellé | Catégorie | Saisi | HT | TVA | TTC | Assiette | Mois |")
    rows = lines[header + 2:header + 2 + len(s.cost_lines)]
    assert [len(_md_cells(r)) for r in rows] == [8] * len(s.cost_lines)
    assert [_shown(_md_cells(r)[0]) for r in rows[:2]] == ["a b|c", "R&amp;D"]
    assert "R&amp;D" not in md  # never decoded to « R&D » by a reader


def test_markdown_escapes_every_user_text():
    marker = "R&amp;D\r|*x*"
    s = load(ROOT / "examples" / "migration-pi.json")
    s = s.model_copy(update={
        "name": marker, "applicant": s.applicant.model_copy(update={"name": marker}),
        "migration": s.migration.model_copy(update={"applications": [marker, marker]}),
        "extension": Extension(clouds=["pi"], services=["KMS"], third_party_commitments=1)
        .model_copy(update={"services": [marker]}),
        "cost_lines": [ln.model_copy(update={"label": marker}) for ln in s.cost_lines],
        "milestones": [m.model_copy(update={"label": marker}) for m in s.milestones],
        "indicators": s.indicators.model_copy(update={"impact": [
            i.model_copy(update={"name": marker, "unit": marker})
            for i in s.indicators.impact]})})
    md = export_markdown(s, evaluate(s))
    assert "\r" not in md and not re.search(r"(?<!\\)[&*|]amp|(?<!\\)\*x", md)
    escaped = escape_markdown(marker)
    points = sum(1 + max(len(i.targets), 1) for i in s.indicators.impact)
    assert md.count(escaped) == (1 + 1 + 2 + 1 + len(s.cost_lines) + len(s.milestones)
                                 + 2 * points)


# --- CSV and Markdown -----------------------------------------------------------------------------

def test_csv_for_excel_fr():
    s = TRICKY
    e = evaluate(s)
    data = export_csv(s, e)
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert "\r\n" in text
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    assert rows[0] == list(exports.LINE_COLUMNS)
    assert len(rows) == 1 + len(e.lines)
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["Montant saisi"] == "100000,01" and first["Montant TTC"] == "120000,01"
    assert first["Taux de TVA"] == "20 %" and first["Base"] == "HT" and first["Assiette"] == "Éligible"
    half = dict(zip(rows[0], rows[2], strict=True))
    assert half["Taux de TVA"] == "5,5 %" and half["Montant TTC"] == "1,06"
    assert not any("." in r[3] for r in rows[1:])  # decimal comma everywhere


def test_markdown_summary():
    s = load(ROOT / "examples" / "migration-pi.json")
    e = evaluate(s)
    md = export_markdown(s, e, exported_at=WHEN)
    assert md.startswith("# Migration de l’application")
    assert f"## Statut : {e.status_label}" in md
    assert "| Coût total TTC | 234\u202f000,00\u00a0€ |" in md
    assert "Impact réel en moins de 6 mois : Oui" in md
    for c in e.checks:
        assert c.message in md and c.source in md
    assert "Règles 2023-03-10.1" in md and "1er février 2027 à 9 h 05" in md


def test_markdown_lists_at_most_the_cap_of_lines(monkeypatch):
    monkeypatch.setattr(exports.text, "MARKDOWN_MAX_LINES", 2)  # where the Markdown reads it
    md = export_markdown(TRICKY, evaluate(TRICKY))
    assert "Prestation A" in md and "Saisie TTC |" not in md
    assert "… et 5 autres lignes" in md


# --- PDF ------------------------------------------------------------------------------------------

def _pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf))


def _text(pdf: bytes, tmp_path: Path) -> str | None:
    if not shutil.which("pdftotext"):
        return None
    path = tmp_path / "x.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True)
    return out.stdout.decode("utf-8")


def _heavy_scenario():
    """Every kind of check and 45 lines: the PDF must still fit on two pages."""
    lines = [cl(f"Ligne {i} — prestation d’intégration n° {i}", cat, "20000.00", start=1 + i % 12,
                end=12 + i % 30)
             for i, cat in enumerate(["external_services", "training", "other", "hardware",
                                      "internal_staff"] * 9)]
    return scenario_from_data(scenario_data(
        name="Très long nom de scénario pour vérifier que le titre passe sur deux lignes sans "
             "déborder de la page A4 imprimée",
        applicant={"kind": "other"},
        migration={"origin": "trusted_cloud", "target": "other", "applications": ["A", "B"]},
        extension={"clouds": ["pi", "nubo"], "services": ["KMS"], "third_party_commitments": 0},
        cost_lines=lines, milestones=[{"label": "Fin", "month": 20, "impact": True}],
        indicators={}))


def _page_text(pdf: bytes, tmp_path: Path, first: int, last: int | None = None) -> str | None:
    """The text of pages ``first`` to ``last`` as one line (pdftotext), or None without
    pdftotext."""
    if not shutil.which("pdftotext"):
        return None
    path = tmp_path / "p.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-f", str(first), "-l", str(last or first), "-layout",
                          str(path), "-"], capture_output=True, check=True)
    return " ".join(out.stdout.decode("utf-8").split())


def _words(text: str) -> str:
    return " ".join(text.split())


def _summary_is_on_page_one(pdf: bytes, e, tmp_path: Path) -> str | None:
    """Page 1 holds the summary: status in words, key figures, six-month flag, the blocking
    reasons (or the count of those left to the annex); the annexes start on page 2."""
    page1 = _page_text(pdf, tmp_path, 1)
    if page1 is None:
        return None
    assert f"Statut : {e.status_label}" in page1
    assert "Chiffres clés" in page1
    for figure in (e.total_cost_ttc, e.eligible_base_ttc, e.cofinancing_ttc,
                   e.own_contribution_ttc):
        assert _words(exports.eur(figure)) in page1, figure
    assert "Impact réel en moins de 6 mois : " + _words(exports.six_month_text(e))[:40] in page1
    assert "Points bloquants" in page1
    blocking = e.checks_of("blocking")
    if not blocking:
        assert "Aucun point bloquant." in page1
    shown = [c for c in blocking if _words(c.message)[:40] in page1]
    assert shown == blocking[:len(shown)] and shown or not blocking
    if len(shown) < len(blocking):
        assert f"… et {len(blocking) - len(shown)} autre(s) point(s) bloquant(s)" in page1
    assert "Annexe 1 — Contrôles" not in page1
    assert _page_text(pdf, tmp_path, 2).startswith(
        "Simulation — Guichet de financement : Adoption du Cloud de confiance (DINUM, FTAP) "
        "Annexe 1 — Contrôles")
    return page1


@pytest.mark.parametrize("scenario", SCENARIOS + [pytest.param(_heavy_scenario(), id="heavy")])
def test_pdf_summary_page_then_annexes(scenario, tmp_path, request):
    e = evaluate(scenario)
    # with the charts (a child process each time) for two of them: the charts' layout has its
    # own tests
    charts = request.node.callspec.id in ("migration-pi", "heavy")
    pdf = export_pdf(scenario, e, exported_at=WHEN, charts=charts)
    assert pdf.startswith(b"%PDF")
    assert 2 <= _pages(pdf) <= exports.PDF_MAX_PAGES and len(pdf) <= exports.PDF_MAX_BYTES
    if _summary_is_on_page_one(pdf, e, tmp_path) is None:
        pytest.skip("pdftotext absent (poppler-utils)")
    flat = _text(pdf, tmp_path)
    flat = " ".join(flat.split())
    assert "Règles 2023-03-10.1" in flat and "1er février 2027" in flat
    assert "Annexe 2 — Indicateurs" in flat
    assert " ".join(exports.eur(e.total_cost_ttc).split()) in flat  # « € », U+202F drawn
    annexes = flat[flat.index("Annexe 1 — Contrôles"):]
    for c in e.checks:  # every check, with its advice, in annex 1
        assert " ".join(c.message.split())[:40] in annexes
    assert "Retour sur investissement" in annexes
    assert " ".join(" ".join(exports.payback_parts(e)).split())[:40] in annexes
    for r in e.impact_indicators:
        assert " ".join(exports.impact_parts(r)[0].split()) in annexes


CJK = "雲への移行計画と予算の説明文" * 25  # 350 characters


def _hostile_scenario(indicators: int = 20, label: str = CJK[:300]):
    """Every text at its longest in Chinese/Japanese (no spaces to break lines at), 20 impact
    indicators with 10 dated targets each, 300 lines, 200 milestones, every kind of check."""
    return scenario_from_data(scenario_data(
        name=label, applicant={"name": label, "kind": "other"},
        migration={"origin": "trusted_cloud", "target": "other", "applications": [label] * 40},
        extension={"clouds": ["pi", "nubo"], "services": [label] * 40,
                   "third_party_commitments": 0},
        cost_lines=[cl(label, cat, "999999999.99", start=1 + i % 100, end=120)
                    for i, cat in enumerate(["external_services", "training", "other",
                                             "hardware"] * 75)],
        milestones=[{"label": label, "month": 1 + i % 120, "impact": False} for i in range(200)],
        indicators={"impact": [{"name": label, "unit": label, "baseline": "-999999999.5",
                                "targets": [{"month": 1 + j, "value": str(10 ** j)}
                                            for j in range(10)]}
                               for _ in range(indicators)]}))


def test_pdf_first_page_is_the_summary_whatever_the_input(tmp_path):
    s = _hostile_scenario()
    e = evaluate(s)
    assert e.status == "ineligible" and len(e.impact_indicators) == 20
    pdf = export_pdf(s, e, exported_at=WHEN, charts=False)
    assert _pages(pdf) <= exports.PDF_MAX_PAGES and len(pdf) <= exports.PDF_MAX_BYTES
    page1 = _summary_is_on_page_one(pdf, e, tmp_path)
    if page1 is None:
        pytest.skip("pdftotext absent (poppler-utils)")
    assert "Annexes : 1 — Contrôles ; 2 — Indicateurs." in page1
    # 100 indicators: the annex is cut at its two pages, and says where the others are
    s = _hostile_scenario(indicators=100)
    pdf = export_pdf(s, evaluate(s), exported_at=WHEN, charts=False)
    assert _pages(pdf) <= exports.PDF_MAX_PAGES
    flat = " ".join(_text(pdf, tmp_path).split())
    cut = re.search(r"… et (\d+) autre\(s\) indicateur\(s\), voir le classeur XLSX \(feuille "
                    r"« Indicateurs »\)\.", flat)
    assert cut and 0 < int(cut.group(1)) < 100


def test_pdf_with_every_chart_stays_within_its_caps(tmp_path):
    s = _hostile_scenario()
    e = evaluate(s)
    pdf = export_pdf(s, e, exported_at=WHEN)
    assert _images(pdf) >= 3
    assert _pages(pdf) <= exports.PDF_MAX_PAGES and len(pdf) <= exports.PDF_MAX_BYTES
    if _summary_is_on_page_one(pdf, e, tmp_path) is None:
        pytest.skip("pdftotext absent (poppler-utils)")
    flat = " ".join(_text(pdf, tmp_path).split())
    assert "Annexe 3 — Graphiques" in flat


def test_pdf_says_words_not_only_colours(tmp_path):
    s = _heavy_scenario()
    pdf = export_pdf(s, evaluate(s), exported_at=WHEN)
    text = _text(pdf, tmp_path)
    if text is None:
        pytest.skip("pdftotext absent (poppler-utils)")
    flat = " ".join(text.split())
    for word in ("Bloquant", "Réserve", "Information", "Conseil :", "Impact réel en moins de 6 mois"):
        assert word in flat


def test_pdf_indicators_block(tmp_path):
    s = savings_scenario(current_annual_run_cost_ttc="90000", target_annual_run_cost_ttc="50000",
                         agents_trained=4, agents_cloud_context=1, impact=IMPACT)
    e = evaluate(s)
    pdf = export_pdf(s, e, exported_at=WHEN, charts=False)
    assert 2 <= _pages(pdf) <= exports.PDF_MAX_PAGES
    text = _text(pdf, tmp_path)
    if text is None:
        pytest.skip("pdftotext absent (poppler-utils)")
    flat = " ".join(text.split())
    flat = flat[flat.index("Annexe 2 — Indicateurs"):]
    for words in ("40 000,00 € par an (coût annuel de fonctionnement : actuel 90 000,00 € − visé "
                  "50 000,00 €)",
                  "19 mois d’économies pour couvrir le reste à charge (61 500,01 €)",
                  "Économies cumulées sur 5 ans TTC 200 000,00 €",
                  "4 formés ; 1 travaillant dans un contexte Cloud",
                  "0,1 → 40 déploiements par mois en M12 (2 cibles datées)",  # (the label wraps)
                  "DORA : Faible → Élite",
                  "mesure actuelle non renseignée → 120 comptes en M18",
                  "48 → 4 h (cible non datée)",
                  "70 % ; aucune cible ; bande DORA actuelle : Élevée, moyenne ou faible"):
        assert words in flat.replace("\u00a0", " ").replace("\u202f", " "), words
    e = evaluate(savings_scenario(annual_savings_ttc="-1000"))
    flat = " ".join(_text(export_pdf(savings_scenario(annual_savings_ttc="-1000"), e, charts=False),
                          tmp_path).split())
    assert "— (pas d’économies annuelles positives)" in flat
    assert "Indicateurs d’impact aucun indicateur d’impact saisi" in flat


def _fake_charts(fail: bool = False, payback: str | None = None, title: str | None = None,
                 spec: dict | None = None):
    """A stand-in for guichet.present.charts; ``payback``: None (no payback chart), "normal" or "tall";
    ``title``: the title of every chart (default: its maker's name); ``spec``: the Vega-Lite spec
    every chart returns."""
    import altair as alt
    import pandas as pd

    def maker(name):
        def chart(*_args):
            if fail:
                raise RuntimeError("boom")
            if spec is not None:
                return dict(spec)
            data = pd.DataFrame({"x": ["a", "b"], "y": [1, 2]})
            return alt.Chart(data, title=title or name).mark_bar().encode(x="x", y="y")
        return chart

    module = types.ModuleType("guichet.present.charts")
    for name in ("costs_by_category_chart", "funding_split_chart", "monthly_spend_chart",
                 "timeline_chart"):
        setattr(module, name, maker(name))
    if payback is not None:
        chart = maker("payback_chart")
        module.payback_chart = ((lambda *a: chart(*a).properties(height=3000))
                                if payback == "tall" else chart)
    return module


def _use_charts(monkeypatch, module):
    monkeypatch.setitem(sys.modules, "guichet.present.charts", module)
    monkeypatch.setattr("guichet.present.charts", module, raising=False)


def test_pdf_payback_chart_only_with_positive_savings_and_room(monkeypatch, tmp_path):
    s = load(ROOT / "examples" / "migration-pi.json")  # 42 000 € a year: payback in 36 months
    e = evaluate(s)
    _use_charts(monkeypatch, _fake_charts(payback="normal"))
    pdf = export_pdf(s, e)
    assert _images(pdf) == 5 and _pages(pdf) <= exports.PDF_MAX_PAGES
    # no positive savings: nothing to cumulate, no payback chart
    bad = savings_scenario(annual_savings_ttc="-1000")
    assert _images(export_pdf(bad, evaluate(bad))) == 4
    # a chart taller than a page cannot be drawn in the annex: it is left out, and said so
    _use_charts(monkeypatch, _fake_charts(payback="tall"))
    monkeypatch.setitem(exports.pdf_charts.CHART_HEIGHTS, "payback", 400.0)
    pdf = export_pdf(s, e)
    assert _images(pdf) == 4 and _pages(pdf) <= exports.PDF_MAX_PAGES
    text = _text(pdf, tmp_path)
    if text is not None:
        flat = " ".join(text.split())
        assert ("Graphiques non repris faute de place : Économies cumulées et reste à charge."
                in flat)
        assert "Source :" in flat


def test_pdf_byte_cap_leaves_out_the_payback_chart_first(monkeypatch, tmp_path):
    s = load(ROOT / "examples" / "migration-pi.json")
    e = evaluate(s)
    _use_charts(monkeypatch, _fake_charts(payback="normal"))
    full = export_pdf(s, e)
    assert _images(full) == 5
    monkeypatch.setattr(exports.pdf, "PDF_MAX_BYTES", len(full) - 1)  # where export_pdf reads it
    capped = export_pdf(s, e)
    assert len(capped) <= len(full) - 1 and _images(capped) == 4
    text = _text(capped, tmp_path)
    if text is not None:
        assert ("Graphiques non repris faute de place : Économies cumulées et reste à charge."
                in " ".join(text.split()))


def _images(pdf: bytes) -> int:
    return len(re.findall(rb"/Subtype\s*/Image", pdf))


def test_pdf_draws_the_charts_and_survives_without_them(monkeypatch, tmp_path):
    s = load(ROOT / "examples" / "migration-pi.json")
    e = evaluate(s)
    without = export_pdf(s, e, charts=False)
    assert _images(without) == 0 and _pages(without) <= exports.PDF_MAX_PAGES
    _use_charts(monkeypatch, _fake_charts())
    with_fake = export_pdf(s, e)
    assert _images(with_fake) == 4 and _pages(with_fake) <= exports.PDF_MAX_PAGES
    _use_charts(monkeypatch, _fake_charts(fail=True))
    failing = export_pdf(s, e)
    assert failing.startswith(b"%PDF") and _images(failing) == 0
    text = _text(failing, tmp_path)
    if text is not None:
        assert "Annexe 3 — Graphiques Graphiques non disponibles" in " ".join(text.split())


def test_pdf_renders_the_real_charts_when_present():
    pytest.importorskip("guichet.present.charts")
    s = load(ROOT / "examples" / "secnumcloud-applications.json")
    pdf = export_pdf(s, evaluate(s))
    assert _images(pdf) >= 2 and _pages(pdf) <= exports.PDF_MAX_PAGES


def test_pdf_without_a_unicode_font_falls_back(monkeypatch):
    monkeypatch.setattr(exports.pdf, "find_font", lambda: None)  # where export_pdf calls it
    s = load(ROOT / "examples" / "migration-pi.json")
    pdf = export_pdf(s, evaluate(s), charts=False)
    assert pdf.startswith(b"%PDF") and _pages(pdf) <= exports.PDF_MAX_PAGES
    s = _hostile_scenario()
    pdf = export_pdf(s, evaluate(s), charts=False)
    assert pdf.startswith(b"%PDF") and _pages(pdf) <= exports.PDF_MAX_PAGES


def test_chart_png_has_the_requested_width():
    import altair as alt
    import pandas as pd
    chart = alt.Chart(pd.DataFrame({"x": ["a"], "y": [1]})).mark_bar().encode(x="x", y="y")
    png = exports.render_chart_png(chart, width_px=300, scale=1)
    width, _ = exports._png_size(png)
    assert 300 <= width <= 400  # the plot's width plus its axis


# --- no chart can take the process down ----------------------------------------------------------

#: A text vl-convert cannot draw: it aborts the whole process that calls it (a Rust panic, not
#: an exception).
PANIC_TITLE = "Prestation \x01"
SLOW_SPEC = {"data": {"sequence": {"start": 0, "stop": 200000, "as": "x"}}, "mark": "point",
             "encoding": {"x": {"field": "x", "type": "quantitative"},
                          "y": {"field": "x", "type": "quantitative"}}}


def _aborts_vl_convert(spec: dict) -> bool:
    """Whether vl-convert, called on ``spec`` in a throwaway process, kills that process."""
    code = ("import json, sys, vl_convert; "
            "vl_convert.vegalite_to_png(json.loads(sys.stdin.read()), scale=1)")
    run = subprocess.run([sys.executable, "-c", code], input=json.dumps(spec), text=True,
                         cwd=ROOT, capture_output=True, timeout=60, check=False)
    return run.returncode < 0  # ended by a signal (SIGABRT), not by an exception


def test_a_chart_that_aborts_vl_convert_gives_a_pdf_without_charts(tmp_path):
    s = load(ROOT / "examples" / "migration-pi.json")
    # a milestone label that the scenario format refuses, forced in: the rendering must be safe
    # on its own
    s = s.model_copy(update={"cost_lines": [ln.model_copy(update={"label": PANIC_TITLE})
                                            for ln in s.cost_lines]})
    from guichet.present import charts
    assert _aborts_vl_convert(charts.timeline_chart(s, evaluate(s)).to_dict())
    pdf = export_pdf(s, evaluate(s), exported_at=WHEN)  # this test process survives it
    assert pdf.startswith(b"%PDF") and _images(pdf) == 0
    assert _pages(pdf) <= exports.PDF_MAX_PAGES
    text = _text(pdf, tmp_path)
    if text is not None:
        flat = " ".join(text.split())
        assert exports.CHARTS_UNAVAILABLE in flat
        assert "Statut : Éligible" in flat  # the rest of the dossier is there


def test_rendering_runs_every_chart_in_one_child_with_limits(monkeypatch):
    from guichet.io import render
    calls = []
    real_run = subprocess.run

    def spy(args, **kwargs):
        calls.append((args, kwargs))
        return real_run(args, **kwargs)

    monkeypatch.setattr(render.subprocess, "run", spy)
    s = load(ROOT / "examples" / "migration-pi.json")
    pdf = export_pdf(s, evaluate(s))
    assert _images(pdf) == 5 and len(calls) == 1  # five charts, one child
    args, kwargs = calls[0]
    assert args[:2] == [sys.executable, "-I"] and args[2].endswith("render.py")
    assert kwargs["timeout"] == render.TIMEOUT == 30
    assert args[args.index("--memory") + 1] == str(2 * 1024 ** 3)
    # the memory limit is the child's: far too little memory, and the child fails, not this one
    ok = exports.chart_spec(_fake_charts().funding_split_chart())
    assert render.render_pngs([ok], memory_limit=128 * 1024 ** 2) is None
    assert render.render_pngs([ok])[0].startswith(b"\x89PNG")


def test_a_chart_that_takes_too_long_gives_a_pdf_without_charts(monkeypatch, tmp_path):
    from guichet.io import render
    monkeypatch.setattr(render, "TIMEOUT", 1.5)
    _use_charts(monkeypatch, _fake_charts(spec=SLOW_SPEC))
    s = load(ROOT / "examples" / "migration-pi.json")
    started = time.perf_counter()
    pdf = export_pdf(s, evaluate(s))
    assert time.perf_counter() - started < 10
    assert pdf.startswith(b"%PDF") and _images(pdf) == 0
    text = _text(pdf, tmp_path)
    if text is not None:
        assert exports.CHARTS_UNAVAILABLE in " ".join(text.split())


def test_render_chart_png_raises_an_exception_not_an_abort():
    with pytest.raises(exports.ChartRenderError):
        exports.render_chart_png({"title": PANIC_TITLE, "data": {"values": [{"x": 1}]},
                                  "mark": "point", "encoding": {"x": {"field": "x",
                                                                      "type": "quantitative"}}})


# --- the export command ---------------------------------------------------------------------------

@pytest.mark.parametrize("fmt,magic", [("xlsx", b"PK\x03\x04"), ("pdf", b"%PDF"),
                                       ("csv", b"\xef\xbb\xbfLibell"), ("md", b"# ")])
def test_cli_export_writes_each_format(tmp_path, fmt, magic, capsys):
    out = tmp_path / f"dossier.{fmt}"
    code = main(["export", str(ROOT / "examples" / "migration-pi.json"), "--format", fmt,
                 "-o", str(out), "--reading", "eligible_base"])
    assert code == 0
    assert out.read_bytes().startswith(magic)
    if fmt == "md":
        assert "Taille sur l’assiette éligible" in out.read_text(encoding="utf-8")
    if fmt == "csv":
        assert len(import_cost_lines(out.read_bytes()).lines) == 4


def test_cli_export_format_from_extension_and_stdin(tmp_path, monkeypatch):
    out = tmp_path / "dossier.xlsx"
    data = (ROOT / "examples" / "migration-pi.json").read_bytes()
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(data)))
    assert main(["export", "-", "-o", str(out)]) == 0
    assert out.read_bytes().startswith(b"PK")


@pytest.mark.parametrize("args,message", [
    (["export", "{file}", "--format", "xlsx", "-o", "{out}"], "JSON mal formé"),
    (["export", "absent.json", "--format", "pdf", "-o", "{out}"], "fichier introuvable"),
    (["export", "{good}", "-o", "{tmp}/sans-extension"], "format d’export à préciser"),
    (["export", "{good}", "--format", "csv", "-o", "{tmp}/nulle/part/x.csv"], "dossier introuvable"),
])
def test_cli_export_bad_input_exits_2(tmp_path, capsys, args, message):
    bad = tmp_path / "bad.json"
    bad.write_text("{", encoding="utf-8")
    values = {"file": str(bad), "out": str(tmp_path / "x.out"), "tmp": str(tmp_path),
              "good": str(ROOT / "examples" / "migration-pi.json")}
    assert main([a.format(**values) for a in args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("Erreur : ") and message in err and "Traceback" not in err


def test_cli_export_invalid_scenario_and_unknown_format(tmp_path, capsys):
    bad = tmp_path / "invalid.json"
    bad.write_text('{"schema_version": 1, "name": "x"}', encoding="utf-8")
    assert main(["export", str(bad), "--format", "md", "-o", str(tmp_path / "x.md")]) == 2
    assert "applicant" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["export", str(bad), "--format", "docx", "-o", str(tmp_path / "x.docx")])
    assert exc.value.code == 2


def test_cli_export_as_a_subprocess(tmp_path):
    out = tmp_path / "d.pdf"
    run = subprocess.run([sys.executable, "-m", "guichet", "export",
                          str(ROOT / "examples" / "extension-nubo.json"), "--format", "pdf",
                          "-o", str(out)], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert out.read_bytes().startswith(b"%PDF")
    run = subprocess.run([sys.executable, "-m", "guichet", "export", "-", "--format", "pdf",
                          "-o", str(out)], cwd=ROOT, input="pas du json", capture_output=True,
                         text=True)
    assert run.returncode == 2 and run.stderr.startswith("Erreur : ")


def test_importing_the_exports_imports_neither_openpyxl_nor_fpdf():
    """The app imports guichet.io.exports when a page loads: the heavy writers wait for a file."""
    code = ("import sys, guichet.io.exports; "
            "print(sorted(m for m in ('openpyxl', 'fpdf') if m in sys.modules))")
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"
