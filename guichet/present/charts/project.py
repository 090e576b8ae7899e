"""The charts of one project: its costs by category and its funding split (the Simulateur), its
monthly spend (the Calendrier), each with its table alternative; the timeline is in
:mod:`guichet.present.charts.timeline`."""

from __future__ import annotations

import json
from decimal import Decimal
from functools import cache
from typing import Any

import altair as alt
import pandas as pd

from guichet.engine.evaluate import Evaluation
from guichet.engine.figures import short
from guichet.present.charts.base import (
    _NARROW,
    AXIS_LABEL_LIMIT,
    BLUE_FRANCE,
    DATASET,
    ELIGIBLE,
    EXCLUDED,
    GREY,
    HIGHLIGHT,
    MONEY_AXIS,
    OUTLINE,
    PALETTE,
    TEXT,
    TOTAL,
    Record,
    _axis_money,
    _configured,
    _inline,
    _money,
    _named,
    _title,
    placeholder,
    vega_spec,
)
from guichet.present.formatting import eur, month_label, number, percent

# --- costs by category ----------------------------------------------------------------------------


def costs_by_category_records(evaluation: Evaluation) -> list[Record]:
    """One record per category that has lines, in the scenario format's order (``ordre``)."""
    rows: list[Record] = []
    for c in evaluation.by_category:
        if not c.lines:
            continue
        rows.append(
            {
                "ordre": len(rows),
                "categorie": c.category,
                "Catégorie": c.label,
                "Statut": EXCLUDED if c.excluded else ELIGIBLE,
                "montant": _money(c.ttc),
                "Montant TTC": eur(c.ttc),
                "Lignes": c.lines,
                "Étiquette": eur(c.ttc) + (" · exclue" if c.excluded else ""),
            }
        )
    return rows


def costs_by_category_chart(evaluation: Evaluation) -> alt.TopLevelMixin:
    """Horizontal bars, one per category that has lines (French labels), stacked by status:
    in the eligible base (DSFR highlight colour) or excluded from it (grey). Each bar is labelled
    with its amount, and « exclue » when excluded, so colour is not the only cue."""
    records = costs_by_category_records(evaluation)
    if not records:
        return placeholder(COSTS_TITLE, "Aucune ligne de coût saisie.")
    chart: alt.TopLevelMixin = _costs_chart().properties(datasets={DATASET: records})
    return chart


COSTS_TITLE = "Coûts par catégorie (TTC)"
#: Subtitles are cut in lines that fit a phone: a title wider than the chart would shrink its plot.
COSTS_SUBTITLE = [
    "Dépenses exclues : matériel, logiciels,",
    "ressources Cloud, évolutions fonctionnelles",
]
#: The x axis ends at the largest bar times this: room on the right for the amount labels.
LABEL_ROOM = 1.45


def _costs_chart() -> alt.TopLevelMixin:
    """The chart without its data (the dataset :data:`DATASET`): what depends on the figures —
    the order of the categories, the end of the axis — is computed by Vega from the data."""
    y = alt.Y(
        "Catégorie:N",
        title=None,
        sort=alt.EncodingSortField("ordre", op="min"),
        axis=alt.Axis(labelLimit=alt.ExprRef(f"{_NARROW} ? 130 : {AXIS_LABEL_LIMIT}")),
    )
    base = alt.Chart(_named(DATASET), title=_title(COSTS_TITLE, COSTS_SUBTITLE))
    axis_end = f"max(1, extent(pluck(data('{DATASET}'), 'montant'))[1]) * {LABEL_ROOM}"
    bars = base.mark_bar(stroke=OUTLINE, strokeWidth=1).encode(
        y=y,
        x=alt.X(
            "montant:Q",
            stack="zero",
            axis=_axis_money("Montant TTC"),
            scale=alt.Scale(domainMax=alt.ExprRef(axis_end), nice=False),
        ),
        color=alt.Color(
            "Statut:N",
            title="Statut",
            scale=alt.Scale(domain=[ELIGIBLE, EXCLUDED], range=[HIGHLIGHT, GREY]),
        ),
        order=alt.Order("Statut:N", sort="ascending"),
        tooltip=[
            alt.Tooltip("Catégorie:N"),
            alt.Tooltip("Statut:N"),
            alt.Tooltip("Montant TTC:N"),
            alt.Tooltip("Lignes:Q", format=",d"),
        ],
    )
    text = base.mark_text(align="left", baseline="middle", dx=4, color=TEXT).encode(
        y=y, x=alt.X("montant:Q", stack="zero"), text=alt.Text("Étiquette:N")
    )
    chart = alt.layer(bars, text).properties(height=alt.Step(28))
    return _configured(chart)


