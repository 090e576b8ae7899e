"""French formatting of money, rates and months: one place, used by the CLI, the pages and exports.

« 1 234 567,89 € »: narrow no-break space (U+202F) between thousands, decimal comma, a no-break
space (U+00A0) before the euro sign, as the State's design system writes them.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from babel.numbers import format_currency, format_decimal, format_percent

LOCALE = "fr_FR"
CENT = Decimal("0.01")
NNBSP = "\u202f"
NBSP = "\u00a0"


def round_half_up(value: Decimal) -> Decimal:
    """Round to the cent, half away from zero (the rounding of every cost line)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def round_down(value: Decimal) -> Decimal:
    """Round down to the cent (the co-financing: never above its cap)."""
    return value.quantize(CENT, rounding=ROUND_DOWN)


def money_str(value: Decimal) -> str:
    """Money in the JSON format: a string with exactly two decimals, e.g. ``"122000.00"``."""
    return f"{Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP):f}"


def eur(value: Decimal | int | str, *, cents: bool = True) -> str:
    """« 1 234 567,89 € » (or « 1 234 568 € » with ``cents=False``)."""
    amount = Decimal(str(value))
    fmt = "#,##0.00\u00a0¤" if cents else "#,##0\u00a0¤"
    return format_currency(amount, "EUR", format=fmt, locale=LOCALE, currency_digits=False)


def number(value: Decimal | int | float | str, decimals: int = 0) -> str:
    """« 1 234 567 » or « 1 234,5 » (up to ``decimals`` decimals)."""
    fmt = "#,##0" + ("." + "#" * decimals if decimals else "")
    return format_decimal(Decimal(str(value)), format=fmt, locale=LOCALE)


def percent(rate: Decimal | str | float, decimals: int = 0) -> str:
    """« 50 % » from ``0.5``; « 12,5 % » from ``0.125`` with ``decimals=1``."""
    fmt = "#,##0" + ("." + "#" * decimals if decimals else "") + "\u00a0%"
    return format_percent(Decimal(str(rate)), format=fmt, locale=LOCALE)


def months(n: int) -> str:
    return f"{n} mois"


def month_label(n: int) -> str:
    """« M1 », « M12 »: month n of the project."""
    return f"M{n}"


_MD_SPECIAL = set("\\`*_{}[]()#+-.!|<>~$:")


def escape_markdown(text: str) -> str:
    """User text made inert in Markdown: every special character escaped, so a typed
    ``[lien](http://…)``, ``![image](…)``, ``<b>`` or ``$x$`` shows as typed, never as markup."""
    return "".join("\\" + ch if ch in _MD_SPECIAL else ch for ch in str(text)).replace("\n", " ")
