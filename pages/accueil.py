"""Accueil: what the guichet funds, for whom, how much; one-click presets."""

import streamlit as st

from guichet.engine.rules import load_rules
from guichet.present.formatting import escape_markdown as md
from guichet.present.formatting import eur, percent
from guichet.session.presets import list_presets, load_preset, preset_summary
from guichet.ui import router, state

rules = load_rules()
router.ensure_frame()
state.show_flash()

st.title("Simulateur du guichet « Adoption du Cloud de confiance »")
st.markdown(
    "Vous préparez un dossier pour le guichet de financement de la DINUM (Fonds pour la "
    "transformation de l’action publique) ? Saisissez vos lignes de coût, vos opérations et votre "
    "cible : le simulateur dit tout de suite si le projet est éligible, son assiette, le "
    "cofinancement, votre reste à charge et pourquoi — chaque chiffre renvoie à la phrase de la "
    "page officielle.")

c1, c2, c3 = st.columns(3)
with c1:
    with st.container(border=True):
        st.markdown("### Pour qui ?")
        st.markdown("Les **administrations d’État** et les **opérateurs de l’État**.")
        st.caption(f"« {rules['eligible_applicants'].source} »")
with c2:
    with st.container(border=True):
        st.markdown("### Quels projets ?")
        st.markdown(
            "**Migrer des applications** vers PI, NUBO ou une offre commerciale qualifiée "
            "SecNumCloud, et/ou **étendre les offres** de services des clouds interministériels "
            "PI et NUBO (avec au moins un ministère tiers engagé).")
        st.caption(f"« {rules['trusted_targets'].source} »")
with c3:
    with st.container(border=True):
        st.markdown("### Combien ?")
        st.markdown(
            f"Jusqu’à **{percent(rules.decimal('max_cofinancing_rate'))}** du coût du projet, pour "
            f"des projets de **{eur(rules.decimal('min_project_ttc'), cents=False)} à "
            f"{eur(rules.decimal('max_project_ttc'), cents=False)} TTC**, avec au moins "
            f"**{eur(rules.decimal('min_eligible_ttc'), cents=False)} TTC** éligibles. Les projets à "
            f"impact réel en moins de {rules['impact_horizon_months'].value} mois sont privilégiés.")
        st.caption(f"« {rules['min_project_ttc'].source} »")

st.header("Commencer")
st.markdown("Chargez un exemple réaliste en un clic, ou partez d’un projet vide. "
            "Chaque exemple s’ajoute aux scénarios de la session.")
presets = list_presets()
for i, preset in enumerate(presets):
    if i % 2 == 0:  # one row of two cards at a time: on a phone they stack in reading order
        cards = st.columns(2)
    with cards[i % 2], st.container(border=True):
        summary = preset_summary(load_preset(preset.id))
        st.markdown(f"**{md(preset.title)}**")
        st.caption(summary)
        if st.button(f"Charger l’exemple « {preset.title} »", key=f"preset_{preset.id}",
                     icon=":material/play_arrow:"):
            state.load_preset_into_workspace(preset.id)
            st.switch_page("pages/simulateur.py")
if st.button("Nouveau projet vide", key="preset_blank", icon=":material/add:"):
    state.new_blank()
    st.switch_page("pages/simulateur.py")

st.divider()
st.markdown(
    f"Prêt à déposer ? Le dépôt se fait sur Démarches simplifiées : "
    f"[Déposer votre projet]({rules.apply_url}). Une question : {rules.contact}.")
st.caption(
    f"Simulateur non officiel, d’après la {rules.source_label}. Seule l’instruction du dossier "
    "par la DINUM fait foi.")
