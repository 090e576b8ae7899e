"""Import cost lines from a spreadsheet (CSV or XLSX), as French offices write them.

Accepted: ``;``, ``,`` or tab separators (detected), decimal comma, spaces / U+00A0 / U+202F as
thousands separators, « € » signs, « HT » / « TTC » next to an amount, UTF-8 with or without BOM,
Windows-1252 (and UTF-16 with BOM), French category labels (case- and accent-insensitive, a few
synonyms) or the codes of the scenario format, VAT as « 20 % », « 0,2 » or « 20 », months as
integers (« 3 », « M3 »).

Nothing here touches a scenario: :func:`import_cost_lines` returns an :class:`ImportPreview`
(accepted :class:`CostLine` objects, rejected rows with their spreadsheet row number and a French
reason naming the column). :func:`add_lines` and :func:`replace_lines` then return a *new*
scenario. A file that cannot be read at all raises :class:`ImportFileError` (a
:class:`~guichet.loading.ScenarioError`), with one French message.

No file can crash, hang or exhaust the app: every limit below is checked while reading (bytes,
uncompressed size and compression ratio of a workbook, rows, cells and time scanned, length of a
cell), a cell that cannot be read becomes a French reason for its row, and any other failure
becomes an :class:`ImportFileError`. Workbooks are read by a small streaming reader of the
SpreadsheetML parts (values only, never a whole part in memory); openpyxl writes the template and
lends its date helpers, it never opens an uploaded file.

Pure functions; no Streamlit.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import functools
import io
import posixpath
import pyexpat
import re
import time
import unicodedata
import zipfile
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, Literal, TypeVar

from pydantic import ValidationError

from guichet import labels
from guichet.formatting import eur, number, percent
from guichet.loading import Problem, ScenarioError, french_message
from guichet.models import (MAX_AMOUNT, MAX_LINES, MAX_MONTH, MAX_TEXT, CostLine, Scenario,
                            default_vat_rate)
from guichet.rules import load_rules

MAX_IMPORT_BYTES = 5_000_000  # same bound as a scenario file
MAX_IMPORT_ROWS = MAX_LINES  # data rows (blank rows are not counted)
HEADER_SEARCH_ROWS = 10  # the header may follow a few title rows
MAX_COLUMNS = 60  # columns read per row; further columns are ignored (but scanned)
MAX_CELL_CHARS = 2_000  # a longer workbook cell is refused before any parsing
# What one import may scan, whatever the content: rows (blank ones included: in a workbook, the
# row number reached; in a CSV, the records of each pass), cells (every cell of the file, those
# right of MAX_COLUMNS included), and time.
MAX_SCAN_ROWS = 60_000
MAX_SCAN_CELLS = 1_000_000
MAX_SCAN_SECONDS = 20.0
# Workbooks (zip archives), checked from the archive's directory before any part is read, then
# again while each part is decompressed (a part is never read past its declared size).
MAX_XLSX_UNCOMPRESSED = 60_000_000  # all the parts together
MAX_ZIP_RATIO = 100  # uncompressed / compressed size of one part…
ZIP_RATIO_FREE_BYTES = 1_000_000  # …for parts larger than this
MAX_ZIP_ENTRIES = 10_000
MAX_XML_DEPTH = 64  # nesting of XML elements
MAX_XML_MARKUP = 1_000_000  # bytes of XML without any « > » (a tag or a text that never ends)
MAX_STYLES = 65_536  # cell formats read from the style sheet (Excel allows 64 000)

#: The message of a file that failed in a way no check foresaw (a safety net: never expected).
UNEXPECTED_ERROR = ("le fichier n’a pas pu être lu (contenu inattendu) : l’enregistrer à nouveau "
                    "au format .xlsx ou .csv depuis un tableur, puis l’importer de nouveau")

FIELDS = ("label", "category", "amount", "basis", "vat_rate", "start_month", "end_month")
REQUIRED = ("label", "category", "amount", "start_month", "end_month")

#: The French name of each column, as used in headers and in every message.
COLUMN_NAMES = {
    "label": "libellé",
    "category": "catégorie",
    "amount": "montant",
    "basis": "base",
    "vat_rate": "taux de TVA",
    "start_month": "mois de début",
    "end_month": "mois de fin",
}

#: Headers of the templates (and of the CSV export), in order.
TEMPLATE_HEADERS = ("Libellé", "Catégorie", "Montant", "Base (HT/TTC)", "Taux de TVA",
                    "Mois de début", "Mois de fin")


class ImportFileError(ScenarioError):
    """The file cannot be read as a table of cost lines (one French message)."""

    def __init__(self, message: str):
        super().__init__([Problem("", message)])


@dataclass(frozen=True)
class RowProblem:
    """One problem of one row: « ligne 4, colonne montant : « 12,5,3 » n’est pas un montant »."""

    row: int
    column: str | None  # the French column name (COLUMN_NAMES), None for the whole row
    message: str

    def __str__(self) -> str:
        where = f"ligne {self.row}" + (f", colonne {self.column}" if self.column else "")
        return f"{where} : {self.message}"


@dataclass(frozen=True)
class RejectedRow:
    """A row that was not imported, with its row number as the spreadsheet shows it."""

    row: int
    problems: tuple[RowProblem, ...]
    values: dict[str, str] = field(default_factory=dict)  # field -> cell as written

    @property
    def reason(self) -> str:
        return " ; ".join(str(p) for p in self.problems)

    def __str__(self) -> str:
        return self.reason


@dataclass(frozen=True)
class ImportPreview:
    """What an import would add: accepted lines and rejected rows. Changes nothing."""

    lines: tuple[CostLine, ...]
    rows: tuple[int, ...]  # the spreadsheet row of each accepted line
    rejected: tuple[RejectedRow, ...]
    source_format: Literal["csv", "xlsx"]
    columns: dict[str, str]  # field -> header as written in the file
    ignored_columns: tuple[str, ...] = ()
    encoding: str | None = None
    separator: str | None = None
    sheet: str | None = None

    @property
    def ok(self) -> bool:
        return not self.rejected

    def summary(self) -> str:
        """« 3 lignes acceptées, 1 ligne refusée »."""
        def n(k: int, word: str) -> str:
            return f"{k} {word}{'s' if k > 1 else ''}"
        return (f"{n(len(self.lines), 'ligne')} {'acceptées' if len(self.lines) > 1 else 'acceptée'}, "
                f"{n(len(self.rejected), 'ligne')} "
                f"{'refusées' if len(self.rejected) > 1 else 'refusée'}")

    def reasons(self) -> list[str]:
        return [str(p) for r in self.rejected for p in r.problems]


# --- text normalisation ---------------------------------------------------------------------------

@lru_cache(maxsize=4096)
def _norm(text: str) -> str:
    """Lower case, no accents, punctuation as spaces, singular words (for tolerant matching)."""
    text = unicodedata.normalize("NFKD", str(text))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = text.replace("’", " ").replace("'", " ")
    words = re.sub(r"[^a-z0-9%]+", " ", text).split()
    return " ".join(w[:-1] if len(w) > 3 and w[-1] in "sx" else w for w in words)


def _aliases(mapping: dict[str, Iterable[str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for code, names in mapping.items():
        for name in names:
            out[_norm(name)] = code
    return out


_HEADER_ALIASES = _aliases({
    "label": ["libellé", "libellé de la dépense", "libellé de la ligne", "intitulé", "désignation",
              "description", "poste", "poste de dépense", "dépense", "objet", "label"],
    "category": ["catégorie", "catégorie de dépense", "type", "type de dépense",
                 "nature de la dépense", "nature de dépense", "category"],
    "amount": ["montant", "montant saisi", "coût", "prix", "somme", "valeur", "amount"],
    "basis": ["base", "base HT/TTC", "base HT ou TTC", "HT/TTC", "HT ou TTC", "base de saisie",
              "montant saisi en", "saisi en", "basis"],
    "vat_rate": ["taux de TVA", "taux TVA", "TVA", "TVA %", "taux de TVA %", "vat", "vat rate",
                 "vat_rate"],
    "start_month": ["mois de début", "mois début", "début", "mois de démarrage", "démarrage",
                    "début mois", "start month", "start_month"],
    "end_month": ["mois de fin", "mois fin", "fin", "mois d’achèvement", "fin mois", "end month",
                  "end_month"],
})
_AMOUNT_FILLERS = {"en", "eur", "euro", "ht", "ttc", "%"}


def _match_header(raw: Any) -> tuple[str, str | None] | None:
    """(field, basis hint) of a header cell, or None if it is not a known column."""
    if raw is None or isinstance(raw, _Unreadable):
        return None
    text = str(raw).strip().lstrip("\ufeff")
    if not text or len(text) > 200:
        return None
    full = _norm(text)
    bare = _norm(re.sub(r"\([^)]*\)|\[[^\]]*\]", " ", text))
    for candidate in (full, bare):
        if candidate in _HEADER_ALIASES:
            return _HEADER_ALIASES[candidate], None
    words = full.split()
    hints = {w for w in words if w in ("ht", "ttc")}
    rest = " ".join(w for w in words if w not in _AMOUNT_FILLERS)
    if rest and _HEADER_ALIASES.get(rest) == "amount":
        return "amount", (hints.pop() if len(hints) == 1 else None)
    return None


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
    names: dict[str, list[str]] = {code: [code, code.replace("_", " ")] for code in labels.CATEGORIES}
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

_TOTAL_LABELS = {_norm(x) for x in ("total", "total ht", "total ttc", "sous-total", "sous total",
                                    "total général", "totaux", "total du projet")}


# --- values ---------------------------------------------------------------------------------------

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


#: Characters a label may not hold: the C0 and C1 controls (except tab, line breaks, VT, FF and
#: NEL, left to the model), DEL, lone surrogates, the non-characters U+FFFE and U+FFFF.
_FORBIDDEN_CHARS = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]")
_LINE_CHARS = re.compile("[\t\n\r\x0b\x0c\x85\u2028\u2029]")


def _visible(text: str) -> str:
    """Text of the file made safe to show: line breaks as spaces, forbidden characters as « � »
    (a lone surrogate cannot even be sent to the browser)."""
    return _LINE_CHARS.sub(" ", _FORBIDDEN_CHARS.sub("\ufffd", text))


def _char_name(ch: str) -> str:
    """« U+0001 (caractère de contrôle) »."""
    code = ord(ch)
    what = ("moitié isolée d’une paire de substitution" if 0xD800 <= code <= 0xDFFF
            else "non-caractère Unicode" if code in (0xFFFE, 0xFFFF) else "caractère de contrôle")
    return f"U+{code:04X} ({what})"


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
        cleaned = _CURRENCY.sub(" ", _BASIS_IN_CELL.sub(" ", text))
        amount = parse_number(cleaned)
        if amount is None:
            raise _Bad(f"{_q(value)} n’est pas un montant")
    if amount < 0:
        raise _Bad(f"{_q(value)} est négatif : un montant positif ou nul est attendu")
    if amount > MAX_AMOUNT:
        raise _Bad(f"{_q(value)} dépasse le montant maximal accepté ({eur(MAX_AMOUNT, cents=False)})")
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
        rate = parse_number(text.replace("%", ""))
        if rate is None:
            raise _Bad(f"{_q(value)} n’est pas un taux de TVA ; par exemple « 20 % », « 0,2 » ou « 20 »")
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


# --- rows -----------------------------------------------------------------------------------------

@dataclass
class _Layout:
    """Where each field is, found from the header row."""

    header_row: int
    columns: dict[str, int]  # field -> column index (amount: the generic amount column)
    amount_by_basis: dict[str, int]  # "ht"/"ttc" -> column index of « montant HT » / « TTC »
    names: dict[str, str]  # field -> header as written
    ignored: list[str]
    width: int  # number of header cells up to the last non-empty one
    # CSV: a row longer than the header means a separator inside a value; in a workbook, cells
    # right of the table are notes and are ignored
    strict_width: bool = False


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _layout(header: list[Any], row_number: int) -> _Layout:
    columns: dict[str, int] = {}
    by_basis: dict[str, int] = {}
    names: dict[str, str] = {}
    ignored: list[str] = []
    generic_amount = False
    for i, raw in enumerate(header):
        if _blank(raw):
            continue
        shown = _visible(str(raw).strip().lstrip("\ufeff"))[:200]
        match = _match_header(raw)
        if match is None:
            ignored.append(shown)
            continue
        fld, hint = match
        if fld == "amount" and hint is not None:
            if hint in by_basis:
                ignored.append(shown)
            else:
                by_basis[hint] = i
                names[f"amount_{hint}"] = shown
            continue
        if fld in columns:
            ignored.append(shown)
            continue
        columns[fld] = i
        names[fld] = shown
        generic_amount = generic_amount or fld == "amount"
    if generic_amount:  # a « montant » column wins over « montant HT » / « montant TTC »
        ignored += [names.pop(f"amount_{b}") for b in list(by_basis)]
        by_basis = {}
    width = max((i + 1 for i, v in enumerate(header) if not _blank(v)), default=0)
    return _Layout(row_number, columns, by_basis, names, ignored, width)


def _score(layout: _Layout) -> int:
    known = set(layout.columns) | ({"amount"} if layout.amount_by_basis else set())
    return len(known)


def _is_header(layout: _Layout) -> bool:
    known = set(layout.columns) | ({"amount"} if layout.amount_by_basis else set())
    return "label" in known and "amount" in known or _score(layout) >= 3


def _check_required(layout: _Layout) -> None:
    known = set(layout.columns) | ({"amount"} if layout.amount_by_basis else set())
    missing = [COLUMN_NAMES[f] for f in REQUIRED if f not in known]
    if "basis" not in layout.columns and not layout.amount_by_basis:
        missing.append(COLUMN_NAMES["basis"] + " (HT ou TTC, ou un en-tête « montant HT » / "
                                                "« montant TTC »)")
    if missing:
        found = ", ".join(f"« {n} »" for n in layout.names.values()) or "aucune"
        raise ImportFileError(
            f"ligne {layout.header_row} (en-tête) : colonne(s) manquante(s) : {', '.join(missing)} ; "
            f"colonnes reconnues : {found}")


def _find_header(rows: list[tuple[int, list[Any]]]) -> _Layout | None:
    best: _Layout | None = None
    for number_, cells in rows[:HEADER_SEARCH_ROWS]:
        layout = _layout(cells, number_)
        if _is_header(layout) and (best is None or _score(layout) > _score(best)):
            best = layout
            if _score(best) >= len(REQUIRED):
                break
    return best


def _expected_columns() -> str:
    return ("libellé, catégorie, montant, base (HT/TTC), taux de TVA (facultatif), mois de début, "
            "mois de fin")


def _convert_row(layout: _Layout, number_: int, cells: list[Any]) -> CostLine | RejectedRow | None:
    """One data row: a CostLine, a RejectedRow, or None for a blank row."""
    def cell(fld: str) -> Any:
        i = layout.columns.get(fld)
        return cells[i] if i is not None and i < len(cells) else None

    used = list(layout.columns.values()) + list(layout.amount_by_basis.values())
    if all(_blank(cells[i]) for i in used if i < len(cells)):
        return None  # a blank row (or one with notes in unknown columns only)
    values: dict[str, str] = {}  # what the user wrote, filled in only for a rejected row
    problems: list[RowProblem] = []

    def rejected() -> RejectedRow:
        values.update({f: _shown(cell(f)) for f in layout.columns if not _blank(cell(f))})
        return RejectedRow(number_, tuple(problems), values)

    def bad(fld: str | None, message: str) -> None:
        problems.append(RowProblem(number_, COLUMN_NAMES.get(fld) if fld else None, message))

    extra = [v for v in cells[max(layout.width, max(used, default=-1) + 1):] if not _blank(v)]
    if extra and layout.width and layout.strict_width:
        bad(None, f"{len(cells)} valeurs pour {layout.width} colonnes d’en-tête : un séparateur "
                  "apparaît sans doute dans une valeur (par exemple une virgule décimale dans un "
                  "fichier séparé par des virgules) ; mettre la valeur entre guillemets")
        return rejected()

    raw_label = cell("label")
    if (isinstance(raw_label, str) and len(raw_label) < 40 and "tot" in raw_label.lower()
            and _norm(raw_label) in _TOTAL_LABELS):
        bad("label", f"{_q(raw_label)} ressemble à une ligne de total : elle n’est pas "
                     "importée (les totaux sont recalculés par le simulateur)")
        return rejected()

    data: dict[str, Any] = {}
    for fld, reader in (("label", _read_label), ("category", _read_category),
                        ("start_month", _read_month), ("end_month", _read_month)):
        raw = cell(fld)
        if _blank(raw):
            bad(fld, f"valeur manquante ({COLUMN_NAMES[fld]} obligatoire)")
            continue
        try:
            data[fld] = reader(raw)
        except _Bad as exc:
            bad(fld, str(exc))

    # the basis: « base » column, « HT »/« TTC » written next to the amount, or the amount header
    basis_column: str | None = None
    basis_invalid = False
    raw_basis = cell("basis")
    if not _blank(raw_basis):
        try:
            basis_column = _read_basis(raw_basis)
        except _Bad as exc:
            bad("basis", str(exc))
            basis_invalid = True
    if layout.amount_by_basis:
        order = ([basis_column] if basis_column else []) + ["ttc", "ht"]
        chosen = next((b for b in order if b in layout.amount_by_basis
                       and layout.amount_by_basis[b] < len(cells)
                       and not _blank(cells[layout.amount_by_basis[b]])), None)
        raw_amount = cells[layout.amount_by_basis[chosen]] if chosen else None
        header_basis = chosen
        amount_name = layout.names.get(f"amount_{chosen}") if chosen else None
        if chosen:
            values["amount"] = _shown(raw_amount)
    else:
        raw_amount, header_basis, amount_name = cell("amount"), None, None
    if _blank(raw_amount):
        bad("amount", "valeur manquante (montant obligatoire)")
    else:
        try:
            amount, cell_basis = _read_amount(raw_amount)
            data["amount"] = amount
            said = {b for b in (basis_column, cell_basis, header_basis) if b}
            if len(said) > 1:
                where = []
                if basis_column:
                    where.append(f"la colonne base indique {labels.BASES[basis_column]}")
                if cell_basis:
                    where.append(f"le montant est suivi de {labels.BASES[cell_basis]}")
                if header_basis:
                    where.append(f"l’en-tête « {amount_name} » indique {labels.BASES[header_basis]}")
                bad("basis", "HT ou TTC ? " + " mais ".join(where))
            elif said:
                data["basis"] = said.pop()
            elif not basis_invalid:
                bad("basis", "valeur manquante : indiquer « HT » ou « TTC » (ou l’écrire après le "
                             "montant, par exemple « 12 000 € HT »)")
        except _Bad as exc:
            bad("amount", str(exc))

    raw_vat = cell("vat_rate")
    if not _blank(raw_vat):
        try:
            data["vat_rate"] = _read_vat(raw_vat)
        except _Bad as exc:
            bad("vat_rate", str(exc))

    if problems:
        return rejected()
    try:
        return CostLine.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors(include_url=False):
            loc = err["loc"][0] if err["loc"] else None
            if err["type"] == "months_order":
                loc = "end_month"
            bad(loc if loc in COLUMN_NAMES else None, french_message(err))
        return rejected()


def _build(rows: Iterator[tuple[int, list[Any]]], layout: _Layout,
           head: list[tuple[int, list[Any]]], *, source_format: Literal["csv", "xlsx"],
           encoding: str | None = None, separator: str | None = None,
           sheet: str | None = None) -> ImportPreview:
    """The preview, from the header found in ``head`` (the first rows) and the remaining rows."""
    _check_required(layout)
    pending = [item for item in head if item[0] > layout.header_row]

    def data_rows() -> Iterator[tuple[int, list[Any]]]:
        yield from pending
        yield from rows

    lines: list[CostLine] = []
    line_rows: list[int] = []
    rejected: list[RejectedRow] = []
    for number_, cells in data_rows():
        result = _convert_row(layout, number_, cells)
        if result is None:
            continue
        if len(lines) + len(rejected) >= MAX_IMPORT_ROWS:
            raise ImportFileError(f"le fichier compte plus de {number(MAX_IMPORT_ROWS)} lignes de "
                                  "coût : le découper en plusieurs fichiers")
        if isinstance(result, CostLine):
            lines.append(result)
            line_rows.append(number_)
        else:
            rejected.append(result)
    if not lines and not rejected:
        raise ImportFileError(f"aucune ligne de coût sous l’en-tête (ligne {layout.header_row})")
    columns = {f: layout.names[f] for f in FIELDS if f in layout.names}
    for b in ("ht", "ttc"):
        if f"amount_{b}" in layout.names:
            columns[f"amount_{b}"] = layout.names[f"amount_{b}"]
    return ImportPreview(lines=tuple(lines), rows=tuple(line_rows), rejected=tuple(rejected),
                         source_format=source_format, columns=columns,
                         ignored_columns=tuple(layout.ignored), encoding=encoding,
                         separator=separator, sheet=sheet)


# --- limits ---------------------------------------------------------------------------------------

class _Budget:
    """What one import may still scan: cells and time (rows are bounded by each reader)."""

    def __init__(self, deadline: float | None = None) -> None:
        self.cells = 0
        self.deadline = time.monotonic() + MAX_SCAN_SECONDS if deadline is None else deadline

    def add_cells(self, n: int, where: Callable[[], str]) -> None:
        self.cells += n
        if self.cells > MAX_SCAN_CELLS:
            raise ImportFileError(
                f"le fichier compte plus de {number(MAX_SCAN_CELLS)} cellules à parcourir "
                f"({where()}) : supprimer les lignes et les colonnes inutiles, ou découper le "
                "fichier en plusieurs fichiers")

    def clock(self, where: Callable[[], str]) -> None:
        if time.monotonic() > self.deadline:
            raise ImportFileError(
                f"lecture interrompue : le fichier demande plus de {number(MAX_SCAN_SECONDS)} "
                f"secondes de lecture ({where()}) ; supprimer les lignes et les colonnes "
                "inutiles, ou découper le fichier en plusieurs fichiers")


def _too_many_rows(where: str) -> ImportFileError:
    return ImportFileError(
        f"le fichier compte plus de {number(MAX_SCAN_ROWS)} lignes à parcourir, lignes vides "
        f"comprises ({where}) : au plus {number(MAX_IMPORT_ROWS)} lignes de coût sont importées ; "
        "supprimer les lignes vides ou inutiles, ou découper le fichier en plusieurs fichiers")


_F = TypeVar("_F", bound=Callable[..., ImportPreview])


def _safety_net(function: _F) -> _F:
    """Whatever happens while reading a file, the caller gets an ImportFileError."""
    @functools.wraps(function)
    def guarded(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except ImportFileError:
            raise
        except Exception as exc:  # including MemoryError: no file may crash the page
            raise ImportFileError(UNEXPECTED_ERROR) from exc
    return guarded  # type: ignore[return-value]


# --- CSV ------------------------------------------------------------------------------------------

def _decode(data: bytes) -> tuple[str, str]:
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "UTF-8 (avec BOM)"
        except UnicodeDecodeError:
            raise ImportFileError("le fichier commence comme de l’UTF-8 mais contient des octets "
                                  "invalides") from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError:
            raise ImportFileError("le fichier UTF-16 contient des octets invalides") from None
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:
        raise ImportFileError("encodage du fichier non reconnu : enregistrer le fichier en CSV "
                              "UTF-8 ou Windows-1252") from None


def _csv_rows(text: str, delimiter: str, budget: _Budget) -> Iterator[tuple[int, list[Any]]]:
    """(line number where the row starts, cells); blank lines are skipped (but counted). Rows and
    cells are counted for this pass over the text, time for the whole import."""
    budget = _Budget(budget.deadline)
    lines = io.StringIO(text, newline="")
    reader = csv.reader(lines, delimiter=delimiter, quotechar='"', skipinitialspace=False,
                        strict=False)
    start = 1
    scanned = 0

    def where() -> str:
        return f"vers la ligne {number(reader.line_num)}"

    try:
        for cells in reader:
            scanned += 1
            if scanned > MAX_SCAN_ROWS:
                raise _too_many_rows(where())
            budget.add_cells(len(cells), where)
            if scanned % 1024 == 0:
                budget.clock(where)
            row_start, start = start, reader.line_num + 1
            if any(c.strip() for c in cells):
                yield row_start, [c.strip() for c in cells[:MAX_COLUMNS]]
    except csv.Error as exc:
        reason = ("une valeur est beaucoup trop longue (guillemet jamais refermé ?)"
                  if "field limit" in str(exc) else "ligne illisible")
        raise ImportFileError(f"CSV mal formé vers la ligne {reader.line_num} : {reason}") from None


# Excel's « sep=; » first line; the separator must be a visible character other than a quote
_SEP_LINE = re.compile(r"^\s*sep=([^\w\s\"'\x00-\x1f\x7f-\x9f\ud800-\udfff])\s*$")


@_safety_net
def import_csv(data: bytes) -> ImportPreview:
    """Read cost lines from CSV bytes (separator and encoding detected)."""
    _check_size(data)
    budget = _Budget()
    text, encoding = _decode(data)
    if "\x00" in text:
        raise ImportFileError("le fichier n’est ni un CSV ni un classeur XLSX (contenu binaire)")
    if not text.strip():
        raise ImportFileError("le fichier est vide")
    lines = text.split("\n", 1)
    forced = _SEP_LINE.match(lines[0])
    if forced:
        text = lines[1] if len(lines) > 1 else ""
    delimiters = [forced.group(1)] if forced else [";", ",", "\t"]
    best: tuple[int, str, _Layout | None, list] | None = None
    for d in delimiters:
        head = []
        for item in _csv_rows(text, d, budget):
            head.append(item)
            if len(head) >= HEADER_SEARCH_ROWS:
                break
        layout = _find_header(head)
        score = _score(layout) if layout else -1
        if best is None or score > best[0]:
            best = (score, d, layout, head)
    assert best is not None
    _, delimiter, layout, head = best
    if not head:
        raise ImportFileError("le fichier est vide")
    if layout is None:
        raise ImportFileError(
            f"aucune ligne d’en-tête reconnue dans les {HEADER_SEARCH_ROWS} premières lignes ; "
            f"colonnes attendues : {_expected_columns()}")
    offset = 1 if forced else 0
    rows = ((n + offset, cells) for n, cells in _csv_rows(text, delimiter, budget))
    head = [(n + offset, cells) for n, cells in head]
    layout.header_row += offset
    layout.strict_width = True
    # skip the rows already read into ``head``
    for _ in range(len(head)):
        next(rows, None)
    return _build(rows, layout, head, source_format="csv", encoding=encoding,
                  separator=delimiter)


# --- XLSX: the archive ----------------------------------------------------------------------------

def _check_size(data: bytes) -> None:
    if not data:
        raise ImportFileError("le fichier est vide")
    if len(data) > MAX_IMPORT_BYTES:
        raise ImportFileError(f"fichier trop volumineux ({number(len(data))} octets ; au plus "
                              f"{number(MAX_IMPORT_BYTES)} octets)")


_ZIP_METHODS = {9: "Deflate64", 12: "bzip2", 14: "LZMA", 93: "Zstandard", 95: "XZ", 97: "WavPack",
                98: "PPMd", 99: "AES"}
_CHUNK = 64 * 1024


def _part_name(name: str) -> str:
    return f"« {_visible(name)[:80]} »"


def _open_zip(data: bytes) -> zipfile.ZipFile:
    """The archive, once its directory shows nothing that a workbook would not hold: every check
    here reads only the directory, never a part."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except Exception:  # zipfile raises many kinds of errors on a damaged directory
        raise ImportFileError("le fichier n’est pas un classeur XLSX lisible (archive "
                              "endommagée)") from None
    if len(infos) > MAX_ZIP_ENTRIES:
        raise ImportFileError(f"l’archive contient {number(len(infos))} fichiers (au plus "
                              f"{number(MAX_ZIP_ENTRIES)}) : ce n’est pas un classeur XLSX")
    for info in infos:
        if info.flag_bits & 0x41:  # bit 0: encrypted; bit 6: strong encryption
            raise ImportFileError(
                f"classeur chiffré : la partie {_part_name(info.filename)} de l’archive est "
                "protégée par un mot de passe ; enregistrer le classeur sans mot de passe, puis "
                "l’importer de nouveau")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) \
                or info.flag_bits & 0x20:  # bit 5: « compressed patched data »
            method = _ZIP_METHODS.get(info.compress_type, f"méthode n° {info.compress_type}")
            raise ImportFileError(
                f"compression non prise en charge ({method}, partie {_part_name(info.filename)}) "
                ": enregistrer le classeur à nouveau depuis un tableur (Excel, LibreOffice), "
                "puis l’importer de nouveau")
    for info in infos:
        if info.file_size > MAX_XLSX_UNCOMPRESSED:
            raise ImportFileError(
                f"classeur trop volumineux une fois décompressé : la partie "
                f"{_part_name(info.filename)} annonce {number(info.file_size)} octets (au plus "
                f"{number(MAX_XLSX_UNCOMPRESSED)} pour tout le classeur)")
    total = sum(info.file_size for info in infos)
    if total > MAX_XLSX_UNCOMPRESSED:
        raise ImportFileError(f"classeur trop volumineux une fois décompressé ({number(total)} "
                              f"octets annoncés ; au plus {number(MAX_XLSX_UNCOMPRESSED)})")
    for info in infos:
        if info.file_size > ZIP_RATIO_FREE_BYTES and \
                info.file_size > MAX_ZIP_RATIO * max(info.compress_size, 1):
            raise ImportFileError(
                f"archive anormalement compressée : la partie {_part_name(info.filename)} "
                f"annonce {number(info.file_size)} octets pour {number(info.compress_size)} "
                f"octets compressés (plus de {MAX_ZIP_RATIO} fois) ; un tel fichier (« bombe de "
                "décompression ») est refusé")
    names = set(archive.namelist())
    if "mimetype" in names and b"opendocument" in _part_head(archive, "mimetype", 200):
        raise ImportFileError("classeur OpenDocument (.ods) : l’enregistrer au format .xlsx ou "
                              ".csv")
    if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
        raise ImportFileError("le fichier n’est ni un CSV ni un classeur XLSX")
    return archive