def costs_by_category_table(evaluation: Evaluation) -> pd.DataFrame:
    """The figures of :func:`costs_by_category_chart`, with a total row."""
    rows: list[Record] = []
    total = evaluation.total_cost_ttc
    for c in evaluation.by_category:
        if not c.lines:
            continue
        rows.append(
            {
                "Catégorie": c.label,
                "Dans l’assiette éligible": "Non (exclue)" if c.excluded else "Oui",
                "Lignes": number(c.lines),
                "Montant TTC": eur(c.ttc),
                "Part du coût total": percent(c.ttc / total, 1) if total else "—",
            }
        )
    if rows:
        rows.append(
            {
                "Catégorie": "Total",
                "Dans l’assiette éligible": "",
                "Lignes": number(len(evaluation.lines)),
                "Montant TTC": eur(total),
                "Part du coût total": percent(1),
            }
        )
    columns = [
        "Catégorie",
        "Dans l’assiette éligible",
        "Lignes",
        "Montant TTC",
        "Part du coût total",
    ]
    return pd.DataFrame(rows, columns=columns)


# --- funding split --------------------------------------------------------------------------------

COFINANCING = short("cofinancing_ttc")
OWN_SHARE = "Part propre de l’assiette éligible"
EXCLUDED_COSTS = "Dépenses exclues"
FUNDING_PARTS = [COFINANCING, OWN_SHARE, EXCLUDED_COSTS]
FUNDING_COLORS = [HIGHLIGHT, PALETTE[1], PALETTE[7]]


def funding_parts(evaluation: Evaluation) -> list[tuple[str, Decimal]]:
    """The three parts of the total cost (exact): co-financing, the applicant's own share of the
    eligible base (base − co-financing), the excluded costs. They add up to the total."""
    e = evaluation
    return [
        (COFINANCING, e.cofinancing_ttc),
        (OWN_SHARE, e.eligible_base_ttc - e.cofinancing_ttc),
        (EXCLUDED_COSTS, e.excluded_cost_ttc),
    ]


def funding_split_records(evaluation: Evaluation) -> list[Record]:
    """The three parts of the total cost, one record each, placed end to end on one bar."""
    total = evaluation.total_cost_ttc
    rows: list[Record] = []
    start = Decimal(0)
    for i, (part, amount) in enumerate(funding_parts(evaluation)):
        share = amount / total if total else Decimal(0)
        rows.append(
            {
                "ordre": i,
                "projet": "Coût total",
                "Partie": part,
                "debut": _money(start),
                "fin": _money(start + amount),
                "milieu": _money(start + amount / 2),
                "montant": _money(amount),
                "Montant TTC": eur(amount),
                "Part du coût total": percent(share, 1),
                # the share is written on the bar only where it fits
                "Étiquette": percent(share, 1) if share >= Decimal("0.07") else "",
                "couleur": "#FFFFFF" if part == COFINANCING else TEXT,
            }
        )
        start += amount
    return rows


def funding_split_chart(evaluation: Evaluation) -> alt.TopLevelMixin:
    """One horizontal bar of the total cost cut in three: co-financing, the applicant's own share
    of the eligible base, the excluded costs (which stay with the applicant). Each part is
    labelled with its share of the total where it is wide enough; the amounts are in the tooltip
    and the table."""
    if not evaluation.total_cost_ttc:
        return placeholder(FUNDING_TITLE, "Aucun coût saisi : rien à répartir.")
    records = funding_split_records(evaluation)
    chart: alt.TopLevelMixin = _funding_chart().properties(datasets={DATASET: records})
    return chart


