"""The charts of one project: its costs by category and its funding split (the Simulateur), its
timeline and its monthly spend (the Calendrier), each with its table alternative."""

from __future__ import annotations

import json
from decimal import Decimal
from functools import cache
from typing import Any

import altair as alt
import pandas as pd

from guichet.engine.evaluate import Evaluation, LineResult
from guichet.engine.figures import short
from guichet.engine.models import Scenario
from guichet.engine.rules import impact_horizon
from guichet.present import labels
from guichet.present.charts.base import (_NARROW, AXIS_LABEL_LIMIT, BLUE_FRANCE, CATEGORY_COLORS,
                                         DATASET, ELIGIBLE, EXCLUDED, GREY, HIGHLIGHT, MONEY_AXIS,
                                         OUTLINE, PALETTE, RED_MARIANNE, TEXT, TOTAL, Record,
                                         _axis_money, _configured, _inline, _money, _named, _title,
                                         placeholder, vega_spec)
from guichet.present.formatting import eur, month_label, number, percent

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


# --- costs by category ----------------------------------------------------------------------------

def costs_by_category_records(evaluation: Evaluation) -> list[Record]:
    """One record per category that has lines, in the scenario format's order (``ordre``)."""
    rows: list[Record] = []
    for c in evaluation.by_category:
        if not c.lines:
            continue
        rows.append({
            "ordre": len(rows),
            "categorie": c.category,
            "Catégorie": c.label,
            "Statut": EXCLUDED if c.excluded else ELIGIBLE,
            "montant": _money(c.ttc),
            "Montant TTC": eur(c.ttc),
            "Lignes": c.lines,
            "Étiquette": eur(c.ttc) + (" · exclue" if c.excluded else ""),
        })
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
COSTS_SUBTITLE = ["Dépenses exclues : matériel, logiciels,",
                  "ressources Cloud, évolutions fonctionnelles"]
#: The x axis ends at the largest bar times this: room on the right for the amount labels.
LABEL_ROOM = 1.45


def _costs_chart() -> alt.TopLevelMixin:
    """The chart without its data (the dataset :data:`DATASET`): what depends on the figures —
    the order of the categories, the end of the axis — is computed by Vega from the data."""
    y = alt.Y("Catégorie:N", title=None, sort=alt.EncodingSortField("ordre", op="min"),
              axis=alt.Axis(labelLimit=alt.ExprRef(f"{_NARROW} ? 130 : {AXIS_LABEL_LIMIT}")))
    base = alt.Chart(_named(DATASET), title=_title(COSTS_TITLE, COSTS_SUBTITLE))
    axis_end = f"max(1, extent(pluck(data('{DATASET}'), 'montant'))[1]) * {LABEL_ROOM}"
    bars = base.mark_bar(stroke=OUTLINE, strokeWidth=1).encode(
        y=y,
        x=alt.X("montant:Q", stack="zero", axis=_axis_money("Montant TTC"),
                scale=alt.Scale(domainMax=alt.ExprRef(axis_end), nice=False)),
        color=alt.Color("Statut:N", title="Statut",
                        scale=alt.Scale(domain=[ELIGIBLE, EXCLUDED], range=[HIGHLIGHT, GREY])),
        order=alt.Order("Statut:N", sort="ascending"),
        tooltip=[alt.Tooltip("Catégorie:N"), alt.Tooltip("Statut:N"),
                 alt.Tooltip("Montant TTC:N"), alt.Tooltip("Lignes:Q", format=",d")],
    )
    text = base.mark_text(align="left", baseline="middle", dx=4, color=TEXT).encode(
        y=y, x=alt.X("montant:Q", stack="zero"), text=alt.Text("Étiquette:N"))
    chart = alt.layer(bars, text).properties(height=alt.Step(28))
    return _configured(chart)


