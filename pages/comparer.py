"""Comparer: the session's scenarios — duplicate, rename, delete, switch — and 2 to 4 side by side."""

from functools import partial

import streamlit as st

from guichet.io.loading import ScenarioError
from guichet.present import charts
from guichet.present.compare import comparison_table, differences
from guichet.present.formatting import escape_markdown as md
from guichet.present.formatting import unique_names
from guichet.ui import components, router, state

router.ensure_frame()
state.show_flash()
ws = state.workspace()

st.title("Comparer des scénarios")
st.markdown("Les exemples chargés, les fichiers ouverts et les liens suivis s’ajoutent aux scénarios "
            "de la session. Dupliquez le scénario en cours pour essayer une variante.")

st.header("Scénarios de la session")
ids = [e.id for e in ws.entries]
names = dict(zip(ids, unique_names([e.scenario.name for e in ws.entries]), strict=False))


def _switch() -> None:
    ws.switch(st.session_state["compare_current"])


st.selectbox("Scénario en cours", options=ids, index=ids.index(ws.current_id),
             format_func=names.__getitem__, key="compare_current", on_change=_switch)
c1, c2, c3 = st.columns([1, 2, 1], vertical_alignment="bottom")
with c1:
    if st.button("Dupliquer", icon=":material/content_copy:", width="stretch"):
        ws.duplicate()
        st.rerun()
with c2:
    new_name = st.text_input("Nouveau nom du scénario en cours", max_chars=300, key="compare_rename")
with c3:
    if st.button("Renommer", icon=":material/edit:", width="stretch"):
        if new_name.strip():
            try:
                ws.rename(new_name)
                st.rerun()
            except ScenarioError as exc:
                st.error(f"Erreur : nom refusé ({md(' ; '.join(str(p) for p in exc.problems))}). "
                         "Le nom est inchangé.", icon=":material/error:")
        else:
                st.warning("Attention : saisissez d’abord le nouveau nom.", icon=":material/edit:")
if st.button("Supprimer le scénario en cours", icon=":material/delete:", disabled=len(ws.entries) < 2):
    ws.delete(ws.current_id)
    st.rerun()

st.header("Comparaison")
chosen = st.multiselect("Scénarios à comparer (2 à 4)", options=ids, default=ids[-4:] if len(ids) >= 2 else ids,
                        format_func=names.__getitem__, max_selections=4, key="compare_chosen")
if len(chosen) < 2:
    st.info("Information : choisissez au moins deux scénarios (chargez un exemple ou dupliquez le "
            "scénario en cours).", icon=":material/info:")
else:
    items = [(names[i], ws.get(i).scenario, state.evaluation_of(ws.get(i).scenario))
             for i in chosen]
    st.dataframe(comparison_table(items), hide_index=True, width="stretch", height="content")
    diffs = differences(items)
    st.markdown("**Ce qui diffère**")
    if len(diffs):
        st.dataframe(diffs, hide_index=True, width="stretch", height="content")
    else:
        st.text("Les scénarios donnent les mêmes résultats.")
    pairs = [(n, e) for n, _, e in items]
    components.chart_with_table(charts.comparison_chart(pairs),
                                partial(charts.comparison_table, pairs), "comparaison")
