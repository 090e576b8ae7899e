"""Reusable pieces of the pages: status, key figures, checks, explanations."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import altair as alt
import pandas as pd
import pyarrow as pa
import streamlit as st

from guichet.engine.checks import Check, Severity
from guichet.engine.evaluate import Evaluation, Explanation, ImpactResult
from guichet.engine.figures import short
from guichet.engine.rules import impact_horizon
from guichet.present import charts, labels
from guichet.present.formatting import escape_markdown as md
from guichet.present.formatting import eur, percent, slug

STATUS_STYLE = {
    "eligible": (st.success, ":material/check_circle:", "Succès"),
    "eligible_with_reservations": (st.warning, ":material/warning:", "Attention"),
    "ineligible": (st.error, ":material/cancel:", "Erreur"),
}
SEVERITY_STYLE = {
    "blocking": (st.error, ":material/block:", "Bloquant"),
    "warning": (st.warning, ":material/warning:", "Réserve"),
    "info": (st.info, ":material/info:", "Information"),
}


def status_banner(e: Evaluation) -> None:
    """The status in words, icon and colour (never colour alone), with the six-month flag."""
    box, icon, _ = STATUS_STYLE[e.status]
    n_block, n_warn = len(e.checks_of("blocking")), len(e.checks_of("warning"))
    detail = {
        "eligible": "aucun point bloquant ni réserve.",
        "eligible_with_reservations": f"{n_warn} réserve(s) à traiter dans le dossier.",
        "ineligible": f"{n_block} point(s) bloquant(s) : voir les contrôles.",
    }[e.status]
    box(f"**Statut : {e.status_label}** — {detail}", icon=icon)
    horizon = impact_horizon()
    if e.six_month_impact:
        st.markdown(f"**Impact réel en moins de {horizon} mois : oui** "
                    f"(premier impact au mois {e.first_impact_month}).")
    else:
        when = (f"premier impact au mois {e.first_impact_month}" if e.first_impact_month
                else "aucun jalon d’impact")
        st.markdown(f"**Impact réel en moins de {horizon} mois : non** ({when}) — "
                    "les projets à impact rapide sont privilégiés.")


def explanation(x: Explanation) -> None:
    """Like a rule page: the figure, its formula, this scenario's numbers, the sources."""
    sources = "  \n".join(
        f"Source ({s.title}{' — hypothèse du simulateur' if s.assumption else ''}) : « {s.sentence} »"
        for s in x.sources)
    st.markdown(f"**{x.label} = {x.value}**  \n*Formule* : {x.formula}  \n"
                f"*Avec les chiffres de ce scénario* : {x.computation}")
    if sources:
        st.caption(sources)


def on_demand(label: str, key: str) -> tuple[Any, bool]:
    """An expander whose content is computed and sent only while it is open: opening or closing
    it reruns the page (Streamlit's ``on_change="rerun"``). Returns the expander and whether it is
    open. Every element of a page costs time at each rerun, on the server and in the browser, so
    explanations and chart tables that most people never open are not drawn after every edit."""
    box = st.expander(label, key=key, on_change="rerun")
    return box, bool(box.open)


def remembered_toggle(label: str, key: str) -> bool:
    """A toggle that keeps its position when the person leaves the page and comes back (Streamlit
    forgets a page's widgets when it is left; the position is kept in a plain session key)."""
    memory = f"{key}.remembered"

    def remember() -> None:
        st.session_state[memory] = st.session_state[key]

    return st.toggle(label, value=st.session_state.get(memory, False), key=key, on_change=remember)


def explained_metric(x: Explanation, key: str, label: str | None = None,
                     more: tuple[Explanation, ...] = ()) -> None:
    """A figure, and under it « Comment est-ce calculé ? » with its rule page."""
    st.metric(label or x.label, x.value)
    box, is_open = on_demand("Comment est-ce calculé ?", key=f"explication-{key}")
    if is_open:
        with box:
            for item in (x, *more):
                explanation(item)


def key_figures(e: Evaluation, compact: bool = False) -> None:
    figures = [(key, short(key)) for key in ("total_cost_ttc", "excluded_cost_ttc",
                                               "eligible_base_ttc", "cofinancing_ttc",
                                               "own_contribution_ttc")]
    # compact: one under the other, in the caller's container (no layout block to redraw)
    cols = None if compact else st.columns(len(figures))
    for i, (key, label) in enumerate(figures):
        if key == "cofinancing_ttc":
            label += f" ({percent(e.requested_rate, 2)})"
        with cols[i] if cols else contextlib.nullcontext():
            more = (e.explanations["potential_cofinancing_ttc"],) if key == "cofinancing_ttc" else ()
            explained_metric(e.explanations[key], key, label=label, more=more)