def _damaged_part(name: str) -> ImportFileError:
    return ImportFileError(f"classeur XLSX endommagé : la partie {_part_name(name)} de l’archive "
                           "est corrompue (données tronquées ou somme de contrôle incorrecte)")


def _part_head(archive: zipfile.ZipFile, name: str, size: int) -> bytes:
    """The first ``size`` bytes of a part (no more is decompressed)."""
    try:
        with archive.open(name) as stream:
            return stream.read(size)
    except Exception:
        raise _damaged_part(name) from None


def _part_chunks(archive: zipfile.ZipFile, info: zipfile.ZipInfo,
                 budget: _Budget) -> Iterator[bytes]:
    """A part, decompressed chunk by chunk, never past its declared size (which the directory
    checks bounded): the count is kept here, whatever the decompressor does."""
    read = 0

    def where() -> str:
        return f"partie {_part_name(info.filename)}"

    try:
        with archive.open(info) as stream:
            while True:
                chunk = stream.read(_CHUNK)
                if not chunk:
                    return
                read += len(chunk)
                if read > info.file_size:
                    raise ImportFileError(
                        f"classeur XLSX piégé ou endommagé : la partie {_part_name(info.filename)} "
                        f"dépasse, une fois décompressée, la taille annoncée "
                        f"({number(info.file_size)} octets)")
                budget.clock(where)
                yield chunk
    except ImportFileError:
        raise
    except Exception:  # bad CRC, truncated or invalid deflate data…
        raise _damaged_part(info.filename) from None


