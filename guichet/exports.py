"""Export the dossier: XLSX workbook, CSV of cost lines, Markdown summary, printable PDF.

The same functions are behind the app's download buttons and ``python -m guichet export``.

- :func:`export_xlsx` — sheets « Synthèse », « Lignes de coût », « Contrôles », « Calendrier »,
  « Indicateurs ». The totals of the summary are Excel formulas over the lines sheet (``SUM``,
  ``SUMIF``, ``ROUND``, ``ROUNDDOWN``, ``IF``) next to the simulator's own value, so an
  instructor can audit them; so are the derived savings (current − target run cost), the payback
  (``ROUNDUP``) and the savings over the horizon. « Indicateurs » lists the mandatory indicators
  and every dated target of each impact indicator with its DORA band.
- :func:`export_csv` — the cost lines only, ``;`` separator, UTF-8 with BOM, decimal comma.
- :func:`export_markdown` — the summary as Markdown, indicators included.
- :func:`export_pdf` — an A4 dossier: page 1, always one page, is the summary (status in words,
  key figures, six-month flag, the blocking reasons, then the reserves and information as room
  allows); then « Annexe 1 — Contrôles » (advice and sources), « Annexe 2 — Indicateurs » and
  « Annexe 3 — Graphiques » (the charts of :mod:`guichet.charts`, rendered by vl-convert in a
  child process, :mod:`guichet.render`). At most :data:`PDF_MAX_PAGES` pages and
  :data:`PDF_MAX_BYTES` bytes, whatever the scenario.

Text the user typed is data, never a formula (CSV/formula injection): a text that
:func:`looks_like_formula` — after its leading spaces and zero-width characters, in NFKC form,
it starts with ``=``, ``+``, ``-`` or ``@``, or it starts with a tab or a carriage return — is
prefixed with an apostrophe in CSV; in XLSX every text is written as a text cell (``data_type
's'``), never as a formula, and such a text also gets Excel's « quote prefix ». XLSX text cells
go through :func:`xml_safe` (characters XML cannot hold become « � »). In Markdown, user text
goes through :func:`_md`.

Pure functions; no Streamlit.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import struct
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from guichet import labels
from guichet.evaluate import Check, Evaluation, ImpactResult
from guichet.figures import FIGURES
from guichet.figures import label as figure_label
from guichet.formatting import eur, escape_markdown, month_label, number, percent, slug
from guichet.indicators import load_presets
from guichet.models import Scenario
from guichet.rules import Rules, load_rules

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

LINES_SHEET = "Lignes de coût"
SUMMARY_SHEET = "Synthèse"
CHECKS_SHEET = "Contrôles"
CALENDAR_SHEET = "Calendrier"
INDICATORS_SHEET = "Indicateurs"

#: Columns of the lines sheet and of the CSV export (they re-import as cost lines).
LINE_COLUMNS = ("Libellé", "Catégorie", "Base", "Montant saisi", "Taux de TVA", "Montant HT",
                "Montant de TVA", "Montant TTC", "Assiette", "Mois de début", "Mois de fin")
IN_BASE = "Éligible"
OUT_OF_BASE = "Exclue"

LABEL_WIDTH = 50  # the label column of the lines sheet, in characters
LABEL_CHARS_PER_LINE = 55
MONEY_FORMAT = '#,##0.00\\ "€"'
INT_FORMAT = "#,##0"
MONTHS_FORMAT = '#,##0\\ "mois"'
YEARS_FORMAT = '0\\ "ans"'

#: The Markdown summary lists at most this many cost lines (the CSV and XLSX have them all).
MARKDOWN_MAX_LINES = 200

#: The figures of the summaries (Markdown, text), in order.
KEY_FIGURES = ("total_cost_ttc", "excluded_cost_ttc", "eligible_base_ttc", "project_size_ttc",
               "requested_rate", "potential_cofinancing_ttc", "cofinancing_ttc",
               "own_contribution_ttc")

DISCLAIMER = ("Simulation indicative établie à partir de la page publique du guichet : seule "
              "l’instruction du dossier par la DINUM fait foi.")


# --- small shared helpers -----------------------------------------------------------------------

def _invisible_or_space(ch: str) -> bool:
    """A character a spreadsheet skips, or a person does not see, before a formula: white space
    (spaces of every width, no-break spaces, tabs, line breaks) and the format characters
    (category Cf: zero-width space U+200B, joiners U+200C and U+200D, word joiner U+2060, byte
    order mark U+FEFF, soft hyphen, direction marks…)."""
    return ch.isspace() or unicodedata.category(ch) == "Cf"


def looks_like_formula(text: str) -> bool:
    """Whether a spreadsheet could read ``text`` as a formula: it starts with a tab or a carriage
    return, or — once the characters of :func:`_invisible_or_space` at its start are skipped and
    it is put in Unicode NFKC form, which turns the fullwidth and small forms ``＝ ＋ － ＠ ﹦ ﹢ ﹣
    ﹫`` (and the super- and subscript ``⁼ ⁺ ₌ ₊``) into ``= + - @`` — with ``=``, ``+``, ``-``
    or ``@``."""
    text = str(text)
    if text.startswith(FORMULA_TRIGGERS):
        return True
    i = 0
    while i < len(text) and _invisible_or_space(text[i]):
        i += 1
    # NFKC of the first visible characters is enough: a character's NFKC form depends only on it
    # and on the combining marks after it
    head = unicodedata.normalize("NFKC", text[i:i + 16])
    j = 0
    while j < len(head) and _invisible_or_space(head[j]):
        j += 1
    return head.startswith(FORMULA_TRIGGERS[:4], j)


def neutralise(text: str) -> str:
    """A CSV cell that no spreadsheet will run as a formula: text that :func:`looks_like_formula`
    gets a leading apostrophe; any other text is kept as typed."""
    text = str(text)
    return "'" + text if looks_like_formula(text) else text


#: Characters XML 1.0 cannot hold, so neither can an XLSX file (openpyxl raises
#: ``IllegalCharacterError`` for the control characters): C0 controls but tab, line feed and
#: carriage return; lone surrogates; U+FFFE and U+FFFF.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(text: str) -> str:
    """``text`` with each character XML cannot hold (:data:`_XML_ILLEGAL`) replaced by « � »
    (U+FFFD, the replacement character); any other text unchanged."""
    return _XML_ILLEGAL.sub("\ufffd", text)


def csv_decimal(value: Decimal) -> str:
    """« 150000,00 »: decimal comma, no thousands separator (Excel-fr reads it as a number)."""
    return f"{Decimal(value):f}".replace(".", ",")


def csv_rate(rate: Decimal) -> str:
    """« 20 % », « 5,5 % »."""
    pct = (Decimal(rate) * 100).normalize()
    return f"{pct:f}".replace(".", ",") + " %"


def _now() -> dt.datetime:
    try:
        from zoneinfo import ZoneInfo
        return dt.datetime.now(ZoneInfo("Europe/Paris")).replace(tzinfo=None)
    except Exception:  # pragma: no cover - no time zone database
        return dt.datetime.now()


MONTHS_FR = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
             "octobre", "novembre", "décembre")


def french_date(d: dt.date) -> str:
    """« 4 janvier 2027 », « 1er mars 2027 »."""
    day = "1er" if d.day == 1 else str(d.day)
    return f"{day} {MONTHS_FR[d.month - 1]} {d.year}"


def french_datetime(d: dt.datetime) -> str:
    """« 29 novembre 2025 à 22 h 40 »."""
    return f"{french_date(d)} à {d.hour} h {d.minute:02d}"


def month_period(start: dt.date, month: int) -> str:
    """The calendar month of project month ``month`` (month 1 = the start date's month)."""
    index = start.month - 1 + month - 1
    return f"{MONTHS_FR[index % 12]} {start.year + index // 12}"


def six_month_text(e: Evaluation, rules: Rules | None = None) -> str:
    horizon = int((rules or load_rules())["impact_horizon_months"].value)
    if e.first_impact_month is None:
        return "Non (aucun jalon n’apporte d’impact réel)"
    answer = "Oui" if e.six_month_impact else "Non"
    return (f"{answer} (premier jalon d’impact au mois {e.first_impact_month} ; horizon : "
            f"mois {horizon})")


def six_month_label(rules: Rules | None = None) -> str:
    """« Impact réel en moins de 6 mois », with the horizon of the rules file."""
    return figure_label("six_month_impact", rules)


def severity_word(severity: str) -> str:
    return labels.SEVERITIES[severity]


def operations_text(s: Scenario) -> list[str]:
    out = []
    if s.migration is not None:
        m = s.migration
        apps = f" ; applications : {', '.join(m.applications)}" if m.applications else ""
        out.append(f"Migration : {labels.ORIGINS[m.origin]} → {labels.TARGETS[m.target]}{apps}")
    if s.extension is not None:
        x = s.extension
        clouds = " et ".join(labels.CLOUDS[c] for c in x.clouds)
        services = f" ; services : {', '.join(x.services)}" if x.services else ""
        out.append(f"Extension des offres {clouds}{services} ; {x.third_party_commitments} "
                   "engagement(s) formalisé(s) de ministère tiers")
    return out or ["Aucune opération décrite"]


def applicant_text(s: Scenario) -> str:
    kind = labels.APPLICANT_KINDS[s.applicant.kind]
    return f"{s.applicant.name} ({kind})" if s.applicant.name else kind


def _key_figures(e: Evaluation) -> list[tuple[str, str]]:
    return [(figure_label(key), e.explanations[key].value) for key in KEY_FIGURES]


SAVINGS_SOURCES = {
    "declared": "déclarées par le porteur",
    "derived": "déduites des coûts annuels de fonctionnement, actuel − visé",
    None: "non renseignées",
}


def savings_parts(e: Evaluation, s: Scenario) -> tuple[str, str]:
    """(« 42 000,00 € par an », « (déclarées par le porteur) »), or « non renseignées »."""
    if e.annual_savings_ttc is None:
        return SAVINGS_SOURCES[None], ""
    if e.annual_savings_source == "derived":
        ind = s.indicators
        return (f"{eur(e.annual_savings_ttc)} par an",
                f"(coût annuel de fonctionnement : actuel {eur(ind.current_annual_run_cost_ttc)} − "
                f"visé {eur(ind.target_annual_run_cost_ttc)})")
    return f"{eur(e.annual_savings_ttc)} par an", f"({SAVINGS_SOURCES[e.annual_savings_source]})"


def payback_parts(e: Evaluation) -> tuple[str, str]:
    """(« 36 mois », what it means), or (« — », why there is none)."""
    if e.payback_months == 0:
        return "0 mois", "(aucun reste à charge à couvrir)"
    if e.payback_months is not None:
        return (f"{e.payback_months} mois",
                f"d’économies pour couvrir le reste à charge ({eur(e.own_contribution_ttc)})")
    if e.annual_savings_ttc is None:
        return "—", "(économies non renseignées)"
    return "—", "(pas d’économies annuelles positives)"


def horizon_savings_label(e: Evaluation) -> str:
    return figure_label("five_year_savings_ttc")


def _count(value: int | None) -> str:
    return number(value) if value is not None else "non renseigné"


def _indicator_figures(e: Evaluation, s: Scenario) -> list[tuple[str, str, str, str]]:
    """(key, label, value, comment) of the mandatory indicators and of what follows from them
    (Markdown, PDF); the key is the explanation's."""
    return [
        ("annual_savings_ttc", figure_label("annual_savings_ttc"), *savings_parts(e, s)),
        ("payback_months", figure_label("payback_months"), *payback_parts(e)),
        ("five_year_savings_ttc", horizon_savings_label(e),
         eur(e.five_year_savings_ttc) if e.five_year_savings_ttc is not None else "—", ""),
        ("agents_trained", "Agents formés", _count(e.agents_trained), ""),
        ("agents_cloud_context", "Agents travaillant dans un contexte Cloud",
         _count(e.agents_cloud_context), ""),
    ]


def _joined(value: str, comment: str) -> str:
    return f"{value} {comment}" if comment else value


def impact_parts(r: ImpactResult) -> tuple[str, str]:
    """An impact indicator on one line: (« 1 → 8 déploiements par mois », « en M9 ; bande DORA :
    Élevée → Élite »): the baseline, the last target, and the DORA band of each."""
    unit = f" {r.unit}" if r.unit else ""
    base = _num(r.baseline) if r.baseline is not None else "mesure actuelle non renseignée"
    if r.targets:
        last = r.targets[-1]
        value = f"{base} → {_num(last.value)}{unit}"
        comment = f"en {month_label(last.month)}" if last.month else "(cible non datée)"
        if len(r.targets) > 1:
            comment += f" ({len(r.targets)} cibles datées)"
        if r.baseline_band or last.band:
            comment += f" ; bande\u00a0DORA\u00a0: {r.baseline_band or '—'} → {last.band or '—'}"
    else:
        value = f"{base}{unit if r.baseline is not None else ''}"
        comment = "; aucune cible"
        if r.baseline_band:
            comment += f" ; bande\u00a0DORA actuelle\u00a0: {r.baseline_band}"
    return value, comment


def _severity_counts(e: Evaluation) -> str:
    parts = []
    for sev, one, many in (("blocking", "point bloquant", "points bloquants"),
                           ("warning", "réserve", "réserves"),
                           ("info", "information", "informations")):
        n = len(e.checks_of(sev))
        if n:
            parts.append(f"{n} {one if n == 1 else many}")
    return ", ".join(parts) if parts else "aucun contrôle à signaler"


# --- CSV ------------------------------------------------------------------------------------------

def _line_rows(e: Evaluation) -> list[list[str]]:
    return [[neutralise(ln.label), ln.category_label, labels.BASES[ln.basis], csv_decimal(ln.amount),
             csv_rate(ln.vat_rate), csv_decimal(ln.ht), csv_decimal(ln.vat), csv_decimal(ln.ttc),
             OUT_OF_BASE if ln.excluded else IN_BASE, str(ln.start_month), str(ln.end_month)]
            for ln in e.lines]


def export_csv(scenario: Scenario, evaluation: Evaluation) -> bytes:
    """The cost lines as CSV for Excel-fr: ``;``, UTF-8 with BOM, decimal comma, CRLF. User
    text is neutralised (:func:`neutralise`). The file re-imports with
    :func:`guichet.imports.import_cost_lines`."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(LINE_COLUMNS)
    writer.writerows(_line_rows(evaluation))
    # (a lone surrogate, which UTF-8 cannot hold and the scenario format refuses, as « ? »)
    return ("\ufeff" + out.getvalue()).encode("utf-8", errors="replace")


# --- Markdown -------------------------------------------------------------------------------------

def _md(text: Any) -> str:
    return escape_markdown(str(text))


def export_markdown(scenario: Scenario, evaluation: Evaluation, *,
                    exported_at: dt.datetime | None = None) -> str:
    """A Markdown summary: figures, status, six-month flag, checks with advice and source, cost
    lines, rules version and date. User text is escaped (never markup)."""
    e, s, rules = evaluation, scenario, load_rules()
    when = exported_at or _now()
    out = [f"# {_md(s.name)}", "",
           f"Simulation — {rules.title} ({rules.publisher}).", "",
           f"- Demandeur : {_md(applicant_text(s))}"]
    out += [f"- {_md(op)}" for op in operations_text(s)]
    out += [f"- Début du projet : {french_date(s.start_date)}",
            f"- Lecture de la taille du projet : {e.reading_label}", "",
            f"## Statut : {e.status_label}", "",
            f"{_severity_counts(e).capitalize()}.", "",
            f"{six_month_label(rules)} : {six_month_text(e, rules)}.", "",
            "## Chiffres clés", "", "| Indicateur | Montant |", "|---|---:|"]
    out += [f"| {label} | {value} |" for label, value in _key_figures(e)]
    out += ["", "## Contrôles", ""]
    if not e.checks:
        out.append("Aucun contrôle à signaler.")
    for c in e.checks:
        mark = " (hypothèse du simulateur)" if c.assumption else ""
        out.append(f"- **{severity_word(c.severity)}** — {c.message}")
        if c.advice:
            out.append(f"  - Conseil : {c.advice}")
        out.append(f"  - Source{mark} : « {c.source} »")
    out += ["", "## Dépenses par catégorie", "", "| Catégorie | Assiette | Lignes | Montant TTC |",
            "|---|---|---:|---:|"]
    for c in e.by_category:
        if c.lines:
            out.append(f"| {c.label} | {'Exclue' if c.excluded else 'Éligible'} | {c.lines} | "
                       f"{eur(c.ttc)} |")
    out += ["", "## Lignes de coût", "",
            "| Libellé | Catégorie | Saisi | HT | TVA | TTC | Assiette | Mois |",
            "|---|---|---:|---:|---:|---:|---|---|"]
    for ln in e.lines[:MARKDOWN_MAX_LINES]:
        months = (month_label(ln.start_month) if ln.start_month == ln.end_month
                  else f"{month_label(ln.start_month)} à {month_label(ln.end_month)}")
        out.append(f"| {_md(ln.label)} | {ln.category_label} | {eur(ln.amount)} "
                   f"{labels.BASES[ln.basis]} | {eur(ln.ht)} | {percent(ln.vat_rate, 2)} | "
                   f"{eur(ln.ttc)} | {'Exclue' if ln.excluded else 'Éligible'} | {months} |")
    if len(e.lines) > MARKDOWN_MAX_LINES:
        out += ["", f"… et {number(len(e.lines) - MARKDOWN_MAX_LINES)} autres lignes : le détail "
                    "complet est dans les exports CSV et XLSX."]
    if s.milestones:
        out += ["", "## Jalons", "", "| Jalon | Mois | Impact réel |", "|---|---|---|"]
        for m in sorted(s.milestones, key=lambda m: m.month):
            out.append(f"| {_md(m.label)} | {month_label(m.month)} "
                       f"({month_period(s.start_date, m.month)}) | {'Oui' if m.impact else 'Non'} |")
    out += ["", "## Indicateurs", ""]
    x = e.explanations
    for key, label, value, comment in _indicator_figures(e, s):
        out.append(f"- {label} : {_joined(value, comment)}")
        if key == "payback_months" and e.payback_months is not None:
            out.append(f"  - Calcul : {x[key].computation}")
    out += ["", "### Indicateurs d’impact", ""]
    if not e.impact_indicators:
        out.append("Aucun indicateur d’impact saisi.")
    else:
        out += ["| Indicateur | Unité | Point | Mois | Valeur | Bande DORA |",
                "|---|---|---|---|---:|---|"]
        for r in e.impact_indicators:
            for point, month, value, band in _impact_points(r, s.start_date):
                out.append(f"| {_md(r.name)} | {_md(r.unit) or '—'} | {point} | {month} | "
                           f"{value} | {band} |")
    out += ["", "---", "",
            f"Règles {e.rules_version} — {rules.source_label}. Exporté le {french_datetime(when)}.",
            "", DISCLAIMER, ""]
    return "\n".join(out)


def _num(value: Decimal | None) -> str:
    return "—" if value is None else number(value, decimals=6)


def _impact_cells(r: ImpactResult, start: dt.date) -> list[tuple[str, Any, Any, str]]:
    """(point, project month, value, DORA band) cells of the baseline and of each dated target:
    numbers where there are numbers, « — » where there is nothing."""
    rows: list[tuple[str, Any, Any, str]] = [
        ("Mesure actuelle", "aujourd’hui", _or_missing(r.baseline, "—"), r.baseline_band or "—")]
    for t in r.targets:
        rows.append(("Cible", t.month or "non datée", t.value, t.band or "—"))
    if not r.targets:
        rows.append(("Cible", "—", "non renseignée", "—"))
    return rows


def _impact_points(r: ImpactResult, start: dt.date) -> list[tuple[str, str, str, str]]:
    """(point, month, value, DORA band) of the baseline and of each dated target, in words."""
    rows = [("Mesure actuelle", "aujourd’hui", _num(r.baseline), r.baseline_band or "—")]
    for t in r.targets:
        month = (f"{month_label(t.month)} ({month_period(start, t.month)})" if t.month
                 else "non datée")
        rows.append(("Cible", month, _num(t.value), t.band or "—"))
    if not r.targets:
        rows.append(("Cible", "—", "non renseignée", "—"))
    return rows


# --- XLSX -----------------------------------------------------------------------------------------

def _quote(sheet: str) -> str:
    return "'" + sheet.replace("'", "''") + "'"


def _xl_string(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


class _Sheet:
    """A little writer over an openpyxl worksheet: text is always a text cell, with the
    characters XML cannot hold replaced (:func:`xml_safe`), and with Excel's « quote prefix »
    when it :func:`looks_like_formula`."""

    def __init__(self, ws, styles: dict):
        self.ws = ws
        self.st = styles
        self.row = 1

    def put(self, row: int, col: int, value: Any, *, fmt: str | None = None, style: str | None = None):
        cell = self.ws.cell(row=row, column=col)
        if isinstance(value, str):
            cell.value = xml_safe(value)
            cell.data_type = "s"  # text, even when it starts with « = »: never a formula
            if looks_like_formula(value):
                cell.quotePrefix = True  # and Excel keeps it text when the cell is edited
        elif isinstance(value, bool):
            cell.value = "Oui" if value else "Non"
        else:
            cell.value = value
        if fmt:
            cell.number_format = fmt
        if style:
            self.st[style](cell)
        return cell

    def formula(self, row: int, col: int, text: str, *, fmt: str | None = None,
                style: str | None = None):
        assert text.startswith("=")
        cell = self.ws.cell(row=row, column=col)
        cell.value = text
        cell.data_type = "f"
        if fmt:
            cell.number_format = fmt
        if style:
            self.st[style](cell)
        return cell

    def header(self, row: int, titles: list[str]) -> None:
        for i, title in enumerate(titles, start=1):
            self.put(row, i, title, style="header")

    def widths(self, *widths: float) -> None:
        from openpyxl.utils import get_column_letter
        for i, w in enumerate(widths, start=1):
            self.ws.column_dimensions[get_column_letter(i)].width = w


def _fit_heights(ws) -> None:
    """Row heights for wrapped text: spreadsheets do not grow a row for a merged cell, and not
    all of them do it on opening for the others."""
    import math

    from openpyxl.utils import get_column_letter

    def width(col: int) -> float:
        w = ws.column_dimensions[get_column_letter(col)].width
        return w or 8.43

    spans = {}
    for rng in ws.merged_cells.ranges:
        spans[(rng.min_row, rng.min_col)] = sum(width(c) for c in range(rng.min_col, rng.max_col + 1))
    for row in ws.iter_rows():
        lines = 1
        for cell in row:
            if isinstance(cell.value, str) and cell.alignment is not None and cell.alignment.wrap_text:
                chars = spans.get((cell.row, cell.column), width(cell.column)) * 1.15
                lines = max(lines, sum(math.ceil(max(len(part), 1) / chars)
                                       for part in cell.value.split("\n")))
        if lines > 1:
            ws.row_dimensions[row[0].row].height = 15 * lines


def _styles() -> dict[str, Callable]:
    from openpyxl.styles import Alignment, Font, PatternFill

    blue = PatternFill("solid", fgColor="000091")
    light = PatternFill("solid", fgColor="ECECFE")
    wrap = Alignment(wrap_text=True, vertical="top")

    def header(c):
        c.font = Font(bold=True, color="FFFFFF")
        c.fill = blue
        c.alignment = Alignment(wrap_text=True, vertical="center")

    def title(c):
        c.font = Font(bold=True, size=14, color="000091")

    def subtitle(c):
        c.font = Font(bold=True, size=12, color="161616")

    def bold(c):
        c.font = Font(bold=True)

    def total(c):
        c.font = Font(bold=True)
        c.fill = light

    def wrapped(c):
        c.alignment = wrap

    def mention(c):
        c.font = Font(italic=True, color="666666")
        c.alignment = wrap

    return {"header": header, "title": title, "subtitle": subtitle, "bold": bold, "total": total,
            "wrap": wrapped, "mention": mention}


def _status_fill(status: str):
    from openpyxl.styles import PatternFill
    colour = {"eligible": "B8FEC9", "eligible_with_reservations": "FFE9E6",
              "ineligible": "FFE9E9"}[status]
    return PatternFill("solid", fgColor=colour)


def _cap(text: str) -> str:
    """The first letter in upper case, the rest as it is (``str.capitalize`` lowers it)."""
    return text[:1].upper() + text[1:]


def _or_missing(value: Any, missing: str = "non renseigné") -> Any:
    return missing if value is None else value


def _fmt_if(value: Any, fmt: str) -> str | None:
    return None if value is None else fmt


def _rate_format(rate: Decimal) -> str:
    digits = max(0, -(Decimal(rate) * 100).normalize().as_tuple().exponent)
    return "0" + ("." + "0" * min(digits, 4) if digits else "") + "\\ %"


def export_xlsx(scenario: Scenario, evaluation: Evaluation, *,
                exported_at: dt.datetime | None = None) -> bytes:
    """The dossier as an XLSX workbook (see the module's docstring)."""
    from openpyxl import Workbook

    e, s, rules = evaluation, scenario, load_rules()
    when = exported_at or _now()
    styles = _styles()
    wb = Workbook()
    summary = _Sheet(wb.active, styles)
    summary.ws.title = SUMMARY_SHEET
    lines = _Sheet(wb.create_sheet(LINES_SHEET), styles)
    checks = _Sheet(wb.create_sheet(CHECKS_SHEET), styles)
    calendar = _Sheet(wb.create_sheet(CALENDAR_SHEET), styles)
    indicators = _Sheet(wb.create_sheet(INDICATORS_SHEET), styles)

    # « Lignes de coût »: one row per line; HT, VAT and TTC as formulas over the entered amount
    lines.header(1, list(LINE_COLUMNS))
    for r, ln in enumerate(e.lines, start=2):
        lines.put(r, 1, ln.label, style="wrap")
        if len(ln.label) > LABEL_CHARS_PER_LINE:
            lines.ws.row_dimensions[r].height = 15 * -(-len(ln.label) // LABEL_CHARS_PER_LINE)
        lines.put(r, 2, ln.category_label)
        lines.put(r, 3, labels.BASES[ln.basis])
        lines.put(r, 4, ln.amount, fmt=MONEY_FORMAT)
        lines.put(r, 5, ln.vat_rate, fmt=_rate_format(ln.vat_rate))
        lines.formula(r, 6, f'=IF(C{r}="HT",ROUND(D{r},2),IF(E{r}=0,H{r},ROUND(H{r}/(1+E{r}),2)))',
                      fmt=MONEY_FORMAT)
        lines.formula(r, 7, f"=ROUND(H{r}-F{r},2)", fmt=MONEY_FORMAT)
        lines.formula(r, 8, f'=IF(C{r}="HT",ROUND(D{r}*(1+E{r}),2),ROUND(D{r},2))', fmt=MONEY_FORMAT)
        lines.put(r, 9, OUT_OF_BASE if ln.excluded else IN_BASE)
        lines.put(r, 10, ln.start_month)
        lines.put(r, 11, ln.end_month)
    last = max(len(e.lines) + 1, 2)
    lines.widths(LABEL_WIDTH, 30, 7, 16, 11, 16, 15, 16, 10, 9, 9)
    lines.ws.freeze_panes = "B2"
    if e.lines:
        lines.ws.auto_filter.ref = f"A1:K{last}"

    L = _quote(LINES_SHEET)
    col = {name: f"{L}!${letter}$2:${letter}${last}"
           for name, letter in (("category", "B"), ("ttc", "H"), ("base", "I"))}

    # « Synthèse »
    ws = summary
    ws.put(1, 1, f"{rules.title} — synthèse du scénario", style="title")
    ws.put(2, 1, s.name, style="subtitle")
    ws.put(3, 1, DISCLAIMER, style="mention")
    ws.ws.merge_cells("A3:D3")
    ws.header(5, ["Chiffre", "Valeur (formule du classeur)", "Valeur du simulateur",
                  "Comment est-ce calculé ?"])
    x = e.explanations
    R = {}  # name -> row
    size_ref = "{total}" if rules.reading(e.reading).size_measure == "total_cost" else "{base}"
    # (key, label, formula with {key} references to other rows, engine value, format, explanation)
    rows: list[tuple[str, str, str | None, Any, str | None, str]] = [
        ("total", figure_label("total_cost_ttc"), f"=SUM({col['ttc']})", e.total_cost_ttc, MONEY_FORMAT,
         x["total_cost_ttc"].formula),
        ("excluded", figure_label("excluded_cost_ttc"),
         f'=SUMIF({col["base"]},"{OUT_OF_BASE}",{col["ttc"]})', e.excluded_cost_ttc, MONEY_FORMAT,
         x["excluded_cost_ttc"].formula),
        ("base", figure_label("eligible_base_ttc"), "=ROUND({total}-{excluded},2)", e.eligible_base_ttc,
         MONEY_FORMAT, x["eligible_base_ttc"].formula),
        ("size", figure_label("project_size_ttc"), "=" + size_ref, e.project_size_ttc, MONEY_FORMAT,
         x["project_size_ttc"].formula),
        ("rate", figure_label("requested_rate"), None, e.requested_rate,
         _rate_format(e.requested_rate), x["requested_rate"].formula),
        ("potential", figure_label("potential_cofinancing_ttc"), "=ROUNDDOWN(ROUND({rate}*{base},9),2)",
         e.potential_cofinancing_ttc, MONEY_FORMAT,
         x["potential_cofinancing_ttc"].formula + " L’arrondi intérieur à 9 décimales efface "
         "les erreurs de représentation binaire du tableur avant l’arrondi au centime inférieur."),
        ("status", figure_label("status"), None, e.status_label, None, x["status"].formula),
        ("cofinancing", figure_label("cofinancing_ttc"),
         f'=IF({{status}}={_xl_string(labels.STATUSES["ineligible"])},0,{{potential}})',
         e.cofinancing_ttc, MONEY_FORMAT, x["cofinancing_ttc"].formula),
        ("own", figure_label("own_contribution_ttc"), "=ROUND({total}-{cofinancing},2)",
         e.own_contribution_ttc, MONEY_FORMAT, x["own_contribution_ttc"].formula),
        ("training", figure_label("training_cost_ttc"),
         f'=SUMIF({col["category"]},{_xl_string(labels.CATEGORIES["training"])},{col["ttc"]})',
         e.training_cost_ttc, MONEY_FORMAT, FIGURES["training_cost_ttc"].formula_text()),
        ("training_share", figure_label("training_share"),
         '=IF({base}=0,"—",{training}/{base})',
         (e.training_cost_ttc / e.eligible_base_ttc) if e.eligible_base_ttc else "—",
         "0.0\\ %", x["training_share"].formula),
        ("six", six_month_label(rules), None, "Oui" if e.six_month_impact else "Non",
         None, six_month_text(e, rules)),
    ]
    # the mandatory indicators and what follows from them, under their own subtitle
    ind = s.indicators
    derived = e.annual_savings_source == "derived"
    savings_note = (" L’instructeur peut saisir un montant dans la colonne B pour voir le retour "
                    "sur investissement et les économies cumulées."
                    if e.annual_savings_ttc is None else "")
    current, target = ind.current_annual_run_cost_ttc, ind.target_annual_run_cost_ttc
    indicator_rows: list[tuple[str, str, str | None, Any, str | None, str]] = [
        ("run_current", "Coût annuel de fonctionnement actuel TTC", None, _or_missing(current),
         _fmt_if(current, MONEY_FORMAT),
         "Déclaré par le porteur : ce que coûte chaque année le fonctionnement avant le projet."),
        ("run_target", "Coût annuel de fonctionnement visé TTC", None, _or_missing(target),
         _fmt_if(target, MONEY_FORMAT),
         "Déclaré par le porteur : ce qu’il coûtera chaque année après le projet."),
        ("savings", figure_label("annual_savings_ttc"),
         "={run_current}-{run_target}" if derived else None,
         _or_missing(e.annual_savings_ttc, "non renseignées"), MONEY_FORMAT,
         f"{x['annual_savings_ttc'].formula} Ici : {x['annual_savings_ttc'].computation}."
         + savings_note),
        ("savings_source", "Origine des économies", None,
         _cap(SAVINGS_SOURCES[e.annual_savings_source]), None,
         "Déclarées si le porteur les saisit ; sinon déduites des deux coûts de fonctionnement, "
         "s’ils sont saisis tous les deux."),
        ("years", "Horizon des économies cumulées", None, e.savings_horizon_years, YEARS_FORMAT,
         rules["savings_horizon_years"].note or rules["savings_horizon_years"].title),
        ("payback", figure_label("payback_months"),
         f'=IF({{savings}}>0,ROUNDUP(ROUND({{own}}*12/{{savings}},9),0),{_xl_string("—")})',
         e.payback_months if e.payback_months is not None else "—", MONTHS_FORMAT,
         f"{x['payback_months'].formula} Ici : {x['payback_months'].computation}. L’arrondi "
         "intérieur à 9 décimales efface les erreurs de représentation binaire du tableur avant "
         "l’arrondi au mois supérieur."),
        ("horizon_savings", horizon_savings_label(e),
         f'=IF({{savings}}="",{_xl_string("—")},ROUND({{savings}}*{{years}},2))',
         e.five_year_savings_ttc if e.five_year_savings_ttc is not None else "—", MONEY_FORMAT,
         f"{x['five_year_savings_ttc'].formula} Arrondi au centime."),
        ("agents_trained", "Agents formés", None, _or_missing(e.agents_trained),
         _fmt_if(e.agents_trained, INT_FORMAT),
         "Déclaré par le porteur : agents formés à l’issue du projet (indicateur obligatoire)."),
        ("agents_cloud", "Agents travaillant dans un contexte Cloud", None,
         _or_missing(e.agents_cloud_context), _fmt_if(e.agents_cloud_context, INT_FORMAT),
         "Déclaré par le porteur : agents travaillant dans un contexte Cloud à l’issue du projet "
         "(indicateur obligatoire)."),
    ]
    # the B column, where it is not a formula and differs from the simulator's value
    b_values = {"savings": None} if e.annual_savings_ttc is None else {}
    first = 6
    for i, (key, *_rest) in enumerate(rows):
        R[key] = first + i
    indicators_title = first + len(rows) + 1
    for i, (key, *_rest) in enumerate(indicator_rows):
        R[key] = indicators_title + 1 + i
    refs = {k: f"B{v}" for k, v in R.items()}
    ws.put(indicators_title, 1, "Économies et agents (indicateurs obligatoires)", style="subtitle")
    for key, label, formula, value, fmt, explanation in rows + indicator_rows:
        r = R[key]
        ws.put(r, 1, label, style="bold")
        if formula is not None:
            ws.formula(r, 2, formula.format(**refs), fmt=fmt)
        elif key in b_values:
            ws.put(r, 2, b_values[key], fmt=fmt)
        else:
            ws.put(r, 2, value, fmt=fmt)
        ws.put(r, 3, value, fmt=fmt)
        ws.put(r, 4, explanation, style="wrap")
    ws.ws.cell(R["status"], 2).fill = _status_fill(e.status)
    ws.ws.cell(R["status"], 3).fill = _status_fill(e.status)

    r = indicators_title + len(indicator_rows) + 2
    ws.put(r, 1, "Contexte", style="subtitle")
    context = [
        ("Scénario", s.name),
        ("Demandeur", applicant_text(s)),
        *(("Opération", op) for op in operations_text(s)),
        ("Début du projet", french_date(s.start_date)),
        ("Statut et contrôles", f"{e.status_label} ({_severity_counts(e)})"),
        ("Lecture de la taille du projet", f"{e.reading_label} ({e.reading})"),
        ("Version des règles", e.rules_version),
        ("Page source", rules.source_label),
        ("Déposer le projet", rules.apply_url),
        ("Date de l’export", french_datetime(when)),
    ]
    for label, value in context:
        r += 1
        ws.put(r, 1, label, style="bold")
        ws.put(r, 2, value, style="wrap")
        ws.ws.merge_cells(start_row=r, start_column=2, end_row=r, end_column=4)

    r += 2
    ws.put(r, 1, "Dépenses par catégorie", style="subtitle")
    r += 1
    ws.header(r, ["Catégorie", "Montant TTC (formule)", "Montant TTC (simulateur)",
                  "Assiette ; nombre de lignes"])
    cat_first = r + 1
    for c in e.by_category:
        r += 1
        ws.put(r, 1, c.label)
        ws.formula(r, 2, f"=SUMIF({col['category']},A{r},{col['ttc']})", fmt=MONEY_FORMAT)
        ws.put(r, 3, c.ttc, fmt=MONEY_FORMAT)
        ws.put(r, 4, f"{'Exclue' if c.excluded else 'Éligible'} ; {c.lines} ligne(s)")
    r += 1
    ws.put(r, 1, "Total", style="total")
    ws.formula(r, 2, f"=SUM(B{cat_first}:B{r - 1})", fmt=MONEY_FORMAT, style="total")
    ws.put(r, 3, e.total_cost_ttc, fmt=MONEY_FORMAT, style="total")
    ws.widths(44, 24, 22, 90)
    ws.ws.freeze_panes = "A6"

    # « Contrôles »
    checks.header(1, ["Gravité", "Code", "Message", "Conseil", "Règle", "Hypothèse du simulateur",
                      "Phrase de la page source"])
    for r, c in enumerate(e.checks, start=2):
        checks.put(r, 1, severity_word(c.severity), style="bold")
        checks.put(r, 2, c.code)
        checks.put(r, 3, c.message, style="wrap")
        checks.put(r, 4, c.advice or "", style="wrap")
        checks.put(r, 5, rules[c.rule].title if c.rule in rules.rules else c.rule, style="wrap")
        checks.put(r, 6, "Oui" if c.assumption else "Non")
        checks.put(r, 7, c.source, style="wrap")
    if not e.checks:
        checks.put(2, 1, "Aucun contrôle à signaler.")
    checks.widths(13, 28, 60, 60, 30, 12, 70)
    checks.ws.freeze_panes = "A2"

    # « Calendrier »
    cal = calendar
    cal.put(1, 1, "Jalons", style="subtitle")
    cal.header(2, ["Jalon", "Mois du projet", "Mois calendaire", "Apporte un impact réel"])
    r = 2
    for m in sorted(s.milestones, key=lambda m: m.month):
        r += 1
        cal.put(r, 1, m.label, style="wrap")
        cal.put(r, 2, m.month)
        cal.put(r, 3, month_period(s.start_date, m.month))
        cal.put(r, 4, "Oui" if m.impact else "Non")
    if not s.milestones:
        r += 1
        cal.put(r, 1, "Aucun jalon saisi.")
    r += 1
    cal.put(r, 1, six_month_text(e, rules), style="mention")
    cal.ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=6)
    r += 2
    cal.put(r, 1, "Dépenses mensuelles (TTC, réparties également sur les mois de chaque ligne)",
            style="subtitle")
    r += 1
    cal.header(r, ["Mois du projet", "Mois calendaire", "Dans l’assiette éligible",
                   "Exclues de l’assiette", "Total du mois", "Cumul"])
    month_first = r + 1
    for m in e.monthly_schedule:
        r += 1
        cal.put(r, 1, month_label(m.month))
        cal.put(r, 2, month_period(s.start_date, m.month))
        cal.put(r, 3, m.eligible_ttc, fmt=MONEY_FORMAT)
        cal.put(r, 4, m.excluded_ttc, fmt=MONEY_FORMAT)
        cal.put(r, 5, m.total_ttc, fmt=MONEY_FORMAT)
        cal.put(r, 6, m.cumulative_ttc, fmt=MONEY_FORMAT)
    if e.monthly_schedule:
        r += 1
        cal.put(r, 1, "Total", style="total")
        cal.put(r, 2, "", style="total")
        for c_ in (3, 4, 5):
            letter = "CDE"[c_ - 3]
            cal.formula(r, c_, f"=SUM({letter}{month_first}:{letter}{r - 1})", fmt=MONEY_FORMAT,
                        style="total")
        cal.put(r, 6, "", style="total")
    cal.widths(44, 18, 22, 22, 18, 18)

    # « Indicateurs »
    ic = indicators
    ic.put(1, 1, "Indicateurs obligatoires", style="subtitle")
    ic.header(2, ["Indicateur", "Valeur", "Comment est-ce obtenu ?"])
    mandatory = [
        ("Coût annuel de fonctionnement actuel TTC", ind.current_annual_run_cost_ttc, MONEY_FORMAT,
         "Déclaré par le porteur."),
        ("Coût annuel de fonctionnement visé TTC", ind.target_annual_run_cost_ttc, MONEY_FORMAT,
         "Déclaré par le porteur."),
        (figure_label("annual_savings_ttc"), e.annual_savings_ttc, MONEY_FORMAT,
         _cap(x["annual_savings_ttc"].computation) + "."),
        (figure_label("payback_months"), e.payback_months, MONTHS_FORMAT,
         _cap(x["payback_months"].computation) + "."),
        (horizon_savings_label(e), e.five_year_savings_ttc, MONEY_FORMAT,
         _cap(x["five_year_savings_ttc"].computation) + "."),
        ("Agents formés", e.agents_trained, INT_FORMAT, "Déclaré par le porteur."),
        ("Agents travaillant dans un contexte Cloud", e.agents_cloud_context, INT_FORMAT,
         "Déclaré par le porteur."),
    ]
    r = 2
    for label, value, fmt, how in mandatory:
        r += 1
        ic.put(r, 1, label, style="bold")
        ic.put(r, 2, _or_missing(value, "—"), fmt=_fmt_if(value, fmt))
        ic.put(r, 3, how, style="wrap")
    r += 1
    ic.put(r, 1, f"« {rules['mandatory_indicators'].source} »", style="mention")
    ic.ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=7)

    r += 2
    ic.put(r, 1, "Indicateurs d’impact", style="subtitle")
    r += 1
    ic.header(r, ["Indicateur", "Unité", "Point", "Mois du projet", "Mois calendaire", "Valeur",
                  "Bande DORA"])
    header_row = r
    for res in e.impact_indicators:
        for point, month, value, band in _impact_cells(res, s.start_date):
            r += 1
            ic.put(r, 1, res.name, style="wrap")
            ic.put(r, 2, res.unit or "—", style="wrap")
            ic.put(r, 3, point)
            ic.put(r, 4, month)
            ic.put(r, 5, month_period(s.start_date, month) if isinstance(month, int) else "—")
            ic.put(r, 6, value)
            ic.put(r, 7, band)
    if not e.impact_indicators:
        r += 1
        ic.put(r, 1, "Aucun indicateur d’impact saisi.")
    elif r > header_row:
        ic.ws.auto_filter.ref = f"A{header_row}:G{r}"
    r += 1
    ic.put(r, 1, f"« {rules['impact_indicators_required'].source} »", style="mention")
    ic.ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=7)
    r += 1
    ic.put(r, 1, f"Bandes : {load_presets().source}. Ce sont des repères pour situer la mesure "
                 "actuelle et les cibles, pas des règles du guichet ; « — » : pas de bande "
                 "(indicateur libre, ou valeur non renseignée).", style="mention")
    ic.ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=7)
    ic.widths(48, 22, 16, 14, 18, 14, 26)

    for sheet in (summary, checks, calendar, indicators):  # the lines sheet is done as written
        _fit_heights(sheet.ws)
    wb.properties.title = xml_safe(f"Synthèse — {s.name}"[:255])
    wb.properties.creator = "Simulateur du guichet « Adoption du Cloud de confiance »"
    wb.properties.language = "fr-FR"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --- PDF ------------------------------------------------------------------------------------------

FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/truetype/liberation"),
             Path("/usr/share/fonts/dejavu"), Path("/usr/share/fonts/TTF"))
FONT_FILES = (("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSans-Oblique.ttf"),
              ("LiberationSans-Regular.ttf", "LiberationSans-Bold.ttf", "LiberationSans-Italic.ttf"))

# DSFR colours
BLUE_FRANCE = (0, 0, 145)
TITLE_GREY = (22, 22, 22)
TEXT_GREY = (58, 58, 58)
MENTION_GREY = (102, 102, 102)
BORDER_GREY = (229, 229, 229)
STATUS_COLOURS = {  # (text-safe colour, background)
    "eligible": ((24, 117, 60), (184, 254, 201)),
    "eligible_with_reservations": ((179, 64, 0), (255, 233, 230)),
    "ineligible": ((206, 5, 0), (255, 233, 233)),
}
SEVERITY_COLOURS = {"blocking": (206, 5, 0), "warning": (179, 64, 0), "info": (0, 99, 203)}

#: Characters replaced when the font lacks them (the last resort is « ? »).
_FALLBACK_CHARS = {"\u202f": "\u00a0", "\u2009": " ", "\u2212": "-", "’": "'", "‘": "'",
                   "…": "...", "≤": "<=", "≥": ">=", "→": "->", "—": "-", "–": "-", "€": "EUR",
                   "œ": "oe", "Œ": "OE", "«": '"', "»": '"'}


