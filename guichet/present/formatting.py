"""French formatting of money, rates and months: one place, used by the CLI, the pages and exports.

« 1 234 567,89 € »: narrow no-break space (U+202F) between thousands, decimal comma, a no-break
space (U+00A0) before the euro sign, as the State's design system writes them.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

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


def _as_decimal(value: Decimal | int | float | str) -> Decimal:
    if isinstance(value, Decimal):
        return value
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value))


def _french(value: Decimal, min_decimals: int, max_decimals: int) -> str:
    """Digits grouped by three with U+202F, decimal comma; rounded half-up to ``max_decimals``,
    trailing zeros dropped down to ``min_decimals``. (Babel's ``fr_FR`` patterns give the same
    strings, ten times slower; tests hold the two together.)"""
    q = value.quantize(Decimal(1).scaleb(-max_decimals), rounding=ROUND_HALF_UP)
    if q == 0:
        q = abs(q)
    text = f"{q:,.{max_decimals}f}"
    if max_decimals > min_decimals:
        whole, _, frac = text.partition(".")
        frac = frac.rstrip("0")
        if len(frac) < min_decimals:
            frac = frac.ljust(min_decimals, "0")
        text = whole + ("." + frac if frac else "")
    return text.replace(",", NNBSP).replace(".", ",")


def eur(value: Decimal | int | str, *, cents: bool = True) -> str:
    """« 1 234 567,89 € » (or « 1 234 568 € » with ``cents=False``); rounded half-up."""
    digits = 2 if cents else 0
    return _french(_as_decimal(value), digits, digits) + NBSP + "€"


def number(value: Decimal | int | float | str, decimals: int = 0) -> str:
    """« 1 234 567 » or « 1 234,5 » (up to ``decimals`` decimals)."""
    return _french(_as_decimal(value), 0, decimals)


def percent(rate: Decimal | str | float, decimals: int = 0) -> str:
    """« 50 % » from ``0.5``; « 12,5 % » from ``0.125`` with ``decimals=1``."""
    return _french(_as_decimal(rate) * 100, 0, decimals) + NBSP + "%"


def months(n: int) -> str:
    return f"{n} mois"


def month_label(n: int) -> str:
    """« M1 », « M12 »: month n of the project."""
    return f"M{n}"


#: Markdown's special characters, ``&`` included (``R&amp;D`` must not be shown as « R&D »),
#: each escaped; every control character and line separator becomes a space, so a person's text
#: stays on its line (``Nom\r===`` is never a heading, a ``\r`` never breaks a table row); the
#: bidirectional embedding, override and isolate controls are dropped (an unclosed U+202E would
#: turn the rest of the app's own sentence around).
_MD_TABLE: dict[int, str | None] = {
    **{ord(ch): "\\" + ch for ch in "\\`*_{}[]()#+-.!|<>~$:&"},
    **{code: " " for code in (*range(0x20), *range(0x7F, 0xA0), 0x2028, 0x2029)},
    **{code: None for code in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))},
}
#: What the Markdown renderer would turn into a link (« www.… », « …@… », « …://… »): a word
#: joiner (U+2060, invisible) keeps it plain text.
_AUTOLINK = re.compile(r"(?i)(www)(?=\.)|(@)|(:)(?=//)")
WORD_JOINER = "\u2060"


def escape_markdown(text: str) -> str:
    """User text made inert in Markdown: every special character escaped, so a typed
    ``[lien](http://…)``, ``![image](…)``, ``<b>``, ``$x$`` or ``&amp;`` shows as typed, never as
    markup, on one line, and an address or an e-mail never becomes a link."""
    text = _AUTOLINK.sub(lambda m: m.group() + WORD_JOINER, str(text))
    return text.translate(_MD_TABLE)


def slug(text: str) -> str:
    """« Migration de l’application Démarches RH » → « migration-de-l-application-demarches-rh »:
    lower case, no accents, anything else between words as one hyphen (file names, widget keys).
    Empty when nothing is left."""
    text = unicodedata.normalize("NFKD", str(text))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def unique_names(names: list[str]) -> list[str]:
    """Names made distinct, in order: a repeated one numbered (« Nom (2) »), a blank one « Sans
    nom » (the comparison's columns, the charts' colours)."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        name = (name or "").strip() or "Sans nom"
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return out
