"""The simulator's charts: pure functions ``Evaluation``/``Scenario`` → ``alt.Chart``.

Each chart has a table alternative (``…_table``) holding the same figures as French-formatted
strings, to show next to it (RGAA 1.1, 3.1: a chart alone is not accessible).

Conventions, shared by every chart:

- Money reaches Vega as floats, for plotting only; every figure a person reads in a tooltip or a
  table is the engine's exact ``Decimal`` formatted by :func:`guichet.formatting.eur`. Axis labels
  and value labels are formatted by Vega with the French number locale set in the chart's
  ``config.locale`` (:data:`VEGA_LOCALE`): « 1 234 567 € » with the narrow no-break space.
- Colours come from the DSFR chart palette; bars are outlined so that the light colours stay
  visible on white (RGAA 3.3), and no information is carried by colour alone.
- Text colours of axes, legends and titles are left to the theme; the few marks that write
  text (value labels) are near-black or white on the DSFR colours: the charts are made for the
  light theme (set ``theme.base = "light"`` in ``.streamlit/config.toml``).
- No chart sets a width: the caller (Streamlit, ``width="stretch"`` by default) fits it to its
  container.
- An empty scenario gives a placeholder chart (a sentence, no axes) rather than an error.

Streamlit: ``st.altair_chart(chart)`` keeps ``config.locale`` with the default
``theme="streamlit"`` as with ``theme=None``: the front end merges the chart's own ``config`` over
its theme, and the theme defines no locale. This module does not import Streamlit.
"""

from __future__ import annotations

import json
from decimal import Decimal
from functools import lru_cache

import altair as alt
import pandas as pd

from guichet import labels
from guichet.figures import label, short
from guichet.evaluate import Evaluation
from guichet.formatting import eur, month_label, number, percent, unique_names
from guichet.models import Scenario
from guichet.rules import impact_horizon

# --- shared settings ------------------------------------------------------------------------------

#: Vega number locale (d3-format): decimal comma, narrow no-break space between thousands, euro
#: sign after the amount, as the DSFR and :mod:`guichet.formatting` write them.
NUMBER_LOCALE = {"decimal": ",", "thousands": "\u202f", "grouping": [3],
                 "currency": ["", "\u00a0€"], "percent": "\u00a0%"}
#: Vega time locale (d3-time-format, fr-FR), for any date a page may plot.
TIME_LOCALE = {
    "dateTime": "%A %e %B %Y à %X", "date": "%d/%m/%Y", "time": "%H:%M:%S",
    "periods": ["AM", "PM"],
    "days": ["dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"],
    "shortDays": ["dim.", "lun.", "mar.", "mer.", "jeu.", "ven.", "sam."],
    "months": ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
               "septembre", "octobre", "novembre", "décembre"],
    "shortMonths": ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.",
                    "oct.", "nov.", "déc."],
}
VEGA_LOCALE = {"number": NUMBER_LOCALE, "time": TIME_LOCALE}

#: Name of the dataset of the Simulateur's two charts (their spec refers to it by name).
DATASET = "table"

#: DSFR categorical chart palette (dsfr-chart), in order.
PALETTE = ["#5C68E5", "#82B5F2", "#29598F", "#31A7AE", "#81EEF5", "#B478F1", "#CFB1F5", "#CECECE"]
HIGHLIGHT = "#5C68E5"
GREY = "#B1B1B1"
OUTLINE = "#3A3A3A"  # grey 200: outline of every bar and point
TEXT = "#161616"  # grey 50
MENTION = "#666666"  # grey 425
BLUE_FRANCE = "#000091"
RED_MARIANNE = "#E1000F"

MONEY_AXIS = "$,.0f"  # « 1 234 567 € » through the French locale

#: One colour per cost category, in the scenario format's order (stable from chart to chart).
CATEGORY_COLORS = dict(zip(labels.CATEGORIES, PALETTE, strict=True))

ELIGIBLE = "Dans l’assiette éligible"
EXCLUDED = "Exclue de l’assiette"
TOTAL = label("total_cost_ttc")
OWN = short("own_contribution_ttc")  # « Reste à charge »