def find_font() -> tuple[Path, Path, Path] | None:
    """(regular, bold, italic) TTF files of a Unicode font on this system, or None."""
    for directory in FONT_DIRS:
        for names in FONT_FILES:
            paths = tuple(directory / n for n in names)
            if all(p.is_file() for p in paths):
                return paths  # type: ignore[return-value]
    return None


#: The PDF's bounds, whatever the scenario. Page 1 is the summary, alone on its page and never
#: longer; each annex then uses at most this many pages, counting the page it starts on (a long
#: list is cut with « … et N autres, voir le classeur XLSX »).
ANNEX_PAGES = {"checks": 2, "indicators": 2, "charts": 2}
#: At most this many pages in all.
PDF_MAX_PAGES = 1 + sum(ANNEX_PAGES.values())
#: At most this many bytes: above, charts are left out, the last one first, until it fits.
PDF_MAX_BYTES = 3 * 1024 * 1024
ANNEX_TITLES = {"checks": "Contrôles", "indicators": "Indicateurs", "charts": "Graphiques"}

#: Largest height of each chart in the PDF (mm).
CHART_HEIGHTS = {"funding": 42.0, "categories": 60.0, "timeline": 75.0, "monthly": 72.0,
                 "payback": 62.0}
CHART_TITLES = {"funding": "Financement du projet (TTC)", "categories": "Coûts par catégorie (TTC)",
                "timeline": "Calendrier du projet",
                "monthly": "Dépenses mensuelles et cumulées (TTC)",
                "payback": "Économies cumulées et reste à charge"}
