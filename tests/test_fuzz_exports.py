"""Every export of generated valid scenarios (hypothesis): no exception, no formula a person's
text could smuggle into a spreadsheet, a PDF within its caps.

The texts mix any character the scenario format accepts with what attacks or breaks exports:
formula characters and their fullwidth and small look-alikes, zero-width characters and byte
order marks, CJK at the longest length, HTML entities, Markdown specials, line separators.
Amounts and rates range over what the format allows. The PDF is made without its charts (a
child process each time), but for a few examples.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal

from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from pydantic import ValidationError
from test_properties import APPLICANT_KINDS, operations

from guichet.engine.evaluate import evaluate
from guichet.engine.models import MAX_AMOUNT, MAX_MONTH, MAX_TEXT, Scenario
from guichet.io import exports
from guichet.io.exports import LINES_SHEET, export, export_pdf, looks_like_formula, neutralise

FUZZ = settings(derandomize=True, deadline=None, max_examples=30, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

NONCHARACTERS = ("".join(chr(c) for c in range(0xFDD0, 0xFDF0))
                 + "".join(chr(p * 0x10000 + 0xFFFE + i) for p in range(17) for i in (0, 1)))
#: Any character the format accepts: no control characters, lone surrogates, noncharacters.
any_char = st.characters(exclude_categories=("Cc", "Cs"), exclude_characters=NONCHARACTERS)
FORMULA_LOOKALIKES = "=+-@＝＋－＠﹦﹢﹣﹫⁼⁺₌₊"
INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", " ", "\u00a0", "\u3000",
             "\u2028", "\u2029"]
TOKENS = [*FORMULA_LOOKALIKES, *INVISIBLE, "HYPERLINK(\"http://evil.example\",\"clic\")",
          "cmd|' /C calc'!A0", "SUM(A1:A9)", "&amp;", "&lt;b&gt;", "&#x41;", "&nbsp;", "R&D",
          "|", "*", "_", "[lien](http://evil.example)", "![img](x)", "<script>", "#", "`", "\\",
          "$x$", "~~", ":", "雲", "漢字の", "한국어", "Prestation", " ", "'", '"', ";", "1,5",
          "€", "\u202f"]

hostile = st.lists(st.sampled_from(TOKENS), min_size=1, max_size=12).map("".join)
text = st.one_of(
    st.text(any_char, max_size=40),
    hostile,
    st.text(st.sampled_from("|*_[]()<>#`\\!~$:&=+-@＝＋－＠\u200b\ufeff\u2028"), min_size=1,
            max_size=12),
    st.tuples(st.lists(st.sampled_from(INVISIBLE), max_size=3).map("".join),
              st.sampled_from(FORMULA_LOOKALIKES), st.text(any_char, max_size=20))
    .map("".join),
    st.text(st.sampled_from("雲漢字の移行計画予算說明"), min_size=250, max_size=MAX_TEXT),
).map(lambda t: t[:MAX_TEXT])

money = st.one_of(st.decimals(min_value=0, max_value=5_000_000, places=2),
                  st.decimals(min_value=0, max_value=1000, places=6),
                  st.decimals(min_value=0, max_value=MAX_AMOUNT, places=0))
signed = st.decimals(min_value=-MAX_AMOUNT, max_value=MAX_AMOUNT, places=2)
months = st.integers(min_value=1, max_value=MAX_MONTH)


@st.composite
def cost_lines(draw) -> dict:
    start = draw(months)
    line = {"label": draw(text),
            "category": draw(st.sampled_from(["external_services", "internal_staff", "training",
                                              "hardware", "software", "cloud_resources",
                                              "functional_changes", "other"])),
            "amount": str(draw(money)), "basis": draw(st.sampled_from(["ht", "ttc"])),
            "start_month": start, "end_month": draw(st.integers(start, MAX_MONTH))}
    vat = draw(st.one_of(st.none(), st.decimals(min_value=0, max_value=1, places=4)))
    if vat is not None:
        line["vat_rate"] = str(vat)
    return line


@st.composite
def impact(draw) -> dict:
    out = {"name": draw(text), "unit": draw(text)}
    if draw(st.booleans()):
        out["baseline"] = str(draw(signed))
    out["targets"] = [{"month": draw(months), "value": str(draw(signed))}
                      for _ in range(draw(st.integers(0, 3)))]
    if draw(st.booleans()):
        out["preset"] = draw(st.sampled_from(["deployment_frequency", "lead_time",
                                              "time_to_restore", "change_success_rate", "service_usage"]))
    return out


@st.composite
def scenarios(draw) -> Scenario:
    migration, extension = operations(text, max_commitments=1000)
    data = {
        "schema_version": 1,
        "name": draw(text),
        "applicant": {"name": draw(st.one_of(st.none(), text)),
                      "kind": draw(st.sampled_from(APPLICANT_KINDS))},
        "migration": draw(migration),
        "extension": draw(extension),
        "start_date": draw(st.dates(dt.date(2000, 1, 1), dt.date(2099, 12, 31))).isoformat(),
        "cost_lines": draw(st.lists(cost_lines(), min_size=1, max_size=8)
                           | st.lists(cost_lines(), max_size=1)),
        "milestones": draw(st.lists(st.fixed_dictionaries({
            "label": text, "month": months, "impact": st.booleans()}), max_size=4)),
        "requested_rate": str(draw(st.decimals(min_value=Decimal("0.0001"),
                                               max_value=Decimal("0.5"), places=4))),
        "indicators": draw(st.fixed_dictionaries({}, optional={
            "annual_savings_ttc": signed.map(str),
            "current_annual_run_cost_ttc": money.map(str),
            "target_annual_run_cost_ttc": money.map(str),
            "agents_trained": st.integers(0, 10_000_000),
            "agents_cloud_context": st.integers(0, 10_000_000),
            "impact": st.lists(impact(), max_size=4)})),
    }
    try:
        return Scenario.model_validate(data)
    except ValidationError:  # (the format's own limits; rare with these strategies)
        reject()


#: What the export's own formulas are made of: these functions, and these texts.
EXPORT_FUNCTIONS = {"SUM", "SUMIF", "ROUND", "ROUNDDOWN", "ROUNDUP", "IF"}
EXPORT_STRINGS = {"HT", "—", exports.OUT_OF_BASE, exports.labels.STATUSES["ineligible"],
                  exports.labels.CATEGORIES["training"], ""}


def _check_xlsx(data: bytes, s: Scenario) -> None:
    wb = load_workbook(io.BytesIO(data))
    for ws in wb:
        for row in ws.iter_rows():
            for cell in row:
                where = (ws.title, cell.coordinate, cell.value)
                if cell.data_type == "f":  # one of the export's formulas, nothing typed
                    assert set(re.findall(r'"((?:[^"]|"")*)"', cell.value)) <= EXPORT_STRINGS, where
                    code = re.sub(r'"(?:[^"]|"")*"', '""', cell.value)
                    assert set(re.findall(r"([A-Z][A-Z0-9.]*)\(", code)) <= EXPORT_FUNCTIONS, where
                elif isinstance(cell.value, str) and looks_like_formula(cell.value):
                    assert cell.data_type == "s" and cell.quotePrefix, where
    lines = wb[LINES_SHEET]
    assert [lines.cell(i, 1).value or "" for i in range(2, 2 + len(s.cost_lines))] == \
        [ln.label for ln in s.cost_lines]  # as typed


def _check_csv(data: bytes, s: Scenario) -> None:
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert len(rows) == 1 + len(s.cost_lines)
    for row, ln in zip(rows[1:], s.cost_lines, strict=True):
        assert not any(looks_like_formula(cell) for cell in row), row
        assert row[0] == neutralise(ln.label) and row[0].endswith(ln.label)


#: Markdown's special characters: in a person's text, each must come escaped.
MD_SPECIALS = set("\\`*_{}[]()#+-.!|<>~$:&")


def _shown_if_inert(markdown: str) -> str:
    """What a reader shows for ``markdown``, checking that each special character in it is
    escaped (so none is markup): a backslash escape shows its character, and the word joiner that
    keeps an address from becoming a link shows nothing."""
    markdown = markdown.replace("\u2060", "")
    out, i = [], 0
    while i < len(markdown):
        ch = markdown[i]
        if ch == "\\":
            assert i + 1 < len(markdown) and markdown[i + 1] in MD_SPECIALS, markdown
            out.append(markdown[i + 1])
            i += 2
            continue
        assert ch not in MD_SPECIALS, (ch, markdown)
        out.append(ch)
        i += 1
    return "".join(out)


def _check_markdown(md: str, s: Scenario) -> None:
    lines = md.splitlines()
    assert _shown_if_inert(lines[0][2:]) == s.name.strip() or not s.name.strip()
    header = lines.index("| Libellé | Catégorie | Saisi | HT | TVA | TTC | Assiette | Mois |")
    shown = min(len(s.cost_lines), exports.MARKDOWN_MAX_LINES)
    for row, ln in zip(lines[header + 2:header + 2 + shown], s.cost_lines, strict=False):
        cells = re.split(r"(?<!\\)\|", row)
        assert len(cells) == 10, row  # 8 cells, whatever the label
        assert _shown_if_inert(cells[1].strip()) == ln.label.strip()  # as typed


@FUZZ
@given(scenarios())
def test_every_export_of_any_valid_scenario(s):
    e = evaluate(s)
    for fmt in ("xlsx", "csv", "md"):
        data = export(s, e, fmt)
        assert isinstance(data, bytes) and data
    _check_xlsx(export(s, e, "xlsx"), s)
    _check_csv(export(s, e, "csv"), s)
    _check_markdown(export(s, e, "md").decode("utf-8"), s)
    pdf = export_pdf(s, e, charts=False)
    assert pdf.startswith(b"%PDF") and len(pdf) <= exports.PDF_MAX_BYTES
    assert len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf)) <= exports.PDF_MAX_PAGES


@settings(FUZZ, max_examples=3)
@given(scenarios())
def test_the_pdf_with_its_charts_of_any_valid_scenario(s):
    pdf = export(s, evaluate(s), "pdf")
    assert pdf.startswith(b"%PDF") and len(pdf) <= exports.PDF_MAX_BYTES
    assert len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf)) <= exports.PDF_MAX_PAGES


@settings(FUZZ, max_examples=300)
@given(st.lists(st.sampled_from(INVISIBLE), max_size=4).map("".join),
       st.sampled_from(FORMULA_LOOKALIKES), st.text(any_char, max_size=30))
def test_a_formula_behind_invisible_characters_is_always_neutralised(prefix, trigger, rest):
    value = prefix + trigger + rest
    assert looks_like_formula(value)
    assert neutralise(value) == "'" + value


@settings(FUZZ, max_examples=300)
@given(st.text(any_char, max_size=40))
def test_neutralise_keeps_any_text_as_typed(value):
    assert neutralise(value) in (value, "'" + value)
    assert not looks_like_formula(neutralise(value))