# --- XLSX: XML parts, streamed --------------------------------------------------------------------

_EXPAT_REASONS = {
    pyexpat.errors.XML_ERROR_SYNTAX: "erreur de syntaxe",
    pyexpat.errors.XML_ERROR_NO_ELEMENTS: "document vide",
    pyexpat.errors.XML_ERROR_INVALID_TOKEN: "caractère ou balise invalide",
    pyexpat.errors.XML_ERROR_UNCLOSED_TOKEN: "balise inachevée",
    pyexpat.errors.XML_ERROR_PARTIAL_CHAR: "caractère incomplet",
    pyexpat.errors.XML_ERROR_TAG_MISMATCH: "balises mal imbriquées",
    pyexpat.errors.XML_ERROR_DUPLICATE_ATTRIBUTE: "attribut en double",
    pyexpat.errors.XML_ERROR_JUNK_AFTER_DOC_ELEMENT: "contenu après la fin du document",
    pyexpat.errors.XML_ERROR_UNDEFINED_ENTITY: "entité inconnue",
    pyexpat.errors.XML_ERROR_UNKNOWN_ENCODING: "encodage inconnu",
    pyexpat.errors.XML_ERROR_INCORRECT_ENCODING: "encodage incorrect",
    pyexpat.errors.XML_ERROR_BAD_CHAR_REF: "référence à un caractère interdit",
}


