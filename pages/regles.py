"""Règles: every rule with its source sentence, the reading in force, the rules version."""

import streamlit as st

from guichet.engine.rules import load_rules
from guichet.present.formatting import escape_markdown as md
from guichet.present.tables import rule_value_text, rules_table
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

st.header("Lecture de la phrase sur la taille du projet")
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

st.header("Toutes les règles")
st.markdown("Chaque règle : sa valeur, la phrase de la page dont elle vient, et sa date d’entrée en "
            "vigueur. Les hypothèses du simulateur le disent.")
for rule in rules.rules.values():
    with st.container(border=True):
        origin = "Hypothèse du simulateur" if rule.assumption else "Page du guichet"
        st.markdown(f"**{rule.title}** : {rule_value_text(rule)}")
        st.markdown(f"> « {rule.source} »")
        if rule.note:
            st.markdown(rule.note)
        # the identifier as plain text: inline code in a caption (faded) is not contrasted enough
        st.caption(f"{origin} · {md(rule.reference)} · en vigueur depuis le "
                   f"{rule.in_force:%d/%m/%Y} · identifiant {md(rule.id)}")
with st.expander("Toutes les règles en un tableau"):
    st.dataframe(rules_table(rules), hide_index=True, width="stretch")
st.caption(f"Source : {rules.source_label}. Dépôt des dossiers : {rules.apply_url}")
