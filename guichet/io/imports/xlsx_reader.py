"""Workbooks (XLSX): the cells of a sheet, read by a streaming reader of its XML part (values
only, never a whole part in memory), and :func:`import_xlsx`."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import zipfile
from collections.abc import Generator
from functools import lru_cache
from typing import Any

from guichet.io.imports import limits
from guichet.io.imports.limits import _Budget, _check_size, _too_many_rows
from guichet.io.imports.results import (ImportFileError, ImportPreview, RejectedRow, RowProblem,
                                        _safety_net)
from guichet.io.imports.rows import _build, _expected_columns, _find_header
from guichet.io.imports.text import _norm, _visible
from guichet.io.imports.values import _blank, _Unreadable
from guichet.io.imports.workbook import _Book, _read_book, _TooLong
from guichet.io.imports.xml_stream import _NestedHandler, _parse_xml, _Text, _unescape
from guichet.io.imports.zip_parts import _open_zip
from guichet.present.formatting import number

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

    def __init__(self, row: int, column: int, type_: str, style: str | None) -> None:
        self.row, self.column, self.type, self.style = row, column, type_, style
        self.value: _Text | None = None  # <v>
        self.inline: _Text | None = None  # <is>
        self.formula = False


def _cell_value(cell: _Cell, book: _Book) -> Any:
    """The value of a cell as a spreadsheet shows it, or an :class:`_Unreadable` naming why
    not. Never raises."""
    raw = cell.value.value() if cell.value is not None else ""
    try:
        return _typed_value(cell, raw, book)
    except Exception:  # a value no case below foresaw: the row says so, the import goes on
        return _unreadable(cell, raw, "valeur « {shown} » inattendue")


def _unreadable(cell: _Cell, raw: str, why: str, shown: str | None = None) -> _Unreadable:
    """Why the cell cannot be read; « {shown} » in ``why`` is the stored text (or ``shown``)."""
    shown = _visible((raw if shown is None else shown).strip())[:40]
    why = why.replace("{shown}", shown)
    return _Unreadable(shown, f"cellule {_column_letters(cell.column)}{cell.row} "
                              f"illisible : {why}")


def _typed_value(cell: _Cell, raw: str, book: _Book) -> Any:
    """The value, by the cell's type (``t``); ``raw`` is its stored text (``<v>``)."""
    kind = cell.type
    if kind == "s":
        return _shared_text(cell, raw, book)
    if kind == "inlineStr":
        return _inline_text(cell, raw)
    if cell.value is not None and cell.value.too_long:
        return _unreadable(cell, raw, f"valeur trop longue (plus de "
                                      f"{number(limits.MAX_CELL_CHARS)} caractères)")
    if not raw:
        return None
    if kind == "n":
        return _number(cell, raw, book)
    if kind == "b":
        flag = raw.strip()
        if flag not in ("0", "1"):
            return _unreadable(cell, raw, "« {shown} » n’est pas une valeur logique (0 ou 1, VRAI "
                                          "ou FAUX)")
        return flag == "1"
    if kind in ("str", "e"):  # a formula's text result; an error such as « #N/A »
        return _unescape(raw)
    if kind == "d":
        return _iso_date(cell, raw)
    return _unreadable(cell, raw, f"type de cellule « {_visible(kind)[:20]} » inconnu")


def _shared_text(cell: _Cell, raw: str, book: _Book) -> str | _Unreadable | None:
    index = raw.strip()
    if not index:
        return None
    if not index.isdigit() or len(index) > 9 or int(index) >= len(book.shared):
        return _unreadable(cell, raw, "le texte n° {shown} est absent de la table des textes du "
                                      "classeur")
    text = book.shared[int(index)]
    if isinstance(text, _TooLong):
        return _unreadable(cell, raw, f"texte trop long (plus de {number(limits.MAX_CELL_CHARS)} "
                                      "caractères)", text.start)
    return text


def _inline_text(cell: _Cell, raw: str) -> str | _Unreadable | None:
    if cell.inline is None:
        return None
    if cell.inline.too_long:
        return _unreadable(cell, raw, f"texte trop long (plus de {number(limits.MAX_CELL_CHARS)} "
                                      "caractères)", cell.inline.value())
    return _unescape(cell.inline.value())


