"""The session's single source of truth: one Workspace in ``st.session_state["workspace"]``."""

from __future__ import annotations

import streamlit as st

from guichet.engine.evaluate import Evaluation, evaluate
from guichet.engine.models import Scenario
from guichet.io.loading import ScenarioError
from guichet.io.sharing import decode_scenario, share_url
from guichet.present.formatting import escape_markdown as md
from guichet.session.presets import blank_scenario, load_preset
from guichet.session.workspace import Workspace

KEY = "workspace"
ONE_TIME_SHOWN = "_one_time_message_shown"
FLASH = "flash_messages"


def workspace() -> Workspace:
    if KEY not in st.session_state:
        ws = Workspace()
        ws.add(load_preset("migration-pi"))
        st.session_state[KEY] = ws
    ws = st.session_state[KEY]
    assert isinstance(ws, Workspace)
    return ws


def scenario() -> Scenario:
    return workspace().scenario


EVALUATIONS = "_evaluations"
#: Evaluations kept per session: the session's scenarios (at most 12) and a few older versions.
MAX_CACHED = 16


def evaluation_of(scenario: Scenario) -> Evaluation:
    """A scenario's evaluation under the session's reading, computed once per scenario (scenarios
    are never changed in place: every edit makes a new one, so the object itself is the key)."""
    reading = workspace().reading
    cache: dict[tuple[int, str], tuple[Scenario, Evaluation]] = st.session_state.setdefault(
        EVALUATIONS, {})
    key = (id(scenario), reading)
    hit = cache.get(key)
    if hit is not None and hit[0] is scenario:
        return hit[1]
    evaluation = evaluate(scenario, reading=reading)
    cache[key] = (scenario, evaluation)
    while len(cache) > MAX_CACHED:
        cache.pop(next(iter(cache)))
    return evaluation


def current_evaluation() -> Evaluation:
    """The current scenario's evaluation (see :func:`evaluation_of`)."""
    return evaluation_of(workspace().scenario)


def flash(kind: str, text: str) -> None:
    """A message to show once, at the top of the next page run (kind: success|error|info)."""
    st.session_state.setdefault(FLASH, []).append((kind, text))


def show_flash() -> None:
    """The one-time messages, in a slot drawn on every run: when they are gone, nothing below
    moves, so the widget a keyboard user is on keeps its focus."""
    slot = st.container()
    for kind, text in st.session_state.pop(FLASH, []):
        {"success": slot.success, "error": slot.error, "info": slot.info,
         "warning": slot.warning}[kind](text)
        one_time_message_shown()


def one_time_message_shown() -> None:
    """Note that this run of the page shows a message meant to be seen once (it goes at the next
    run). A run of part of the page (a fragment) would leave it on screen: see
    :func:`one_time_message_on_screen`."""
    st.session_state[ONE_TIME_SHOWN] = True


def one_time_message_on_screen() -> bool:
    return bool(st.session_state.get(ONE_TIME_SHOWN))


def start_page_run() -> None:
    """At the start of every run of a whole page (not of a fragment)."""
    st.session_state[ONE_TIME_SHOWN] = False


def load_preset_into_workspace(preset_id: str) -> None:
    scenario = load_preset(preset_id)
    workspace().add(scenario)
    flash("success", f"Succès : exemple « {md(scenario.name)} » chargé.")


def new_blank() -> None:
    workspace().add(blank_scenario())
    flash("success", "Succès : nouveau projet vide créé.")


def handle_share_link() -> None:
    """Load the scenario of a ``?s=`` link once per distinct link; a bad link loads nothing."""
    token = st.query_params.get("s")
    if not token or st.session_state.get("_share_token_seen") == token:
        return
    st.session_state["_share_token_seen"] = token
    try:
        scenario = decode_scenario(token)
        workspace().add(scenario)
    except ScenarioError as exc:
        details = " ; ".join(str(p) for p in exc.problems[:5])
        flash("error", f"Erreur : le lien de partage n’a pas pu être ouvert ({md(details)}). "
                       "Aucun scénario n’a été chargé : le scénario affiché est inchangé.")
        return
    flash("success", f"Succès : scénario « {md(scenario.name)} » ouvert depuis le lien de partage.")


def share_link() -> tuple[str | None, str | None]:
    """(link, None), or (None, the French reason) when the scenario is too large for a link."""
    try:
        return share_url(st.context.url or "", scenario()), None
    except ScenarioError as exc:
        return None, " ; ".join(str(p) for p in exc.problems)
