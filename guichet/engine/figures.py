"""Every figure of an evaluation, defined once in ``figures.toml``: its label, its short label, its
unit, its formula in words and the rules it stands on (as Publicodes defines its rules).

The engine builds each figure's explanation (« Comment est-ce calculé ? ») from these definitions;
the pages, the command line, the exports, the comparison and the charts take their labels from
here, so that a figure is named the same everywhere. Labels and formulas may hold placeholders
filled from the rules file (:func:`rule_words`): ``{horizon}``, ``{years}``, ``{default_vat}``…
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from typing import Literal, get_args

from guichet.engine.rules import Rules, load_rules
from guichet.present import labels
from guichet.present.formatting import eur, percent

Unit = Literal["eur", "rate", "share", "months", "yes_no", "count", "status"]
#: Where the figures are defined, beside this module.
FIGURES_FILE = "figures.toml"


@dataclass(frozen=True)
class Figure:
    key: str  # the evaluation's field (or explanation's key)
    label: str  # its name wherever there is room: « Assiette éligible TTC »
    short: str  # where room is short (the key figures, the comparison): « Assiette éligible »
    unit: Unit
    formula: str  # in words; placeholders from :func:`rule_words`
    rules: tuple[str, ...] = ()  # the rules whose sentences it stands on

    def name(self, rules: Rules | None = None, *, short: bool = False) -> str:
        """The label (or short label) with the rules' values in it."""
        return (self.short if short else self.label).format(**rule_words(rules))

    def formula_text(self, rules: Rules | None = None, **extra: str) -> str:
        return self.formula.format(**rule_words(rules), **extra)


def _in_text(label: str) -> str:
    """« Ressources Cloud consommées » inside a sentence: « ressources Cloud consommées »."""
    return label[:1].lower() + label[1:]


def _and(items: list[str]) -> str:
    return ", ".join(items[:-1]) + " et " + items[-1] if len(items) > 1 else "".join(items)


def rule_words(rules: Rules | None = None) -> dict[str, str]:
    """The rules' values as they are written inside a label or a formula."""
    r = rules or load_rules()
    return {
        "excluded": _and([_in_text(labels.CATEGORIES[c]) for c in r.values("excluded_categories")]),
        "horizon": str(int(r["impact_horizon_months"].value)),
        "years": str(int(r["savings_horizon_years"].value)),
        "default_vat": percent(r.decimal("default_vat_rate")),
        "min_project": eur(r.decimal("min_project_ttc"), cents=False),
        "max_project": eur(r.decimal("max_project_ttc"), cents=False),
        "max_rate": percent(r.decimal("max_cofinancing_rate")),
        "max_training_share": percent(r.decimal("max_training_share")),
    }


def _load() -> dict[str, Figure]:
    raw = tomllib.loads(resources.files(__package__).joinpath(FIGURES_FILE).read_text(encoding="utf-8"))
    out = {}
    for key, body in raw.items():
        if body["unit"] not in get_args(Unit):
            raise ValueError(f"figure {key}: unknown unit {body['unit']!r}")
        out[key] = Figure(key, body["label"], body["short"], body["unit"], body["formula"],
                          tuple(body["rules"]))
    return out


#: Every figure by its key.
FIGURES: dict[str, Figure] = _load()


def label(key: str, rules: Rules | None = None) -> str:
    """The label of figure ``key``: ``label("eligible_base_ttc")`` → « Assiette éligible TTC »."""
    return FIGURES[key].name(rules)


def short(key: str, rules: Rules | None = None) -> str:
    """The short label of figure ``key``: « Assiette éligible »."""
    return FIGURES[key].name(rules, short=True)