class _Handler:
    """What :func:`_parse_xml` calls: names keep their prefix (``x:c``); see :func:`_local`."""

    def start(self, tag: str, attrs: dict[str, str]) -> None: ...

    def end(self, tag: str) -> None: ...

    def text(self, data: str) -> None: ...


def _local(tag: str) -> str:
    return tag.rpartition(":")[2] if ":" in tag else tag


def _parse_xml(archive: zipfile.ZipFile, name: str, handler: _Handler, budget: _Budget,
               where: str) -> Iterator[None]:
    """Parse an XML part while it is decompressed, pausing (yielding) after each chunk. No DTD
    (hence no entity bomb), no markup of more than MAX_XML_MARKUP bytes; the handler bounds the
    depth."""
    def doctype(*_: Any) -> None:
        raise ImportFileError(f"{where} : déclaration DOCTYPE refusée (un classeur XLSX n’en "
                              "contient jamais)")

    parser = pyexpat.ParserCreate()
    parser.buffer_text = True
    parser.StartElementHandler = handler.start
    parser.EndElementHandler = handler.end
    parser.CharacterDataHandler = handler.text
    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = doctype
    since_markup = 0  # bytes since the last « > »
    try:
        for chunk in _part_chunks(archive, archive.getinfo(name), budget):
            last = chunk.rfind(b">")
            since_markup = since_markup + len(chunk) if last < 0 else len(chunk) - 1 - last
            if since_markup > MAX_XML_MARKUP:
                raise ImportFileError(f"{where} : XML invalide (plus de "
                                      f"{number(MAX_XML_MARKUP)} octets sans fin de balise)")
            parser.Parse(chunk, False)
            yield
        parser.Parse(b"", True)
        yield
    except pyexpat.ExpatError as exc:
        reason = _EXPAT_REASONS.get(pyexpat.errors.messages.get(exc.code, ""), "XML mal formé")
        raise ImportFileError(f"{where} : XML invalide ({reason}, ligne {number(exc.lineno)} du "
                              "XML)") from None


