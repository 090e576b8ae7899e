"""The frame around every page: page config, the session's workspace, share links, navigation.

``app.py`` calls :func:`run_app`. Each page also calls :func:`ensure_frame` first: Streamlit (1.67)
treats an app with a ``pages/`` folder as an old-style multipage app until a session has run
``st.navigation``, and in that mode it runs a page file directly, without app.py (a first visitor
arriving on ``/simulateur``; every AppTest run after the first). The page then draws the same
frame itself, so it never shows without its navigation, page config or share-link handling.
"""

from __future__ import annotations

import gc
import threading
from pathlib import Path

import streamlit as st

from guichet.present.formatting import escape_markdown
from guichet.ui import state

_run = threading.local()

# Once per server process, at the first page run, when Streamlit, pandas, altair and pydantic are
# loaded: their hundreds of thousands of long-lived objects leave the garbage collector's watch.
# Otherwise each full collection walks them all (≈ 90 ms on the reference machine), and one falls
# in the middle of an edit's rerun every few edits. Objects made afterwards are collected as usual.
gc.freeze()

PAGES = [
    ("pages/accueil.py", "Accueil", ":material/home:", None),
    ("pages/simulateur.py", "Simulateur", ":material/calculate:", "simulateur"),
    ("pages/calendrier.py", "Calendrier et impact", ":material/event:", "calendrier"),
    ("pages/indicateurs.py", "Indicateurs", ":material/monitoring:", "indicateurs"),
    ("pages/fichiers.py", "Fichiers et exports", ":material/folder_open:", "fichiers"),
    ("pages/comparer.py", "Comparer", ":material/compare:", "comparer"),
    ("pages/regles.py", "Règles", ":material/gavel:", "regles"),
]


def _frame_without_navigation() -> None:
    st.set_page_config(page_title="Simulateur — Guichet Adoption du Cloud de confiance",
                       page_icon=":material/cloud:", layout="wide")
    state.start_page_run()
    state.workspace()
    state.handle_share_link()


A11Y_SCRIPT = Path(__file__).with_name("a11y.js").read_text(encoding="utf-8")


def _sidebar() -> None:
    with st.sidebar:
        # A fixed script of the project, never user text (see a11y.js).
        st.html(f"<script>{A11Y_SCRIPT}</script>", unsafe_allow_javascript=True)
        evaluation = state.current_evaluation()
        st.caption(f"Scénario en cours  \n**{escape_markdown(state.scenario().name)}**  \n"
                   f"Statut : {evaluation.status_label}")


def run_app() -> None:
    _frame_without_navigation()
    pages = [st.Page(path, title=title, icon=icon, default=url is None, url_path=url)
             for path, title, icon, url in PAGES]
    page = st.navigation(pages, position="sidebar")
    _sidebar()
    _run.framed = True
    page.run()


def ensure_frame() -> None:
    """Draw the frame unless app.py already did in this script run.

    In the old-style mode the page was started without app.py: draw the frame here (Streamlit has
    drawn its own navigation already; calling ``st.navigation`` now would re-key the page's widgets
    and lose the user's click), and leave that mode, so the next run goes through app.py.
    """
    if not getattr(_run, "framed", False):
        from streamlit.runtime.pages_manager import PagesManager

        _frame_without_navigation()
        _sidebar()
        PagesManager.uses_pages_directory = False
    _run.framed = False
