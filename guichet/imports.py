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

Pure functions; no Streamlit.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, Literal

from pydantic import ValidationError

from guichet import labels
from guichet.formatting import eur, number, percent
from guichet.loading import Problem, ScenarioError, french_message
from guichet.models import (MAX_AMOUNT, MAX_LINES, MAX_MONTH, MAX_TEXT, CostLine, Scenario,
                            default_vat_rate)
from guichet.rules import load_rules

MAX_IMPORT_BYTES = 5_000_000  # same bound as a scenario file
MAX_IMPORT_ROWS = MAX_LINES  # data rows (blank rows are not counted)
MAX_XLSX_UNCOMPRESSED = 60_000_000  # a zip bomb is refused before openpyxl opens it
MAX_COLUMNS = 60  # columns read per row; further columns are ignored
HEADER_SEARCH_ROWS = 10  # the header may follow a few title rows
MAX_CELL_CHARS = 2_000  # longer cells are refused before any parsing

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
    if raw is None:
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
        return number(d, decimals=max(0, -d.as_tuple().exponent)) if d.is_finite() else str(value)
    text = str(value).strip()
    return text if len(text) <= 40 else text[:39] + "…"


class _Bad(Exception):
    """A cell that cannot be read; the message names the value."""


def _q(value: Any) -> str:
    return f"« {_shown(value)} »"


def _text_cell(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dt.date, dt.datetime)):
        return _shown(value)
    return str(value).strip()


def _read_label(value: Any) -> str:
    text = _text_cell(value)
    if len(text) > MAX_TEXT:
        raise _Bad(f"libellé trop long ({len(text)} caractères ; au plus {MAX_TEXT})")
    return text


def _read_category(value: Any) -> str:
    code = _CATEGORY_ALIASES.get(_norm(_text_cell(value)))
    if code is None:
        known = ", ".join(labels.CATEGORIES.values())
        raise _Bad(f"{_q(value)} n’est pas une catégorie connue ; catégories possibles : {known}")
    return code


def _read_basis(value: Any) -> str:
    basis = _BASIS_ALIASES.get(_norm(_text_cell(value)).replace(".", ""))
    if basis is None:
        raise _Bad(f"{_q(value)} n’est pas une base ; « HT » ou « TTC » attendu")
    return basis


def _read_amount(value: Any) -> tuple[Decimal, str | None]:
    """(amount, basis written in the cell, if any)."""
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
        month = int(m.group(1))
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
        shown = str(raw).strip().lstrip("\ufeff")
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


def _csv_rows(text: str, delimiter: str) -> Iterator[tuple[int, list[Any]]]:
    """(line number where the row starts, cells); blank lines are skipped."""
    lines = io.StringIO(text, newline="")
    reader = csv.reader(lines, delimiter=delimiter, quotechar='"', skipinitialspace=False,
                        strict=False)
    start = 1
    try:
        for cells in reader:
            row_start, start = start, reader.line_num + 1
            if any(c.strip() for c in cells):
                yield row_start, [c.strip() for c in cells[:MAX_COLUMNS]]
    except csv.Error as exc:
        reason = ("une valeur est beaucoup trop longue (guillemet jamais refermé ?)"
                  if "field limit" in str(exc) else "ligne illisible")
        raise ImportFileError(f"CSV mal formé vers la ligne {reader.line_num} : {reason}") from None


def import_csv(data: bytes) -> ImportPreview:
    """Read cost lines from CSV bytes (separator and encoding detected)."""
    _check_size(data)
    text, encoding = _decode(data)
    if "\x00" in text:
        raise ImportFileError("le fichier n’est ni un CSV ni un classeur XLSX (contenu binaire)")
    if not text.strip():
        raise ImportFileError("le fichier est vide")
    lines = text.split("\n", 1)
    forced = re.match(r"^\s*sep=(.)\s*$", lines[0])  # Excel's « sep=; » first line
    if forced:
        text = lines[1] if len(lines) > 1 else ""
    delimiters = [forced.group(1)] if forced else [";", ",", "\t"]
    best: tuple[int, str, _Layout | None, list] | None = None
    for d in delimiters:
        head = []
        for item in _csv_rows(text, d):
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
    rows = ((n + offset, cells) for n, cells in _csv_rows(text, delimiter))
    head = [(n + offset, cells) for n, cells in head]
    layout.header_row += offset
    layout.strict_width = True
    # skip the rows already read into ``head``
    for _ in range(len(head)):
        next(rows, None)
    return _build(rows, layout, head, source_format="csv", encoding=encoding,
                  separator=delimiter)