FUNDING_TITLE = "Financement du projet (TTC)"
FUNDING_SUBTITLE = [
    "Cofinancement, part propre de l’assiette éligible,",
    "dépenses exclues (à la charge du porteur)",
]


def _funding_chart() -> alt.TopLevelMixin:
    """The chart without its data (the dataset :data:`DATASET`); the axis spans the total cost."""
    base = alt.Chart(_named(DATASET), title=_title(FUNDING_TITLE, FUNDING_SUBTITLE))
    y = alt.Y("projet:N", title=None, axis=None)
    bars = base.mark_bar(stroke=OUTLINE, strokeWidth=1, height=44).encode(
        y=y,
        x=alt.X("debut:Q", axis=_axis_money("Montant TTC"), scale=alt.Scale(nice=False)),
        x2=alt.X2("fin:Q"),
        color=alt.Color(
            "Partie:N", title=None, scale=alt.Scale(domain=FUNDING_PARTS, range=FUNDING_COLORS)
        ),
        tooltip=[
            alt.Tooltip("Partie:N"),
            alt.Tooltip("Montant TTC:N"),
            alt.Tooltip("Part du coût total:N"),
        ],
    )
    # white on the dark blue, near-black on the light ones (contrast ≥ 4.5:1)
    text = base.mark_text(align="center", baseline="middle", fontWeight="bold").encode(
        y=y,
        x=alt.X("milieu:Q"),
        text=alt.Text("Étiquette:N"),
        color=alt.Color("couleur:N", scale=None, legend=None),
    )
    chart = alt.layer(bars, text).properties(height=70)
    return _configured(chart)


# --- fast specs for the Simulateur page -----------------------------------------------------------
#
# Building an altair chart and converting it costs tens of milliseconds, at every rerun of the page
# that redraws after each edit. The two charts of the Simulateur are written so that their spec
# never depends on the figures (the order of the categories and the end of the axis are computed
# by Vega from the data): the spec is built once through altair and validated, and each rerun only
# attaches the data. An unchanged spec also lets the browser update the drawn chart with the new
# data instead of compiling and drawing a new one. The tests check that the result equals the
# altair chart's spec.


@cache
def _template(kind: str) -> str:
    chart = _costs_chart() if kind == "costs" else _funding_chart()
    return json.dumps(chart.to_dict(), ensure_ascii=False)  # validated once


def _with_data(kind: str, records: list[Record]) -> dict[str, Any]:
    spec: dict[str, Any] = json.loads(_template(kind))
    spec["datasets"] = {DATASET: records}
    return spec


def costs_by_category_spec(evaluation: Evaluation) -> dict[str, Any]:
    """The Vega-Lite spec of :func:`costs_by_category_chart`, without rebuilding it in altair."""
    records = costs_by_category_records(evaluation)
    if not records:
        return vega_spec(costs_by_category_chart(evaluation))
    return _with_data("costs", records)


def funding_split_spec(evaluation: Evaluation) -> dict[str, Any]:
    """The Vega-Lite spec of :func:`funding_split_chart`, without rebuilding it in altair."""
    if not evaluation.total_cost_ttc:
        return vega_spec(funding_split_chart(evaluation))
    return _with_data("funding", funding_split_records(evaluation))


def funding_split_table(evaluation: Evaluation) -> pd.DataFrame:
    """The three parts and the total, exact to the cent."""
    total = evaluation.total_cost_ttc
    rows = [
        {
            "Partie": part,
            "Montant TTC": eur(amount),
            "Part du coût total": percent(amount / total, 1) if total else "—",
        }
        for part, amount in funding_parts(evaluation)
    ]
    rows.append(
        {
            "Partie": TOTAL,
            "Montant TTC": eur(total),
            "Part du coût total": percent(1) if total else "—",
        }
    )
    return pd.DataFrame(rows, columns=["Partie", "Montant TTC", "Part du coût total"])


