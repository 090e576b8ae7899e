"""The text formats: the cost lines as CSV for Excel-fr, and the summary as Markdown.

User text is neutralised in CSV (:func:`guichet.io.exports.common.neutralise`) and escaped in
Markdown (:func:`_md`). Pure functions; no Streamlit.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from guichet.engine.evaluate import Evaluation, ImpactResult
from guichet.engine.figures import label as figure_label
from guichet.engine.models import Scenario
from guichet.engine.rules import Rules, load_rules
from guichet.io.exports.common import (DISCLAIMER, IN_BASE, LINE_COLUMNS, OUT_OF_BASE,
                                       _indicator_figures, _now, _num, _severity_counts,
                                       applicant_text, csv_decimal, csv_rate, french_date,
                                       french_datetime, month_period, neutralise, operations_text,
                                       severity_word, six_month_label, six_month_text)
from guichet.present import labels
from guichet.present.formatting import escape_markdown, eur, month_label, number, percent

#: The Markdown summary lists at most this many cost lines (the CSV and XLSX have them all).
MARKDOWN_MAX_LINES = 200

#: The figures of the summaries (Markdown, text), in order.
KEY_FIGURES = ("total_cost_ttc", "excluded_cost_ttc", "eligible_base_ttc", "project_size_ttc",
               "requested_rate", "potential_cofinancing_ttc", "cofinancing_ttc",
               "own_contribution_ttc")


# --- CSV ------------------------------------------------------------------------------------------

def _line_rows(e: Evaluation) -> list[list[str]]:
    return [[neutralise(ln.label), ln.category_label, labels.BASES[ln.basis],
             csv_decimal(ln.amount), csv_rate(ln.vat_rate), csv_decimal(ln.ht),
             csv_decimal(ln.vat), csv_decimal(ln.ttc),
             OUT_OF_BASE if ln.excluded else IN_BASE, str(ln.start_month), str(ln.end_month)]
            for ln in e.lines]


def export_csv(scenario: Scenario, evaluation: Evaluation) -> bytes:
    """The cost lines as CSV for Excel-fr: ``;``, UTF-8 with BOM, decimal comma, CRLF. User
    text is neutralised (:func:`neutralise`). The file re-imports with
    :func:`guichet.io.imports.import_cost_lines`."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(LINE_COLUMNS)
    writer.writerows(_line_rows(evaluation))
    # (a lone surrogate, which UTF-8 cannot hold and the scenario format refuses, as « ? »)
    return ("\ufeff" + out.getvalue()).encode("utf-8", errors="replace")


# --- Markdown -------------------------------------------------------------------------------------

def _md(text: Any) -> str:
    return escape_markdown(str(text))


def _key_figures(e: Evaluation) -> list[tuple[str, str]]:
    return [(figure_label(key), e.explanations[key].value) for key in KEY_FIGURES]


def _joined(value: str, comment: str) -> str:
    return f"{value} {comment}" if comment else value


def export_markdown(scenario: Scenario, evaluation: Evaluation, *,
                    exported_at: dt.datetime | None = None) -> str:
    """A Markdown summary: figures, status, six-month flag, checks with advice and source, cost
    lines, rules version and date. User text is escaped (never markup)."""
    e, s, rules = evaluation, scenario, load_rules()
    when = exported_at or _now()
    out = _md_summary(e, s, rules)
    out += _md_checks(e)
    out += _md_costs(e)
    out += _md_milestones(s)
    out += _md_indicators(e, s)
    out += ["", "---", "",
            f"Règles {e.rules_version} — {rules.source_label}. Exporté le {french_datetime(when)}.",
            "", DISCLAIMER, ""]
    return "\n".join(out)


def _md_summary(e: Evaluation, s: Scenario, rules: Rules) -> list[str]:
    """The title, the project, the status and the key figures."""
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
    return out


def _md_checks(e: Evaluation) -> list[str]:
    """Each check with its advice and its source."""
    out = ["", "## Contrôles", ""]
    if not e.checks:
        out.append("Aucun contrôle à signaler.")
    for c in e.checks:
        mark = " (hypothèse du simulateur)" if c.assumption else ""
        out.append(f"- **{severity_word(c.severity)}** — {c.message}")
        if c.advice:
            out.append(f"  - Conseil : {c.advice}")
        out.append(f"  - Source{mark} : « {c.source} »")
    return out


def _md_costs(e: Evaluation) -> list[str]:
    """The spending by category, then the cost lines (at most :data:`MARKDOWN_MAX_LINES`)."""
    out = ["", "## Dépenses par catégorie", "", "| Catégorie | Assiette | Lignes | Montant TTC |",
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
    return out


def _md_milestones(s: Scenario) -> list[str]:
    """The milestones in month order (nothing when there are none)."""
    if not s.milestones:
        return []
    out = ["", "## Jalons", "", "| Jalon | Mois | Impact réel |", "|---|---|---|"]
    for m in sorted(s.milestones, key=lambda m: m.month):
        out.append(f"| {_md(m.label)} | {month_label(m.month)} "
                   f"({month_period(s.start_date, m.month)}) | {'Oui' if m.impact else 'Non'} |")
    return out


def _md_indicators(e: Evaluation, s: Scenario) -> list[str]:
    """The mandatory indicators, then every point of each impact indicator."""
    out = ["", "## Indicateurs", ""]
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
    return out


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
