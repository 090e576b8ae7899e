"""Changes the simulator's form makes to a scenario (pure: no Streamlit).

Each function returns a new, validated Scenario; invalid values raise ScenarioError with the
French message of the field, and the scenario given is left untouched.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from guichet.engine.indicators import load_presets
from guichet.engine.models import Scenario
from guichet.io.loading import Problem, ScenarioError, scenario_from_data
from guichet.session.editing import is_blank, to_decimal


def set_field(scenario: Scenario, path: str, value: Any) -> Scenario:
    """``set_field(s, "migration.target", "nubo")``, ``set_field(s, "indicators.impact.0.name",
    "RTO")``: a copy with one field changed, validated."""
    data = scenario.model_dump(mode="python")
    node: Any = data
    *parents, leaf = path.split(".")
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node.get(part)
        if node is None:
            raise KeyError(path)
    if isinstance(node, list):
        node[int(leaf)] = value
    else:
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


def add_impact_indicator(scenario: Scenario, preset_id: str | None) -> Scenario:
    """Add an impact indicator from a preset (a DORA metric, service usage) or a blank one."""
    data = scenario.model_dump(mode="python")
    preset = load_presets().presets.get(preset_id) if preset_id else None
    item = ({"name": preset.name, "unit": preset.unit, "preset": preset.id} if preset
            else {"name": "Nouvel indicateur", "unit": ""})
    data["indicators"]["impact"].append(item)
    return scenario_from_data(data)


def remove_impact_indicator(scenario: Scenario, index: int) -> Scenario:
    data = scenario.model_dump(mode="python")
    del data["indicators"]["impact"][index]
    return scenario_from_data(data)


def set_impact_targets(scenario: Scenario, index: int,
                       rows: list[dict[str, Any]]) -> tuple[Scenario, int]:
    """Replace an indicator's dated targets with the complete rows (month and value); returns the
    new scenario and how many rows were left out as incomplete. The single ``target`` of the first
    form is folded into the list."""
    targets: list[tuple[Any, Decimal]] = []
    left_out = 0
    for number, row in enumerate(rows, start=1):
        month, value = row.get("month"), row.get("value")
        if month is None or value is None or is_blank(month) or is_blank(value):
            left_out += not (is_blank(month) and is_blank(value))
            continue
        if not (_is_number(month) and _is_number(value)):
            raise ScenarioError([Problem(f"indicators.impact[{index}].targets[{number - 1}]",
                                         "mois et cible : des nombres sont attendus")])
        targets.append((month, to_decimal(value)))
    data = scenario.model_dump(mode="python")
    item = data["indicators"]["impact"][index]
    item.update({"targets": [{"month": m, "value": v} for m, v in sorted(targets, key=_month)],
                 "target": None, "month": None})
    return scenario_from_data(data), left_out


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


def _month(target: tuple[Any, Decimal]) -> float:
    month = target[0]
    return float(month) if _is_number(month) and float(month) == float(month) else 0.0


def money_or_none(value: float | int | str | Decimal | None) -> Decimal | None:
    """A number input's value as an exact Decimal (None stays None: the field is left empty).
    Raises ScenarioError for what is not a number."""
    if value is None:
        return None
    try:
        return to_decimal(value)
    except (ArithmeticError, ValueError):
        raise ScenarioError([Problem("", f"nombre attendu (reçu {str(value)[:40]!r})")]) from None
