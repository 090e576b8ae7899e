"""Rows: finding the header row and the layout it gives, reading one data row into a
:class:`CostLine` or a :class:`RejectedRow`, and the :class:`ImportPreview` of all the rows."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import ValidationError

from guichet.engine.models import CostLine
from guichet.io.imports import limits
from guichet.io.imports.results import (COLUMN_NAMES, FIELDS, REQUIRED, ImportFileError,
                                        ImportPreview, RejectedRow, RowProblem)
from guichet.io.imports.text import _aliases, _norm, _visible
from guichet.io.imports.values import (_Bad, _blank, _q, _read_amount, _read_basis, _read_category,
                                       _read_label, _read_month, _read_vat, _shown, _Unreadable)
from guichet.io.loading import french_message
from guichet.present import labels
from guichet.present.formatting import number

# --- the header row -------------------------------------------------------------------------------

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

    def used_columns(self) -> list[int]:
        """The index of every known column."""
        return list(self.columns.values()) + list(self.amount_by_basis.values())


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
            f"ligne {layout.header_row} (en-tête) : colonne(s) manquante(s) : "
            f"{', '.join(missing)} ; colonnes reconnues : {found}")


def _find_header(rows: list[tuple[int, list[Any]]]) -> _Layout | None:
    best: _Layout | None = None
    for number_, cells in rows[:limits.HEADER_SEARCH_ROWS]:
        layout = _layout(cells, number_)
        if _is_header(layout) and (best is None or _score(layout) > _score(best)):
            best = layout
            if _score(best) >= len(REQUIRED):
                break
    return best


def _expected_columns() -> str:
    return ("libellé, catégorie, montant, base (HT/TTC), taux de TVA (facultatif), mois de début, "
            "mois de fin")


# --- one data row ---------------------------------------------------------------------------------

@dataclass
class _Row:
    """One data row being read: its cells, and what is found wrong with it."""

    layout: _Layout
    row_number: int
    cells: list[Any]
    values: dict[str, str] = field(default_factory=dict)  # as written, for a rejected row only
    problems: list[RowProblem] = field(default_factory=list)

    def cell(self, fld: str) -> Any:
        """The cell of a field's column, None if there is no such column or the row is short."""
        i = self.layout.columns.get(fld)
        return self.cells[i] if i is not None and i < len(self.cells) else None

    def is_blank(self) -> bool:
        """No value in any known column (notes in unknown columns do not count)."""
        cells = self.cells
        return all(_blank(cells[i]) for i in self.layout.used_columns() if i < len(cells))

    def bad(self, fld: str | None, message: str) -> None:
        column = COLUMN_NAMES.get(fld) if fld else None
        self.problems.append(RowProblem(self.row_number, column, message))

    def rejected(self) -> RejectedRow:
        self.values.update({f: _shown(self.cell(f)) for f in self.layout.columns
                            if not _blank(self.cell(f))})
        return RejectedRow(self.row_number, tuple(self.problems), self.values)


@dataclass(frozen=True)
class _AmountCell:
    """The cell read as the amount, and the basis its header gives (« montant HT »), if any."""

    raw: Any
    header_basis: str | None = None
    header: str | None = None  # the header as written, when it gives the basis


_TOTAL_LABELS = {_norm(x) for x in ("total", "total ht", "total ttc", "sous-total", "sous total",
                                    "total général", "totaux", "total du projet")}

_REQUIRED_READERS: tuple[tuple[str, Callable[[Any], object]], ...] = (
    ("label", _read_label), ("category", _read_category), ("start_month", _read_month),
    ("end_month", _read_month))


def _convert_row(layout: _Layout, number_: int, cells: list[Any]) -> CostLine | RejectedRow | None:
    """One data row: a CostLine, a RejectedRow, or None for a blank row."""
    row = _Row(layout, number_, cells)
    if row.is_blank():
        return None
    if _spills_over(row):
        row.bad(None, f"{len(cells)} valeurs pour {layout.width} colonnes d’en-tête : un "
                      "séparateur apparaît sans doute dans une valeur (par exemple une virgule "
                      "décimale dans un fichier séparé par des virgules) ; mettre la valeur entre "
                      "guillemets")
        return row.rejected()
    raw_label = row.cell("label")
    if _is_total(raw_label):
        row.bad("label", f"{_q(raw_label)} ressemble à une ligne de total : elle n’est pas "
                         "importée (les totaux sont recalculés par le simulateur)")
        return row.rejected()
    data = _required_values(row)
    basis_column, basis_invalid = _basis_column(row)
    _read_amount_and_basis(row, data, basis_column, basis_invalid)
    _read_vat_rate(row, data)
    if row.problems:
        return row.rejected()
    return _validated(row, data)