def costs_by_category_table(evaluation: Evaluation) -> pd.DataFrame:
    """The figures of :func:`costs_by_category_chart`, with a total row."""
    rows: list[Record] = []
    total = evaluation.total_cost_ttc
    for c in evaluation.by_category:
        if not c.lines:
            continue
        rows.append({
            "Catégorie": c.label,
            "Dans l’assiette éligible": "Non (exclue)" if c.excluded else "Oui",
            "Lignes": number(c.lines),
            "Montant TTC": eur(c.ttc),
            "Part du coût total": percent(c.ttc / total, 1) if total else "—",
        })
    if rows:
        rows.append({"Catégorie": "Total", "Dans l’assiette éligible": "",
                     "Lignes": number(len(evaluation.lines)), "Montant TTC": eur(total),
                     "Part du coût total": percent(1)})
    columns = ["Catégorie", "Dans l’assiette éligible", "Lignes", "Montant TTC",
               "Part du coût total"]
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
    return [(COFINANCING, e.cofinancing_ttc),
            (OWN_SHARE, e.eligible_base_ttc - e.cofinancing_ttc),
            (EXCLUDED_COSTS, e.excluded_cost_ttc)]


def funding_split_records(evaluation: Evaluation) -> list[Record]:
    """The three parts of the total cost, one record each, placed end to end on one bar."""
    total = evaluation.total_cost_ttc
    rows: list[Record] = []
    start = Decimal(0)
    for i, (part, amount) in enumerate(funding_parts(evaluation)):
        share = amount / total if total else Decimal(0)
        rows.append({
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
        })
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
FUNDING_SUBTITLE = ["Cofinancement, part propre de l’assiette éligible,",
                    "dépenses exclues (à la charge du porteur)"]