#: Above this many cost lines, the timeline draws one row per category (its periods of spending)
#: instead of one bar per line: 40 rows is already a tall chart, and thousands of bars would be
#: unreadable and slow.
TIMELINE_MAX_LINES = 40
#: Longest line label on the timeline's axis (the full label is in the tooltip and the table).
TIMELINE_LABEL_CHARS = 32
#: Width (px) of the timeline's row labels: the plot keeps most of a half-page column.
TIMELINE_LABEL_LIMIT = 190
#: In a container narrower than this (a phone), the timeline's row labels are cut shorter and its
#: horizon label says less, so the bars and the label keep room (Vega reads the container's width).
NARROW_CONTAINER = 520
TIMELINE_LABEL_LIMIT_NARROW = 100
_NARROW = f"(containerSize()[0] > 0 && containerSize()[0] < {NARROW_CONTAINER})"
#: At most this many scenarios side by side in the comparison chart.
MAX_COMPARED = 4


#: The width fits the container, the height is the chart's own (plot area plus axes and legends).
#: Streamlit's theme asks for ``fit`` in both directions, which squeezes the plot area into the
#: given height once legends are drawn; a spec's own ``autosize`` wins over the theme's config.
AUTOSIZE = alt.AutoSizeParams(type="fit-x", contains="padding")
AXIS_LABEL_LIMIT = 230


def _inline(frame: pd.DataFrame) -> alt.Data:
    """A small frame as inline records. Altair's default transformer sanitises a DataFrame with
    pandas at every ``to_dict`` (about 15 ms a chart); these frames hold only plain strings,
    floats and ints, so their records can go to Vega as they are (Altair still gathers them in
    the spec's ``datasets``)."""
    return alt.Data(values=frame.to_dict("records"))


def _money(value: Decimal) -> float:
    """A Decimal amount as a float: for plotting only, never for a figure a person reads."""
    return float(value)


