"""Indicateurs: savings and payback, trained agents, impact indicators with dated targets."""

from functools import partial

import streamlit as st

from guichet.engine.indicators import load_presets
from guichet.engine.models import MAX_MONTH
from guichet.engine.rules import load_rules
from guichet.present import charts
from guichet.ui import callbacks, components, grids, router, state

rules = load_rules()
catalogue = load_presets()
router.ensure_frame()
state.show_flash()
k = callbacks.widget_key
scenario = state.scenario()
ind = scenario.indicators

st.title("Indicateurs")
st.markdown(f"« {rules['mandatory_indicators'].source} » "
            f"« {rules['impact_indicators_required'].source} »")
callbacks.show_form_error()

evaluation = state.current_evaluation()
missing = [c for c in evaluation.checks if c.code.endswith("_MISSING")]
for c in missing:
    components.check_item(c)

st.header("Économies et agents (obligatoires)")
c1, c2 = st.columns(2)
with c1:
    st.number_input("Économies annuelles attendues (€ TTC)", value=callbacks.as_float(ind.annual_savings_ttc),
                    key=k("savings"), on_change=callbacks.on_field, min_value=-1e12, max_value=1e12,
                    step=1000.0, format="%.2f",
                    args=("indicators.annual_savings_ttc", "savings", callbacks.decimal_or_none),
                    help="Laissez vide pour les déduire des coûts de fonctionnement ci-dessous.")
    st.number_input("Coût annuel de fonctionnement actuel (€ TTC)",
                    value=callbacks.as_float(ind.current_annual_run_cost_ttc),
                    key=k("run_now"), on_change=callbacks.on_field,
                    args=("indicators.current_annual_run_cost_ttc", "run_now", callbacks.decimal_or_none),
                    min_value=0.0, max_value=1e12, step=1000.0, format="%.2f")
    st.number_input("Coût annuel de fonctionnement visé après le projet (€ TTC)",
                    value=callbacks.as_float(ind.target_annual_run_cost_ttc),
                    key=k("run_target"), on_change=callbacks.on_field,
                    args=("indicators.target_annual_run_cost_ttc", "run_target", callbacks.decimal_or_none),
                    min_value=0.0, max_value=1e12, step=1000.0, format="%.2f")
with c2:
    st.number_input("Agents formés à l’issue du projet", value=ind.agents_trained, min_value=0,
                    step=1, key=k("trained"), on_change=callbacks.on_field,
                    args=("indicators.agents_trained", "trained"))
    st.number_input("Agents travaillant dans un contexte Cloud à l’issue du projet",
                    value=ind.agents_cloud_context, min_value=0, step=1, key=k("cloud_agents"),
                    on_change=callbacks.on_field, args=("indicators.agents_cloud_context", "cloud_agents"))

f1, f2, f3 = st.columns(3)
for col, key in zip((f1, f2, f3), ("annual_savings_ttc", "payback_months", "five_year_savings_ttc"), strict=False):
    with col:
        components.explained_metric(evaluation.explanations[key], key)
components.chart_with_table(charts.payback_chart(evaluation),
                            partial(charts.payback_table, evaluation), "retour sur investissement")

st.header("Indicateurs d’impact")
st.caption(f"Bandes de performance : {catalogue.source}. Elles ne sont pas des règles du guichet ; "
           "elles aident à situer la mesure actuelle et à choisir une cible.")
options = ["free"] + [p for p, v in catalogue.presets.items()
                      if not v.extension_only or scenario.extension is not None]
a1, a2 = st.columns([3, 1], vertical_alignment="bottom")
with a1:
    st.selectbox("Indicateur à ajouter", options=options, key=k("new_indicator"),
                 format_func=lambda p: "Indicateur libre" if p == "free" else catalogue.presets[p].name)
with a2:
    st.button("Ajouter", icon=":material/add:", on_click=callbacks.on_add_indicator, width="stretch")

for i, result in enumerate(evaluation.impact_indicators):
    item = ind.impact[i]
    with st.container(border=True):
        n1, n2, n3 = st.columns([3, 2, 2])
        with n1:
            st.text_input("Nom de l’indicateur", value=item.name, key=k(f"ind_name.{i}"), max_chars=300,
                          on_change=callbacks.on_field, args=(f"indicators.impact.{i}.name", f"ind_name.{i}"))
        with n2:
            st.text_input("Unité", value=item.unit, key=k(f"ind_unit.{i}"), max_chars=300,
                          on_change=callbacks.on_field, args=(f"indicators.impact.{i}.unit", f"ind_unit.{i}"))
        with n3:
            st.number_input("Mesure actuelle", value=callbacks.as_float(item.baseline),
                            key=k(f"ind_base.{i}"), format="%.2f", on_change=callbacks.on_field,
                            args=(f"indicators.impact.{i}.baseline", f"ind_base.{i}", callbacks.decimal_or_none))
        st.markdown(f"**{components.band_sentence(result)}**")
        t1, t2 = st.columns([2, 3])
        with t1:
            grid = grids.targets(i)
            st.data_editor(grid.frame(), key=grid.key(), on_change=callbacks.on_targets_edit, args=(i,),
                           num_rows="dynamic", hide_index=True, width="stretch", placeholder="—",
                           alt=f"Cibles datées de l’indicateur {i + 1} : mois et valeur",
                           column_config={
                               "month": st.column_config.NumberColumn("Mois", min_value=1, max_value=MAX_MONTH, step=1),
                               "value": st.column_config.NumberColumn("Cible", format="localized")})
            st.button("Retirer cet indicateur", key=k(f"ind_remove.{i}"), icon=":material/delete:",
                      on_click=callbacks.on_remove_indicator, args=(i,))
        with t2:
            components.chart_with_table(charts.indicator_chart(result),
                                        partial(charts.indicator_table, result), result.name,
                                        key=k(f"ind_table.{i}"))