def _funding_chart() -> alt.TopLevelMixin:
    """The chart without its data (the dataset :data:`DATASET`); the axis spans the total cost."""
    base = alt.Chart(_named(DATASET), title=_title(FUNDING_TITLE, FUNDING_SUBTITLE))
    y = alt.Y("projet:N", title=None, axis=None)
    bars = base.mark_bar(stroke=OUTLINE, strokeWidth=1, height=44).encode(
        y=y,
        x=alt.X("debut:Q", axis=_axis_money("Montant TTC"), scale=alt.Scale(nice=False)),
        x2=alt.X2("fin:Q"),
        color=alt.Color("Partie:N", title=None,
                        scale=alt.Scale(domain=FUNDING_PARTS, range=FUNDING_COLORS)),
        tooltip=[alt.Tooltip("Partie:N"), alt.Tooltip("Montant TTC:N"),
                 alt.Tooltip("Part du coût total:N")],
    )
    # white on the dark blue, near-black on the light ones (contrast ≥ 4.5:1)
    text = base.mark_text(align="center", baseline="middle", fontWeight="bold").encode(
        y=y, x=alt.X("milieu:Q"), text=alt.Text("Étiquette:N"),
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
    rows = [{"Partie": part, "Montant TTC": eur(amount),
             "Part du coût total": percent(amount / total, 1) if total else "—"}
            for part, amount in funding_parts(evaluation)]
    rows.append({"Partie": TOTAL, "Montant TTC": eur(total),
                 "Part du coût total": percent(1) if total else "—"})
    return pd.DataFrame(rows, columns=["Partie", "Montant TTC", "Part du coût total"])


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
            out.append({"category": category, "label": labels.CATEGORIES[category],
                        "start": start, "end": end, "count": count, "ttc": ttc,
                        "excluded": excluded})
    return out


def timeline_bars_data(evaluation: Evaluation) -> pd.DataFrame:
    """The bars of the timeline. Month ``k`` spans ``[k − 1, k]`` on the x scale, so a line from
    month 1 to month 8 covers ``[0, 8]``."""
    rows: list[Record] = []
    if timeline_is_aggregated(evaluation):
        for p in _category_periods(evaluation):
            rows.append({
                "Ligne": p["label"], "Catégorie": p["label"],
                "debut": p["start"] - 1, "fin": p["end"],
                "Mois": _months(p["start"], p["end"]),
                "Lignes": p["count"], "Montant TTC": eur(p["ttc"]),
                "Assiette": "Non (exclue)" if p["excluded"] else "Oui",
            })
    else:
        for ln in evaluation.lines:
            rows.append({
                "Ligne": f"{ln.index + 1}. {_short(ln.label)}", "Catégorie": ln.category_label,
                "debut": ln.start_month - 1, "fin": ln.end_month,
                "Mois": _months(ln.start_month, ln.end_month),
                "Lignes": 1, "Montant TTC": eur(ln.ttc),
                "Assiette": "Non (exclue)" if ln.excluded else "Oui",
            })
    columns = ["Ligne", "Catégorie", "debut", "fin", "Mois", "Lignes", "Montant TTC", "Assiette"]
    return pd.DataFrame(rows, columns=columns)


def timeline_milestones_data(scenario: Scenario) -> pd.DataFrame:
    """The milestones, each in the middle of its month (``month − 0.5``)."""
    rows = [{"Ligne": MILESTONES_ROW, "x": m.month - 0.5, "Jalon": m.label,
             "Mois": month_label(m.month), "Type": IMPACT if m.impact else NO_IMPACT}
            for m in scenario.milestones]
    return pd.DataFrame(rows, columns=["Ligne", "x", "Jalon", "Mois", "Type"])


def _timeline_x(last: int) -> tuple[alt.Scale, alt.Axis]:
    """The x scale (months 1 to ``last``) and its axis, one « M… » tick every 1, 3 or 6 months."""
    step = 1 if last <= 24 else 3 if last <= 60 else 6
    ticks = [k - 0.5 for k in range(1, last + 1) if k == 1 or k % step == 0]
    x_scale = alt.Scale(domain=[0, last], nice=False, zero=True)
    x_axis = alt.Axis(title="Mois du projet", values=ticks, grid=False,
                      labelExpr="'M' + round(datum.value + 0.5)")
    return x_scale, x_axis


def _timeline_bars(bars: pd.DataFrame, y: alt.Y, x_scale: alt.Scale, x_axis: alt.Axis,
                   aggregated: bool) -> alt.Chart:
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
            color=alt.Color("Catégorie:N", title="Catégorie",
                            scale=alt.Scale(domain=present, range=colors)),
            tooltip=[alt.Tooltip("Ligne:N", title="Catégorie" if aggregated else "Ligne"),
                     alt.Tooltip("Catégorie:N"), alt.Tooltip("Mois:N"),
                     alt.Tooltip("Lignes:Q", format=",d"), alt.Tooltip("Montant TTC:N"),
                     alt.Tooltip("Assiette:N", title="Dans l’assiette éligible")],
        ))
    return layer


def _timeline_milestones(milestones: pd.DataFrame, y: alt.Y, x_scale: alt.Scale,
                         x_axis: alt.Axis) -> alt.Chart:
    """The layer of the milestones on the « Jalons » row: shape and colour tell their type."""
    # above the chart, next to the « Jalons » row; the categories' legend is below
    milestone_legend = alt.Legend(orient="top")
    layer: alt.Chart = (
        alt.Chart(_inline(milestones))
        .mark_point(filled=True, size=170, stroke=OUTLINE, strokeWidth=1, opacity=1)
        .encode(
            y=y,
            x=alt.X("x:Q", scale=x_scale, axis=x_axis),
            fill=alt.Fill("Type:N", title="Jalons", legend=milestone_legend,
                          scale=alt.Scale(domain=[IMPACT, NO_IMPACT], range=[BLUE_FRANCE, GREY])),
            shape=alt.Shape("Type:N", title="Jalons", legend=milestone_legend,
                            scale=alt.Scale(domain=[IMPACT, NO_IMPACT],
                                            range=["triangle-up", "circle"])),
            tooltip=[alt.Tooltip("Jalon:N"), alt.Tooltip("Mois:N"), alt.Tooltip("Type:N")],
        ))
    return layer


