"""The dossier as an XLSX workbook (openpyxl, imported when a workbook is written).

Sheets « Synthèse », « Lignes de coût », « Contrôles », « Calendrier », « Indicateurs ». The
totals of the summary are Excel formulas over the lines sheet (``SUM``, ``SUMIF``, ``ROUND``,
``ROUNDDOWN``, ``IF``) next to the simulator's own value, so an instructor can audit them; so are
the derived savings (current − target run cost), the payback (``ROUNDUP``) and the savings over
the horizon. « Indicateurs » lists the mandatory indicators and every dated target of each impact
indicator with its DORA band.

Every text is written as a text cell (``data_type 's'``), never as a formula, through
:func:`guichet.io.exports.common.xml_safe`; a text that
:func:`guichet.io.exports.common.looks_like_formula` also gets Excel's « quote prefix ».
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from guichet.engine.evaluate import Evaluation, ImpactResult
from guichet.engine.figures import label as figure_label
from guichet.engine.indicators import load_presets
from guichet.engine.models import Scenario
from guichet.engine.rules import Rules, load_rules
from guichet.io.exports.common import (CALENDAR_SHEET, CHECKS_SHEET, IN_BASE, INDICATORS_SHEET,
                                       LINE_COLUMNS, LINES_SHEET, OUT_OF_BASE, SUMMARY_SHEET, _now,
                                       horizon_savings_label, month_period, severity_word,
                                       six_month_text, xml_safe)
from guichet.io.exports.xlsx_sheet import (INT_FORMAT, LABEL_CHARS_PER_LINE, LABEL_WIDTH,
                                           MONEY_FORMAT, MONTHS_FORMAT, _cap, _fit_heights, _fmt_if,
                                           _or_missing, _quote, _rate_format, _Sheet, _styles)
from guichet.io.exports.xlsx_summary import _write_summary
from guichet.present import labels
from guichet.present.formatting import month_label

# --- the workbook ---------------------------------------------------------------------------------

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

    col = _write_lines(lines, e)
    _write_summary(summary, s, e, rules, col, when)
    _write_checks(checks, e, rules)
    _write_calendar(calendar, s, e, rules)
    _write_indicators(indicators, s, e, rules)

    for sheet in (summary, checks, calendar, indicators):  # the lines sheet is done as written
        _fit_heights(sheet.ws)
    wb.properties.title = xml_safe(f"Synthèse — {s.name}"[:255])
    wb.properties.creator = "Simulateur du guichet « Adoption du Cloud de confiance »"
    wb.properties.language = "fr-FR"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --- « Lignes de coût » ---------------------------------------------------------------------------

def _write_lines(lines: _Sheet, e: Evaluation) -> dict[str, str]:
    """One row per line; HT, VAT and TTC as formulas over the entered amount. Returns the
    absolute ranges of the category, TTC and base columns, for the formulas of the summary."""
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
        lines.formula(r, 8, f'=IF(C{r}="HT",ROUND(D{r}*(1+E{r}),2),ROUND(D{r},2))',
                      fmt=MONEY_FORMAT)
        lines.put(r, 9, OUT_OF_BASE if ln.excluded else IN_BASE)
        lines.put(r, 10, ln.start_month)
        lines.put(r, 11, ln.end_month)
    last = max(len(e.lines) + 1, 2)
    lines.widths(LABEL_WIDTH, 30, 7, 16, 11, 16, 15, 16, 10, 9, 9)
    lines.ws.freeze_panes = "B2"
    if e.lines:
        lines.ws.auto_filter.ref = f"A1:K{last}"
    sheet = _quote(LINES_SHEET)
    return {name: f"{sheet}!${letter}$2:${letter}${last}"
            for name, letter in (("category", "B"), ("ttc", "H"), ("base", "I"))}



# --- « Contrôles » --------------------------------------------------------------------------------

def _write_checks(checks: _Sheet, e: Evaluation, rules: Rules) -> None:
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


# --- « Calendrier » -------------------------------------------------------------------------------

def _write_calendar(cal: _Sheet, s: Scenario, e: Evaluation, rules: Rules) -> None:
    r = _write_milestones(cal, s, e, rules)
    _write_monthly(cal, s, e, r + 2)
    cal.widths(44, 18, 22, 22, 18, 18)


def _write_milestones(cal: _Sheet, s: Scenario, e: Evaluation, rules: Rules) -> int:
    """The milestones in month order and the six-month flag. Returns the flag's row."""
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
    return r


def _write_monthly(cal: _Sheet, s: Scenario, e: Evaluation, r: int) -> None:
    """The monthly spending from row ``r``, with its totals as formulas."""
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


# --- « Indicateurs » ------------------------------------------------------------------------------

def _write_indicators(ic: _Sheet, s: Scenario, e: Evaluation, rules: Rules) -> None:
    r = _write_mandatory(ic, s, e, rules)
    _write_impact(ic, s, e, rules, r + 2)
    ic.widths(48, 22, 16, 14, 18, 14, 26)


def _write_mandatory(ic: _Sheet, s: Scenario, e: Evaluation, rules: Rules) -> int:
    """The mandatory indicators and the sentence that asks for them. Returns its row."""
    x, ind = e.explanations, s.indicators
    ic.put(1, 1, "Indicateurs obligatoires", style="subtitle")
    ic.header(2, ["Indicateur", "Valeur", "Comment est-ce obtenu ?"])
    mandatory: list[tuple[str, Any, str, str]] = [
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
    return r


def _write_impact(ic: _Sheet, s: Scenario, e: Evaluation, rules: Rules, r: int) -> None:
    """From row ``r``: every point of each impact indicator, then where the DORA bands come
    from."""
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

