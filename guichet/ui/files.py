"""Callbacks of the « Fichiers » page: open a saved scenario, preview and apply an import.

A failed upload shows a French message naming what is wrong, and changes nothing on screen."""

from __future__ import annotations

import streamlit as st

from guichet.io.imports import import_cost_lines, replace_lines
from guichet.io.loading import ScenarioError, load_scenario
from guichet.present.formatting import escape_markdown as md
from guichet.ui import state

PREVIEW = "import_preview"


def _problems(exc: ScenarioError, limit: int = 8) -> str:
    shown = [str(p) for p in exc.problems[:limit]]
    more = len(exc.problems) - limit
    return " ; ".join(shown) + (f" ; et {more} autre(s) problème(s)" if more > 0 else "")


def on_open_scenario(key: str) -> None:
    upload = st.session_state.get(key)
    if upload is None:
        return
    st.session_state["open_round"] = st.session_state.get("open_round", 0) + 1  # empty the field
    try:
        scenario = load_scenario(upload.getvalue())
        state.workspace().add(scenario)
    except ScenarioError as exc:
        state.flash("error", f"Erreur : le fichier « {md(upload.name)} » n’a pas pu être ouvert "
                             f"({md(_problems(exc))}). Le scénario affiché est inchangé.")
        return
    state.flash("success", f"Succès : scénario « {md(scenario.name)} » ouvert ; il s’ajoute aux "
                           "scénarios de la session.")


def on_import_file(key: str) -> None:
    upload = st.session_state.get(key)
    st.session_state.pop(PREVIEW, None)
    if upload is None:
        return
    try:
        st.session_state[PREVIEW] = (upload.name, import_cost_lines(upload.getvalue(), upload.name))
    except ScenarioError as exc:
        state.flash("error", f"Erreur : le fichier « {md(upload.name)} » n’a pas pu être lu "
                             f"({md(_problems(exc))}). Aucune ligne n’a été importée.")


def on_apply_import(mode: str) -> None:
    name, preview = st.session_state.pop(PREVIEW)
    ws = state.workspace()
    try:
        if mode == "add":
            ws.append_lines(preview.lines)
            verb = "ajoutée(s) au"
        else:
            ws.replace(replace_lines(ws.scenario, preview.lines))
            verb = "mise(s) à la place des lignes du"
    except ScenarioError as exc:
        state.flash("error", f"Erreur : les lignes de « {md(name)} » n’ont pas été importées "
                             f"({md(_problems(exc))}). Le scénario affiché est inchangé.")
        st.session_state["import_round"] = st.session_state.get("import_round", 0) + 1
        return
    state.flash("success", f"Succès : {len(preview.lines)} ligne(s) de « {md(name)} » {verb} "
                           f"scénario ; {len(preview.rejected)} ligne(s) refusée(s) non importée(s).")
    st.session_state["import_round"] = st.session_state.get("import_round", 0) + 1


def on_cancel_import() -> None:
    st.session_state.pop(PREVIEW, None)
    st.session_state["import_round"] = st.session_state.get("import_round", 0) + 1