def _spills_over(row: _Row) -> bool:
    """A CSV row with values right of the header's last column (and of every known column)."""
    layout = row.layout
    if not (layout.width and layout.strict_width):
        return False
    end = max(layout.width, max(layout.used_columns(), default=-1) + 1)
    return any(not _blank(v) for v in row.cells[end:])


def _is_total(raw_label: Any) -> bool:
    return (isinstance(raw_label, str) and len(raw_label) < 40 and "tot" in raw_label.lower()
            and _norm(raw_label) in _TOTAL_LABELS)


def _required_values(row: _Row) -> dict[str, Any]:
    """The label, the category and the months that can be read; a problem for each other one."""
    data: dict[str, Any] = {}
    for fld, reader in _REQUIRED_READERS:
        raw = row.cell(fld)
        if _blank(raw):
            row.bad(fld, f"valeur manquante ({COLUMN_NAMES[fld]} obligatoire)")
            continue
        try:
            data[fld] = reader(raw)
        except _Bad as exc:
            row.bad(fld, str(exc))
    return data


def _basis_column(row: _Row) -> tuple[str | None, bool]:
    """(basis of the « base » column, None if empty or invalid; whether it is invalid, its
    problem then recorded)."""
    raw = row.cell("basis")
    if _blank(raw):
        return None, False
    try:
        return _read_basis(raw), False
    except _Bad as exc:
        row.bad("basis", str(exc))
        return None, True


def _amount_cell(row: _Row, basis_column: str | None) -> _AmountCell:
    """The amount: the « montant » column or, when the header has « montant HT » / « montant TTC »
    columns instead, the first non-empty one of the basis column's, TTC, HT."""
    layout, cells = row.layout, row.cells
    if not layout.amount_by_basis:
        return _AmountCell(row.cell("amount"))
    by_basis = layout.amount_by_basis
    order = ([basis_column] if basis_column else []) + ["ttc", "ht"]
    chosen = next((b for b in order if b in by_basis and by_basis[b] < len(cells)
                   and not _blank(cells[by_basis[b]])), None)
    if chosen is None:
        return _AmountCell(None)
    raw = cells[by_basis[chosen]]
    row.values["amount"] = _shown(raw)
    return _AmountCell(raw, chosen, layout.names.get(f"amount_{chosen}"))


def _read_amount_and_basis(row: _Row, data: dict[str, Any], basis_column: str | None,
                           basis_invalid: bool) -> None:
    """The amount, and the basis said by the « base » column, next to the amount (« 12 000 € HT »)
    or by the amount's header: they must agree, and one of them must say it."""
    amount = _amount_cell(row, basis_column)
    if _blank(amount.raw):
        row.bad("amount", "valeur manquante (montant obligatoire)")
        return
    try:
        data["amount"], cell_basis = _read_amount(amount.raw)
    except _Bad as exc:
        row.bad("amount", str(exc))
        return
    said = {b for b in (basis_column, cell_basis, amount.header_basis) if b}
    if len(said) > 1:
        row.bad("basis", _basis_conflict(basis_column, cell_basis, amount))
    elif said:
        data["basis"] = said.pop()
    elif not basis_invalid:
        row.bad("basis", "valeur manquante : indiquer « HT » ou « TTC » (ou l’écrire après le "
                         "montant, par exemple « 12 000 € HT »)")


def _basis_conflict(basis_column: str | None, cell_basis: str | None,
                    amount: _AmountCell) -> str:
    where = []
    if basis_column:
        where.append(f"la colonne base indique {labels.BASES[basis_column]}")
    if cell_basis:
        where.append(f"le montant est suivi de {labels.BASES[cell_basis]}")
    if amount.header_basis:
        where.append(f"l’en-tête « {amount.header} » indique {labels.BASES[amount.header_basis]}")
    return "HT ou TTC ? " + " mais ".join(where)


def _read_vat_rate(row: _Row, data: dict[str, Any]) -> None:
    raw = row.cell("vat_rate")
    if _blank(raw):
        return
    try:
        data["vat_rate"] = _read_vat(raw)
    except _Bad as exc:
        row.bad("vat_rate", str(exc))


def _validated(row: _Row, data: dict[str, Any]) -> CostLine | RejectedRow:
    """The cost line, once the model accepts it (the months in order…)."""
    try:
        return CostLine.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors(include_url=False):
            loc = err["loc"][0] if err["loc"] else None
            if err["type"] == "months_order":
                loc = "end_month"
            row.bad(loc if isinstance(loc, str) and loc in COLUMN_NAMES else None,
                    french_message(err))
        return row.rejected()

# --- the preview ----------------------------------------------------------------------------------

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
        if len(lines) + len(rejected) >= limits.MAX_IMPORT_ROWS:
            raise ImportFileError(f"le fichier compte plus de {number(limits.MAX_IMPORT_ROWS)} "
                                  "lignes de coût : le découper en plusieurs fichiers")
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

