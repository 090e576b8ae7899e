"""The rules of the guichet, loaded from ``rules.toml`` (the only place where they are written).

Every rule keeps the sentence of the source page it comes from; rules marked ``assumption`` are
the simulator's own choices. The two readings of the ambiguous size sentence are named here.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from typing import Any

RULES_FILE = "rules.toml"


@dataclass(frozen=True)
class Rule:
    """One rule: its value and the sentence of the source page it comes from."""

    id: str
    title: str
    value: Any
    source: str
    in_force: dt.date
    unit: str = ""
    assumption: bool = False
    note: str = ""


@dataclass(frozen=True)
class Reading:
    """One reading of « Entre 100 000 € et 3 M€ TTC, avec au minimum 50 000 € TTC éligible »."""

    name: str
    label: str
    description: str
    size_measure: str  # "total_cost" | "eligible_base"
    minimum_applies_to: str  # "eligible_base" | "cofinancing"


@dataclass(frozen=True)
class Rules:
    version: str
    title: str
    publisher: str
    source_date: dt.date
    source_label: str
    apply_url: str
    contact: str
    default_reading: str
    rules: dict[str, Rule]
    readings: dict[str, Reading]

    def __getitem__(self, rule_id: str) -> Rule:
        return self.rules[rule_id]

    def decimal(self, rule_id: str) -> Decimal:
        """A rule whose value is a number (an amount, a rate, a share), as an exact Decimal."""
        return Decimal(str(self.rules[rule_id].value))

    money = decimal  # the former name, while the last callers move

    def values(self, rule_id: str) -> tuple:
        return tuple(self.rules[rule_id].value)

    def reading(self, name: str | None) -> Reading:
        name = name or self.default_reading
        try:
            return self.readings[name]
        except KeyError:
            known = ", ".join(self.readings)
            raise UnknownReading(f"lecture « {name} » inconnue ; lectures possibles : {known}") from None


class UnknownReading(ValueError):
    """A reading name that the rules file does not define."""


def _rule(rule_id: str, raw: dict[str, Any]) -> Rule:
    return Rule(
        id=rule_id,
        title=raw["title"],
        value=raw["value"],
        source=raw["source"],
        in_force=raw["in_force"],
        unit=raw.get("unit", ""),
        assumption=bool(raw.get("assumption", False)),
        note=raw.get("note", ""),
    )


def parse_rules(raw: dict[str, Any]) -> Rules:
    meta = raw["meta"]
    rules = {rid: _rule(rid, body) for rid, body in raw["rules"].items()}
    readings = {
        name: Reading(name=name, label=r["label"], description=r["description"],
                      size_measure=r["size_measure"], minimum_applies_to=r["minimum_applies_to"])
        for name, r in raw["readings"].items()
    }
    if meta["default_reading"] not in readings:
        raise ValueError(f"default_reading {meta['default_reading']!r} is not a defined reading")
    return Rules(
        version=meta["version"], title=meta["title"], publisher=meta["publisher"],
        source_date=meta["source_date"], source_label=meta["source_label"],
        apply_url=meta["apply_url"], contact=meta["contact"],
        default_reading=meta["default_reading"], rules=rules, readings=readings,
    )


@lru_cache(maxsize=1)
def load_rules() -> Rules:
    """The rules shipped with the package (cached: the file never changes at run time)."""
    text = resources.files(__package__).joinpath(RULES_FILE).read_text(encoding="utf-8")
    return parse_rules(tomllib.loads(text))


def impact_horizon() -> int:
    """The impact horizon in months (« impact réel attendu en moins de 6 mois »)."""
    return int(load_rules()["impact_horizon_months"].value)
