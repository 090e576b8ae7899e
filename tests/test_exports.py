"""Exports: XLSX formulas give the engine's figures, CSV/Markdown/PDF content, formula injection,
the ``export`` command."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import shutil
import subprocess
import sys
import types
import zipfile
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from guichet import exports
from guichet.cli import main
from guichet.evaluate import evaluate
from guichet.exports import (LINES_SHEET, SUMMARY_SHEET, export_csv, export_markdown, export_pdf,
                             export_xlsx, neutralise)
from guichet.loading import load_scenario, scenario_from_data
from guichet.imports import import_cost_lines

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
# SUM, SUMIF, ROUND, ROUNDDOWN, IF, + - * /, = <>, cell references and ranges (optionally on another
# sheet), numbers and strings. Decimal arithmetic, like a spreadsheet's « what you see » rounding.

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
            if isinstance(left, str) or isinstance(right, str):
                a, b = str(left or "").casefold(), str(right or "").casefold()
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
            v = _num(v) + _num(w) if op == "+" else _num(v) - _num(w)
        return v

    def term(self):
        v = self.unary()
        while self.peek() in (("op", "*"), ("op", "/")):
            op = self.take()[1]
            w = self.unary()
            v = _num(v) * _num(w) if op == "*" else _num(v) / _num(w)
        return v

    def unary(self):
        if self.peek() == ("op", "-"):
            self.take()
            return -_num(self.unary())
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
        if name in ("ROUND", "ROUNDDOWN"):
            x, digits = _num(args[0]), int(_num(args[1]))
            q = Decimal(1).scaleb(-digits)
            return x.quantize(q, rounding=ROUND_HALF_UP if name == "ROUND" else ROUND_DOWN)
        if name == "IF":
            cond, yes, no = args
            return yes if cond else no
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
    monkeypatch.setattr(exports, "MARKDOWN_MAX_LINES", 2)
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


@pytest.mark.parametrize("scenario", SCENARIOS + [pytest.param(_heavy_scenario(), id="heavy")])
def test_pdf_is_one_or_two_pages(scenario, tmp_path):
    e = evaluate(scenario)
    pdf = export_pdf(scenario, e, exported_at=WHEN)
    assert pdf.startswith(b"%PDF")
    assert 1 <= _pages(pdf) <= 2
    text = _text(pdf, tmp_path)
    if text is not None:
        flat = " ".join(text.split())
        assert f"Statut : {e.status_label}" in flat
        assert "Règles 2023-03-10.1" in flat and "1er février 2027" in flat
        assert "Contrôles" in flat and "Chiffres clés" in flat
        assert " ".join(exports.eur(e.total_cost_ttc).split()) in flat  # « € », U+202F drawn
        for c in e.checks:
            assert " ".join(c.message.split())[:40] in flat


def test_pdf_says_words_not_only_colours(tmp_path):
    s = _heavy_scenario()
    pdf = export_pdf(s, evaluate(s), exported_at=WHEN)
    text = _text(pdf, tmp_path)
    if text is None:
        pytest.skip("pdftotext absent (poppler-utils)")
    flat = " ".join(text.split())
    for word in ("Bloquant", "Réserve", "Information", "Conseil :", "Impact réel en moins de 6 mois"):
        assert word in flat


def _fake_charts(fail: bool = False):
    import altair as alt
    import pandas as pd

    def maker(name):
        def chart(*_args):
            if fail:
                raise RuntimeError("boom")
            data = pd.DataFrame({"x": ["a", "b"], "y": [1, 2]})
            return alt.Chart(data, title=name).mark_bar().encode(x="x", y="y")
        return chart

    module = types.ModuleType("guichet.charts")
    for name in ("costs_by_category_chart", "funding_split_chart", "monthly_spend_chart",
                 "timeline_chart"):
        setattr(module, name, maker(name))
    return module


def _images(pdf: bytes) -> int:
    return len(re.findall(rb"/Subtype\s*/Image", pdf))


def test_pdf_draws_the_charts_and_survives_without_them(monkeypatch):
    s = load(ROOT / "examples" / "migration-pi.json")
    e = evaluate(s)
    without = export_pdf(s, e, charts=False)
    assert _images(without) == 0 and 1 <= _pages(without) <= 2
    monkeypatch.setitem(sys.modules, "guichet.charts", _fake_charts())
    monkeypatch.setattr("guichet.charts", sys.modules["guichet.charts"], raising=False)
    with_fake = export_pdf(s, e)
    assert _images(with_fake) == 4 and 1 <= _pages(with_fake) <= 2
    monkeypatch.setitem(sys.modules, "guichet.charts", _fake_charts(fail=True))
    monkeypatch.setattr("guichet.charts", sys.modules["guichet.charts"], raising=False)
    failing = export_pdf(s, e)
    assert failing.startswith(b"%PDF") and _images(failing) == 0


def test_pdf_renders_the_real_charts_when_present():
    pytest.importorskip("guichet.charts")
    s = load(ROOT / "examples" / "secnumcloud-applications.json")
    pdf = export_pdf(s, evaluate(s))
    assert _images(pdf) >= 2 and 1 <= _pages(pdf) <= 2


def test_pdf_without_a_unicode_font_falls_back(monkeypatch):
    monkeypatch.setattr(exports, "find_font", lambda: None)
    s = load(ROOT / "examples" / "migration-pi.json")
    pdf = export_pdf(s, evaluate(s), charts=False)
    assert pdf.startswith(b"%PDF") and 1 <= _pages(pdf) <= 2


def test_chart_png_has_the_requested_width():
    import altair as alt
    import pandas as pd
    chart = alt.Chart(pd.DataFrame({"x": ["a"], "y": [1]})).mark_bar().encode(x="x", y="y")
    png = exports.render_chart_png(chart, width_px=300, scale=1)
    width, _ = exports._png_size(png)
    assert 300 <= width <= 400  # the plot's width plus its axis


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
