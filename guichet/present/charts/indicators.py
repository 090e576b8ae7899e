"""The charts of the Indicateurs page: an impact indicator's trajectory (with its DORA bands)
and the payback of the own contribution by the savings, each with its table."""

from __future__ import annotations

import altair as alt
import pandas as pd

from guichet.engine.evaluate import Evaluation, ImpactResult
from guichet.present.charts.base import (BLUE_FRANCE, GREY, MONEY_AXIS, OUTLINE, OWN, RED_MARIANNE,
                                         TEXT, _configured, _inline, _money, _title, placeholder)
from guichet.present.formatting import eur, month_label, number

# --- impact indicators ----------------------------------------------------------------------------

TARGET = "Cible"
BASELINE = "Mesure actuelle"
#: DORA bands as DSFR background tints (success, info, warning, error); each band is also named in
#: the legend and the tooltip, so colour is never the only cue.
BAND_COLORS = {"Élite": "#B8FEC9", "Élevée": "#E8EDFF", "Moyenne": "#FFE9E6", "Faible": "#FFBDBD",
               "Élevée, moyenne ou faible": "#E8EDFF"}


def indicator_data(result: ImpactResult) -> pd.DataFrame:
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


def _bands_layer(preset_id: str | None, domain: list[float]) -> list[alt.Chart]:
    """The DORA bands of the indicator's preset within ``domain``, shaded (none without bands)."""
    from guichet.engine.indicators import load_presets

    preset = load_presets().presets.get(preset_id) if preset_id else None
    if not (preset and preset.bands):
        return []
    bands = pd.DataFrame([{
        "Bande DORA": b.name,
        "bas": max(float(b.min) if b.min is not None else domain[0], domain[0]),
        "haut": min(float(b.max) if b.max is not None else domain[1], domain[1]),
    } for b in preset.bands])
    bands = bands[bands["haut"] > bands["bas"]]
    layer: alt.Chart = (
        alt.Chart(_inline(bands)).mark_rect(opacity=0.8, stroke=OUTLINE, strokeWidth=0.5)
        .encode(y=alt.Y("bas:Q"), y2=alt.Y2("haut:Q"),
                color=alt.Color("Bande DORA:N", title="Bande DORA",
                                scale=alt.Scale(domain=list(BAND_COLORS),
                                                range=list(BAND_COLORS.values()))),
                tooltip=[alt.Tooltip("Bande DORA:N")]))
    return [layer]


def indicator_chart(result: ImpactResult) -> alt.TopLevelMixin:
    """The baseline and the targets over the project's months, as a line with points (the
    baseline a circle, targets triangles: shape and colour); where the indicator is a DORA metric,
    the bands it crosses are shaded and named in the tooltip."""
    title = f"{result.name} ({result.unit})" if result.unit else result.name
    data = indicator_data(result)
    if data.empty:
        return placeholder(title, "Ni mesure actuelle ni cible saisie.")
    values = list(data["valeur"])
    low, high = min(values), max(values)
    span = (high - low) or max(abs(high), 1.0)
    domain = [min(0.0, low - span * 0.1), high + span * 0.15]
    layers = _bands_layer(result.preset, domain)
    base = alt.Chart(_inline(data))
    x = alt.X("mois:Q", title="Mois du projet (0 = aujourd’hui)",
              axis=alt.Axis(tickMinStep=1, format="d"))
    y = alt.Y("valeur:Q", title=result.unit or "valeur",
              scale=alt.Scale(domain=domain, nice=False))
    layers.append(base.mark_line(color=BLUE_FRANCE, strokeDash=[4, 3]).encode(x=x, y=y))
    layers.append(base.mark_point(filled=True, size=120, stroke=OUTLINE, strokeWidth=1).encode(
        x=x, y=y,
        shape=alt.Shape("Point:N", title=None, scale=alt.Scale(domain=[BASELINE, TARGET],
                                                                range=["circle", "triangle-up"])),
        fill=alt.Fill("Point:N", legend=None, scale=alt.Scale(domain=[BASELINE, TARGET],
                                                               range=[GREY, BLUE_FRANCE])),
        tooltip=[alt.Tooltip("Point:N"), alt.Tooltip("Mois:N"), alt.Tooltip("Valeur:N"),
                 alt.Tooltip("Bande DORA:N")]))
    chart: alt.LayerChart = alt.layer(*layers, title=_title(title)).properties(
        height=220).resolve_scale(color="independent")
    return _configured(chart)


def indicator_table(result: ImpactResult) -> pd.DataFrame:
    return indicator_data(result)[["Point", "Mois", "Valeur", "Bande DORA"]]


# --- payback --------------------------------------------------------------------------------------

BREAK_EVEN = "Retour sur investissement"


def payback_data(evaluation: Evaluation) -> pd.DataFrame:
    from guichet.engine.indicators import payback_series

    series = payback_series(evaluation.own_contribution_ttc, evaluation.annual_savings_ttc,
                            evaluation.savings_horizon_years)
    return pd.DataFrame([{
        "mois": row["month"],
        "Mois": month_label(int(row["month"])) if row["month"] else "Fin du projet",
        "cumul": _money(row["cumulative_savings"]),
        "Économies cumulées": eur(row["cumulative_savings"]),
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
    own_ttc = evaluation.own_contribution_ttc
    x = alt.X("mois:Q", title="Mois après la fin du projet",
              axis=alt.Axis(tickMinStep=6, format="d"))
    savings = alt.Chart(_inline(data)).mark_line(color=BLUE_FRANCE, strokeWidth=2).encode(
        x=x, y=alt.Y("cumul:Q", title="Montant TTC", axis=alt.Axis(format=MONEY_AXIS)),
        tooltip=[alt.Tooltip("Mois:N"), alt.Tooltip("Économies cumulées:N"),
                 alt.Tooltip(f"{OWN}:N")])
    own = alt.Chart(_inline(pd.DataFrame([{"reste": _money(own_ttc),
                                           "Repère": f"{OWN} : {eur(own_ttc)}"}])))
    layers = [savings,
              own.mark_rule(color=RED_MARIANNE, strokeDash=[6, 4], strokeWidth=2).encode(
                  y="reste:Q", tooltip=[alt.Tooltip("Repère:N")]),
              own.mark_text(align="left", dx=4, dy=-8, color=TEXT).encode(
                  y="reste:Q", x=alt.value(0), text="Repère:N")]
    months = evaluation.payback_months
    if months is not None and months <= years * 12:
        point = alt.Chart(_inline(pd.DataFrame([{"mois": months, "reste": _money(own_ttc),
                                                 "Repère": f"{BREAK_EVEN} : {months} mois"}])))
        layers.append(point.mark_point(shape="diamond", size=200, filled=True,
                                       color=RED_MARIANNE, stroke=OUTLINE).encode(
            x="mois:Q", y="reste:Q", tooltip=[alt.Tooltip("Repère:N")]))
        layers.append(point.mark_text(align="left", dx=8, dy=14, color=TEXT,
                                      fontWeight="bold").encode(
            x="mois:Q", y="reste:Q", text="Repère:N"))
    chart = alt.layer(*layers, title=_title(title)).properties(height=260)
    return _configured(chart)


def payback_table(evaluation: Evaluation) -> pd.DataFrame:
    """One row a year: cumulative savings against the own contribution."""
    data = payback_data(evaluation)
    yearly = data[data["mois"] % 12 == 0]
    return yearly[["Mois", "Économies cumulées", OWN]].reset_index(drop=True)
