"""The « Synthèse » sheet of the XLSX export: each key figure as a workbook formula over the lines
sheet next to the simulator's own value and how it is computed, the mandatory indicators, the
context of the scenario and the spending by category.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from guichet.engine.evaluate import Evaluation
from guichet.engine.figures import FIGURES
from guichet.engine.figures import label as figure_label
from guichet.engine.models import Scenario
from guichet.engine.rules import Rules
from guichet.io.exports.common import (DISCLAIMER, OUT_OF_BASE, SAVINGS_SOURCES, _severity_counts,
                                       applicant_text, french_date, french_datetime,
                                       horizon_savings_label, operations_text, six_month_label,
                                       six_month_text)
from guichet.io.exports.xlsx_sheet import (INT_FORMAT, MONEY_FORMAT, MONTHS_FORMAT, YEARS_FORMAT,
                                           _cap, _fmt_if, _or_missing, _rate_format, _Sheet,
                                           _status_fill, _xl_string)
from guichet.present import labels

#: A row of the summary: (key, label, formula with {key} references to other rows, the
#: simulator's value, number format, explanation).
_Row = tuple[str, str, str | None, Any, str | None, str]


def _write_summary(ws: _Sheet, s: Scenario, e: Evaluation, rules: Rules, col: dict[str, str],
                   when: dt.datetime) -> None:
    """The figures with their formulas, the indicators, the context, the spending by
    category."""
    ws.put(1, 1, f"{rules.title} — synthèse du scénario", style="title")
    ws.put(2, 1, s.name, style="subtitle")
    ws.put(3, 1, DISCLAIMER, style="mention")
    ws.ws.merge_cells("A3:D3")
    ws.header(5, ["Chiffre", "Valeur (formule du classeur)", "Valeur du simulateur",
                  "Comment est-ce calculé ?"])
    r = _write_figures(ws, e, _figure_rows(e, rules, col), _indicator_rows(e, s, rules))
    r = _write_context(ws, s, e, rules, when, r)
    _write_categories(ws, e, col, r + 2)
    ws.widths(44, 24, 22, 90)
    ws.ws.freeze_panes = "A6"


def _figure_rows(e: Evaluation, rules: Rules, col: dict[str, str]) -> list[_Row]:
    """The rows of the key figures, from the total cost to the six-month flag."""
    x = e.explanations
    size_ref = "{total}" if rules.reading(e.reading).size_measure == "total_cost" else "{base}"
    return [
        ("total", figure_label("total_cost_ttc"), f"=SUM({col['ttc']})", e.total_cost_ttc,
         MONEY_FORMAT, x["total_cost_ttc"].formula),
        ("excluded", figure_label("excluded_cost_ttc"),
         f'=SUMIF({col["base"]},"{OUT_OF_BASE}",{col["ttc"]})', e.excluded_cost_ttc, MONEY_FORMAT,
         x["excluded_cost_ttc"].formula),
        ("base", figure_label("eligible_base_ttc"), "=ROUND({total}-{excluded},2)",
         e.eligible_base_ttc, MONEY_FORMAT, x["eligible_base_ttc"].formula),
        ("size", figure_label("project_size_ttc"), "=" + size_ref, e.project_size_ttc, MONEY_FORMAT,
         x["project_size_ttc"].formula),
        ("rate", figure_label("requested_rate"), None, e.requested_rate,
         _rate_format(e.requested_rate), x["requested_rate"].formula),
        ("potential", figure_label("potential_cofinancing_ttc"),
         "=ROUNDDOWN(ROUND({rate}*{base},9),2)", e.potential_cofinancing_ttc, MONEY_FORMAT,
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


def _indicator_rows(e: Evaluation, s: Scenario, rules: Rules) -> list[_Row]:
    """The rows of the mandatory indicators and of what follows from them."""
    x = e.explanations
    derived = e.annual_savings_source == "derived"
    savings_note = (" L’instructeur peut saisir un montant dans la colonne B pour voir le retour "
                    "sur investissement et les économies cumulées."
                    if e.annual_savings_ttc is None else "")
    ind = s.indicators
    current, target = ind.current_annual_run_cost_ttc, ind.target_annual_run_cost_ttc
    return [
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


def _write_figures(ws: _Sheet, e: Evaluation, rows: list[_Row],
                   indicator_rows: list[_Row]) -> int:
    """The key figures from row 6, then the indicators under their own subtitle: the label, the
    workbook's formula (or the value), the simulator's value and the explanation. Returns the
    row of the next block."""
    # the B column, where it is not a formula and differs from the simulator's value
    b_values = {"savings": None} if e.annual_savings_ttc is None else {}
    first = 6
    at = {key: first + i for i, (key, *_rest) in enumerate(rows)}  # key -> row
    indicators_title = first + len(rows) + 1
    at.update((key, indicators_title + 1 + i) for i, (key, *_rest) in enumerate(indicator_rows))
    refs = {k: f"B{v}" for k, v in at.items()}
    ws.put(indicators_title, 1, "Économies et agents (indicateurs obligatoires)", style="subtitle")
    for key, label, formula, value, fmt, explanation in rows + indicator_rows:
        r = at[key]
        ws.put(r, 1, label, style="bold")
        if formula is not None:
            ws.formula(r, 2, formula.format(**refs), fmt=fmt)
        elif key in b_values:
            ws.put(r, 2, b_values[key], fmt=fmt)
        else:
            ws.put(r, 2, value, fmt=fmt)
        ws.put(r, 3, value, fmt=fmt)
        ws.put(r, 4, explanation, style="wrap")
    ws.ws.cell(at["status"], 2).fill = _status_fill(e.status)
    ws.ws.cell(at["status"], 3).fill = _status_fill(e.status)
    return indicators_title + len(indicator_rows) + 2


def _write_context(ws: _Sheet, s: Scenario, e: Evaluation, rules: Rules, when: dt.datetime,
                   r: int) -> int:
    """« Contexte » from row ``r``: the scenario, the rules, the date. Returns its last row."""
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
    return r


def _write_categories(ws: _Sheet, e: Evaluation, col: dict[str, str], r: int) -> None:
    """« Dépenses par catégorie » from row ``r``: a SUMIF over the lines sheet per category,
    next to the simulator's amount, and their total."""
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

