"""The timeline of one project (the Calendrier page): its cost lines (or, above
TIMELINE_MAX_LINES lines, its categories' periods of spending), its milestones and the impact
horizon, with its table alternative."""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd

from guichet.engine.evaluate import Evaluation, LineResult
from guichet.engine.models import Scenario
from guichet.engine.rules import impact_horizon
from guichet.present import labels
from guichet.present.charts.base import (
    _NARROW,
    BLUE_FRANCE,
    CATEGORY_COLORS,
    GREY,
    OUTLINE,
    RED_MARIANNE,
    Record,
    _configured,
    _inline,
    placeholder,
)
from guichet.present.formatting import eur, month_label, number

#: Above this many cost lines, the timeline draws one row per category (its periods of spending)
#: instead of one bar per line: 40 rows is already a tall chart, and thousands of bars would be
#: unreadable and slow.
TIMELINE_MAX_LINES = 40
#: Longest line label on the timeline's axis (the full label is in the tooltip and the table).
TIMELINE_LABEL_CHARS = 32
#: Width (px) of the timeline's row labels: the plot keeps most of a half-page column.
TIMELINE_LABEL_LIMIT = 190
#: Width (px) of the timeline's row labels in a narrow container (see ``NARROW_CONTAINER``).
TIMELINE_LABEL_LIMIT_NARROW = 100


# --- timeline -------------------------------------------------------------------------------------

MILESTONES_ROW = "Jalons"
IMPACT = "Jalon d’impact réel"
NO_IMPACT = "Jalon sans impact réel"


def _short(text: str, n: int = TIMELINE_LABEL_CHARS) -> str:
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


def _months(start: int, end: int) -> str:
    return month_label(start) if start == end else f"{month_label(start)} à {month_label(end)}"


def timeline_is_aggregated(evaluation: Evaluation) -> bool:
    """True when the timeline draws categories rather than lines (more than
    :data:`TIMELINE_MAX_LINES` lines)."""
    return len(evaluation.lines) > TIMELINE_MAX_LINES


def _category_periods(evaluation: Evaluation) -> list[Record]:
    """Per category, its periods of spending: overlapping or touching lines merged into one
    period (at most 60 per category since a project lasts at most 120 months)."""
    by_cat: dict[str, list[LineResult]] = {}
    for line in evaluation.lines:
        by_cat.setdefault(line.category, []).append(line)
    out: list[Record] = []
    for category in labels.CATEGORIES:
        lines = sorted(by_cat.get(category, []), key=lambda ln: (ln.start_month, ln.end_month))
        periods: list[list[Any]] = []  # [start, end, count, ttc, excluded]
        for ln in lines:
            if periods and ln.start_month <= periods[-1][1] + 1:
                p = periods[-1]
                p[1] = max(p[1], ln.end_month)
                p[2] += 1
                p[3] += ln.ttc
            else:
                periods.append([ln.start_month, ln.end_month, 1, ln.ttc, ln.excluded])
        for start, end, count, ttc, excluded in periods:
            out.append(
                {
                    "category": category,
                    "label": labels.CATEGORIES[category],
                    "start": start,
                    "end": end,
                    "count": count,
                    "ttc": ttc,
                    "excluded": excluded,
                }
            )
    return out


def timeline_bars_data(evaluation: Evaluation) -> pd.DataFrame:
    """The bars of the timeline. Month ``k`` spans ``[k − 1, k]`` on the x scale, so a line from
    month 1 to month 8 covers ``[0, 8]``."""
    rows: list[Record] = []
    if timeline_is_aggregated(evaluation):
        for p in _category_periods(evaluation):
            rows.append(
                {
                    "Ligne": p["label"],
                    "Catégorie": p["label"],
                    "debut": p["start"] - 1,
                    "fin": p["end"],
                    "Mois": _months(p["start"], p["end"]),
                    "Lignes": p["count"],
                    "Montant TTC": eur(p["ttc"]),
                    "Assiette": "Non (exclue)" if p["excluded"] else "Oui",
                }
            )
    else:
        for ln in evaluation.lines:
            rows.append(
                {
                    "Ligne": f"{ln.index + 1}. {_short(ln.label)}",
                    "Catégorie": ln.category_label,
                    "debut": ln.start_month - 1,
                    "fin": ln.end_month,
                    "Mois": _months(ln.start_month, ln.end_month),
                    "Lignes": 1,
                    "Montant TTC": eur(ln.ttc),
                    "Assiette": "Non (exclue)" if ln.excluded else "Oui",
                }
            )
    columns = ["Ligne", "Catégorie", "debut", "fin", "Mois", "Lignes", "Montant TTC", "Assiette"]
    return pd.DataFrame(rows, columns=columns)


