"""Reusable pieces of the pages: status, key figures, checks, explanations."""

from __future__ import annotations

import streamlit as st

from guichet import charts, labels
from guichet.evaluate import Check, Evaluation, Explanation
from guichet.formatting import escape_markdown as md
from guichet.formatting import eur, percent
from guichet.rules import impact_horizon

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


def key_figures(e: Evaluation, compact: bool = False) -> None:
    figures = [
        ("total_cost_ttc", "Coût total TTC", e.total_cost_ttc),
        ("excluded_cost_ttc", "Dépenses exclues", e.excluded_cost_ttc),
        ("eligible_base_ttc", "Assiette éligible", e.eligible_base_ttc),
        ("cofinancing_ttc", f"Cofinancement ({percent(e.requested_rate, 2)})", e.cofinancing_ttc),
        ("own_contribution_ttc", "Reste à charge", e.own_contribution_ttc),
    ]
    cols = st.columns(1 if compact else len(figures))
    for i, (key, label, value) in enumerate(figures):
        with cols[i % len(cols)]:
            st.metric(label, eur(value))
            with st.expander("Comment est-ce calculé ?"):
                explanation(e.explanations[key])
                if key == "cofinancing_ttc":
                    explanation(e.explanations["potential_cofinancing_ttc"])


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
    for severity, title in (("blocking", "Points bloquants"), ("warning", "Réserves"),
                            ("info", "Informations")):
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


def chart_with_table(chart, table, what: str) -> None:
    """A chart (an altair chart, or its Vega-Lite spec) and, right under it, its data as a table
    (the accessible alternative)."""
    spec = chart if isinstance(chart, dict) else charts.vega_spec(chart)
    st.vega_lite_chart(spec, theme=None, width="stretch")
    with st.expander(f"Données du graphique « {what} » (tableau)"):
        st.dataframe(table, hide_index=True, width="stretch")


def band_sentence(result) -> str:
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
