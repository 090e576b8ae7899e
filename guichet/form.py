"""Changes the simulator's form makes to a scenario (pure: no Streamlit).

Each function returns a new, validated Scenario; invalid values raise ScenarioError with the
French message of the field, and the scenario given is left untouched.
"""

from __future__ import annotations

from typing import Any

from guichet.loading import scenario_from_data
from guichet.models import Scenario


def set_field(scenario: Scenario, path: str, value: Any) -> Scenario:
    """``set_field(s, "migration.target", "nubo")``: a copy with one field changed, validated."""
    data = scenario.model_dump(mode="python")
    node = data
    *parents, leaf = path.split(".")
    for part in parents:
        if node.get(part) is None:
            raise KeyError(path)
        node = node[part]
    node[leaf] = value
    return scenario_from_data(data)


def set_operations(scenario: Scenario, migration: bool, extension: bool) -> Scenario:
    """Switch the two kinds of operations on or off, keeping what was entered when possible."""
    data = scenario.model_dump(mode="python")
    if migration and data["migration"] is None:
        data["migration"] = {"origin": "physical", "target": "pi", "applications": []}
    if not migration:
        data["migration"] = None
    if extension and data["extension"] is None:
        data["extension"] = {"clouds": ["pi"], "services": [], "third_party_commitments": 0}
    if not extension:
        data["extension"] = None
    return scenario_from_data(data)


def lines_of_text(text: str) -> list[str]:
    """« une par ligne »: non-empty, stripped lines of a text area."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]
