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

import pandas as pd
import streamlit as st

from guichet.engine.indicators import targets_of
from guichet.session.editing import (
    COLUMNS,
    MILESTONE_COLUMNS,
    Row,
    apply_editor_delta,
    milestone_rows,
)
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
LINES = Grid(
    "lines",
    tuple(COLUMNS),
    {
        "label": "string",
        "category": "string",
        "amount": "float64",
        "basis": "string",
        "vat": "float64",
        "start": "Int64",
        "end": "Int64",
    },
    lambda: state.workspace().current.rows,
)

MILESTONES = Grid(
    "milestones",
    tuple(MILESTONE_COLUMNS),
    {"label": "string", "month": "Int64", "impact": "boolean"},
    lambda: milestone_rows(state.scenario().milestones),
)


def targets(index: int) -> Grid:
    """The dated targets of impact indicator ``index``."""

    def rows() -> list[Row]:
        indicator = state.scenario().indicators.impact[index]
        return [{"month": m or None, "value": float(v)} for m, v in targets_of(indicator)]

    return Grid(
        f"targets.{index}", ("month", "value"), {"month": "Int64", "value": "float64"}, rows
    )