#: The charts in the order of the annex; the payback chart is the first one left out.
CHART_ORDER = ("funding", "categories", "timeline", "monthly", "payback")
CHARTS_UNAVAILABLE = ("Graphiques non disponibles : leur rendu a échoué ou a dépassé le temps "
                      "imparti. Tous les chiffres sont dans ce document et dans le classeur XLSX.")


def _png_size(png: bytes) -> tuple[int, int]:
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    return struct.unpack(">II", png[16:24])


class ChartRenderError(RuntimeError):
    """A chart could not be rendered to PNG (the renderer failed, crashed or ran out of time)."""


def chart_spec(chart: Any, width_px: int = 520) -> dict:
    """The Vega-Lite spec of an altair chart (or a spec), at a fixed width (the app's charts
    leave the width to their container), on a white background."""
    spec = chart.to_dict() if hasattr(chart, "to_dict") else dict(chart)
    if not any(k in spec for k in ("hconcat", "vconcat", "concat", "facet", "repeat")):
        spec["width"] = width_px
    spec.setdefault("background", "white")
    return spec


def render_chart_png(chart: Any, width_px: int = 520, scale: float = 2.0) -> bytes:
    """An altair chart as PNG bytes, rendered by vl-convert in a child process
    (:mod:`guichet.render`); raises :class:`ChartRenderError` when it cannot be."""
    from guichet import render
    pngs = render.render_pngs([chart_spec(chart, width_px)], scale=scale)
    if not pngs or pngs[0] is None:
        raise ChartRenderError("le graphique n’a pas pu être dessiné")
    return pngs[0]


