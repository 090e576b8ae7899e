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
from typing import Any, Literal, get_args

from guichet.present.formatting import eur

RULES_FILE = "rules.toml"


@dataclass(frozen=True)
class RuleValue:
    """One dated value of a rule: in force from ``since``, with the sentence it comes from and
    where that sentence stands."""

    since: dt.date
    value: Any
    source: str
    reference: str


#: What the code reads a rule's value as (``unit``); ``unit_label`` is only for display.
Unit = Literal["eur", "rate", "share", "months", "years", "count", "codes", "texts"]
UNITS: tuple[str, ...] = get_args(Unit)


@dataclass(frozen=True)
class Rule:
    """One rule: its dated values, each with the sentence of the source page it comes from. The
    properties give the value in force today (the latest entry on or before it)."""

    id: str
    title: str
    unit: Unit
    values: tuple[RuleValue, ...]
    unit_label: str = ""
    assumption: bool = False
    note: str = ""

    def at(self, day: dt.date) -> RuleValue:
        """The entry in force on ``day``: the latest one on or before it (the first one before
        any entry)."""
        in_force = [v for v in self.values if v.since <= day]
        return in_force[-1] if in_force else self.values[0]

    @property
    def current(self) -> RuleValue:
        return self.at(dt.date.today())

    @property
    def value(self) -> Any:
        return self.current.value

    @property
    def source(self) -> str:
        return self.current.source

    @property
    def in_force(self) -> dt.date:
        return self.current.since

    @property
    def reference(self) -> str:
        return self.current.reference


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
    page: str
    default_reading: str
    rules: dict[str, Rule]
    readings: dict[str, Reading]

    def __getitem__(self, rule_id: str) -> Rule:
        return self.rules[rule_id]

    def decimal(self, rule_id: str) -> Decimal:
        """A rule whose value is a number (an amount, a rate, a share), as an exact Decimal."""
        return Decimal(str(self.rules[rule_id].value))


    def values(self, rule_id: str) -> tuple[Any, ...]:
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
    if raw["unit"] not in UNITS:
        raise ValueError(f"rule {rule_id}: unknown unit {raw['unit']!r}")
    values = tuple(sorted((RuleValue(since=v["since"], value=v["value"], source=v["source"],
                                     reference=v["reference"]) for v in raw["values"]),
                          key=lambda v: v.since))
    if not values:
        raise ValueError(f"rule {rule_id}: no value")
    return Rule(id=rule_id, title=raw["title"], unit=raw["unit"], values=values,
                unit_label=raw.get("unit_label", ""), assumption=bool(raw.get("assumption", False)),
                note=raw.get("note", ""))


def _reading_words(rules: dict[str, Rule]) -> dict[str, str]:
    """The amounts the readings' texts name, written in French."""
    def amount(rule_id: str) -> Decimal:
        return Decimal(str(rules[rule_id].value))
    return {
        "min_project": eur(amount("min_project_ttc"), cents=False),
        "max_project": eur(amount("max_project_ttc"), cents=False),
        "min_eligible": eur(amount("min_eligible_ttc"), cents=False),
        "max_cofinancing": eur(amount("max_project_ttc") * amount("max_cofinancing_rate"),
                               cents=False),
    }


def parse_rules(raw: dict[str, Any]) -> Rules:
    meta = raw["meta"]
    rules = {rid: _rule(rid, body) for rid, body in raw["rules"].items()}
    words = _reading_words(rules)
    readings = {
        name: Reading(name=name, label=r["label"].format(**words),
                      description=r["description"].format(**words),
                      size_measure=r["size_measure"], minimum_applies_to=r["minimum_applies_to"])
        for name, r in raw["readings"].items()
    }
    if meta["default_reading"] not in readings:
        raise ValueError(f"default_reading {meta['default_reading']!r} is not a defined reading")
    return Rules(
        version=meta["version"], title=meta["title"], publisher=meta["publisher"],
        source_date=meta["source_date"], source_label=meta["source_label"],
        apply_url=meta["apply_url"], contact=meta["contact"], page=meta["page"],
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