def _timeline_horizon(horizon: int, last: int, x_scale: alt.Scale,
                      x_axis: alt.Axis) -> list[alt.Chart]:
    """The dashed red rule at the end of the impact horizon month, and its label."""
    rule_label = f"Horizon d’impact : fin de {month_label(horizon)}"
    rule_data = pd.DataFrame({"x": [horizon], "Repère": [rule_label],
                              "court": [f"Horizon : {month_label(horizon)}"]})
    rule = (alt.Chart(_inline(rule_data))
            .mark_rule(color=RED_MARIANNE, strokeWidth=2, strokeDash=[6, 4])
            .encode(x=alt.X("x:Q", scale=x_scale, axis=x_axis),
                    tooltip=[alt.Tooltip("Repère:N")]))
    # the label goes on the side of the rule where there is room
    right_side = horizon <= last * 0.6
    text = (alt.Chart(_inline(rule_data))
            .mark_text(align="left" if right_side else "right", baseline="bottom",
                       dx=4 if right_side else -4, dy=-4, color=RED_MARIANNE, fontWeight="bold")
            .encode(x=alt.X("x:Q", scale=x_scale, axis=x_axis), y=alt.value(0),
                    text=alt.Text("étiquette:N"))
            .transform_calculate(étiquette=f"{_NARROW} ? datum.court : datum['Repère']"))
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
    y = alt.Y("Ligne:N", title=None, sort=rows, scale=alt.Scale(domain=rows),
              axis=alt.Axis(labelLimit=alt.ExprRef(
                  f"{_NARROW} ? {TIMELINE_LABEL_LIMIT_NARROW} : {TIMELINE_LABEL_LIMIT}")))

    aggregated = timeline_is_aggregated(evaluation)
    subtitle = ([f"{number(len(evaluation.lines))} lignes : regroupées par catégorie",
                 "(périodes de dépense)"] if aggregated else None)
    layers: list[alt.Chart] = []
    if not bars.empty:
        layers.append(_timeline_bars(bars, y, x_scale, x_axis, aggregated))
    if not milestones.empty:
        layers.append(_timeline_milestones(milestones, y, x_scale, x_axis))
    layers.extend(_timeline_horizon(horizon, last, x_scale, x_axis))

    chart: alt.LayerChart = (
        alt.layer(*layers, title=alt.TitleParams(title, subtitle=subtitle or alt.Undefined,
                                                 offset=22))
        .resolve_scale(color="independent", fill="independent", shape="independent")
        .properties(height=alt.Step(24)))
    return _configured(chart)


def timeline_table(scenario: Scenario, evaluation: Evaluation) -> pd.DataFrame:
    """What :func:`timeline_chart` draws: the bars (lines, or category periods above
    :data:`TIMELINE_MAX_LINES` lines), the milestones, the impact horizon."""
    horizon = impact_horizon()
    rows: list[Record] = []
    kind = "Période de dépense" if timeline_is_aggregated(evaluation) else "Ligne de coût"
    if timeline_is_aggregated(evaluation):
        for p in _category_periods(evaluation):
            rows.append({"Élément": kind, "Libellé": p["label"], "Catégorie": p["label"],
                         "Début": month_label(p["start"]), "Fin": month_label(p["end"]),
                         "Lignes": number(p["count"]), "Montant TTC": eur(p["ttc"])})
    else:
        for ln in evaluation.lines:
            rows.append({"Élément": kind, "Libellé": ln.label, "Catégorie": ln.category_label,
                         "Début": month_label(ln.start_month), "Fin": month_label(ln.end_month),
                         "Lignes": "1", "Montant TTC": eur(ln.ttc)})
    for m in sorted(scenario.milestones, key=lambda m: m.month):
        rows.append({"Élément": IMPACT if m.impact else NO_IMPACT, "Libellé": m.label,
                     "Catégorie": "", "Début": month_label(m.month), "Fin": month_label(m.month),
                     "Lignes": "", "Montant TTC": ""})
    rows.append({"Élément": "Repère", "Libellé": f"Horizon d’impact réel ({horizon} mois)",
                 "Catégorie": "", "Début": "", "Fin": month_label(horizon), "Lignes": "",
                 "Montant TTC": ""})
    columns = ["Élément", "Libellé", "Catégorie", "Début", "Fin", "Lignes", "Montant TTC"]
    return pd.DataFrame(rows, columns=columns)