@dataclass
class _Charts:
    """The PNG of each chart drawn, and the charts that should have been drawn but failed."""

    images: dict[str, bytes]
    failed: list[str]


def _chart_images(scenario: Scenario, evaluation: Evaluation) -> _Charts:
    """The PNG of each chart of :mod:`guichet.charts` that has something to draw, all rendered
    in ONE child process (:func:`guichet.render.render_pngs`). A chart that fails — its maker
    raises, vl-convert rejects it, or the child crashes or runs out of time — is listed in
    ``failed``: the PDF says so, and still has every figure in words."""
    try:
        from guichet import charts
    except Exception:
        return _Charts({}, [])
    makers = {
        "funding": ("funding_split_chart", lambda f: f(evaluation), 520),
        "categories": ("costs_by_category_chart", lambda f: f(evaluation), 520),
        "timeline": ("timeline_chart", lambda f: f(scenario, evaluation), 720),
        "monthly": ("monthly_spend_chart", lambda f: f(evaluation), 720),
        "payback": ("payback_chart", lambda f: f(evaluation), 720),
    }
    # a chart with nothing to draw would only say so: the PDF leaves it out
    if not evaluation.lines:
        makers = {k: v for k, v in makers.items()
                  if k == "timeline" and scenario.milestones}
    if evaluation.payback_months is None:  # no positive savings: nothing to cumulate
        makers.pop("payback", None)
    specs: dict[str, dict] = {}
    failed: list[str] = []
    for key, (name, call, width) in makers.items():
        maker = getattr(charts, name, None)
        if maker is None:
            continue
        try:
            specs[key] = chart_spec(call(maker), width_px=width)
        except Exception:  # a chart that cannot be made is left out, never the whole PDF
            failed.append(key)
    if not specs:
        return _Charts({}, failed)
    from guichet import render
    pngs = render.render_pngs(list(specs.values()))
    if pngs is None:  # the child failed as a whole
        return _Charts({}, [k for k in CHART_ORDER if k in failed or k in specs])
    images = {}
    for key, png in zip(specs, pngs, strict=True):
        if png is None:
            failed.append(key)
        else:
            images[key] = png
    return _Charts(images, [k for k in CHART_ORDER if k in failed])


