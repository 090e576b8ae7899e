"""Fichiers: save and reopen a scenario, import cost lines, export the dossier."""

from functools import partial

import streamlit as st

from guichet.io.exports import export, export_filename
from guichet.io.imports import template_csv, template_xlsx
from guichet.io.loading import MAX_SCENARIO_BYTES, reopens, scenario_file_bytes
from guichet.present.formatting import escape_markdown as md
from guichet.present.formatting import number
from guichet.present.tables import import_preview_tables
from guichet.ui import files, router, state

router.ensure_frame()
state.show_flash()
ws = state.workspace()
scenario = ws.scenario

st.title("Fichiers et exports")

st.header("Enregistrer et rouvrir un scénario")
saved = scenario_file_bytes(scenario)
st.download_button("Enregistrer le scénario (.json)", data=saved,
                   file_name=export_filename(scenario, "json").replace("synthese-", "scenario-"),
                   mime="application/json", icon=":material/download:", on_click="ignore")
if not reopens(saved):
    st.warning(f"Attention : ce scénario fait {number(len(saved))} octets enregistré, plus que les "
               f"{number(MAX_SCENARIO_BYTES)} octets qu’un fichier peut avoir pour être rouvert "
               "(libellés très longs sur de nombreuses lignes). Raccourcissez des libellés, ou "
               "gardez l’export XLSX, qui contient toutes les lignes.", icon=":material/warning:")
open_key = f"open_scenario.{st.session_state.get('open_round', 0)}"
st.file_uploader("Ouvrir un scénario enregistré (.json)", type=["json"], key=open_key,
                 on_change=files.on_open_scenario, args=(open_key,),
                 help="Le scénario ouvert s’ajoute aux scénarios de la session et devient le scénario en cours.")

st.header("Importer des lignes de coût (tableur)")
st.markdown("Colonnes attendues : libellé, catégorie, montant, base (HT/TTC), taux de TVA "
            "(facultatif), mois de début, mois de fin. Séparateur « ; » ou « , », virgule "
            "décimale, espaces entre milliers et « € » acceptés. Rien ne change avant votre "
            "confirmation.")
t1, t2 = st.columns(2)
with t1:
    st.download_button("Modèle CSV", data=template_csv, file_name="modele-lignes-de-cout.csv",
                       mime="text/csv", icon=":material/table:", on_click="ignore")
with t2:
    st.download_button("Modèle XLSX", data=template_xlsx, file_name="modele-lignes-de-cout.xlsx",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       icon=":material/table:", on_click="ignore")
import_key = f"import_file.{st.session_state.get('import_round', 0)}"
st.file_uploader("Fichier de lignes de coût (.csv, .xlsx)", type=["csv", "xlsx"], key=import_key,
                 on_change=files.on_import_file, args=(import_key,))

if files.PREVIEW in st.session_state:
    name, preview = st.session_state[files.PREVIEW]
    accepted, rejected = import_preview_tables(preview)
    st.info(f"Aperçu de « {md(name)} » : {md(preview.summary())}. Le scénario n’a pas encore changé.",
            icon=":material/preview:")
    st.markdown(f"**Lignes acceptées ({len(accepted)})**")
    st.dataframe(accepted, hide_index=True, width="stretch")
    if len(rejected):
        st.markdown(f"**Lignes refusées ({len(rejected)})** — elles ne seront pas importées")
        st.dataframe(rejected, hide_index=True, width="stretch")
    b1, b2, b3 = st.columns(3)
    with b1:
        st.button(f"Ajouter ces {len(preview.lines)} ligne(s)", on_click=files.on_apply_import,
                  args=("add",), type="primary", disabled=not preview.lines, width="stretch")
    with b2:
        st.button("Remplacer les lignes du scénario", on_click=files.on_apply_import,
                  args=("replace",), disabled=not preview.lines, width="stretch")
    with b3:
        st.button("Annuler", on_click=files.on_cancel_import, width="stretch")

st.header("Exporter le dossier")
st.markdown("Synthèse chiffrée, contrôles et sources, pour joindre au dossier de candidature.")
formats = [("xlsx", "Classeur XLSX", "Totaux en formules vérifiables, contrôles, calendrier, indicateurs.",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
           ("pdf", "Synthèse PDF", "Une page de synthèse imprimable, puis les annexes : contrôles, "
            "indicateurs, graphiques.", "application/pdf"),
           ("csv", "Lignes de coût CSV", "Séparateur « ; », virgule décimale (Excel en français).", "text/csv"),
           ("md", "Synthèse Markdown", "Texte structuré, à coller dans un wiki ou un courriel.", "text/markdown")]
evaluation = state.current_evaluation()
for i, (fmt, label, what, mime) in enumerate(formats):
    if i % 2 == 0:  # one row of two at a time: on a phone they stack in reading order
        cols = st.columns(2)
    with cols[i % 2], st.container(border=True):
        st.download_button(label, data=partial(export, scenario, evaluation, fmt),
                           file_name=export_filename(scenario, fmt), mime=mime, key=f"export_{fmt}",
                           icon=":material/download:", on_click="ignore")
        st.caption(what)