class _Events(_Handler):
    def __init__(self, where: str):
        self.where = where
        self.events: list[tuple[str, str, Any]] = []
        self.depth = 0

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        self.depth += 1
        if self.depth > MAX_XML_DEPTH:
            raise ImportFileError(f"{self.where} : XML imbriqué sur plus de {MAX_XML_DEPTH} "
                                  "niveaux")
        self.events.append(("start", _local(tag), attrs))

    def end(self, tag: str) -> None:
        self.depth -= 1
        self.events.append(("end", _local(tag), None))

    def text(self, data: str) -> None:
        self.events.append(("text", data, None))


def _xml_events(archive: zipfile.ZipFile, name: str, budget: _Budget,
                where: str) -> Iterator[tuple[str, str, Any]]:
    """The events of an XML part: ("start", name, attributes), ("text", data, None), ("end",
    name, None); names lose their prefix (``x:c`` is ``c``). For the small parts."""
    handler = _Events(where)
    for _ in _parse_xml(archive, name, handler, budget, where):
        yield from handler.events
        handler.events.clear()


def _unescape(text: str) -> str:
    """OOXML's escapes: « _x000D_ » is a carriage return, « _x005F_ » an underscore."""
    if "_x" not in text:
        return text
    return re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), text)


@dataclass(frozen=True)
class _TooLong:
    """A shared string longer than MAX_CELL_CHARS (kept short)."""

    start: str


@dataclass
class _Book:
    sheets: list[tuple[str, str]]  # (title, part)
    epoch: dt.datetime
    shared: list[str | _TooLong]
    date_styles: set[int]
    timedelta_styles: set[int]


def _resolve(base: str, target: str) -> str:
    path = target[1:] if target.startswith("/") else posixpath.join(base, target)
    return posixpath.normpath(path).lstrip("/")


class _Parts:
    """The parts of an archive by name (Excel's part names ignore case)."""

    def __init__(self, archive: zipfile.ZipFile):
        self.archive = archive
        self.names: dict[str, str] = {}
        for name in archive.namelist():
            self.names.setdefault(name.lower(), name)

    def find(self, name: str) -> str | None:
        return self.names.get(name.lower())


def _relationships(parts: _Parts, part: str, budget: _Budget) -> dict[str, tuple[str, str]]:
    """Id -> (type, target part) of the part's relationships (external targets left out)."""
    base, file = posixpath.split(part)
    rels = parts.find(posixpath.join(base, "_rels", file + ".rels"))
    out: dict[str, tuple[str, str]] = {}
    if rels is None:
        return out
    for kind, tag, attrs in _xml_events(parts.archive, rels, budget,
                                        f"classeur XLSX endommagé, partie {_part_name(rels)}"):
        if kind == "start" and tag == "Relationship" and attrs.get("TargetMode") != "External":
            target = attrs.get("Target")
            if target and "Id" in attrs:
                out[attrs["Id"]] = (attrs.get("Type", ""), _resolve(base, target))
    return out


