"""The scenario format (``schema_version`` 1) as pydantic v2 models. Money is ``Decimal``.

Input limits that are not rules of the guichet (longest project, largest amount, longest text)
are sanity bounds of the simulator: they keep a mistyped or hostile file from exhausting memory.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from guichet.formatting import percent
from guichet.rules import Rules, load_rules

SCHEMA_VERSION = 1
MAX_MONTH = 120  # ten years: a project timeline longer than that is a typing mistake
MAX_AMOUNT = Decimal("1000000000000")  # one thousand billion euros
MAX_TEXT = 300
MAX_LINES = 20_000

ApplicantKind = Literal["state_administration", "state_operator", "other"]
Origin = Literal["physical", "other_internal_cloud", "unqualified_cloud", "trusted_cloud"]
Target = Literal["pi", "nubo", "secnumcloud", "other"]
Cloud = Literal["pi", "nubo"]
Category = Literal["external_services", "internal_staff", "training", "hardware", "software",
                   "cloud_resources", "functional_changes", "other"]
Basis = Literal["ht", "ttc"]

Text = Annotated[str, Field(max_length=MAX_TEXT)]
Month = Annotated[int, Field(ge=1, le=MAX_MONTH)]
Money = Annotated[Decimal, Field(ge=0, le=MAX_AMOUNT, allow_inf_nan=False)]
AnyNumber = Annotated[Decimal, Field(allow_inf_nan=False, ge=-MAX_AMOUNT, le=MAX_AMOUNT)]
Rate = Annotated[Decimal, Field(ge=0, le=1, allow_inf_nan=False)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Applicant(_Model):
    name: Text | None = None
    kind: ApplicantKind


class Migration(_Model):
    origin: Origin
    target: Target
    applications: list[Text] = Field(default_factory=list, max_length=1000)


class Extension(_Model):
    clouds: list[Cloud] = Field(min_length=1, max_length=2)
    services: list[Text] = Field(default_factory=list, max_length=1000)
    third_party_commitments: int = Field(ge=0, le=1000)

    @field_validator("clouds")
    @classmethod
    def _distinct(cls, clouds: list[str]) -> list[str]:
        if len(set(clouds)) != len(clouds):
            raise PydanticCustomError("duplicate", "chaque cloud ne peut figurer qu’une fois")
        return clouds


class CostLine(_Model):
    label: Text
    category: Category
    amount: Money
    basis: Basis
    vat_rate: Rate | None = None
    start_month: Month
    end_month: Month

    @model_validator(mode="after")
    def _months_in_order(self) -> "CostLine":
        if self.end_month < self.start_month:
            raise PydanticCustomError(
                "months_order",
                "le mois de fin ({end}) précède le mois de début ({start})",
                {"end": self.end_month, "start": self.start_month},
            )
        return self

    def effective_vat_rate(self, rules: Rules | None = None) -> Decimal:
        """The VAT rate applied to an HT amount: the line's own, else the rules' default."""
        if self.vat_rate is not None:
            return self.vat_rate
        return default_vat_rate(self.category, rules)


def default_vat_rate(category: str, rules: Rules | None = None) -> Decimal:
    """The VAT rate of a line of ``category`` that gives none: 0 for the VAT-free categories
    (agents' time), else the rules' default rate."""
    rules = rules or load_rules()
    if category in rules.values("vat_free_categories"):
        return Decimal(0)
    return rules.money("default_vat_rate")


class Milestone(_Model):
    label: Text
    month: Month
    impact: bool


class DatedTarget(_Model):
    """One target of an impact indicator: the value aimed at by the end of a project month."""

    month: Month
    value: AnyNumber


class ImpactIndicator(_Model):
    name: Text
    unit: Text = ""
    baseline: AnyNumber | None = None
    target: AnyNumber | None = None  # a single target (first form of version 1)
    month: Month | None = None
    targets: list[DatedTarget] = Field(default_factory=list, max_length=60)  # several dated ones
    preset: Text | None = None  # an id of rules/indicators.toml (DORA metric, service usage)


Headcount = Annotated[int, Field(ge=0, le=10_000_000)]


class Indicators(_Model):
    annual_savings_ttc: AnyNumber | None = None
    current_annual_run_cost_ttc: Money | None = None
    target_annual_run_cost_ttc: Money | None = None
    agents_trained: Headcount | None = None
    agents_cloud_context: Headcount | None = None
    impact: list[ImpactIndicator] = Field(default_factory=list, max_length=100)


def _default_rate() -> Decimal:
    return load_rules().money("max_cofinancing_rate")


def _default_rate_in_schema(schema: dict) -> None:
    """The JSON Schema shows the default rate, read from the rules (never written here)."""
    schema["default"] = f"{_default_rate()}"


class Scenario(_Model):
    schema_version: Literal[1] = SCHEMA_VERSION
    name: Text
    applicant: Applicant
    migration: Migration | None = None
    extension: Extension | None = None
    start_date: dt.date
    cost_lines: list[CostLine] = Field(default_factory=list, max_length=MAX_LINES)
    milestones: list[Milestone] = Field(default_factory=list, max_length=1000)
    requested_rate: Decimal = Field(default_factory=_default_rate, allow_inf_nan=False,
                                    json_schema_extra=_default_rate_in_schema)
    indicators: Indicators = Field(default_factory=Indicators)

    @field_validator("requested_rate")
    @classmethod
    def _rate_within_cap(cls, rate: Decimal) -> Decimal:
        cap = load_rules().money("max_cofinancing_rate")
        if rate <= 0 or rate > cap:
            raise PydanticCustomError(
                "rate_cap",
                "le taux demandé doit être supérieur à {zero} et au plus {cap} (taux maximal du guichet)",
                {"cap": percent(cap, 2), "zero": percent(0)},
            )
        return rate
