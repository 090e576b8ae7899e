"""Reading one cell: numbers, amounts, VAT rates, months, categories, bases and labels, as French
offices write them. A cell that cannot be read raises :class:`_Bad`, whose message names the
value; the row then gets that message as its reason."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from guichet.engine.models import MAX_AMOUNT, MAX_MONTH, MAX_TEXT
from guichet.io.imports.text import _FORBIDDEN_CHARS, _aliases, _char_name, _norm, _visible
from guichet.present import labels
from guichet.present.formatting import eur, number

# --- categories and bases -------------------------------------------------------------------------

_CATEGORY_SYNONYMS = {
    "external_services": ["prestation", "prestations externes", "prestation externe",
                          "prestataire", "sous-traitance", "services externes",
                          "prestation intellectuelle", "prestations de service"],
    "internal_staff": ["temps des agents", "temps agent", "agents", "interne", "personnel interne",
                       "ressources internes", "ETP internes", "temps interne"],
    "training": ["formation", "acculturation", "formation des agents"],
    "hardware": ["matériel", "équipement", "équipements"],
    "software": ["logiciel", "licence", "licences", "souscription", "souscriptions"],
    "cloud_resources": ["ressources cloud", "cloud", "consommation cloud",
                        "consommation des ressources cloud", "ressources cloud utilisées"],
    "functional_changes": ["évolution fonctionnelle", "évolutions", "évolutions applicatives"],
    "other": ["autre", "autres", "divers", "autres dépenses"],
}


def _category_aliases() -> dict[str, str]:
    names: dict[str, list[str]] = {code: [code, code.replace("_", " ")]
                                   for code in labels.CATEGORIES}
    for code, label in labels.CATEGORIES.items():
        names[code] += [label, re.sub(r"\([^)]*\)", " ", label)]
    for code, extra in _CATEGORY_SYNONYMS.items():
        names[code] += extra
    return _aliases(names)


_CATEGORY_ALIASES = _category_aliases()

_BASIS_ALIASES = {
    "ht": "ht", "hors taxe": "ht", "hors tva": "ht", "h t": "ht",
    "ttc": "ttc", "toute taxe comprise": "ttc", "t t c": "ttc", "tva comprise": "ttc",
}


# --- numbers --------------------------------------------------------------------------------------

_SPACES = re.compile(r"[\s\u00a0\u202f\u2009\u2007\u2008]+")
_BASIS_IN_CELL = re.compile(r"\b(H\.?\s?T\.?|T\.?\s?T\.?\s?C\.?)(?=\W|$)", re.I)
_CURRENCY = re.compile(r"€|\beur(?:os?)?\b|\beuro\b", re.I)
_NUMBER_PATTERNS = [
    (re.compile(r"^\d+$"), None, None),
    (re.compile(r"^\d*,\d+$"), None, ","),  # 12500,50  ,5
    (re.compile(r"^\d*\.\d+$"), None, "."),  # 12500.50 (a single dot is a decimal point)
    (re.compile(r"^\d{1,3}(\.\d{3})+,\d+$"), ".", ","),  # 12.500,50
    (re.compile(r"^\d{1,3}(,\d{3})+\.\d+$"), ",", "."),  # 12,500.50
    (re.compile(r"^\d{1,3}(\.\d{3}){2,}$"), ".", None),  # 1.234.567
    (re.compile(r"^\d{1,3}(,\d{3}){2,}$"), ",", None),  # 1,234,567
]


def parse_number(text: str) -> Decimal | None:
    """A French- or English-written number, or None. Spaces of any kind are thousands
    separators; a single comma is a decimal comma; « 12,5,3 » is not a number."""
    s = _SPACES.sub("", text.strip()).replace("\u2212", "-")
    if not s or len(s) > 40:
        return None
    sign = ""
    if s[0] in "+-":
        sign, s = ("-" if s[0] == "-" else ""), s[1:]
    for pattern, thousands, decimal in _NUMBER_PATTERNS:
        if pattern.match(s):
            if thousands:
                s = s.replace(thousands, "")
            if decimal and decimal != ".":
                s = s.replace(decimal, ".")
            try:
                return Decimal(sign + s)
            except InvalidOperation:  # pragma: no cover - the patterns only let digits through
                return None
    return None


def _decimal_of(value: int | float) -> Decimal:
    if isinstance(value, float):
        return Decimal(repr(value))  # the shortest text of the float: 1234.56, not 1234.559999…
    return Decimal(value)


@dataclass(frozen=True)
class _Unreadable:
    """A workbook cell whose stored value cannot be read: its row gets ``reason``."""

    shown: str  # the stored text, as it is written in the file
    reason: str

    def __str__(self) -> str:
        return self.shown


def _shown(value: Any) -> str:
    """A cell as the user sees it, for messages."""
    if isinstance(value, bool):
        return "VRAI" if value else "FAUX"
    if isinstance(value, dt.datetime):
        return f"{value:%d/%m/%Y}" if value.time() == dt.time() else f"{value:%d/%m/%Y %H:%M}"
    if isinstance(value, dt.date):
        return f"{value:%d/%m/%Y}"
    if isinstance(value, (int, float)):
        d = _decimal_of(value)
        exponent = d.as_tuple().exponent  # a letter for NaN and infinities
        if isinstance(exponent, int) and exponent > -30 and (not d or -12 <= d.adjusted() <= 15):
            return number(d, decimals=max(0, -exponent))
        value = d if d.is_finite() else value  # « 1E+30 », never a quantize error
    text = _visible(str(value).strip())
    return text if len(text) <= 40 else text[:39] + "…"


# --- cells ----------------------------------------------------------------------------------------

def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


class _Bad(Exception):
    """A cell that cannot be read; the message names the value."""


def _q(value: Any) -> str:
    return f"« {_shown(value)} »"


def _readable(value: Any) -> None:
    if isinstance(value, _Unreadable):
        raise _Bad(value.reason)


def _text_cell(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dt.date, dt.datetime)):
        return _shown(value)
    return str(value).strip()


def _read_label(value: Any) -> str:
    _readable(value)
    text = _text_cell(value)
    if len(text) > MAX_TEXT:
        raise _Bad(f"libellé trop long ({len(text)} caractères ; au plus {MAX_TEXT})")
    bad = _FORBIDDEN_CHARS.search(text)
    if bad:
        raise _Bad(f"{_q(text)} contient un caractère interdit, {_char_name(bad.group())}, en "
                   f"position {bad.start() + 1} : le retirer du libellé")
    return text


def _short_text(value: Any) -> str:
    """The text of a cell that must be a short word (a category, a basis), else ""."""
    text = _text_cell(value)
    return text if len(text) <= 200 else ""


def _read_category(value: Any) -> str:
    _readable(value)
    code = _CATEGORY_ALIASES.get(_norm(_short_text(value)))
    if code is None:
        known = ", ".join(labels.CATEGORIES.values())
        raise _Bad(f"{_q(value)} n’est pas une catégorie connue ; catégories possibles : {known}")
    return code


def _read_basis(value: Any) -> str:
    _readable(value)
    basis = _BASIS_ALIASES.get(_norm(_short_text(value)).replace(".", ""))
    if basis is None:
        raise _Bad(f"{_q(value)} n’est pas une base ; « HT » ou « TTC » attendu")
    return basis


def _read_amount(value: Any) -> tuple[Decimal, str | None]:
    """(amount, basis written in the cell, if any)."""
    _readable(value)
    if isinstance(value, bool) or isinstance(value, (dt.date, dt.datetime, dt.time)):
        raise _Bad(f"{_q(value)} n’est pas un montant")
    if isinstance(value, (int, float)):
        amount, hint = _decimal_of(value), None
        if not amount.is_finite():
            raise _Bad(f"{_q(value)} n’est pas un montant")
    else:
        text = str(value)
        found = {("ttc" if "c" in m.lower() else "ht") for m in _BASIS_IN_CELL.findall(text)}
        if len(found) > 1:
            raise _Bad(f"{_q(value)} indique à la fois HT et TTC")
        hint = found.pop() if found else None
        parsed = parse_number(_CURRENCY.sub(" ", _BASIS_IN_CELL.sub(" ", text)))
        if parsed is None:
            raise _Bad(f"{_q(value)} n’est pas un montant")
        amount = parsed
    if amount < 0:
        raise _Bad(f"{_q(value)} est négatif : un montant positif ou nul est attendu")
    if amount > MAX_AMOUNT:
        raise _Bad(f"{_q(value)} dépasse le montant maximal accepté "
                   f"({eur(MAX_AMOUNT, cents=False)})")
    return amount, hint


def _read_vat(value: Any) -> Decimal:
    """« 20 % », « 20 », « 0,2 » and 0.2 are all 20 %; « 5,5 % » and « 5,5 » are 5,5 %."""
    _readable(value)
    if isinstance(value, bool) or isinstance(value, (dt.date, dt.datetime, dt.time)):
        raise _Bad(f"{_q(value)} n’est pas un taux de TVA")
    if isinstance(value, (int, float)):
        rate, percent_sign = _decimal_of(value), False
        if not rate.is_finite():
            raise _Bad(f"{_q(value)} n’est pas un taux de TVA")
    else:
        text = str(value).strip()
        if _norm(text) in ("exonere", "exoneree", "sans tva", "sans", "non assujetti"):
            return Decimal(0)
        percent_sign = "%" in text
        parsed = parse_number(text.replace("%", ""))
        if parsed is None:
            raise _Bad(f"{_q(value)} n’est pas un taux de TVA ; par exemple « 20 % », « 0,2 » "
                       "ou « 20 »")
        rate = parsed
    if percent_sign or rate >= 1:
        rate = rate / 100
    if rate < 0 or rate > 1:
        raise _Bad(f"{_q(value)} n’est pas un taux de TVA (de 0 à 100 %)")
    return rate.normalize() if rate else Decimal(0)


_MONTH_TEXT = re.compile(r"^(?:m|mois)?\s*(\d+)(?:[.,]0+)?$", re.I)


def _read_month(value: Any) -> int:
    hint = f"un numéro de mois du projet est attendu (1 = premier mois, au plus {MAX_MONTH})"
    _readable(value)
    if isinstance(value, bool):
        raise _Bad(f"{_q(value)} n’est pas un mois : {hint}")
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        raise _Bad(f"{_q(value)} est une date : {hint}")
    if isinstance(value, float):
        if not value.is_integer():
            raise _Bad(f"{_q(value)} n’est pas un nombre entier de mois : {hint}")
        month = int(value)
    elif isinstance(value, int):
        month = value
    else:
        m = _MONTH_TEXT.match(_SPACES.sub(" ", str(value)).strip())
        if not m:
            raise _Bad(f"{_q(value)} n’est pas un nombre entier de mois : {hint}")
        digits = m.group(1).lstrip("0") or "0"
        month = int(digits) if len(digits) <= 6 else MAX_MONTH + 1  # never int() of 5 000 digits
    if month < 1 or month > MAX_MONTH:
        raise _Bad(f"{_q(value)} n’est pas un mois du projet (de 1 à {MAX_MONTH})")
    return month