def timeline_milestones_data(scenario: Scenario) -> pd.DataFrame:
    """The milestones, each in the middle of its month (``month − 0.5``)."""
    rows = [
        {
            "Ligne": MILESTONES_ROW,
            "x": m.month - 0.5,
            "Jalon": m.label,
            "Mois": month_label(m.month),
            "Type": IMPACT if m.impact else NO_IMPACT,
        }
        for m in scenario.milestones
    ]
    return pd.DataFrame(rows, columns=["Ligne", "x", "Jalon", "Mois", "Type"])


def _timeline_x(last: int) -> tuple[alt.Scale, alt.Axis]:
    """The x scale (months 1 to ``last``) and its axis, one « M… » tick every 1, 3 or 6 months."""
    step = 1 if last <= 24 else 3 if last <= 60 else 6
    ticks = [k - 0.5 for k in range(1, last + 1) if k == 1 or k % step == 0]
    x_scale = alt.Scale(domain=[0, last], nice=False, zero=True)
    x_axis = alt.Axis(
        title="Mois du projet", values=ticks, grid=False, labelExpr="'M' + round(datum.value + 0.5)"
    )
    return x_scale, x_axis


def _timeline_bars(
    bars: pd.DataFrame, y: alt.Y, x_scale: alt.Scale, x_axis: alt.Axis, aggregated: bool
) -> alt.Chart:
    """The layer of the cost lines (or of the categories' periods), coloured by category."""
    present = [c for c in labels.CATEGORIES.values() if c in set(bars["Catégorie"])]
    colors = [CATEGORY_COLORS[k] for k, v in labels.CATEGORIES.items() if v in present]
    layer: alt.Chart = (
        alt.Chart(_inline(bars))
        .mark_bar(stroke=OUTLINE, strokeWidth=1, height={"band": 0.7})
        .encode(
            y=y,
            x=alt.X("debut:Q", scale=x_scale, axis=x_axis),
            x2=alt.X2("fin:Q"),
            color=alt.Color(
                "Catégorie:N", title="Catégorie", scale=alt.Scale(domain=present, range=colors)
            ),
            tooltip=[
                alt.Tooltip("Ligne:N", title="Catégorie" if aggregated else "Ligne"),
                alt.Tooltip("Catégorie:N"),
                alt.Tooltip("Mois:N"),
                alt.Tooltip("Lignes:Q", format=",d"),
                alt.Tooltip("Montant TTC:N"),
                alt.Tooltip("Assiette:N", title="Dans l’assiette éligible"),
            ],
        )
    )
    return layer


def _timeline_milestones(
    milestones: pd.DataFrame, y: alt.Y, x_scale: alt.Scale, x_axis: alt.Axis
) -> alt.Chart:
    """The layer of the milestones on the « Jalons » row: shape and colour tell their type."""
    # above the chart, next to the « Jalons » row; the categories' legend is below
    milestone_legend = alt.Legend(orient="top")
    layer: alt.Chart = (
        alt.Chart(_inline(milestones))
        .mark_point(filled=True, size=170, stroke=OUTLINE, strokeWidth=1, opacity=1)
        .encode(
            y=y,
            x=alt.X("x:Q", scale=x_scale, axis=x_axis),
            fill=alt.Fill(
                "Type:N",
                title="Jalons",
                legend=milestone_legend,
                scale=alt.Scale(domain=[IMPACT, NO_IMPACT], range=[BLUE_FRANCE, GREY]),
            ),
            shape=alt.Shape(
                "Type:N",
                title="Jalons",
                legend=milestone_legend,
                scale=alt.Scale(domain=[IMPACT, NO_IMPACT], range=["triangle-up", "circle"]),
            ),
            tooltip=[alt.Tooltip("Jalon:N"), alt.Tooltip("Mois:N"), alt.Tooltip("Type:N")],
        )
    )
    return layer


def _timeline_horizon(
    horizon: int, last: int, x_scale: alt.Scale, x_axis: alt.Axis
) -> list[alt.Chart]:
    """The dashed red rule at the end of the impact horizon month, and its label."""
    rule_label = f"Horizon d’impact : fin de {month_label(horizon)}"
    rule_data = pd.DataFrame(
        {"x": [horizon], "Repère": [rule_label], "court": [f"Horizon : {month_label(horizon)}"]}
    )
    rule = (
        alt.Chart(_inline(rule_data))
        .mark_rule(color=RED_MARIANNE, strokeWidth=2, strokeDash=[6, 4])
        .encode(x=alt.X("x:Q", scale=x_scale, axis=x_axis), tooltip=[alt.Tooltip("Repère:N")])
    )
    # the label goes on the side of the rule where there is room
    right_side = horizon <= last * 0.6
    text = (
        alt.Chart(_inline(rule_data))
        .mark_text(
            align="left" if right_side else "right",
            baseline="bottom",
            dx=4 if right_side else -4,
            dy=-4,
            color=RED_MARIANNE,
            fontWeight="bold",
        )
        .encode(
            x=alt.X("x:Q", scale=x_scale, axis=x_axis), y=alt.value(0), text=alt.Text("étiquette:N")
        )
        .transform_calculate(étiquette=f"{_NARROW} ? datum.court : datum['Repère']")
    )
    return [rule, text]