def _configured(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    """The French locale and the few settings every chart of the simulator shares."""
    # one configure() call: each altair call deep-copies the whole chart
    return chart.properties(autosize=AUTOSIZE).configure(
        locale=VEGA_LOCALE,
        axis=alt.AxisConfig(labelLimit=AXIS_LABEL_LIMIT),
        legend=alt.LegendConfig(labelLimit=220, orient="bottom", direction="vertical", columns=1,
                                symbolStrokeWidth=1, symbolStrokeColor=OUTLINE),
        title=alt.TitleConfig(anchor="start"),
    )


def vega_spec(chart: alt.TopLevelMixin) -> dict:
    """The Vega-Lite spec of a chart, for ``st.vega_lite_chart``. Not validated again at each
    rerun (jsonschema validation costs tens of milliseconds a chart); the tests validate every
    chart's spec, and render it with vl-convert."""
    return chart.to_dict(validate=False)


def _title(text: str, subtitle: str | list[str] | None = None) -> alt.TitleParams:
    return alt.TitleParams(text=text, subtitle=subtitle or alt.Undefined)


def placeholder(title: str, message: str) -> alt.Chart:
    """A chart that only says why there is nothing to draw (valid Vega-Lite, no axes)."""
    data = pd.DataFrame({"message": [message]})
    chart = (alt.Chart(_inline(data), title=_title(title))
             .mark_text(fontSize=14, color=MENTION, align="center")
             .encode(text=alt.Text("message:N"))
             .properties(height=60))
    return _configured(chart)


def _axis_money(title: str) -> alt.Axis:
    return alt.Axis(title=title, format=MONEY_AXIS, labelOverlap=True, tickCount=5)


# --- costs by category ----------------------------------------------------------------------------

def costs_by_category_records(evaluation: Evaluation) -> list[dict]:
    """One record per category that has lines, in the scenario format's order (``ordre``)."""
    rows = []
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
    return _costs_chart().properties(datasets={DATASET: records})


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
    base = alt.Chart(alt.Data(name=DATASET), title=_title(COSTS_TITLE, COSTS_SUBTITLE))
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
    rows = []
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
    columns = ["Catégorie", "Dans l’assiette éligible", "Lignes", "Montant TTC", "Part du coût total"]
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


def funding_split_records(evaluation: Evaluation) -> list[dict]:
    """The three parts of the total cost, one record each, placed end to end on one bar."""
    total = evaluation.total_cost_ttc
    rows, start = [], Decimal(0)
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
    return _funding_chart().properties(datasets={DATASET: funding_split_records(evaluation)})


FUNDING_TITLE = "Financement du projet (TTC)"
FUNDING_SUBTITLE = ["Cofinancement, part propre de l’assiette éligible,",
                    "dépenses exclues (à la charge du porteur)"]


def _funding_chart() -> alt.TopLevelMixin:
    """The chart without its data (the dataset :data:`DATASET`); the axis spans the total cost."""
    base = alt.Chart(alt.Data(name=DATASET), title=_title(FUNDING_TITLE, FUNDING_SUBTITLE))
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


# --- fast specs for the Simulateur page -------------------------------------------------------------
#
# Building an altair chart and converting it costs tens of milliseconds, at every rerun of the page
# that redraws after each edit. The two charts of the Simulateur are written so that their spec
# never depends on the figures (the order of the categories and the end of the axis are computed
# by Vega from the data): the spec is built once through altair and validated, and each rerun only
# attaches the data. An unchanged spec also lets the browser update the drawn chart with the new
# data instead of compiling and drawing a new one. The tests check that the result equals the
# altair chart's spec.


@lru_cache(maxsize=None)
def _template(kind: str) -> str:
    chart = _costs_chart() if kind == "costs" else _funding_chart()
    return json.dumps(chart.to_dict(), ensure_ascii=False)  # validated once


def _with_data(kind: str, records: list[dict]) -> dict:
    spec = json.loads(_template(kind))
    spec["datasets"] = {DATASET: records}
    return spec


def costs_by_category_spec(evaluation: Evaluation) -> dict:
    """The Vega-Lite spec of :func:`costs_by_category_chart`, without rebuilding it in altair."""
    records = costs_by_category_records(evaluation)
    if not records:
        return vega_spec(costs_by_category_chart(evaluation))
    return _with_data("costs", records)


def funding_split_spec(evaluation: Evaluation) -> dict:
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


def _category_periods(evaluation: Evaluation) -> list[dict]:
    """Per category, its periods of spending: overlapping or touching lines merged into one
    period (at most 60 per category since a project lasts at most 120 months)."""
    by_cat: dict[str, list] = {}
    for line in evaluation.lines:
        by_cat.setdefault(line.category, []).append(line)
    out = []
    for category in labels.CATEGORIES:
        lines = sorted(by_cat.get(category, []), key=lambda ln: (ln.start_month, ln.end_month))
        periods: list[list] = []  # [start, end, count, ttc, excluded]
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
    rows = []
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
    step = 1 if last <= 24 else 3 if last <= 60 else 6
    ticks = [k - 0.5 for k in range(1, last + 1) if k == 1 or k % step == 0]
    x_scale = alt.Scale(domain=[0, last], nice=False, zero=True)
    x_axis = alt.Axis(title="Mois du projet", values=ticks, grid=False,
                      labelExpr="'M' + round(datum.value + 0.5)")
    rows = ([MILESTONES_ROW] if not milestones.empty else []) + list(dict.fromkeys(bars["Ligne"]))
    y = alt.Y("Ligne:N", title=None, sort=rows, scale=alt.Scale(domain=rows),
              axis=alt.Axis(labelLimit=alt.ExprRef(
                  f"{_NARROW} ? {TIMELINE_LABEL_LIMIT_NARROW} : {TIMELINE_LABEL_LIMIT}")))

    aggregated = timeline_is_aggregated(evaluation)
    subtitle = ([f"{number(len(evaluation.lines))} lignes : regroupées par catégorie",
                 "(périodes de dépense)"] if aggregated else None)
    layers = []
    if not bars.empty:
        present = [c for c in labels.CATEGORIES.values() if c in set(bars["Catégorie"])]
        layers.append(alt.Chart(_inline(bars)).mark_bar(stroke=OUTLINE, strokeWidth=1, height={"band": 0.7})
                      .encode(
            y=y,
            x=alt.X("debut:Q", scale=x_scale, axis=x_axis),
            x2=alt.X2("fin:Q"),
            color=alt.Color("Catégorie:N", title="Catégorie",
                            scale=alt.Scale(domain=present,
                                            range=[CATEGORY_COLORS[k] for k, v in
                                                   labels.CATEGORIES.items() if v in present])),
            tooltip=[alt.Tooltip("Ligne:N", title="Catégorie" if aggregated else "Ligne"),
                     alt.Tooltip("Catégorie:N"), alt.Tooltip("Mois:N"),
                     alt.Tooltip("Lignes:Q", format=",d"), alt.Tooltip("Montant TTC:N"),
                     alt.Tooltip("Assiette:N", title="Dans l’assiette éligible")],
        ))
    if not milestones.empty:
        # above the chart, next to the « Jalons » row; the categories' legend is below
        milestone_legend = alt.Legend(orient="top")
        layers.append(alt.Chart(_inline(milestones)).mark_point(filled=True, size=170, stroke=OUTLINE,
                                                       strokeWidth=1, opacity=1).encode(
            y=y,
            x=alt.X("x:Q", scale=x_scale, axis=x_axis),
            fill=alt.Fill("Type:N", title="Jalons", legend=milestone_legend,
                          scale=alt.Scale(domain=[IMPACT, NO_IMPACT], range=[BLUE_FRANCE, GREY])),
            shape=alt.Shape("Type:N", title="Jalons", legend=milestone_legend,
                            scale=alt.Scale(domain=[IMPACT, NO_IMPACT],
                                            range=["triangle-up", "circle"])),
            tooltip=[alt.Tooltip("Jalon:N"), alt.Tooltip("Mois:N"), alt.Tooltip("Type:N")],
        ))
    rule_label = f"Horizon d’impact : fin de {month_label(horizon)}"
    rule_data = pd.DataFrame({"x": [horizon], "Repère": [rule_label],
                              "court": [f"Horizon : {month_label(horizon)}"]})
    layers.append(alt.Chart(_inline(rule_data)).mark_rule(color=RED_MARIANNE, strokeWidth=2,
                                                 strokeDash=[6, 4]).encode(
        x=alt.X("x:Q", scale=x_scale, axis=x_axis), tooltip=[alt.Tooltip("Repère:N")]))
    # the label goes on the side of the rule where there is room
    right_side = horizon <= last * 0.6
    layers.append(alt.Chart(_inline(rule_data)).mark_text(align="left" if right_side else "right",
                                                 baseline="bottom", dx=4 if right_side else -4,
                                                 dy=-4,
                                                 color=RED_MARIANNE, fontWeight="bold").encode(
        x=alt.X("x:Q", scale=x_scale, axis=x_axis), y=alt.value(0), text=alt.Text("étiquette:N"),
    ).transform_calculate(étiquette=f"{_NARROW} ? datum.court : datum['Repère']"))

    chart = (alt.layer(*layers, title=alt.TitleParams(title, subtitle=subtitle or alt.Undefined,
                                                      offset=22))
             .resolve_scale(color="independent", fill="independent", shape="independent")
             .properties(height=alt.Step(24)))
    return _configured(chart)


def timeline_table(scenario: Scenario, evaluation: Evaluation) -> pd.DataFrame:
    """What :func:`timeline_chart` draws: the bars (lines, or category periods above
    :data:`TIMELINE_MAX_LINES` lines), the milestones, the impact horizon."""
    horizon = impact_horizon()
    rows = []
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
    bars, cumulative = [], []
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
    chart = (alt.layer(bar, line, title=_title(title, "Barres : dépense du mois ; courbe : "
                                                      "dépense cumulée"))
             .resolve_scale(y="independent").properties(height=300))
    return _configured(chart)


def monthly_spend_table(evaluation: Evaluation) -> pd.DataFrame:
    rows = [{"Mois": month_label(m.month), "Dans l’assiette éligible": eur(m.eligible_ttc),
             "Exclues de l’assiette": eur(m.excluded_ttc), "Total du mois": eur(m.total_ttc),
             "Cumul": eur(m.cumulative_ttc)} for m in evaluation.monthly_schedule]
    columns = ["Mois", "Dans l’assiette éligible", "Exclues de l’assiette", "Total du mois", "Cumul"]
    return pd.DataFrame(rows, columns=columns)


# --- comparison of scenarios ----------------------------------------------------------------------

MEASURES = [("eligible_base_ttc", short("eligible_base_ttc")),
            ("cofinancing_ttc", short("cofinancing_ttc")),
            ("own_contribution_ttc", label("own_contribution_ttc"))]


def _check_compared(items: list[tuple[str, Evaluation]]) -> None:
    if len(items) > MAX_COMPARED:
        raise ValueError(f"au plus {MAX_COMPARED} scénarios peuvent être comparés "
                         f"({len(items)} donnés)")


def comparison_data(items: list[tuple[str, Evaluation]]) -> pd.DataFrame:
    _check_compared(items)
    rows = []
    for name, (_, e) in zip(unique_names([name for name, _ in items]), items, strict=True):
        for attr, measure in MEASURES:
            value = getattr(e, attr)
            rows.append({"Scénario": name, "Mesure": measure, "montant": _money(value),
                         "Montant TTC": eur(value), "Statut": e.status_label})
    return pd.DataFrame(rows, columns=["Scénario", "Mesure", "montant", "Montant TTC", "Statut"])


def comparison_chart(items: list[tuple[str, Evaluation]]) -> alt.TopLevelMixin:
    """Grouped horizontal bars: for each measure (eligible base, co-financing, own contribution),
    one bar per scenario (up to :data:`MAX_COMPARED`, colour = scenario, in the given order), each
    labelled with its amount (so a 0 € co-financing is seen, not guessed). Horizontal, so the
    measures' names stay readable in a narrow column."""
    title = "Comparaison des scénarios (TTC)"
    if not items:
        return placeholder(title, "Aucun scénario à comparer.")
    data = comparison_data(items)
    names = unique_names([name for name, _ in items])
    top = float(data["montant"].max()) or 1.0
    y = alt.Y("Mesure:N", sort=[m for _, m in MEASURES], title=None)
    y_offset = alt.YOffset("Scénario:N", sort=names)
    x = alt.X("montant:Q", axis=_axis_money("Montant TTC"),
              scale=alt.Scale(domain=[0, top * 1.45], nice=False))
    base = alt.Chart(_inline(data))
    bars = base.mark_bar(stroke=OUTLINE, strokeWidth=1).encode(
        y=y, yOffset=y_offset, x=x,
        color=alt.Color("Scénario:N", title="Scénario",
                        scale=alt.Scale(domain=names, range=PALETTE[: len(names)])),
        tooltip=[alt.Tooltip("Scénario:N"), alt.Tooltip("Mesure:N"),
                 alt.Tooltip("Montant TTC:N"), alt.Tooltip("Statut:N")],
    )
    text = base.mark_text(align="left", baseline="middle", dx=4, color=TEXT, fontSize=11).encode(
        y=y, yOffset=y_offset, x=x, text=alt.Text("Montant TTC:N"))
    chart = alt.layer(bars, text, title=_title(title)).properties(
        height=alt.Step(18 if len(names) > 2 else 24))
    return _configured(chart)


def comparison_table(items: list[tuple[str, Evaluation]]) -> pd.DataFrame:
    """One row per scenario: status, total cost and the three compared figures."""
    _check_compared(items)
    rows = []
    for name, (_, e) in zip(unique_names([name for name, _ in items]), items, strict=True):
        row = {"Scénario": name, "Statut": e.status_label, TOTAL: eur(e.total_cost_ttc)}
        row.update({measure: eur(getattr(e, attr)) for attr, measure in MEASURES})
        rows.append(row)
    columns = ["Scénario", "Statut", TOTAL, *(m for _, m in MEASURES)]
    return pd.DataFrame(rows, columns=columns)


# --- indicators -----------------------------------------------------------------------------------

TARGET = "Cible"
BASELINE = "Mesure actuelle"
#: DORA bands as DSFR background tints (success, info, warning, error); each band is also named in
#: the legend and the tooltip, so colour is never the only cue.
BAND_COLORS = {"Élite": "#B8FEC9", "Élevée": "#E8EDFF", "Moyenne": "#FFE9E6", "Faible": "#FFBDBD",
               "Élevée, moyenne ou faible": "#E8EDFF"}


def indicator_data(result) -> pd.DataFrame:
    """An impact indicator's trajectory: the baseline at month 0, then each dated target."""
    rows = []
    if result.baseline is not None:
        rows.append({"mois": 0, "Mois": "Aujourd’hui", "valeur": float(result.baseline),
                     "Valeur": number(result.baseline, 2), "Point": BASELINE,
                     "Bande DORA": result.baseline_band or "—"})
    for t in result.targets:
        rows.append({"mois": t.month, "Mois": month_label(t.month) if t.month else "non daté",
                     "valeur": float(t.value), "Valeur": number(t.value, 2), "Point": TARGET,
                     "Bande DORA": t.band or "—"})
    return pd.DataFrame(rows, columns=["mois", "Mois", "valeur", "Valeur", "Point", "Bande DORA"])


def indicator_chart(result) -> alt.TopLevelMixin:
    """The baseline and the targets over the project's months, as a line with points (the
    baseline a circle, targets triangles: shape and colour); where the indicator is a DORA metric,
    the bands it crosses are shaded and named in the tooltip."""
    from guichet.indicators import load_presets

    title = f"{result.name} ({result.unit})" if result.unit else result.name
    data = indicator_data(result)
    if data.empty:
        return placeholder(title, "Ni mesure actuelle ni cible saisie.")
    values = list(data["valeur"])
    low, high = min(values), max(values)
    span = (high - low) or max(abs(high), 1.0)
    domain = [min(0.0, low - span * 0.1), high + span * 0.15]
    layers = []
    preset = load_presets().presets.get(result.preset) if result.preset else None
    if preset and preset.bands:
        bands = pd.DataFrame([{
            "Bande DORA": b.name,
            "bas": max(float(b.min) if b.min is not None else domain[0], domain[0]),
            "haut": min(float(b.max) if b.max is not None else domain[1], domain[1]),
        } for b in preset.bands])
        bands = bands[bands["haut"] > bands["bas"]]
        layers.append(alt.Chart(_inline(bands)).mark_rect(opacity=0.8, stroke=OUTLINE, strokeWidth=0.5)
                      .encode(y=alt.Y("bas:Q"), y2=alt.Y2("haut:Q"),
                              color=alt.Color("Bande DORA:N", title="Bande DORA",
                                              scale=alt.Scale(domain=list(BAND_COLORS),
                                                              range=list(BAND_COLORS.values()))),
                              tooltip=[alt.Tooltip("Bande DORA:N")]))
    base = alt.Chart(_inline(data))
    x = alt.X("mois:Q", title="Mois du projet (0 = aujourd’hui)", axis=alt.Axis(tickMinStep=1, format="d"))
    y = alt.Y("valeur:Q", title=result.unit or "valeur", scale=alt.Scale(domain=domain, nice=False))
    layers.append(base.mark_line(color=BLUE_FRANCE, strokeDash=[4, 3]).encode(x=x, y=y))
    layers.append(base.mark_point(filled=True, size=120, stroke=OUTLINE, strokeWidth=1).encode(
        x=x, y=y,
        shape=alt.Shape("Point:N", title=None, scale=alt.Scale(domain=[BASELINE, TARGET],
                                                                range=["circle", "triangle-up"])),
        fill=alt.Fill("Point:N", legend=None, scale=alt.Scale(domain=[BASELINE, TARGET],
                                                               range=[GREY, BLUE_FRANCE])),
        tooltip=[alt.Tooltip("Point:N"), alt.Tooltip("Mois:N"), alt.Tooltip("Valeur:N"),
                 alt.Tooltip("Bande DORA:N")]))
    chart = alt.layer(*layers, title=_title(title)).properties(height=220).resolve_scale(
        color="independent")
    return _configured(chart)


def indicator_table(result) -> pd.DataFrame:
    return indicator_data(result)[["Point", "Mois", "Valeur", "Bande DORA"]]


BREAK_EVEN = "Retour sur investissement"


def payback_data(evaluation: Evaluation) -> pd.DataFrame:
    from guichet.indicators import payback_series

    series = payback_series(evaluation.own_contribution_ttc, evaluation.annual_savings_ttc,
                            evaluation.savings_horizon_years)
    return pd.DataFrame([{
        "mois": row["month"], "Mois": month_label(row["month"]) if row["month"] else "Fin du projet",
        "cumul": _money(row["cumulative_savings"]), "Économies cumulées": eur(row["cumulative_savings"]),
        "reste": _money(row["own_contribution"]), OWN: eur(row["own_contribution"]),
    } for row in series])


def payback_chart(evaluation: Evaluation) -> alt.TopLevelMixin:
    """Cumulative savings month by month over the savings horizon, against the own contribution
    (a horizontal rule); the break-even month is marked and labelled in words."""
    years = evaluation.savings_horizon_years
    title = f"Économies cumulées et reste à charge sur {years} ans"
    if evaluation.annual_savings_ttc is None or evaluation.annual_savings_ttc <= 0:
        return placeholder(title, "Pas d’économies annuelles positives : rien à cumuler.")
    data = payback_data(evaluation)
    x = alt.X("mois:Q", title="Mois après la fin du projet", axis=alt.Axis(tickMinStep=6, format="d"))
    savings = alt.Chart(_inline(data)).mark_line(color=BLUE_FRANCE, strokeWidth=2).encode(
        x=x, y=alt.Y("cumul:Q", title="Montant TTC", axis=alt.Axis(format=MONEY_AXIS)),
        tooltip=[alt.Tooltip("Mois:N"), alt.Tooltip("Économies cumulées:N"),
                 alt.Tooltip(f"{OWN}:N")])
    own = alt.Chart(_inline(pd.DataFrame([{"reste": _money(evaluation.own_contribution_ttc),
                                   "Repère": f"{OWN} : {eur(evaluation.own_contribution_ttc)}"}])))
    layers = [savings,
              own.mark_rule(color=RED_MARIANNE, strokeDash=[6, 4], strokeWidth=2).encode(
                  y="reste:Q", tooltip=[alt.Tooltip("Repère:N")]),
              own.mark_text(align="left", dx=4, dy=-8, color=TEXT).encode(
                  y="reste:Q", x=alt.value(0), text="Repère:N")]
    months = evaluation.payback_months
    if months is not None and months <= years * 12:
        point = pd.DataFrame([{"mois": months, "reste": _money(evaluation.own_contribution_ttc),
                               "Repère": f"{BREAK_EVEN} : {months} mois"}])
        layers.append(alt.Chart(_inline(point)).mark_point(shape="diamond", size=200, filled=True,
                                                  color=RED_MARIANNE, stroke=OUTLINE).encode(
            x="mois:Q", y="reste:Q", tooltip=[alt.Tooltip("Repère:N")]))
        layers.append(alt.Chart(_inline(point)).mark_text(align="left", dx=8, dy=14, color=TEXT,
                                                 fontWeight="bold").encode(
            x="mois:Q", y="reste:Q", text="Repère:N"))
    chart = alt.layer(*layers, title=_title(title)).properties(height=260)
    return _configured(chart)


def payback_table(evaluation: Evaluation) -> pd.DataFrame:
    """One row a year: cumulative savings against the own contribution."""
    data = payback_data(evaluation)
    yearly = data[data["mois"] % 12 == 0]
    return yearly[["Mois", "Économies cumulées", OWN]].reset_index(drop=True)