def export_pdf(scenario: Scenario, evaluation: Evaluation, *,
               exported_at: dt.datetime | None = None, charts: bool = True) -> bytes:
    """A printable A4 dossier in French. Page 1, always one page, is the summary: status in
    words, key figures, six-month flag, the blocking reasons (and the reserves). Then the
    annexes: 1 — the checks with advice and source, 2 — the indicators, 3 — the charts
    (``charts=False`` leaves them out). At most :data:`PDF_MAX_PAGES` pages and
    :data:`PDF_MAX_BYTES` bytes, whatever the scenario."""
    rendered = _chart_images(scenario, evaluation) if charts else _Charts({}, [])
    when = exported_at or _now()
    font = find_font()
    keys = [k for k in CHART_ORDER if k in rendered.images]
    too_big: list[str] = []
    while True:
        pdf = _SummaryPdf(scenario, evaluation, when, font,
                          {k: rendered.images[k] for k in keys}, rendered.failed, too_big,
                          charts and bool(rendered.images or rendered.failed))
        pdf.build()
        data = bytes(pdf.output())
        if (len(data) <= PDF_MAX_BYTES and pdf.pages_count <= PDF_MAX_PAGES) or not keys:
            return data
        too_big.insert(0, keys.pop())  # the last chart first: the payback chart


def _wrapmode(text: str):
    """Lines broken between words, or anywhere in a text with a « word » too long for a line
    (Chinese or Japanese, which has no spaces; a pasted identifier)."""
    from fpdf.enums import WrapMode
    return WrapMode.CHAR if _LONG_WORD.search(str(text)) else WrapMode.WORD


_LONG_WORD = re.compile(r"[^\s]{36}")


