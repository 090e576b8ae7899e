"""The scenario format (``schema_version`` 1) as pydantic v2 models. Money is ``Decimal``.

Input limits that are not rules of the guichet (longest project, largest amount, longest text)
are sanity bounds of the simulator: they keep a mistyped or hostile file from exhausting memory.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StrictBool,
                      ValidationInfo, field_validator)
from pydantic_core import PydanticCustomError

from guichet.engine.rules import Rules, load_rules
from guichet.present.formatting import percent

SCHEMA_VERSION: Literal[1] = 1
MAX_MONTH = 120  # ten years: a project timeline longer than that is a typing mistake
MAX_AMOUNT = Decimal("1000000000000")  # one thousand billion euros
MAX_TEXT = 300
#: Project start dates accepted (a date outside is a typing mistake; month labels of the
#: schedule and the date picker stay within what dates can hold).
MIN_START_DATE = dt.date(1990, 1, 1)
MAX_START_DATE = dt.date(2100, 12, 31)
MAX_LINES = 20_000
#: Numbers: at most this many significant digits and decimal places (checked before any
#: arithmetic, so ``1E-999999`` or a 5 000-digit number never reaches a computation).
MAX_DIGITS = 24
MAX_PLACES = 6

#: Characters turned into a plain space in text fields (every field is one line): line and
#: paragraph separators, tabs. What reaches Markdown, a spreadsheet or a chart is then one line.
_SPACE_LIKE = dict.fromkeys(map(ord, "\t\n\r\v\f\x85\u2028\u2029"), " ")


#: Control characters (C0, DEL, C1), lone surrogates and Unicode noncharacters: nothing a person
#: types, and what native libraries (the chart renderer, the spreadsheet writer) choke on; and the
#: bidirectional embedding, override and isolate controls (U+202A–U+202E, U+2066–U+2069), which
#: would turn the app's own sentences around the text.
_FORBIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\u202a-\u202e\u2066-\u2069"
                        + "".join(f"{chr(p * 0x10000 + 0xFFFE)}{chr(p * 0x10000 + 0xFFFF)}"
                                  for p in range(17)) + "]")


#: Whatever :func:`clean_text` changes or refuses: text without any of it is kept as it is.
_TO_CLEAN = re.compile("[\t\n\r\v\f\x85\u2028\u2029]|" + _FORBIDDEN.pattern)


def clean_text(text: str) -> str:
    """A text field as stored: separators and tabs as spaces; a forbidden character refused
    (French message naming it, with its code point)."""
    if _TO_CLEAN.search(text) is None:
        return text.strip()
    text = text.translate(_SPACE_LIKE)
    bad = _FORBIDDEN.search(text)
    if bad:
        ch = bad.group()
        raise PydanticCustomError(
            "text_characters",
            "caractère non autorisé (U+{code}, caractère de contrôle, de sens d’écriture ou "
            "non-caractère Unicode) en position {position} : le retirer du texte",
            {"code": f"{ord(ch):04X}", "position": bad.start() + 1})
    return text.strip()


#: A number written as text: ASCII digits, an optional sign, decimal point and exponent (no
#: « 1_000 », no digits of other scripts, no spaces).
_NUMBER_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_NON_FINITE = {"nan", "snan", "inf", "infinity"}
_DATE_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def number_as_written(value: Any) -> Any:
    """Before a number field: a text must be a plain number (JSON numbers arrive as Decimal)."""
    if isinstance(value, bool):
        raise PydanticCustomError("decimal_type", "nombre attendu (reçu {given})",
                                  {"given": "vrai" if value else "faux"})
    if isinstance(value, str) and value.strip().lower().lstrip("+-") in _NON_FINITE:
        raise PydanticCustomError("finite_number", "nombre fini attendu (NaN et Infinity sont refusés)")
    if isinstance(value, str) and not _NUMBER_TEXT.fullmatch(value.strip()):
        raise PydanticCustomError("number_text", "nombre attendu (reçu {given}) : chiffres 0 à 9 "
                                  "et point décimal", {"given": repr(value[:40])})
    return value


def whole_number(value: Any) -> Any:
    """Before an integer field: an integer, or a JSON number with no fraction (``3``, ``3.0``);
    never a boolean nor a text."""
    if isinstance(value, bool) or isinstance(value, str):
        raise PydanticCustomError("int_type", "nombre entier attendu (reçu {given})",
                                  {"given": repr(value)})
    return value


def date_as_written(value: Any) -> Any:
    """Before a date field: a date as ``AAAA-MM-JJ``, nothing more (no time)."""
    if isinstance(value, str) and not _DATE_TEXT.fullmatch(value):
        raise PydanticCustomError("date_parsing", "date attendue au format AAAA-MM-JJ (reçu "
                                  "{given})", {"given": repr(value[:40])})
    return value


def bounded_number(value: Decimal) -> Decimal:
    """A number of the format: finite, at most MAX_DIGITS significant digits and MAX_PLACES
    decimal places (trailing zeros do not count)."""
    _, digits, exponent = value.as_tuple()
    if not isinstance(exponent, int):
        raise PydanticCustomError("finite_number", "nombre fini attendu")
    if exponent >= -MAX_PLACES and len(digits) + max(exponent, 0) <= MAX_DIGITS:
        return value  # the usual case, decided without looking at the digits
    if not any(digits):
        return Decimal(0)
    # trailing zeros of the coefficient are not decimal places: 1.500000000 is 1.5
    zeros = len(digits) - len("".join(map(str, digits)).rstrip("0"))
    if max(0, -(exponent + zeros)) > MAX_PLACES:
        raise PydanticCustomError("number_places",
                                  "trop de décimales (au plus {places})", {"places": MAX_PLACES})
    if len(digits) - zeros + max(0, exponent + zeros) > MAX_DIGITS:
        raise PydanticCustomError("number_digits",
                                  "nombre trop long (au plus {digits} chiffres)",
                                  {"digits": MAX_DIGITS})
    return value

ApplicantKind = Literal["state_administration", "state_operator", "other"]
Origin = Literal["physical", "other_internal_cloud", "unqualified_cloud", "trusted_cloud"]
Target = Literal["pi", "nubo", "secnumcloud", "other"]
Cloud = Literal["pi", "nubo"]
Category = Literal["external_services", "internal_staff", "training", "hardware", "software",
                   "cloud_resources", "functional_changes", "other"]
Basis = Literal["ht", "ttc"]

Text = Annotated[str, Field(max_length=MAX_TEXT), AfterValidator(clean_text)]
Month = Annotated[int, BeforeValidator(whole_number), Field(ge=1, le=MAX_MONTH)]
Money = Annotated[Decimal, BeforeValidator(number_as_written),
                  Field(ge=0, le=MAX_AMOUNT, allow_inf_nan=False),
                  AfterValidator(bounded_number)]
AnyNumber = Annotated[Decimal, BeforeValidator(number_as_written),
                      Field(allow_inf_nan=False, ge=-MAX_AMOUNT, le=MAX_AMOUNT),
                      AfterValidator(bounded_number)]
Rate = Annotated[Decimal, BeforeValidator(number_as_written), Field(ge=0, le=1, allow_inf_nan=False),
                 AfterValidator(bounded_number)]


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
    third_party_commitments: Annotated[int, BeforeValidator(whole_number), Field(ge=0, le=1000)]

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

    @field_validator("end_month")
    @classmethod
    def _months_in_order(cls, end: int, info: ValidationInfo) -> int:
        start = info.data.get("start_month")
        if start is not None and end < start:
            raise PydanticCustomError(
                "months_order",
                "le mois de fin ({end}) précède le mois de début ({start})",
                {"end": end, "start": start},
            )
        return end

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
    return rules.decimal("default_vat_rate")


class Milestone(_Model):
    label: Text
    month: Month
    impact: StrictBool


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


Headcount = Annotated[int, BeforeValidator(whole_number), Field(ge=0, le=10_000_000)]


class Indicators(_Model):
    annual_savings_ttc: AnyNumber | None = None
    current_annual_run_cost_ttc: Money | None = None
    target_annual_run_cost_ttc: Money | None = None
    agents_trained: Headcount | None = None
    agents_cloud_context: Headcount | None = None
    impact: list[ImpactIndicator] = Field(default_factory=list, max_length=100)


def _default_rate() -> Decimal:
    return load_rules().decimal("max_cofinancing_rate")


def _default_rate_in_schema(schema: dict[str, Any]) -> None:
    """The JSON Schema shows the default rate, read from the rules (never written here)."""
    schema["default"] = f"{_default_rate()}"


def _named(text: str) -> str:
    if not text:
        raise PydanticCustomError("empty_name", "le nom du scénario ne peut pas être vide")
    return text


class Scenario(_Model):
    schema_version: Literal[1] = SCHEMA_VERSION
    name: Annotated[Text, AfterValidator(_named)]
    applicant: Applicant
    migration: Migration | None = None
    extension: Extension | None = None
    start_date: Annotated[dt.date, BeforeValidator(date_as_written),
                          Field(ge=MIN_START_DATE, le=MAX_START_DATE)]
    cost_lines: list[CostLine] = Field(default_factory=list, max_length=MAX_LINES)
    milestones: list[Milestone] = Field(default_factory=list, max_length=1000)
    requested_rate: Annotated[Decimal, BeforeValidator(number_as_written),
                              AfterValidator(bounded_number)] = Field(
        default_factory=_default_rate, allow_inf_nan=False,
        json_schema_extra=_default_rate_in_schema)
    indicators: Indicators = Field(default_factory=Indicators)

    @field_validator("requested_rate")
    @classmethod
    def _rate_within_cap(cls, rate: Decimal) -> Decimal:
        cap = load_rules().decimal("max_cofinancing_rate")
        if rate <= 0 or rate > cap:
            raise PydanticCustomError(
                "rate_cap",
                "le taux demandé doit être supérieur à {zero} et au plus {cap} (taux maximal du guichet)",
                {"cap": percent(cap, 2), "zero": percent(0)},
            )
        return rate
