"""The app's editable tables (cost lines, milestones, an indicator's dated targets), one helper.

Streamlit's data editor keeps its edits as a delta over the DataFrame it was first given, so
each table needs a stable input (« base »), kept in the session and reset whenever the table's
own state is gone (first display, back from another page), and its edits are read as base +
delta in the table's callback — never fed back as its input (Streamlit issue #7749: every second
edit would vanish). Keys carry the scenario entry and its version, so that a new scenario
(preset, file, link, import) starts its tables afresh.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from guichet.engine.figures import rule_words
from guichet.engine.indicators import targets_of
from guichet.engine.models import MAX_AMOUNT, MAX_MONTH, MAX_TEXT
from guichet.engine.rules import load_rules
from guichet.present import labels
from guichet.session.editing import (COLUMN_LABELS, COLUMNS, MILESTONE_COLUMNS, Row,
                                     apply_editor_delta, milestone_rows)
from guichet.ui import state


@dataclass(frozen=True)
class Grid:
    """One editable table: its name, columns and column types, and the rows it shows when its
    state is gone."""

    name: str
    columns: tuple[str, ...]
    dtypes: dict[str, str]
    rows: Callable[[], list[Row]]

    def key(self) -> str:
        entry = state.workspace().current
        return f"{self.name}.{entry.id}.{entry.version}"

    def base(self) -> list[Row]:
        """The stable input: base + the editor's delta = the rows on screen."""
        key = self.key()
        if key not in st.session_state or f"{key}.base" not in st.session_state:
            st.session_state[f"{key}.base"] = [dict(r) for r in self.rows()]
        base: list[Row] = st.session_state[f"{key}.base"]
        return base

    def frame(self) -> pd.DataFrame:
        """:meth:`base` as the editor's DataFrame, built again only when the base is."""
        base = self.base()
        cached = st.session_state.get(f"{self.key()}.frame")
        if cached is None or cached[0] is not base:
            cached = (base, pd.DataFrame(base, columns=list(self.columns)).astype(self.dtypes))
            st.session_state[f"{self.key()}.frame"] = cached
        return cached[1]

    def edited_rows(self) -> list[Row]:
        """The rows as the person left them (in the editor's callback)."""
        return apply_editor_delta(self.base(), st.session_state.get(self.key()), self.columns)


#: The cost lines (nullable integers for the months).
LINES = Grid("lines", tuple(COLUMNS),
             {"label": "string", "category": "string", "amount": "float64", "basis": "string",
              "vat": "float64", "start": "Int64", "end": "Int64"},
             lambda: state.workspace().current.rows)

MILESTONES = Grid("milestones", tuple(MILESTONE_COLUMNS),
                  {"label": "string", "month": "Int64", "impact": "boolean"},
                  lambda: milestone_rows(state.scenario().milestones))


def targets(index: int) -> Grid:
    """The dated targets of impact indicator ``index``."""
    def rows() -> list[Row]:
        indicator = state.scenario().indicators.impact[index]
        return [{"month": m or None, "value": float(v)} for m, v in targets_of(indicator)]
    return Grid(f"targets.{index}", ("month", "value"), {"month": "Int64", "value": "float64"},
                rows)


def lines_caption() -> str:
    """What the cost-line grid's columns mean, with the rules' own values."""
    words = rule_words()
    free = ", ".join(labels.CATEGORIES[c].lower() for c in load_rules().values("vat_free_categories"))
    return (f"Montants en euros ; « Début » et « Fin » : mois du projet. Vide dans « TVA % » : "
            f"{words['default_vat']}, et 0 % pour : {free}. Sont exclus de l’assiette : "
            f"{words['excluded']}.")


def lines_columns() -> dict[str, Any]:
    """The cost-line grid's columns: French headers, choices, bounds and help."""
    vat_help = f"Vide : {rule_words()['default_vat']} (0 % pour le temps des agents)"
    return {
        "label": st.column_config.TextColumn(COLUMN_LABELS["label"], max_chars=MAX_TEXT, width=200),
        "category": st.column_config.SelectboxColumn(
            COLUMN_LABELS["category"], options=list(labels.CATEGORIES.values()), required=True,
            width=180),
        "amount": st.column_config.NumberColumn(
            COLUMN_LABELS["amount"], min_value=0, max_value=float(MAX_AMOUNT), step=0.01,
            format="localized"),
        "basis": st.column_config.SelectboxColumn(
            COLUMN_LABELS["basis"], options=list(labels.BASES.values()), default="HT",
            required=True, width="small", help="Montant saisi HT ou TTC"),
        "vat": st.column_config.NumberColumn(
            COLUMN_LABELS["vat"], min_value=0, max_value=100, step=0.1, format="localized",
            width="small", help=vat_help),
        "start": st.column_config.NumberColumn(
            COLUMN_LABELS["start"], min_value=1, max_value=MAX_MONTH, step=1, default=1,
            width="small", help="Premier mois de la dépense (1 = premier mois du projet)"),
        "end": st.column_config.NumberColumn(
            COLUMN_LABELS["end"], min_value=1, max_value=MAX_MONTH, step=1, default=1,
            width="small", help="Dernier mois de la dépense"),
    }