def _number(cell: _Cell, raw: str, book: _Book) -> Any:
    """A number, or a date when the cell's format shows one."""
    text = raw.strip()
    if not _XML_NUMBER.fullmatch(text):
        return _unreadable(cell, raw, "« {shown} » n’est pas un nombre")
    if len(text) > 64:
        return _unreadable(cell, raw, "« {shown} » : nombre de plus de 64 caractères")
    value: int | float = (int(text) if not any(c in text for c in ".eE")
                          else float(text))
    if isinstance(value, float) and value in (float("inf"), float("-inf")):
        return _unreadable(cell, raw, "« {shown} » est un nombre hors limites")
    style = (cell.style or "").strip()
    if style.isdigit() and len(style) < 7 and int(style) in book.date_styles:
        try:
            from openpyxl.utils.datetime import from_excel
            return from_excel(value, book.epoch, timedelta=int(style) in book.timedelta_styles)
        except (OverflowError, ValueError, ArithmeticError):
            return _unreadable(cell, raw, "« {shown} » n’est pas une date possible (la cellule "
                                          "est au format date)")
    return value


def _iso_date(cell: _Cell, raw: str) -> Any:
    """A cell of type ``d``: a date, a time or a duration written in ISO 8601."""
    from openpyxl.utils.datetime import from_ISO8601
    try:
        moment = from_ISO8601(raw.strip())
    except (ValueError, OverflowError, TypeError):
        moment = None
    if not isinstance(moment, (dt.date, dt.time, dt.timedelta)):
        return _unreadable(cell, raw, "« {shown} » n’est pas une date (AAAA-MM-JJ attendu)")
    return moment


class _SheetReader(_NestedHandler):
    """The rows of a sheet, from expat's calls: at most MAX_COLUMNS values per row (cells further
    right are only counted), at most MAX_SCAN_ROWS rows. Each finished non-blank row goes to
    ``rows``; a formula without a computed value adds its row to ``formula_rows``."""

    def __init__(self, title: str, book: _Book, budget: _Budget) -> None:
        super().__init__()
        self.sheet = f"feuille « {title} »"
        self.book, self.budget = book, budget
        self.rows: list[tuple[int, list[Any]]] = []
        self.formula_rows: set[int] = set()
        self.row = 0  # the current row number
        self.column = 0  # the current column number
        self.values: dict[int, Any] = {}
        self.cell: _Cell | None = None  # ``collect``: the text being read (a <v>, an inline <t>)

    def where(self) -> str:
        return f"{self.sheet}, ligne {number(self.row)}"

    def damaged(self, why: str) -> ImportFileError:
        return ImportFileError(f"classeur XLSX endommagé : {self.where()} : {why}")

    def too_deep(self) -> ImportFileError:
        return self.damaged(f"XML imbriqué sur plus de {limits.MAX_XML_DEPTH} niveaux")

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        tag, parent = self.enter(tag)
        cell = self.cell
        if tag == "c":
            if parent == "row":
                self.start_cell(attrs)
        elif cell is None or cell.column > limits.MAX_COLUMNS:
            if tag == "row" and parent == "sheetData":
                self.start_row(attrs)
        elif tag == "v" and parent == "c":
            cell.value = self.collect = cell.value or _Text()
        elif tag == "f" and parent == "c":
            cell.formula = True
        elif tag == "is" and parent == "c":
            cell.inline = _Text()
        elif cell.inline is not None and self.in_text_of(tag, parent, "is"):
            self.collect = cell.inline

    def closed(self, tag: str) -> None:
        if tag == "c":
            cell = self.cell
            if cell is not None and cell.column <= limits.MAX_COLUMNS:
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
        if number_ > limits.MAX_SCAN_ROWS:
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
                if len(head) >= limits.HEADER_SEARCH_ROWS:
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
            f"aucune feuille n’a de ligne d’en-tête reconnue (dans ses {limits.HEADER_SEARCH_ROWS} "
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