# --- monthly spend --------------------------------------------------------------------------------


def monthly_spend_data(evaluation: Evaluation) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(bars: one row per month and status; cumulative: one row per month)."""
    bars: list[Record] = []
    cumulative: list[Record] = []
    for m in evaluation.monthly_schedule:
        label = month_label(m.month)
        for status, amount in ((ELIGIBLE, m.eligible_ttc), (EXCLUDED, m.excluded_ttc)):
            bars.append(
                {
                    "mois": m.month,
                    "Mois": label,
                    "Statut": status,
                    "montant": _money(amount),
                    "Montant TTC": eur(amount),
                }
            )
        cumulative.append(
            {
                "mois": m.month,
                "Mois": label,
                "cumul": _money(m.cumulative_ttc),
                "Cumul TTC": eur(m.cumulative_ttc),
            }
        )
    return (
        pd.DataFrame(bars, columns=["mois", "Mois", "Statut", "montant", "Montant TTC"]),
        pd.DataFrame(cumulative, columns=["mois", "Mois", "cumul", "Cumul TTC"]),
    )


def monthly_spend_chart(evaluation: Evaluation) -> alt.TopLevelMixin:
    """Spend per month as stacked bars (in the eligible base / excluded, left axis) and the
    cumulative spend as a line with points (Bleu France, right axis)."""
    title = "Dépenses mensuelles et cumulées (TTC)"
    if not evaluation.monthly_schedule:
        return placeholder(title, "Aucune ligne de coût saisie.")
    bars, cumulative = monthly_spend_data(evaluation)
    months = list(cumulative["Mois"])
    x = alt.X(
        "Mois:O",
        sort=months,
        title="Mois du projet",
        axis=alt.Axis(labelAngle=0, labelOverlap=True),
    )
    bar = (
        alt.Chart(_inline(bars))
        .mark_bar(stroke=OUTLINE, strokeWidth=0.5)
        .encode(
            x=x,
            y=alt.Y("montant:Q", stack="zero", axis=_axis_money("Dépense du mois (barres)")),
            color=alt.Color(
                "Statut:N",
                title="Dépense du mois",
                scale=alt.Scale(domain=[ELIGIBLE, EXCLUDED], range=[HIGHLIGHT, GREY]),
            ),
            order=alt.Order("Statut:N", sort="ascending"),
            tooltip=[alt.Tooltip("Mois:N"), alt.Tooltip("Statut:N"), alt.Tooltip("Montant TTC:N")],
        )
    )
    line = (
        alt.Chart(_inline(cumulative))
        .mark_line(
            color=BLUE_FRANCE, strokeWidth=2, point=alt.OverlayMarkDef(color=BLUE_FRANCE, size=30)
        )
        .encode(
            x=x,
            y=alt.Y(
                "cumul:Q",
                axis=alt.Axis(
                    title="Cumul depuis M1 (courbe)",
                    format=MONEY_AXIS,
                    orient="right",
                    titleColor=BLUE_FRANCE,
                    tickCount=5,
                ),
            ),
            tooltip=[alt.Tooltip("Mois:N"), alt.Tooltip("Cumul TTC:N")],
        )
    )
    chart: alt.LayerChart = (
        alt.layer(
            bar, line, title=_title(title, "Barres : dépense du mois ; courbe : dépense cumulée")
        )
        .resolve_scale(y="independent")
        .properties(height=300)
    )
    return _configured(chart)


def monthly_spend_table(evaluation: Evaluation) -> pd.DataFrame:
    rows = [
        {
            "Mois": month_label(m.month),
            "Dans l’assiette éligible": eur(m.eligible_ttc),
            "Exclues de l’assiette": eur(m.excluded_ttc),
            "Total du mois": eur(m.total_ttc),
            "Cumul": eur(m.cumulative_ttc),
        }
        for m in evaluation.monthly_schedule
    ]
    columns = [
        "Mois",
        "Dans l’assiette éligible",
        "Exclues de l’assiette",
        "Total du mois",
        "Cumul",
    ]
    return pd.DataFrame(rows, columns=columns)
