"""Widget callbacks that write the form's values into the workspace's scenario."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import streamlit as st

from guichet.io.loading import ScenarioError, changed
from guichet.present.formatting import escape_markdown as md
from guichet.session import changes
from guichet.session.editing import milestones_from_rows
from guichet.ui import grids, state


def widget_key(name: str) -> str:
    """Keys change with the scenario's entry and version, so a new scenario resets the widgets."""
    e = state.workspace().current
    return f"w.{e.id}.{e.version}.{name}"


def _form_error(exc: ScenarioError) -> None:
    """The problems, shown once above the form (they may quote what the person typed)."""
    st.session_state["form_error"] = "Erreur : " + md(" ; ".join(str(p) for p in exc.problems))


def _apply(change: Callable[[], Any]) -> None:
    """A form change into the scenario; a refused one is said, and the fields are drawn again
    from the scenario, which is unchanged (no field keeps showing what was refused)."""
    try:
        state.workspace().update(change())
    except ScenarioError as exc:
        _form_error(exc)
        ws = state.workspace()
        ws.refresh(ws.scenario)


def on_field(path: str, name: str, convert: Callable[[Any], Any] = lambda v: v) -> None:
    value = st.session_state[widget_key(name)]
    _apply(lambda: changes.set_field(state.scenario(), path, convert(value)))


def on_operations() -> None:
    mig = st.session_state[widget_key("op_migration")]
    ext = st.session_state[widget_key("op_extension")]
    _apply(lambda: changes.set_operations(state.scenario(), mig, ext))


def show_form_error() -> None:
    slot = st.container()  # drawn on every run, so nothing moves when the message goes
    message = st.session_state.pop("form_error", None)
    if message:
        slot.error(message, icon=":material/error:")
        state.one_time_message_shown()


def on_grid_edit() -> None:
    """The grid's edits into the scenario. The Simulateur draws its grid in a fragment, so an edit
    reruns only that part of the page; the whole page is rerun instead when the edit changes what
    is drawn outside it: the status (the sidebar shows it too), or a message meant to be seen once
    that is still on screen."""
    status_before = state.current_evaluation().status
    rows = grids.LINES.edited_rows()
    try:
        state.workspace().set_rows(rows)
    except ScenarioError as exc:  # e.g. more lines than a scenario holds: nothing changes
        _form_error(exc)
        st.rerun()
    if state.current_evaluation().status != status_before or state.one_time_message_on_screen():
        st.rerun()


def on_milestone_edit() -> None:
    milestones, incomplete = milestones_from_rows(grids.MILESTONES.edited_rows())
    st.session_state["milestones_incomplete"] = incomplete
    _apply(lambda: changed(state.scenario(), milestones=milestones))


def on_add_indicator() -> None:
    preset = st.session_state.get(widget_key("new_indicator"))
    try:
        ws = state.workspace()
        ws.refresh(changes.add_impact_indicator(ws.scenario, None if preset == "free" else preset))
    except ScenarioError as exc:
        _form_error(exc)


def on_remove_indicator(index: int) -> None:
    ws = state.workspace()
    ws.refresh(changes.remove_impact_indicator(ws.scenario, index))


def on_targets_edit(index: int) -> None:
    grid = grids.targets(index)
    try:
        scenario, _ = changes.set_impact_targets(state.scenario(), index, grid.edited_rows())
    except ScenarioError as exc:
        _form_error(exc)
        return
    state.workspace().update(scenario)


def as_float(value: Decimal | None) -> float | None:
    """A Decimal shown in a number input (floats only for display; read back as Decimal)."""
    return None if value is None else float(value)


def decimal_or_none(value: float | None) -> Decimal | None:
    return changes.money_or_none(value)
