"""The comparison of scenarios (the Comparer page): grouped bars and their table."""

from __future__ import annotations

import altair as alt
import pandas as pd

from guichet.engine.evaluate import Evaluation
from guichet.engine.figures import label, short
from guichet.present.charts.base import (OUTLINE, PALETTE, TEXT, TOTAL, Record, _axis_money,
                                         _configured, _inline, _money, _title, placeholder)
from guichet.present.formatting import eur, unique_names

#: At most this many scenarios side by side in the comparison chart.
MAX_COMPARED = 4

MEASURES = [("eligible_base_ttc", short("eligible_base_ttc")),
            ("cofinancing_ttc", short("cofinancing_ttc")),
            ("own_contribution_ttc", label("own_contribution_ttc"))]


def _check_compared(items: list[tuple[str, Evaluation]]) -> None:
    if len(items) > MAX_COMPARED:
        raise ValueError(f"au plus {MAX_COMPARED} scénarios peuvent être comparés "
                         f"({len(items)} donnés)")


def comparison_data(items: list[tuple[str, Evaluation]]) -> pd.DataFrame:
    _check_compared(items)
    rows: list[Record] = []
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
    rows: list[Record] = []
    for name, (_, e) in zip(unique_names([name for name, _ in items]), items, strict=True):
        row: Record = {"Scénario": name, "Statut": e.status_label, TOTAL: eur(e.total_cost_ttc)}
        row.update({measure: eur(getattr(e, attr)) for attr, measure in MEASURES})
        rows.append(row)
    columns = ["Scénario", "Statut", TOTAL, *(m for _, m in MEASURES)]
    return pd.DataFrame(rows, columns=columns)