def _read_book(archive: zipfile.ZipFile, budget: _Budget) -> _Book:
    from openpyxl.utils.datetime import CALENDAR_MAC_1904, WINDOWS_EPOCH

    parts = _Parts(archive)
    root = _relationships(parts, "", budget)  # _rels/.rels
    workbook = next((t for kind, t in root.values() if kind.endswith("/officeDocument")),
                    "xl/workbook.xml")
    found = parts.find(workbook) or parts.find("xl/workbook.xml")
    if found is None:
        raise ImportFileError("classeur XLSX endommagé : la description du classeur "
                              "(xl/workbook.xml) manque")
    where = f"classeur XLSX endommagé, partie {_part_name(found)}"
    listed: list[tuple[str, str]] = []
    date1904 = False
    for kind, tag, attrs in _xml_events(archive, found, budget, where):
        if kind != "start":
            continue
        if tag == "workbookPr":
            date1904 = attrs.get("date1904", "").strip().lower() in ("1", "true")
        elif tag == "sheet":
            rid = next((v for k, v in attrs.items() if k.rpartition(":")[2] == "id"), None)
            listed.append((_visible(attrs.get("name", "")).strip() or "sans nom", rid or ""))
    rels = _relationships(parts, found, budget)
    sheets = []
    for title, rid in listed:
        kind, target = rels.get(rid, ("", ""))
        if not kind.endswith("/worksheet"):
            continue  # a chart sheet, a dialog sheet…
        part = parts.find(target)
        if part is None:
            raise ImportFileError(f"classeur XLSX endommagé : la feuille « {title} » manque "
                                  "dans l’archive")
        sheets.append((title, part))
    if not sheets:
        raise ImportFileError("le classeur ne contient aucune feuille de calcul lisible")

    def related(suffix: str, default: str) -> str | None:
        target = next((t for kind, t in rels.values() if kind.endswith(suffix)), default)
        return parts.find(target) or parts.find(default)

    shared_part = related("/sharedStrings", "xl/sharedStrings.xml")
    styles_part = related("/styles", "xl/styles.xml")
    shared = _shared_strings(archive, shared_part, budget) if shared_part else []
    dates, timedeltas = _date_styles(archive, styles_part, budget) if styles_part else (set(), set())
    return _Book(sheets, CALENDAR_MAC_1904 if date1904 else WINDOWS_EPOCH, shared, dates,
                 timedeltas)


class _Text:
    """The text of a cell or of a shared string, kept up to MAX_CELL_CHARS characters."""

    __slots__ = ("parts", "size")

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.size = 0

    def add(self, data: str) -> None:
        if self.size <= MAX_CELL_CHARS:
            self.parts.append(data[:MAX_CELL_CHARS + 1])
        self.size += len(data)

    @property
    def too_long(self) -> bool:
        return self.size > MAX_CELL_CHARS

    def value(self) -> str:
        return "".join(self.parts)


class _SharedStrings(_Handler):
    """The table of shared strings, from expat's calls (rich-text runs joined, phonetic runs
    left out), at most MAX_SCAN_CELLS strings."""

    def __init__(self, where: str):
        self.where = where
        self.strings: list[str | _TooLong] = []
        self.stack: list[str] = []
        self.current: _Text | None = None  # the <si> being read
        self.collect: _Text | None = None  # set inside one of its <t>

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        if ":" in tag:
            tag = tag.rpartition(":")[2]
        stack = self.stack
        parent = stack[-1] if stack else ""
        stack.append(tag)
        if len(stack) > MAX_XML_DEPTH:
            raise ImportFileError(f"{self.where} : XML imbriqué sur plus de {MAX_XML_DEPTH} "
                                  "niveaux")
        if tag == "si" and parent == "sst":
            self.current = _Text()
        elif tag == "t" and self.current is not None and (
                parent == "si" or parent == "r" and stack[-3] == "si"):
            self.collect = self.current

    def text(self, data: str) -> None:
        if self.collect is not None:
            self.collect.add(data)

    def end(self, tag: str) -> None:
        if ":" in tag:
            tag = tag.rpartition(":")[2]
        self.stack.pop()
        self.collect = None
        if tag == "si" and self.current is not None:
            text = self.current.value()
            self.strings.append(_TooLong(text[:40]) if self.current.too_long else _unescape(text))
            self.current = None
            if len(self.strings) > MAX_SCAN_CELLS:
                raise ImportFileError(f"le classeur compte plus de {number(MAX_SCAN_CELLS)} "
                                      "textes : découper le fichier en plusieurs fichiers")


def _shared_strings(archive: zipfile.ZipFile, part: str, budget: _Budget) -> list[str | _TooLong]:
    where = f"classeur XLSX endommagé, partie {_part_name(part)}"
    reader = _SharedStrings(where)
    for _ in _parse_xml(archive, part, reader, budget, where):
        pass
    return reader.strings


def _date_styles(archive: zipfile.ZipFile, part: str, budget: _Budget) -> tuple[set[int], set[int]]:
    """The cell formats (``s`` of a cell) that show a number as a date, and as a duration."""
    from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format

    where = f"classeur XLSX endommagé, partie {_part_name(part)}"
    custom: dict[str, str] = {}
    formats: list[str | None] = []
    stack: list[str] = []
    for kind, tag, attrs in _xml_events(archive, part, budget, where):
        if kind == "start":
            parent = stack[-1] if stack else None
            if tag == "numFmt" and parent == "numFmts" and len(custom) < MAX_STYLES:
                custom[attrs.get("numFmtId", "").strip()] = attrs.get("formatCode", "")[:255]
            elif tag == "xf" and parent == "cellXfs" and len(formats) < MAX_STYLES:
                formats.append(attrs.get("numFmtId"))
            stack.append(tag)
        elif kind == "end":
            stack.pop()
    dates, timedeltas = set(), set()
    for index, fid in enumerate(formats):
        fid = (fid or "0").strip()
        code = custom.get(fid) if fid in custom else \
            BUILTIN_FORMATS.get(int(fid)) if fid.isdigit() and len(fid) < 6 else None
        if code and is_date_format(code):
            dates.add(index)
            if is_timedelta_format(code):
                timedeltas.add(index)
    return dates, timedeltas


# --- XLSX: a sheet's cells ------------------------------------------------------------------------

_CELL_REF = re.compile(r"([A-Za-z]{1,3})([0-9]{1,7})")
_XML_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]{1,4})?")
MAX_XLSX_ROW = 1_048_576
MAX_XLSX_COLUMN = 16_384  # XFD