def timeline_chart(scenario: Scenario, evaluation: Evaluation) -> alt.TopLevelMixin:
    """Cost lines as bars over the project's months (x axis « M1 », « M2 »…; colour = category,
    named in the tooltip and the legend), milestones as points on a « Jalons » row (impact ones as
    Bleu France triangles, the others as grey circles: shape and colour), and a dashed red rule
    at the end of the impact horizon month (``impact_horizon_months`` in the rules), labelled.

    Above :data:`TIMELINE_MAX_LINES` (40) cost lines, the bars are one row per category showing
    its periods of spending (overlapping lines merged), so 10 000 lines draw at most a few
    hundred marks; the subtitle says so.
    """
    title = "Calendrier du projet"
    horizon = impact_horizon()
    bars = timeline_bars_data(evaluation)
    milestones = timeline_milestones_data(scenario)
    if bars.empty and milestones.empty:
        return placeholder(title, "Aucune ligne de coût ni aucun jalon saisi.")

    last = max([horizon, *(int(v) for v in bars["fin"]), *(m.month for m in scenario.milestones)])
    x_scale, x_axis = _timeline_x(last)
    rows = ([MILESTONES_ROW] if not milestones.empty else []) + list(dict.fromkeys(bars["Ligne"]))
    y = alt.Y(
        "Ligne:N",
        title=None,
        sort=rows,
        scale=alt.Scale(domain=rows),
        axis=alt.Axis(
            labelLimit=alt.ExprRef(
                f"{_NARROW} ? {TIMELINE_LABEL_LIMIT_NARROW} : {TIMELINE_LABEL_LIMIT}"
            )
        ),
    )

    aggregated = timeline_is_aggregated(evaluation)
    subtitle = (
        [
            f"{number(len(evaluation.lines))} lignes : regroupées par catégorie",
            "(périodes de dépense)",
        ]
        if aggregated
        else None
    )
    layers: list[alt.Chart] = []
    if not bars.empty:
        layers.append(_timeline_bars(bars, y, x_scale, x_axis, aggregated))
    if not milestones.empty:
        layers.append(_timeline_milestones(milestones, y, x_scale, x_axis))
    layers.extend(_timeline_horizon(horizon, last, x_scale, x_axis))

    chart: alt.LayerChart = (
        alt.layer(
            *layers, title=alt.TitleParams(title, subtitle=subtitle or alt.Undefined, offset=22)
        )
        .resolve_scale(color="independent", fill="independent", shape="independent")
        .properties(height=alt.Step(24))
    )
    return _configured(chart)


def timeline_table(scenario: Scenario, evaluation: Evaluation) -> pd.DataFrame:
    """What :func:`timeline_chart` draws: the bars (lines, or category periods above
    :data:`TIMELINE_MAX_LINES` lines), the milestones, the impact horizon."""
    horizon = impact_horizon()
    rows: list[Record] = []
    kind = "Période de dépense" if timeline_is_aggregated(evaluation) else "Ligne de coût"
    if timeline_is_aggregated(evaluation):
        for p in _category_periods(evaluation):
            rows.append(
                {
                    "Élément": kind,
                    "Libellé": p["label"],
                    "Catégorie": p["label"],
                    "Début": month_label(p["start"]),
                    "Fin": month_label(p["end"]),
                    "Lignes": number(p["count"]),
                    "Montant TTC": eur(p["ttc"]),
                }
            )
    else:
        for ln in evaluation.lines:
            rows.append(
                {
                    "Élément": kind,
                    "Libellé": ln.label,
                    "Catégorie": ln.category_label,
                    "Début": month_label(ln.start_month),
                    "Fin": month_label(ln.end_month),
                    "Lignes": "1",
                    "Montant TTC": eur(ln.ttc),
                }
            )
    for m in sorted(scenario.milestones, key=lambda m: m.month):
        rows.append(
            {
                "Élément": IMPACT if m.impact else NO_IMPACT,
                "Libellé": m.label,
                "Catégorie": "",
                "Début": month_label(m.month),
                "Fin": month_label(m.month),
                "Lignes": "",
                "Montant TTC": "",
            }
        )
    rows.append(
        {
            "Élément": "Repère",
            "Libellé": f"Horizon d’impact réel ({horizon} mois)",
            "Catégorie": "",
            "Début": "",
            "Fin": month_label(horizon),
            "Lignes": "",
            "Montant TTC": "",
        }
    )
    columns = ["Élément", "Libellé", "Catégorie", "Début", "Fin", "Lignes", "Montant TTC"]
    return pd.DataFrame(rows, columns=columns)
