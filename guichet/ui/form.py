"""Widget callbacks that write the form's values into the workspace's scenario."""

from __future__ import annotations

from typing import Any, Callable

import pandas as pd
import streamlit as st

from guichet import form
from guichet.editing import COLUMNS, apply_editor_delta, milestone_rows, milestones_from_rows
from guichet.formatting import escape_markdown as md
from guichet.indicators import targets_of
from guichet.loading import ScenarioError, changed
from guichet.ui import state


def widget_key(name: str) -> str:
    """Keys change with the scenario's entry and version, so a new scenario resets the widgets."""
    e = state.workspace().current
    return f"w.{e.id}.{e.version}.{name}"


def _form_error(exc: ScenarioError) -> None:
    """The problems, shown once above the form (they may quote what the person typed)."""
    st.session_state["form_error"] = "Erreur : " + md(" ; ".join(str(p) for p in exc.problems))


def _apply(change: Callable[[], Any]) -> None:
    try:
        state.workspace().update(change())
    except ScenarioError as exc:
        _form_error(exc)


def on_field(path: str, name: str, convert: Callable[[Any], Any] = lambda v: v) -> None:
    value = convert(st.session_state[widget_key(name)])
    _apply(lambda: form.set_field(state.scenario(), path, value))


def on_operations() -> None:
    mig = st.session_state[widget_key("op_migration")]
    ext = st.session_state[widget_key("op_extension")]
    _apply(lambda: form.set_operations(state.scenario(), mig, ext))


def show_form_error() -> None:
    slot = st.container()  # drawn on every run, so nothing moves when the message goes
    message = st.session_state.pop("form_error", None)
    if message:
        slot.error(message, icon=":material/error:")
        state.one_time_message_shown()


def editor_key() -> str:
    e = state.workspace().current
    return f"lines.{e.id}.{e.version}"


def editor_base() -> list[dict]:
    """The grid's stable input: reset to the current rows whenever the grid's own state is gone
    (first display, or back from another page), so base + the grid's edits = the rows."""
    key = editor_key()
    base_key = f"{key}.base"
    if key not in st.session_state or base_key not in st.session_state:
        st.session_state[base_key] = [dict(r) for r in state.workspace().current.rows]
    return st.session_state[base_key]


#: Column types of the cost-line grid (nullable integers for the months).
GRID_DTYPES = {"label": "string", "category": "string", "amount": "float64", "basis": "string",
               "vat": "float64", "start": "Int64", "end": "Int64"}


def editor_frame() -> pd.DataFrame:
    """:func:`editor_base` as the grid's DataFrame, built again only when the base is."""
    base = editor_base()
    frame_key = f"{editor_key()}.frame"
    cached = st.session_state.get(frame_key)
    if cached is None or cached[0] is not base:
        cached = (base, pd.DataFrame(base, columns=COLUMNS).astype(GRID_DTYPES))
        st.session_state[frame_key] = cached
    return cached[1]


def on_grid_edit() -> None:
    """The grid's edits into the scenario. The Simulateur draws its grid in a fragment, so an edit
    reruns only that part of the page; the whole page is rerun instead when the edit changes what
    is drawn outside it: the status (the sidebar shows it too), or a message meant to be seen once
    that is still on screen."""
    key = editor_key()
    status_before = state.current_evaluation().status
    rows = apply_editor_delta(st.session_state[f"{key}.base"], st.session_state.get(key))
    try:
        state.workspace().set_rows(rows)
    except ScenarioError as exc:  # e.g. more lines than a scenario holds: nothing changes
        _form_error(exc)
        st.rerun()
    if state.current_evaluation().status != status_before or state.one_time_message_on_screen():
        st.rerun()


def milestone_editor_key() -> str:
    e = state.workspace().current
    return f"milestones.{e.id}.{e.version}"


def milestone_base() -> list[dict]:
    key = milestone_editor_key()
    base_key = f"{key}.base"
    if key not in st.session_state or base_key not in st.session_state:
        st.session_state[base_key] = milestone_rows(state.scenario().milestones)
    return st.session_state[base_key]


def on_milestone_edit() -> None:
    key = milestone_editor_key()
    rows = apply_editor_delta(st.session_state[f"{key}.base"], st.session_state.get(key),
                              columns=("label", "month", "impact"))
    milestones, incomplete = milestones_from_rows(rows)
    st.session_state["milestones_incomplete"] = incomplete
    _apply(lambda: changed(state.scenario(), milestones=milestones))


def on_add_indicator() -> None:
    preset = st.session_state.get(widget_key("new_indicator"))
    try:
        ws = state.workspace()
        ws.refresh(form.add_impact_indicator(ws.scenario, None if preset == "free" else preset))
    except ScenarioError as exc:
        _form_error(exc)


def on_remove_indicator(index: int) -> None:
    ws = state.workspace()
    ws.refresh(form.remove_impact_indicator(ws.scenario, index))


def targets_key(index: int) -> str:
    return widget_key(f"targets.{index}")


def targets_base(index: int) -> list[dict]:
    key = targets_key(index)
    if key not in st.session_state or f"{key}.base" not in st.session_state:
        ind = state.scenario().indicators.impact[index]
        st.session_state[f"{key}.base"] = [{"month": m or None, "value": float(v)}
                                           for m, v in targets_of(ind)]
    return st.session_state[f"{key}.base"]


def on_targets_edit(index: int) -> None:
    key = targets_key(index)
    rows = apply_editor_delta(st.session_state[f"{key}.base"], st.session_state.get(key),
                              columns=("month", "value"))
    try:
        scenario, left_out = form.set_impact_targets(state.scenario(), index, rows)
    except ScenarioError as exc:
        _form_error(exc)
        return
    st.session_state[f"{key}.left_out"] = left_out
    state.workspace().update(scenario)


def as_float(value) -> float | None:
    """A Decimal shown in a number input (floats only for display; read back as Decimal)."""
    return None if value is None else float(value)


def decimal_or_none(value):
    return form.money_or_none(value)