@lru_cache(maxsize=1024)
def _column_number(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def _column_letters(n: int) -> str:
    letters = ""
    while n:
        n, r = divmod(n - 1, 26)
        letters = chr(65 + r) + letters
    return letters


class _Cell:
    __slots__ = ("column", "formula", "inline", "row", "style", "type", "value")

    def __init__(self, row: int, column: int, type_: str, style: str | None):
        self.row, self.column, self.type, self.style = row, column, type_, style
        self.value: _Text | None = None  # <v>
        self.inline: _Text | None = None  # <is>
        self.formula = False


def _cell_value(cell: _Cell, book: _Book) -> Any:
    """The value of a cell as a spreadsheet shows it, or an :class:`_Unreadable` naming why
    not. Never raises."""
    raw = cell.value.value() if cell.value is not None else ""

    def unreadable(why: str, shown: str | None = None) -> _Unreadable:
        shown = _visible((raw if shown is None else shown).strip())[:40]
        why = why.replace("{shown}", shown)
        return _Unreadable(shown, f"cellule {_column_letters(cell.column)}{cell.row} "
                                  f"illisible : {why}")

    try:
        kind = cell.type
        if kind == "s":
            index = raw.strip()
            if not index:
                return None
            if not index.isdigit() or len(index) > 9 or int(index) >= len(book.shared):
                return unreadable("le texte n° {shown} est absent de la table des textes du "
                                  "classeur")
            text = book.shared[int(index)]
            if isinstance(text, _TooLong):
                return unreadable(f"texte trop long (plus de {number(MAX_CELL_CHARS)} "
                                  "caractères)", text.start)
            return text
        if kind == "inlineStr":
            if cell.inline is None:
                return None
            if cell.inline.too_long:
                return unreadable(f"texte trop long (plus de {number(MAX_CELL_CHARS)} caractères)",
                                  cell.inline.value())
            return _unescape(cell.inline.value())
        if cell.value is not None and cell.value.too_long:
            return unreadable(f"valeur trop longue (plus de {number(MAX_CELL_CHARS)} caractères)")
        if not raw:
            return None
        if kind == "n":
            text = raw.strip()
            if not _XML_NUMBER.fullmatch(text):
                return unreadable("« {shown} » n’est pas un nombre")
            if len(text) > 64:
                return unreadable("« {shown} » : nombre de plus de 64 caractères")
            value: int | float = (int(text) if not any(c in text for c in ".eE")
                                  else float(text))
            if isinstance(value, float) and value in (float("inf"), float("-inf")):
                return unreadable("« {shown} » est un nombre hors limites")
            style = (cell.style or "").strip()
            if style.isdigit() and len(style) < 7 and int(style) in book.date_styles:
                try:
                    from openpyxl.utils.datetime import from_excel
                    return from_excel(value, book.epoch,
                                      timedelta=int(style) in book.timedelta_styles)
                except (OverflowError, ValueError, ArithmeticError):
                    return unreadable("« {shown} » n’est pas une date possible (la cellule est "
                                      "au format date)")
            return value
        if kind == "b":
            flag = raw.strip()
            if flag not in ("0", "1"):
                return unreadable("« {shown} » n’est pas une valeur logique (0 ou 1, VRAI ou "
                                  "FAUX)")
            return flag == "1"
        if kind in ("str", "e"):  # a formula's text result; an error such as « #N/A »
            return _unescape(raw)
        if kind == "d":
            from openpyxl.utils.datetime import from_ISO8601
            try:
                moment = from_ISO8601(raw.strip())
            except (ValueError, OverflowError, TypeError):
                moment = None
            if not isinstance(moment, (dt.date, dt.time, dt.timedelta)):
                return unreadable("« {shown} » n’est pas une date (AAAA-MM-JJ attendu)")
            return moment
        return unreadable(f"type de cellule « {_visible(kind)[:20]} » inconnu")
    except Exception:  # a value no case above foresaw: the row says so, the import goes on
        return unreadable("valeur « {shown} » inattendue")


class _SheetReader(_Handler):
    """The rows of a sheet, from expat's calls: at most MAX_COLUMNS values per row (cells further
    right are only counted), at most MAX_SCAN_ROWS rows. Each finished non-blank row goes to
    ``rows``; a formula without a computed value adds its row to ``formula_rows``."""

    def __init__(self, title: str, book: _Book, budget: _Budget):
        self.sheet = f"feuille « {title} »"
        self.book, self.budget = book, budget
        self.rows: list[tuple[int, list[Any]]] = []
        self.formula_rows: set[int] = set()
        self.stack: list[str] = []
        self.row = 0  # the current row number
        self.column = 0  # the current column number
        self.values: dict[int, Any] = {}
        self.cell: _Cell | None = None
        self.collect: _Text | None = None  # the text being read (a <v> or an inline <t>)

    def where(self) -> str:
        return f"{self.sheet}, ligne {number(self.row)}"

    def damaged(self, why: str) -> ImportFileError:
        return ImportFileError(f"classeur XLSX endommagé : {self.where()} : {why}")

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        if ":" in tag:
            tag = tag.rpartition(":")[2]
        stack = self.stack
        parent = stack[-1] if stack else ""
        stack.append(tag)
        if len(stack) > MAX_XML_DEPTH:
            raise self.damaged(f"XML imbriqué sur plus de {MAX_XML_DEPTH} niveaux")
        cell = self.cell
        if tag == "c":
            if parent == "row":
                self.start_cell(attrs)
        elif cell is None or cell.column > MAX_COLUMNS:
            if tag == "row" and parent == "sheetData":
                self.start_row(attrs)
        elif tag == "v" and parent == "c":
            cell.value = self.collect = cell.value or _Text()
        elif tag == "f" and parent == "c":
            cell.formula = True
        elif tag == "is" and parent == "c":
            cell.inline = _Text()
        elif tag == "t" and cell.inline is not None and (
                parent == "is" or parent == "r" and stack[-3] == "is"):
            self.collect = cell.inline

    def text(self, data: str) -> None:
        if self.collect is not None:
            self.collect.add(data)

    def end(self, tag: str) -> None:
        if ":" in tag:
            tag = tag.rpartition(":")[2]
        self.stack.pop()
        self.collect = None
        if tag == "c":
            cell = self.cell
            if cell is not None and cell.column <= MAX_COLUMNS:
                value = _cell_value(cell, self.book)
                self.values[cell.column] = value.strip() if isinstance(value, str) else value
                if cell.formula and value is None:
                    self.formula_rows.add(self.row)
            self.cell = None
        elif tag == "row" and self.stack and self.stack[-1] == "sheetData":
            values = self.values
            cells = [values.get(i) for i in range(1, max(values, default=0) + 1)]
            self.values = {}
            if any(not _blank(v) for v in cells):
                self.rows.append((self.row, cells))

    def start_row(self, attrs: dict[str, str]) -> None:
        given = attrs.get("r")
        if given is None:
            number_ = self.row + 1
        elif given.strip().isdigit() and len(given.strip()) <= 7:
            number_ = int(given)
        else:
            raise self.damaged(f"numéro de ligne « {_visible(given)[:20]} » invalide")
        if not self.row < number_ <= MAX_XLSX_ROW:
            raise self.damaged(f"ligne numérotée {number_} après la ligne {self.row} (numéro "
                               "invalide ou lignes dans le désordre)")
        self.row, self.column, self.values = number_, 0, {}
        if number_ > MAX_SCAN_ROWS:
            raise _too_many_rows(self.where())
        if number_ % 256 == 0:
            self.budget.clock(self.where)

    def start_cell(self, attrs: dict[str, str]) -> None:
        budget = self.budget
        budget.add_cells(1, self.where)
        if budget.cells % 4096 == 0:
            budget.clock(self.where)
        ref = attrs.get("r")
        if ref is not None:
            m = _CELL_REF.fullmatch(ref)
            column = _column_number(m.group(1)) if m else 0
            if m is None or not 1 <= column <= MAX_XLSX_COLUMN \
                    or not 1 <= int(m.group(2)) <= MAX_XLSX_ROW:
                raise self.damaged(f"la référence de cellule « {_visible(ref)[:20]} » est "
                                   "invalide")
        else:
            column = self.column + 1
            if column > MAX_XLSX_COLUMN:
                raise self.damaged(f"plus de {number(MAX_XLSX_COLUMN)} cellules sur la ligne")
        self.column = column
        self.cell = _Cell(self.row, column, attrs.get("t", "n"), attrs.get("s"))


def _sheet_rows(archive: zipfile.ZipFile, title: str, part: str, book: _Book, budget: _Budget,
                formula_rows: set[int]) -> Generator[tuple[int, list[Any]], None, None]:
    """(row number, values) of the non-blank rows of a sheet, read as the part is decompressed.
    The sheet's declared dimensions are not trusted (some programs write none, others the whole
    grid)."""
    reader = _SheetReader(title, book, budget)
    reader.formula_rows = formula_rows
    for _ in _parse_xml(archive, part, reader, budget, f"classeur XLSX endommagé, {reader.sheet}"):
        yield from reader.rows
        reader.rows.clear()


@_safety_net
def import_xlsx(data: bytes) -> ImportPreview:
    """Read cost lines from XLSX bytes: the first sheet (« Lignes de coût » first) with a header."""
    _check_size(data)
    budget = _Budget()
    with _open_zip(data) as archive:
        book = _read_book(archive, budget)
        sheets = sorted(book.sheets, key=lambda s: _norm(s[0]) != _norm("Lignes de coût"))
        found_rows = False
        for title, part in sheets:
            formula_rows: set[int] = set()
            rows = _sheet_rows(archive, title, part, book, budget, formula_rows)
            head = []
            for item in rows:
                head.append(item)
                if len(head) >= HEADER_SEARCH_ROWS:
                    break
            found_rows = found_rows or bool(head)
            layout = _find_header(head)
            if layout is None:
                rows.close()
                continue
            preview = _build(rows, layout, head, source_format="xlsx", sheet=title)
            return _explain_formulas(preview, formula_rows)
        if not found_rows:
            raise ImportFileError("le classeur est vide")
        raise ImportFileError(
            f"aucune feuille n’a de ligne d’en-tête reconnue (dans ses {HEADER_SEARCH_ROWS} "
            f"premières lignes) ; colonnes attendues : {_expected_columns()}")


def _explain_formulas(preview: ImportPreview, formula_rows: set[int]) -> ImportPreview:
    """A formula whose result was never computed (a file written by a program, not by a
    spreadsheet) reads as an empty cell: say so instead of « valeur manquante »."""
    if not formula_rows:
        return preview
    note = ("formule sans valeur calculée : ouvrir le classeur dans un tableur et l’enregistrer, "
            "ou remplacer la formule par sa valeur")
    rejected = tuple(
        RejectedRow(r.row, tuple(RowProblem(p.row, p.column, f"{p.message} ({note})")
                                 if p.message.startswith("valeur manquante") else p
                                 for p in r.problems), r.values)
        if r.row in formula_rows else r
        for r in preview.rejected)
    return dataclasses.replace(preview, rejected=rejected)


# --- entry point ----------------------------------------------------------------------------------

_OLE = b"\xd0\xcf\x11\xe0"  # an OLE compound file: an old .xls, or an encrypted .xlsx


@_safety_net
def import_cost_lines(data: bytes, filename: str | None = None) -> ImportPreview:
    """Cost lines from a CSV or XLSX file (detected from its content; the name only helps the
    messages). Raises :class:`ImportFileError` if the file cannot be read at all, and nothing
    else."""
    _check_size(data)
    name = (filename or "").lower()
    if data.startswith(b"PK\x03\x04"):
        return import_xlsx(data)
    if data.startswith(_OLE):
        # an encrypted workbook is an OLE file holding the streams « EncryptionInfo » and
        # « EncryptedPackage » (their names are written in UTF-16LE in its directory)
        if "EncryptedPackage".encode("utf-16-le") in data or \
                "EncryptionInfo".encode("utf-16-le") in data:
            raise ImportFileError(
                "classeur protégé par un mot de passe : l’enregistrer sans mot de passe (dans "
                "Excel : Fichier > Informations > Protéger le classeur > Chiffrer avec mot de "
                "passe, puis effacer le mot de passe), puis l’importer de nouveau")
        raise ImportFileError("ancien format Excel (.xls) : enregistrer le fichier au format .xlsx "
                              "ou .csv")
    if data.startswith((b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"\x1f\x8b")) or \
            name.endswith((".pdf", ".doc", ".docx", ".odt", ".png", ".jpg", ".zip", ".xls")):
        raise ImportFileError("le fichier n’est ni un CSV ni un classeur XLSX")
    return import_csv(data)


# --- templates ------------------------------------------------------------------------------------

#: The two example rows of the templates, as the import reads them back.
TEMPLATE_EXAMPLES = (
    CostLine(label="Prestation de migration vers le Cloud de confiance", category="external_services",
             amount=Decimal("84000.00"), basis="ht", vat_rate=Decimal("0.2"),
             start_month=1, end_month=6),
    CostLine(label="Formation des agents aux pratiques Cloud", category="training",
             amount=Decimal("12500.50"), basis="ttc", vat_rate=None, start_month=2, end_month=4),
)


def _template_rows() -> list[list[str]]:
    from guichet.exports import csv_decimal, csv_rate
    rows = []
    for line in TEMPLATE_EXAMPLES:
        rows.append([line.label, labels.CATEGORIES[line.category], csv_decimal(line.amount),
                     labels.BASES[line.basis],
                     csv_rate(line.vat_rate) if line.vat_rate is not None else "",
                     str(line.start_month), str(line.end_month)])
    return rows


def template_csv() -> bytes:
    """A CSV template (``;``, UTF-8 with BOM, decimal comma) with the two example rows."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(TEMPLATE_HEADERS)
    writer.writerows(_template_rows())
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def template_xlsx() -> bytes:
    """An XLSX template: sheet « Lignes de coût » with the two example rows, drop-down lists
    for the category and the basis, and a sheet « Aide » listing the categories."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    ws.title = "Lignes de coût"
    ws.append(list(TEMPLATE_HEADERS))
    for line in TEMPLATE_EXAMPLES:
        ws.append([line.label, labels.CATEGORIES[line.category], line.amount,
                   labels.BASES[line.basis], line.vat_rate, line.start_month, line.end_month])
    header_fill = PatternFill("solid", fgColor="000091")
    for cell in ws[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = header_fill
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for row in ws.iter_rows(min_row=2, max_row=1000):
        row[2].number_format = '#,##0.00\\ "€"'
        row[4].number_format = '0.0\\ %'
        for c in row:
            c.data_type = "s" if isinstance(c.value, str) else c.data_type
    for col, width in zip("ABCDEFG", (52, 34, 16, 14, 13, 14, 12)):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "A2"

    help_ws = wb.create_sheet("Aide")
    help_ws.append(["Catégorie", "Code", "Dans l’assiette éligible ?"])
    excluded = set(load_rules().values("excluded_categories"))
    for code, label in labels.CATEGORIES.items():
        help_ws.append([label, code, "Non (exclue)" if code in excluded else "Oui"])
    help_ws.append([])
    free = [labels.CATEGORIES[c] for c in labels.CATEGORIES if default_vat_rate(c) == 0]
    notes = [
        "Une ligne par dépense. Montant : nombre, virgule décimale acceptée (« 12 500,50 »).",
        "Base : HT ou TTC. Taux de TVA (facultatif) : « 20 % », « 0,2 » ou « 20 » ; vide = "
        f"{percent(load_rules().decimal('default_vat_rate'), 2)}"
        + (f" ({percent(0)} pour : {', '.join(free)})." if free else "."),
        "Mois de début et de fin : numéros de mois du projet (1 = premier mois).",
    ]
    for note in notes:
        help_ws.append([note])
    for cell in help_ws[1]:
        cell.font = Font(bold=True)
    help_ws.column_dimensions["A"].width = 40
    help_ws.column_dimensions["B"].width = 22
    help_ws.column_dimensions["C"].width = 26

    n_cat = len(labels.CATEGORIES)
    categories = DataValidation(type="list", formula1=f"'Aide'!$A$2:$A${1 + n_cat}",
                                allow_blank=True, showErrorMessage=False)
    bases = DataValidation(type="list", formula1='"HT,TTC"', allow_blank=True)
    ws.add_data_validation(categories)
    ws.add_data_validation(bases)
    categories.add("B2:B1000")
    bases.add("D2:D1000")
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --- merging into a scenario ----------------------------------------------------------------------

def _checked_lines(lines: Iterable[CostLine | dict]) -> list[CostLine]:
    out = []
    for line in lines:
        out.append(line.model_copy() if isinstance(line, CostLine) else CostLine.model_validate(line))
    return out


def _with_lines(scenario: Scenario, lines: list[CostLine]) -> Scenario:
    if len(lines) > MAX_LINES:
        raise ScenarioError([Problem("cost_lines", f"au plus {number(MAX_LINES)} lignes de coût "
                                                   f"par scénario ({number(len(lines))} demandées)")])
    new = scenario.model_copy(deep=True)
    new.cost_lines = lines
    return new


def add_lines(scenario: Scenario, lines: Iterable[CostLine]) -> Scenario:
    """A new scenario: the scenario's cost lines followed by ``lines``. ``scenario`` is unchanged."""
    return _with_lines(scenario, _checked_lines(scenario.cost_lines) + _checked_lines(lines))


def replace_lines(scenario: Scenario, lines: Iterable[CostLine]) -> Scenario:
    """A new scenario whose cost lines are ``lines``. ``scenario`` is unchanged."""
    return _with_lines(scenario, _checked_lines(lines))
