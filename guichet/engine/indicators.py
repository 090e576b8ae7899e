"""Indicators the guichet asks for: savings and payback, trained agents, impact targets over time
(pure: no Streamlit).

The DORA bands that help place a baseline and a target live in ``rules/indicators.toml``; they are
not rules of the guichet, and the app says where they come from.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from typing import Literal

from guichet.engine.models import ImpactIndicator, Indicators
from guichet.present.formatting import round_half_up

SavingsSource = Literal["declared", "derived"]

INDICATORS_FILE = "indicators.toml"


@dataclass(frozen=True)
class Band:
    name: str
    min: Decimal | None = None
    max: Decimal | None = None

    def contains(self, value: Decimal) -> bool:
        return (self.min is None or value >= self.min) and (self.max is None or value < self.max)


@dataclass(frozen=True)
class Preset:
    id: str
    name: str
    unit: str
    better: str  # "higher" | "lower"
    bands: tuple[Band, ...]
    note: str = ""
    assumption: bool = False
    extension_only: bool = False


@dataclass(frozen=True)
class PresetCatalogue:
    version: str
    source: str
    seed_sentence: str
    presets: dict[str, Preset]


def _num(value: object) -> Decimal | None:
    return None if value is None else Decimal(str(value))


@lru_cache(maxsize=1)
def load_presets() -> PresetCatalogue:
    text = resources.files("guichet.engine.rules").joinpath(INDICATORS_FILE).read_text(encoding="utf-8")
    raw = tomllib.loads(text)
    presets = {
        pid: Preset(id=pid, name=p["name"], unit=p["unit"], better=p["better"],
                    bands=tuple(Band(b["name"], _num(b.get("min")), _num(b.get("max")))
                                for b in p.get("bands", [])),
                    note=p.get("note", ""), assumption=bool(p.get("assumption", False)),
                    extension_only=bool(p.get("extension_only", False)))
        for pid, p in raw["presets"].items()
    }
    meta = raw["meta"]
    return PresetCatalogue(meta["version"], meta["source"], meta["seed_sentence"], presets)


def band_of(preset: Preset | None, value: Decimal | None) -> str | None:
    """The DORA band a value falls in, or None (no preset, no bands, no value)."""
    if preset is None or value is None:
        return None
    for band in preset.bands:
        if band.contains(value):
            return band.name
    return None


def preset_for(indicator: ImpactIndicator) -> Preset | None:
    """The preset an impact indicator names (``preset``), or whose name it bears — in the
    preset's own unit only (« 60 jours » must not be read against bands in hours)."""
    presets = load_presets().presets
    if indicator.preset is not None and indicator.preset in presets:
        return presets[indicator.preset]
    for p in presets.values():
        same_unit = not indicator.unit or indicator.unit.casefold() == p.unit.casefold()
        if p.name.casefold() == indicator.name.casefold() and same_unit:
            return p
    return None


def targets_of(indicator: ImpactIndicator) -> list[tuple[int, Decimal]]:
    """The dated targets (month, value), sorted by month: ``targets``, else the single
    ``target`` at ``month`` of the first version of the format."""
    if indicator.targets:
        return sorted((t.month, t.value) for t in indicator.targets)
    if indicator.target is not None:
        return [(indicator.month or 0, indicator.target)]
    return []


def annual_savings(indicators: Indicators) -> tuple[Decimal | None, SavingsSource | None]:
    """(annual savings TTC, how it was obtained): declared as such, or derived as the current
    minus the target annual run cost; (None, None) when neither is given."""
    if indicators.annual_savings_ttc is not None:
        return indicators.annual_savings_ttc, "declared"
    current, target = indicators.current_annual_run_cost_ttc, indicators.target_annual_run_cost_ttc
    if current is not None and target is not None:
        return current - target, "derived"
    return None, None


def payback_months(own_contribution: Decimal, annual: Decimal | None) -> int | None:
    """ceil(own contribution × 12 ÷ annual savings), when the savings are positive; else None."""
    if annual is None or annual <= 0:
        return None
    return max(0, math.ceil(own_contribution * 12 / annual))


def cumulative_savings(annual: Decimal | None, years: int) -> Decimal | None:
    return None if annual is None else round_half_up(annual * years)


def payback_series(own_contribution: Decimal, annual: Decimal | None,
                   years: int) -> list[dict[str, Decimal | int]]:
    """Month by month over ``years`` years: cumulative savings (annual ÷ 12 a month) and the own
    contribution they must cover."""
    monthly = (annual or Decimal(0)) / 12
    return [{"month": m, "cumulative_savings": round_half_up(monthly * m),
             "own_contribution": own_contribution} for m in range(0, years * 12 + 1)]
