"""Calendrier et impact: milestones, the six-month flag, the timeline and the monthly spend."""

from functools import partial

import streamlit as st

from guichet.engine.models import MAX_MONTH
from guichet.engine.rules import load_rules
from guichet.present import charts
from guichet.present.formatting import escape_markdown as md
from guichet.session.editing import MILESTONE_LABELS
from guichet.ui import callbacks, components, grids, router, state

rules = load_rules()
router.ensure_frame()
state.show_flash()
horizon = rules["impact_horizon_months"].value

st.title("Calendrier et impact")
st.markdown(f"« {rules['impact_horizon_months'].source} » Indiquez vos jalons et ceux qui "
            f"apportent un impact réel (mise en production, décommissionnement…) : un jalon "
            f"d’impact au plus tard au mois {horizon} compte comme un impact en moins de "
            f"{horizon} mois.")

evaluation = state.current_evaluation()
components.status_banner(evaluation)

st.header("Jalons")
st.data_editor(
    grids.MILESTONES.frame(), key=grids.MILESTONES.key(), on_change=callbacks.on_milestone_edit, num_rows="dynamic",
    hide_index=True, width="stretch",
    alt="Tableau des jalons : libellé, mois du projet, apporte un impact réel",
    column_config={
        "label": st.column_config.TextColumn(MILESTONE_LABELS["label"], max_chars=300, width="large"),
        "month": st.column_config.NumberColumn(MILESTONE_LABELS["month"], min_value=1,
                                               max_value=MAX_MONTH, step=1, required=True),
        "impact": st.column_config.CheckboxColumn(MILESTONE_LABELS["impact"], default=False),
    })
for row in st.session_state.get("milestones_incomplete", []):
    st.warning(f"Attention : jalon {row.number} non enregistré ({md(row.reason)}).",
               icon=":material/edit_note:")

scenario = state.scenario()
st.header("Chronologie")
components.chart_with_table(charts.timeline_chart(scenario, evaluation),
                            partial(charts.timeline_table, scenario, evaluation), "chronologie")

st.header("Dépenses mensuelles et cumulées")
components.chart_with_table(charts.monthly_spend_chart(evaluation),
                            partial(charts.monthly_spend_table, evaluation), "dépenses mensuelles")