# --- monthly spend --------------------------------------------------------------------------------

def monthly_spend_data(evaluation: Evaluation) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(bars: one row per month and status; cumulative: one row per month)."""
    bars: list[Record] = []
    cumulative: list[Record] = []
    for m in evaluation.monthly_schedule:
        label = month_label(m.month)
        for status, amount in ((ELIGIBLE, m.eligible_ttc), (EXCLUDED, m.excluded_ttc)):
            bars.append({"mois": m.month, "Mois": label, "Statut": status,
                         "montant": _money(amount), "Montant TTC": eur(amount)})
        cumulative.append({"mois": m.month, "Mois": label, "cumul": _money(m.cumulative_ttc),
                           "Cumul TTC": eur(m.cumulative_ttc)})
    return (pd.DataFrame(bars, columns=["mois", "Mois", "Statut", "montant", "Montant TTC"]),
            pd.DataFrame(cumulative, columns=["mois", "Mois", "cumul", "Cumul TTC"]))


def monthly_spend_chart(evaluation: Evaluation) -> alt.TopLevelMixin:
    """Spend per month as stacked bars (in the eligible base / excluded, left axis) and the
    cumulative spend as a line with points (Bleu France, right axis)."""
    title = "Dépenses mensuelles et cumulées (TTC)"
    if not evaluation.monthly_schedule:
        return placeholder(title, "Aucune ligne de coût saisie.")
    bars, cumulative = monthly_spend_data(evaluation)
    months = list(cumulative["Mois"])
    x = alt.X("Mois:O", sort=months, title="Mois du projet",
              axis=alt.Axis(labelAngle=0, labelOverlap=True))
    bar = alt.Chart(_inline(bars)).mark_bar(stroke=OUTLINE, strokeWidth=0.5).encode(
        x=x,
        y=alt.Y("montant:Q", stack="zero", axis=_axis_money("Dépense du mois (barres)")),
        color=alt.Color("Statut:N", title="Dépense du mois",
                        scale=alt.Scale(domain=[ELIGIBLE, EXCLUDED], range=[HIGHLIGHT, GREY])),
        order=alt.Order("Statut:N", sort="ascending"),
        tooltip=[alt.Tooltip("Mois:N"), alt.Tooltip("Statut:N"), alt.Tooltip("Montant TTC:N")],
    )
    line = alt.Chart(_inline(cumulative)).mark_line(color=BLUE_FRANCE, strokeWidth=2,
                                           point=alt.OverlayMarkDef(color=BLUE_FRANCE, size=30)
                                           ).encode(
        x=x,
        y=alt.Y("cumul:Q", axis=alt.Axis(title="Cumul depuis M1 (courbe)", format=MONEY_AXIS,
                                         orient="right", titleColor=BLUE_FRANCE, tickCount=5)),
        tooltip=[alt.Tooltip("Mois:N"), alt.Tooltip("Cumul TTC:N")],
    )
    chart: alt.LayerChart = (
        alt.layer(bar, line, title=_title(title, "Barres : dépense du mois ; courbe : "
                                                 "dépense cumulée"))
        .resolve_scale(y="independent").properties(height=300))
    return _configured(chart)


def monthly_spend_table(evaluation: Evaluation) -> pd.DataFrame:
    rows = [{"Mois": month_label(m.month), "Dans l’assiette éligible": eur(m.eligible_ttc),
             "Exclues de l’assiette": eur(m.excluded_ttc), "Total du mois": eur(m.total_ttc),
             "Cumul": eur(m.cumulative_ttc)} for m in evaluation.monthly_schedule]
    columns = ["Mois", "Dans l’assiette éligible", "Exclues de l’assiette", "Total du mois",
               "Cumul"]
    return pd.DataFrame(rows, columns=columns)