def check_item(c: Check) -> None:
    box, icon, word = SEVERITY_STYLE[c.severity]
    text = f"**{word} — {c.message}**"
    if c.advice:
        text += f"  \nConseil : {c.advice}"
    tag = " (hypothèse du simulateur)" if c.assumption else ""
    text += f"  \n*Source{tag} : « {c.source} »*  \n`{c.code}`"
    box(text, icon=icon)


def checks(e: Evaluation) -> None:
    if not e.checks:
        st.success("Succès : aucun contrôle à signaler.", icon=":material/check_circle:")
        return
    sections: tuple[tuple[Severity, str], ...] = (
        ("blocking", "Points bloquants"), ("warning", "Réserves"), ("info", "Informations"))
    for severity, title in sections:
        items = e.checks_of(severity)
        if items:
            st.markdown(f"#### {title} ({len(items)})")
            for c in items:
                check_item(c)


def scenario_caption(name: str) -> None:
    st.caption(f"Scénario en cours : {md(name)}")


def reading_caption(e: Evaluation) -> None:
    st.caption(f"Lecture de la règle de taille en vigueur : « {e.reading_label} » "
               f"(modifiable sur la page Règles) — règles {e.rules_version}.")


def category_label(code: str) -> str:
    return labels.CATEGORIES[code]


def figures_strip(e: Evaluation) -> None:
    """The figures an edit of the grid changes, right under the grid, in one polite status line."""
    st.markdown(
        f"**Après vos lignes** — assiette éligible : **{eur(e.eligible_base_ttc)}** · dépenses "
        f"exclues : **{eur(e.excluded_cost_ttc)}** · cofinancement : **{eur(e.cofinancing_ttc)}** · "
        f"reste à charge : **{eur(e.own_contribution_ttc)}** · statut : **{e.status_label}**")


def chart_with_table(chart: alt.TopLevelMixin | dict[str, Any],
                     table: pd.DataFrame | Callable[[], pd.DataFrame], what: str,
                     key: str | None = None) -> None:
    """A chart (an altair chart, or its Vega-Lite spec) and, right under it, its data as a table
    (the accessible alternative), drawn when that expander is opened. ``table`` is the table or
    a function making it (then called only when the expander is open). ``what`` names the chart
    (it may be the person's text: it is shown as typed); ``key`` tells the expander apart when
    ``what`` may repeat on the page."""
    spec = chart if isinstance(chart, dict) else charts.vega_spec(chart)
    st.vega_lite_chart(_arrow_datasets(spec), theme=None, width="stretch")
    box, is_open = on_demand(f"Données du graphique « {md(what)} » (tableau)",
                             key=key or f"tableau-{slug(what)}")
    if is_open:
        with box:
            st.dataframe(table() if callable(table) else table, hide_index=True, width="stretch")


def _arrow_datasets(spec: dict[str, Any]) -> dict[str, Any]:
    """The spec with its datasets (lists of records) as Arrow tables: Streamlit sends every
    dataset as Arrow, and from records it goes through pandas (≈ 1.5 ms a chart, at each rerun)."""
    datasets = {}
    for name, rows in spec.get("datasets", {}).items():
        try:
            datasets[name] = pa.Table.from_pylist(rows) if isinstance(rows, list) and rows else rows
        except (pa.ArrowInvalid, pa.ArrowTypeError):  # mixed types in a column: let pandas do it
            datasets[name] = rows
    return {**spec, "datasets": datasets} if datasets else spec


def band_sentence(result: ImpactResult) -> str:
    """« Mesure actuelle : bande Moyenne → dernière cible (M9) : bande Élevée », in words."""
    if result.baseline is None and not result.targets:
        return "À compléter : la mesure actuelle et au moins une cible datée."
    parts = []
    if result.baseline is not None:
        parts.append("Mesure actuelle" + (f" : bande DORA {result.baseline_band}" if result.baseline_band else " saisie"))
    else:
        parts.append("Mesure actuelle à saisir")
    if result.targets:
        last = result.targets[-1]
        when = f"M{last.month}" if last.month else "non datée"
        parts.append(f"dernière cible ({when})" + (f" : bande DORA {last.band}" if last.band else " saisie"))
    else:
        parts.append("aucune cible datée")
    return " → ".join(parts)