# --- XLSX -----------------------------------------------------------------------------------------

def _check_size(data: bytes) -> None:
    if not data:
        raise ImportFileError("le fichier est vide")
    if len(data) > MAX_IMPORT_BYTES:
        raise ImportFileError(f"fichier trop volumineux ({number(len(data))} octets ; au plus "
                              f"{number(MAX_IMPORT_BYTES)} octets)")


def _open_zip(data: bytes) -> zipfile.ZipFile:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise ImportFileError("le fichier n’est pas un classeur XLSX lisible (archive "
                              "endommagée)") from None
    names = set(archive.namelist())
    if "mimetype" in names and b"opendocument" in archive.read("mimetype")[:200]:
        raise ImportFileError("classeur OpenDocument (.ods) : l’enregistrer au format .xlsx ou "
                              ".csv")
    if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
        raise ImportFileError("le fichier n’est ni un CSV ni un classeur XLSX")
    if sum(i.file_size for i in archive.infolist()) > MAX_XLSX_UNCOMPRESSED:
        raise ImportFileError("classeur trop volumineux une fois décompressé")
    return archive


def _sheet_rows(ws) -> Iterator[tuple[int, list[Any]]]:
    """(row number, values) of the non-blank rows. The sheet's declared dimensions are not
    trusted (some programs write none, others the whole grid)."""
    if hasattr(ws, "reset_dimensions"):
        ws.reset_dimensions()
    for number_, values in enumerate(ws.iter_rows(values_only=True), start=1):
        values = values[:MAX_COLUMNS]
        if any(not _blank(v) for v in values):
            yield number_, [v.strip() if isinstance(v, str) else v for v in values]


def import_xlsx(data: bytes) -> ImportPreview:
    """Read cost lines from XLSX bytes: the first sheet (« Lignes de coût » first) with a header."""
    _check_size(data)
    _open_zip(data)
    from openpyxl import load_workbook
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds of errors on damaged files
        raise ImportFileError("le fichier n’est pas un classeur XLSX lisible") from None
    try:
        sheets = sorted(wb.worksheets, key=lambda ws: _norm(ws.title) != _norm("Lignes de coût"))
        found_rows = False
        for ws in sheets:
            if not hasattr(ws, "iter_rows"):
                continue
            rows = _sheet_rows(ws)
            head = []
            for item in rows:
                head.append(item)
                if len(head) >= HEADER_SEARCH_ROWS:
                    break
            found_rows = found_rows or bool(head)
            layout = _find_header(head)
            if layout is None:
                continue
            preview = _build(rows, layout, head, source_format="xlsx", sheet=ws.title)
            return _explain_formulas(data, preview)
        if not found_rows:
            raise ImportFileError("le classeur est vide")
        raise ImportFileError(
            f"aucune feuille n’a de ligne d’en-tête reconnue (dans ses {HEADER_SEARCH_ROWS} "
            f"premières lignes) ; colonnes attendues : {_expected_columns()}")
    finally:
        wb.close()


def _explain_formulas(data: bytes, preview: ImportPreview) -> ImportPreview:
    """A formula whose result was never computed (a file written by a program, not by a
    spreadsheet) reads as an empty cell: say so instead of « valeur manquante »."""
    missing = [r for r in preview.rejected
               if any(p.message.startswith("valeur manquante") for p in r.problems)]
    if not missing:
        return preview
    from openpyxl import load_workbook
    wb = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    try:
        ws = wb[preview.sheet]
        wanted = {r.row for r in missing}
        formula_rows = set()
        for row in ws.iter_rows(min_row=min(wanted), max_row=max(wanted), max_col=MAX_COLUMNS):
            for c in row:
                if isinstance(c.value, str) and c.value.startswith("=") and c.row in wanted:
                    formula_rows.add(c.row)
    finally:
        wb.close()
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

def import_cost_lines(data: bytes, filename: str | None = None) -> ImportPreview:
    """Cost lines from a CSV or XLSX file (detected from its content; the name only helps the
    messages). Raises :class:`ImportFileError` if the file cannot be read at all."""
    _check_size(data)
    name = (filename or "").lower()
    if data.startswith(b"PK\x03\x04"):
        return import_xlsx(data)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
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
        f"{percent(load_rules().money('default_vat_rate'), 2)}"
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
