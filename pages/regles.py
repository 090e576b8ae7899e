"""Règles: every rule with its source sentence, the reading in force, the rules version."""

import streamlit as st

from guichet.rules import load_rules
from guichet.tables import rules_table
from guichet.ui import router, state

rules = load_rules()
router.ensure_frame()
state.show_flash()
ws = state.workspace()

st.title("Règles appliquées")
st.markdown(
    f"Version des règles **{rules.version}**, d’après la {rules.source_label}. Chaque règle cite la "
    "phrase dont elle vient ; les **hypothèses du simulateur** (ce que la page ne chiffre pas) "
    "sont signalées comme telles.")

st.subheader("Lecture de la phrase sur la taille du projet")
st.markdown(f"« {rules['min_project_ttc'].source} » Cette phrase peut se lire de deux façons ; "
            "choisissez celle à appliquer pour toute la session.")
names = list(rules.readings)


def _on_reading() -> None:
    ws.reading = st.session_state["reading_choice"]
    state.flash("success", "Succès : lecture « " + rules.reading(ws.reading).label + " » appliquée.")


st.radio("Lecture en vigueur", options=names, index=names.index(ws.reading),
         format_func=lambda n: rules.readings[n].label + (" (par défaut)" if n == rules.default_reading else ""),
         captions=[rules.readings[n].description for n in names], key="reading_choice",
         on_change=_on_reading)
st.info(f"Lecture en vigueur : « {rules.reading(ws.reading).label} ».", icon=":material/info:")

st.subheader("Toutes les règles")
st.dataframe(rules_table(rules), hide_index=True, width="stretch",
             column_config={"Phrase de la page": st.column_config.TextColumn(width="large")})
st.caption(f"Source : {rules.source_label}. Dépôt des dossiers : {rules.apply_url}")