def _make_pdf_class():
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos

    class SummaryPdf(FPDF):
        def __init__(self, scenario, evaluation, when, font, images, failed, too_big,
                     chart_annex):
            super().__init__(orientation="P", unit="mm", format="A4")
            self.scn, self.ev, self.when, self.images = scenario, evaluation, when, images
            self.failed, self.too_big = failed, too_big
            self.rules = load_rules()
            self.annexes = [k for k in ("checks", "indicators", "charts")
                            if k != "charts" or chart_annex]
            self.annex: tuple[int, str] | None = None  # the annex being written
            self.on_summary: set[str] = set()  # charts drawn on page 1
            self.annex_first = self.annex_last = 0  # its pages
            self.set_margins(15, 16, 15)
            self.set_auto_page_break(True, margin=18)
            self.set_title(_printable(f"Synthèse — {scenario.name}"))
            self.set_author("Simulateur du guichet « Adoption du Cloud de confiance »")
            self.set_lang("fr-FR")
            if font:
                regular, bold, italic = font
                self.add_font("Sans", "", str(regular))
                self.add_font("Sans", "B", str(bold))
                self.add_font("Sans", "I", str(italic))
                self._family = "Sans"
                self._glyphs = _cmap(regular)
            else:
                self._family = "helvetica"
                self.core_fonts_encoding = "windows-1252"
                self._glyphs = None
            self.alias_nb_pages("{nb}")

        def multi_cell(self, *args, **kwargs):
            kwargs.setdefault("align", "L")  # ragged right: justified French text gets holes
            text = args[2] if len(args) > 2 else kwargs.get("text", "")
            kwargs.setdefault("wrapmode", _wrapmode(text))
            return super().multi_cell(*args, **kwargs)

        def write(self, h=None, text="", *args, **kwargs):
            kwargs.setdefault("wrapmode", _wrapmode(text))
            return super().write(h, text, *args, **kwargs)

        # --- text ---------------------------------------------------------------------------

        def tx(self, text: str) -> str:
            """Text that the font can draw: any other character (a control character, a glyph
            the font lacks) is replaced."""
            text = str(text).translate(_PDF_SPACES)
            if self._glyphs is None:
                return "".join(ch if _cp1252(ch) and (ch >= " " or ch == "\n") else
                               _FALLBACK_CHARS.get(ch, "?") for ch in text)
            return "".join(ch if (ord(ch) in self._glyphs and ch >= " ") or ch == "\n"
                           else _FALLBACK_CHARS.get(ch, "?") for ch in text)

        def lines_of(self, text: str, w: float, h: float) -> list[str]:
            return self.multi_cell(w, h, text, dry_run=True, output="LINES")

        def fit(self, text: str, w: float, h: float, max_lines: int) -> str:
            """``text`` (through :meth:`tx`) in at most ``max_lines`` lines of width ``w`` in the
            current font, cut with « … » if it is longer."""
            text = self.tx(text)
            cap = 250 * max_lines  # no line of a width we use holds more characters
            cut = len(text) > cap
            text = text[:cap]
            lines = self.lines_of(text, w, h)
            if len(lines) <= max_lines and not cut:
                return text
            n = min(len(text), sum(len(line) + 1 for line in lines[:max_lines]))
            while n > 0 and len(self.lines_of(text[:n].rstrip() + "…", w, h)) > max_lines:
                n -= max(1, n // 40)
            return text[:n].rstrip() + "…"

        def height(self, text: str, w: float, h: float) -> float:
            return len(self.lines_of(text, w, h)) * h if text else 0.0

        def use_font(self, size: float, style: str = "", colour=TEXT_GREY):
            self.set_font(self._family, style, size)
            self.set_text_color(*colour)

        def fitted_size(self, text: str, w: float, size: float, style: str = "B") -> float:
            """The largest font size up to ``size`` at which ``text`` holds on one line of
            width ``w`` (figures of a thousand billion euros stay in their box)."""
            while size > 5:
                self.set_font(self._family, style, size)
                if self.get_string_width(text) <= w:
                    break
                size -= 0.5
            return size

        # --- page furniture -----------------------------------------------------------------

        def header(self):
            self.set_fill_color(*BLUE_FRANCE)
            self.rect(0, 0, 210, 9, style="F")
            self.set_xy(15, 2)
            self.use_font(8, "B", (255, 255, 255))
            self.cell(0, 5, self.tx(f"Simulation — {self.rules.title} (DINUM, FTAP)"))
            self.set_y(14)
            if self.annex and self.page > self.annex_first:
                number, title = self.annex
                self.use_font(9, "B", BLUE_FRANCE)
                self.cell(0, 5, self.tx(f"Annexe {number} — {title} (suite)"),
                          new_x=XPos.LMARGIN, new_y=YPos.NEXT)
                self.ln(2)

        def footer(self):
            self.set_y(-14)
            self.set_draw_color(*BORDER_GREY)
            self.line(15, self.get_y(), 195, self.get_y())
            self.use_font(7, "", MENTION_GREY)
            self.set_y(-13)
            self.multi_cell(
                150, 3.4,
                self.tx(f"Règles {self.ev.rules_version} — page DINUM du "
                        f"{french_date(self.rules.source_date)} — exporté le "
                        f"{french_datetime(self.when)}. {DISCLAIMER}"),
                new_x=XPos.RIGHT, new_y=YPos.TOP)
            self.set_xy(165, -13)
            self.cell(30, 3.4, self.tx(f"Page {self.page_no()}/{{nb}}"), align="R")

        def heading(self, title: str):
            self.use_font(11.5, "B", BLUE_FRANCE)
            self.cell(0, 6.5, self.tx(title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            self.set_draw_color(*BLUE_FRANCE)
            self.line(self.l_margin, self.get_y(), self.l_margin + 24, self.get_y())
            self.ln(2)

        def annex_number(self, key: str) -> int:
            return self.annexes.index(key) + 1

        def start_annex(self, key: str, min_room: float = 40):
            """The heading « Annexe n — … », on a new page unless this one (not the summary)
            has ``min_room`` mm left; the annex may then use ANNEX_PAGES[key] pages."""
            self.annex = None
            if self.page == 1 or self.get_y() + 14 + min_room > self.page_break_trigger:
                self.add_page()
            self.annex = (self.annex_number(key), ANNEX_TITLES[key])
            self.annex_first = self.page
            self.annex_last = self.page + ANNEX_PAGES[key] - 1
            self.ln(1)
            self.use_font(13, "B", BLUE_FRANCE)
            self.cell(0, 7, self.tx(f"Annexe {self.annex[0]} — {self.annex[1]}"),
                      new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            self.set_draw_color(*BLUE_FRANCE)
            self.line(self.l_margin, self.get_y(), self.l_margin + 40, self.get_y())
            self.ln(3)

        def room(self, h: float, reserve: float = 0.0) -> bool:
            """Whether a block ``h`` mm high can be written in the current annex: here, or at
            the top of a next page within the annex's pages (added then)."""
            if self.get_y() + h <= self.page_break_trigger - reserve:
                return True
            if self.page < self.annex_last and h <= self.fresh_room() - reserve:
                self.add_page()
                return True
            return False

        def fresh_room(self) -> float:
            """The height a next page of the annex has (under the header and its « (suite) »)."""
            return self.page_break_trigger - 21

        def more_line(self, text: str):
            self.use_font(8.5, "I", MENTION_GREY)
            self.multi_cell(0, 4.4, self.tx(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

        # --- the whole document -------------------------------------------------------------

        def build(self):
            self.summary_page()
            self.checks_annex()
            self.indicators_annex()
            if "charts" in self.annexes:
                self.charts_annex()

        # --- page 1: the summary --------------------------------------------------------------

        def summary_page(self):
            """Everything on page 1, which never breaks: each block has a bounded height, and
            the lists stop where the page ends."""
            self.set_auto_page_break(False, margin=18)
            self.add_page()
            self.title_block()
            self.status_block()
            self.figures_block()
            note = self.annexes_note()
            self.use_font(7.5, "I", MENTION_GREY)
            note_h = self.height(note, self.epw, 3.6)
            limit = self.page_break_trigger - note_h - 2
            self.reasons_block(limit)
            self.summary_chart(limit)
            self.set_y(limit + 1)
            self.use_font(7.5, "I", MENTION_GREY)
            self.multi_cell(0, 3.6, note, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            self.set_auto_page_break(True, margin=18)

        def title_block(self):
            s, e = self.scn, self.ev
            self.use_font(16, "B", TITLE_GREY)
            self.multi_cell(0, 7.5, self.fit(s.name, self.epw, 7.5, 2),
                            new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            self.ln(1)
            self.use_font(9, "", TEXT_GREY)
            info = [(f"Demandeur : {applicant_text(s)}", 1),
                    *((op, 2) for op in operations_text(s)),
                    (f"Début du projet : {french_date(s.start_date)} — lecture : {e.reading_label}",
                     2)]
            for line, max_lines in info:
                self.multi_cell(0, 4.4, self.fit(line, self.epw, 4.4, max_lines),
                                new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            self.ln(2.5)

        def status_block(self):
            e = self.ev
            colour, background = STATUS_COLOURS[e.status]
            x, y = self.l_margin, self.get_y()
            width = self.epw
            self.set_fill_color(*background)
            lines = [(f"Statut : {e.status_label}", 13, "B", colour),
                     (_severity_counts(e).capitalize() + ".", 9, "", TITLE_GREY),
                     (f"{six_month_label(self.rules)} : {six_month_text(e, self.rules)}.", 9, "",
                      TITLE_GREY)]
            height = 4 + 6.5 + 4.6 * 2 + 1
            self.rect(x, y, width, height, style="F")
            self.set_fill_color(*colour)
            self.rect(x, y, 1.6, height, style="F")
            self.set_xy(x + 5, y + 2)
            for text, size, style, col in lines:
                self.use_font(size, style, col)
                self.cell(width - 8, 6.5 if size > 10 else 4.6, self.tx(text),
                          new_x=XPos.LEFT, new_y=YPos.NEXT)
            self.set_y(y + height + 4)

        def figures_block(self):
            e, s = self.ev, self.scn
            self.heading("Chiffres clés")
            cards = [(figure_label("total_cost_ttc"), eur(e.total_cost_ttc)),
                     (figure_label("eligible_base_ttc"), eur(e.eligible_base_ttc)),
                     (f"{figure_label('cofinancing_ttc')} ({percent(e.requested_rate, 2)})",
                      eur(e.cofinancing_ttc)),
                     (figure_label("own_contribution_ttc"), eur(e.own_contribution_ttc))]
            gap = 3
            w = (self.epw - gap * 3) / 4
            y = self.get_y()
            for i, (label, value) in enumerate(cards):
                x = self.l_margin + i * (w + gap)
                self.set_fill_color(245, 245, 254)
                self.set_draw_color(202, 202, 251)
                self.rect(x, y, w, 17, style="DF")
                self.set_xy(x + 2.5, y + 2.2)
                self.use_font(self.fitted_size(self.tx(label), w - 5, 7.5, ""), "", TEXT_GREY)
                self.cell(w - 5, 4, self.tx(label))
                self.set_xy(x + 2.5, y + 8)
                value = self.tx(value)
                self.use_font(self.fitted_size(value, w - 5, 12), "B", BLUE_FRANCE)
                self.cell(w - 5, 6, value)
            self.set_y(y + 17 + 3)
            # the details, in a two-column table
            savings, _ = savings_parts(e, s)
            payback, _ = payback_parts(e)
            details = [
                *((figure_label(k), eur(getattr(e, k))) for k in (
                    "excluded_cost_ttc", "project_size_ttc", "potential_cofinancing_ttc",
                    "training_cost_ttc")),
                (figure_label("annual_savings_ttc"), savings),
                (figure_label("payback_months"), payback),
            ]
            half = (self.epw - 6) / 2
            for i in range(0, len(details), 2):
                y = self.get_y()
                for j, (label, value) in enumerate(details[i:i + 2]):
                    x = self.l_margin + j * (half + 6)
                    value = self.tx(value)
                    size = self.fitted_size(value, half - 48, 8.5)
                    value_w = self.get_string_width(value) + 1
                    self.set_xy(x, y)
                    self.use_font(8.5, "", TEXT_GREY)
                    self.cell(half - value_w, 5, self.tx(label))
                    self.use_font(size, "B", TITLE_GREY)
                    self.cell(value_w, 5, value, align="R")
                self.set_draw_color(*BORDER_GREY)
                self.line(self.l_margin, y + 5, self.l_margin + self.epw, y + 5)
                self.set_y(y + 5.6)
            self.ln(3)

        def reasons_block(self, limit: float):
            """The blocking reasons, each with its advice, then the reserves and the
            information, as many as page 1 holds above ``limit``; the others are counted, with
            where to find them."""
            e = self.ev
            self.heading("Points bloquants")
            blocking = e.checks_of("blocking")
            if not blocking:
                self.use_font(9, "", TEXT_GREY)
                self.cell(0, 4.6, self.tx("Aucun point bloquant."), new_x=XPos.LMARGIN,
                          new_y=YPos.NEXT)
                self.ln(2)
            elif not self.summary_list(blocking, limit, "point(s) bloquant(s)", advice=True):
                return
            for severity, title, more in (("warning", "Réserves", "réserve(s)"),
                                          ("info", "Informations", "information(s)")):
                checks = e.checks_of(severity)
                if not checks:
                    continue
                if self.get_y() + 10.5 + 4.6 + 4.6 > limit:
                    if self.get_y() + 4.6 <= limit:
                        self.more_line(f"{len(checks)} {more} : voir l’annexe "
                                       f"{self.annex_number('checks')}.")
                    return
                self.heading(title)
                if not self.summary_list(checks, limit, more, advice=False):
                    return

        def summary_list(self, checks: list[Check], limit: float, more: str, *,
                         advice: bool) -> bool:
            """The messages of ``checks`` (with their advice if ``advice``) above ``limit``;
            False when they did not all fit (the rest is counted)."""
            indent, more_h = 4, 4.6
            w = self.epw - indent
            for i, c in enumerate(checks):
                self.use_font(9, "B" if advice else "", TITLE_GREY)
                message = self.fit(c.message, w, 4.6, 3 if advice else 2)
                h = self.height(message, w, 4.6)
                self.use_font(8.5, "", TEXT_GREY)
                tip = self.fit(f"Conseil : {c.advice}", w, 4.2, 3) if advice and c.advice else ""
                h += self.height(tip, w, 4.2) + (1.6 if advice else 1)
                rest = len(checks) - i - 1
                if self.get_y() + h > limit - (more_h if rest else 0):
                    self.more_line(f"… et {len(checks) - i} autre(s) {more} : voir l’annexe "
                                   f"{self.annex_number('checks')}.")
                    return False
                self.use_font(9, "B", SEVERITY_COLOURS[c.severity])
                self.set_x(self.l_margin)
                self.cell(indent, 4.6, "•")
                self.use_font(9, "B" if advice else "", TITLE_GREY)
                self.multi_cell(w, 4.6, message, new_x=XPos.LEFT, new_y=YPos.NEXT)
                if tip:
                    self.use_font(8.5, "", TEXT_GREY)
                    self.multi_cell(w, 4.2, tip, new_x=XPos.LEFT, new_y=YPos.NEXT)
                self.set_x(self.l_margin)
                self.ln(1.6 if advice else 1)
            self.ln(1)
            return True

        def summary_chart(self, limit: float):
            """The funding chart at the foot of page 1, when it holds there whole."""
            png = self.images.get("funding")
            if png is None:
                return
            w, h = self.chart_size("funding", png)
            if self.get_y() + 2 + h > limit:
                return
            self.ln(2)
            self.draw_chart("funding", png, w, h)
            self.on_summary.add("funding")

        def annexes_note(self) -> str:
            parts = [f"{self.annex_number(k)} — {ANNEX_TITLES[k]}" for k in self.annexes]
            n = len(self.ev.lines)
            return self.tx(
                f"Annexes : {' ; '.join(parts)}. {number(n)} ligne{'s' if n > 1 else ''} de "
                "coût : le détail ligne par ligne (HT, TVA, TTC), les formules des totaux et du "
                "retour sur investissement, le calendrier mensuel et chaque cible datée des "
                "indicateurs sont dans le classeur XLSX du même scénario.")

        # --- annex 1: the checks ---------------------------------------------------------------

        def checks_annex(self):
            e = self.ev
            self.start_annex("checks")
            if not e.checks:
                self.use_font(9, "", TEXT_GREY)
                self.multi_cell(0, 4.6, self.tx("Aucun contrôle à signaler."),
                                new_x=XPos.LMARGIN, new_y=YPos.NEXT)
                self.ln(2)
                return
            for i, c in enumerate(e.checks):
                if not self.check_item(c, last=i == len(e.checks) - 1):
                    self.more_line(f"… et {len(e.checks) - i} autre(s) contrôle(s), voir le "
                                   f"classeur XLSX (feuille « {CHECKS_SHEET} »).")
                    break
            self.ln(1)

        def check_item(self, c: Check, last: bool) -> bool:
            indent = 22
            w = self.epw - indent
            self.use_font(9, "B", TITLE_GREY)
            message = self.fit(c.message, w, 4.6, 4)
            h = self.height(message, w, 4.6)
            self.use_font(8.5, "", TEXT_GREY)
            advice = self.fit(f"Conseil : {c.advice}", w, 4.2, 4) if c.advice else ""
            h += self.height(advice, w, 4.2)
            mark = " (hypothèse du simulateur)" if c.assumption else ""
            self.use_font(7.5, "I", MENTION_GREY)
            source = self.fit(f"Source{mark} : « {c.source} »", w, 3.7, 4)
            h += self.height(source, w, 3.7) + 1.6
            if not self.room(h, 0 if last else 5):
                return False
            y = self.get_y()
            self.use_font(8, "B", SEVERITY_COLOURS[c.severity])
            self.set_xy(self.l_margin, y)
            self.cell(indent - 2, 4.6, self.tx(severity_word(c.severity)))
            self.set_xy(self.l_margin + indent, y)
            self.use_font(9, "B", TITLE_GREY)
            self.multi_cell(w, 4.6, message, new_x=XPos.LEFT, new_y=YPos.NEXT)
            if advice:
                self.use_font(8.5, "", TEXT_GREY)
                self.multi_cell(w, 4.2, advice, new_x=XPos.LEFT, new_y=YPos.NEXT)
            self.use_font(7.5, "I", MENTION_GREY)
            self.multi_cell(w, 3.7, source, new_x=XPos.LEFT, new_y=YPos.NEXT)
            self.set_x(self.l_margin)
            self.ln(1.6)
            return True

        # --- annex 2: the indicators -----------------------------------------------------------

        def indicators_annex(self):
            """One line each: savings, payback, savings over the horizon, agents, and each
            impact indicator (baseline → last target, DORA bands)."""
            e = self.ev
            self.start_annex("indicators")
            items = [(label, value, comment) for key, label, value, comment
                     in _indicator_figures(e, self.scn) if not key.startswith("agents_")]
            trained = (f"{number(e.agents_trained)} formé{'s' if e.agents_trained > 1 else ''}"
                       if e.agents_trained is not None else "formés\u00a0: non renseigné")
            cloud = (f"{number(e.agents_cloud_context)} travaillant dans un contexte Cloud"
                     if e.agents_cloud_context is not None
                     else "dans un contexte Cloud\u00a0: non renseigné")
            items.append(("Agents", trained, f"; {cloud}"))
            for r in e.impact_indicators:
                items.append((r.name, *impact_parts(r)))
            if not e.impact_indicators:
                items.append(("Indicateurs d’impact", "aucun", "indicateur d’impact saisi"))
            label_w, h = 64, 4.4
            left = self.l_margin
            value_w = self.epw - label_w
            for i, (label, value, comment) in enumerate(items):
                self.use_font(8.5, "", TEXT_GREY)
                label = self.fit(label, label_w - 3, h, 3)
                label_h = self.height(label, label_w - 3, h)
                self.use_font(8.5, "B", TITLE_GREY)  # bold is the wider: an upper bound
                value, comment = self.tx(value), self.tx(comment)
                if len(self.lines_of(f"{value} {comment}".strip(), value_w, h)) > 3:
                    value = self.fit(value, value_w, h, 2)
                    comment = self.fit(comment, value_w, h, 1)
                value_h = self.height(f"{value} {comment}".strip(), value_w, h)
                last = i == len(items) - 1
                if not self.room(max(label_h, value_h) + 1, 0 if last else 5):
                    self.more_line(f"… et {len(items) - i} autre(s) indicateur(s), voir le "
                                   f"classeur XLSX (feuille « {INDICATORS_SHEET} »).")
                    break
                y = self.get_y()
                self.set_xy(left, y)
                self.use_font(8.5, "", TEXT_GREY)
                self.multi_cell(label_w - 3, h, label, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
                label_bottom = self.get_y()
                # the value in bold and its comment after it, wrapping under the value column
                self.set_left_margin(left + label_w)
                self.set_xy(left + label_w, y)
                self.use_font(8.5, "B", TITLE_GREY)
                self.write(h, value)
                if comment:
                    self.use_font(8.5, "", TEXT_GREY)
                    self.write(h, " " + comment)
                self.ln(h)
                self.set_left_margin(left)
                bottom = max(self.get_y(), label_bottom)
                self.set_draw_color(*BORDER_GREY)
                self.line(left, bottom + 0.3, left + self.epw, bottom + 0.3)
                self.set_xy(left, bottom + 0.9)
            self.ln(3)

        # --- annex 3: the charts ---------------------------------------------------------------

        def chart_size(self, key: str, png: bytes) -> tuple[float, float]:
            w_px, h_px = _png_size(png)
            w = self.epw
            h = w * h_px / w_px
            if h > CHART_HEIGHTS[key]:
                h = CHART_HEIGHTS[key]
                w = h * w_px / h_px
            return w, h

        def draw_chart(self, key: str, png: bytes, w: float, h: float):
            x = self.l_margin + (self.epw - w) / 2
            self.image(io.BytesIO(png), x=x, y=self.get_y(), w=w, h=h,
                       alt_text=self.tx(CHART_TITLES[key]))
            self.set_y(self.get_y() + h + 3)

        def charts_annex(self):
            self.start_annex("charts", min_room=70)
            if self.failed and not self.images:
                self.more_line(CHARTS_UNAVAILABLE)
                return
            no_room = []
            for k in CHART_ORDER:
                if k not in self.images or k in self.on_summary:
                    continue
                png = self.images[k]
                w, h = self.chart_size(k, png)
                room = self.page_break_trigger - self.get_y()
                if h > room and room < 0.75 * h:  # (a little smaller rather than a new page)
                    if self.page < self.annex_last and self.fresh_room() >= 0.75 * h:
                        self.add_page()
                        room = self.page_break_trigger - self.get_y()
                    else:
                        no_room.append(k)
                        continue
                if h > room:
                    w, h = w * room / h, room
                self.draw_chart(k, png, w, h)
            notes = []
            if self.on_summary:
                notes.append("Le graphique du financement est en page 1.")
            if self.failed:
                notes.append("Graphiques non disponibles (leur rendu a échoué) : "
                             + ", ".join(CHART_TITLES[k] for k in self.failed) + ".")
            left_out = [k for k in CHART_ORDER if k in no_room or k in self.too_big]
            if left_out:
                notes.append("Graphiques non repris faute de place : "
                             + ", ".join(CHART_TITLES[k] for k in left_out) + ".")
            for note in notes:
                self.use_font(8.5, "I", MENTION_GREY)
                if self.room(self.height(self.tx(note), self.epw, 4.4)):
                    self.more_line(note)

    return SummaryPdf


_PDF_CLASS = None


def _SummaryPdf(*args):
    global _PDF_CLASS
    if _PDF_CLASS is None:
        _PDF_CLASS = _make_pdf_class()
    return _PDF_CLASS(*args)


#: Separators drawn as a space in the PDF (a line feed is a line break).
_PDF_SPACES = dict.fromkeys(map(ord, "\t\r\v\f\x85\u2028\u2029"), " ")


def _printable(text: str) -> str:
    """Text for the PDF's properties (title): control characters and lone surrogates as « ? »."""
    return "".join("?" if unicodedata.category(ch) in ("Cc", "Cs") else ch for ch in text)


def _cp1252(ch: str) -> bool:
    try:
        ch.encode("cp1252")
        return True
    except UnicodeEncodeError:
        return False


def _cmap(path: Path) -> set[int] | None:
    try:
        from fontTools.ttLib import TTFont
        with TTFont(str(path), lazy=True) as f:
            return set(f.getBestCmap())
    except Exception:  # pragma: no cover - fontTools comes with fpdf2
        return None


# --- one entry point ------------------------------------------------------------------------------

FORMATS = {"xlsx": export_xlsx, "pdf": export_pdf, "csv": export_csv, "md": export_markdown}
MEDIA_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
    "csv": "text/csv",
    "md": "text/markdown",
}


def export(scenario: Scenario, evaluation: Evaluation, fmt: str, *,
           exported_at: dt.datetime | None = None) -> bytes:
    """The dossier in ``fmt`` (xlsx, pdf, csv, md) as bytes (Markdown in UTF-8)."""
    if fmt == "csv":
        return export_csv(scenario, evaluation)
    if fmt == "md":
        return export_markdown(scenario, evaluation,
                               exported_at=exported_at).encode("utf-8", errors="replace")
    if fmt == "xlsx":
        return export_xlsx(scenario, evaluation, exported_at=exported_at)
    if fmt == "pdf":
        return export_pdf(scenario, evaluation, exported_at=exported_at)
    raise ValueError(f"format d’export inconnu : {fmt!r} ; formats possibles : {', '.join(FORMATS)}")


def export_filename(scenario: Scenario, fmt: str) -> str:
    """« synthese-migration-de-l-application-….xlsx »: a safe file name for a download."""
    name = slug(scenario.name)[:60].strip("-") or "scenario"
    return f"synthese-{name}.{fmt}"
