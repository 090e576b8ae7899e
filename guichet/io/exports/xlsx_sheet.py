"""The cell writer of the XLSX export: text is always a text cell (never a formula), the number
formats, the cell styles, the row heights of wrapped text. openpyxl is imported only when a
workbook is written.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from guichet.io.exports.common import looks_like_formula, xml_safe

LABEL_WIDTH = 50  # the label column of the lines sheet, in characters
LABEL_CHARS_PER_LINE = 55
MONEY_FORMAT = '#,##0.00\\ "€"'
INT_FORMAT = "#,##0"
MONTHS_FORMAT = '#,##0\\ "mois"'
YEARS_FORMAT = '0\\ "ans"'

#: A cell style: a function that sets the font, fill or alignment of an openpyxl cell.
Style = Callable[[Any], None]


# --- small helpers --------------------------------------------------------------------------------

def _quote(sheet: str) -> str:
    return "'" + sheet.replace("'", "''") + "'"


def _xl_string(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _cap(text: str) -> str:
    """The first letter in upper case, the rest as it is (``str.capitalize`` lowers it)."""
    return text[:1].upper() + text[1:]


def _or_missing(value: Any, missing: str = "non renseigné") -> Any:
    return missing if value is None else value


def _fmt_if(value: Any, fmt: str) -> str | None:
    return None if value is None else fmt


def _rate_format(rate: Decimal) -> str:
    exponent = (Decimal(rate) * 100).normalize().as_tuple().exponent
    digits = max(0, -exponent) if isinstance(exponent, int) else 0
    return "0" + ("." + "0" * min(digits, 4) if digits else "") + "\\ %"



class _Sheet:
    """A little writer over an openpyxl worksheet: text is always a text cell, with the
    characters XML cannot hold replaced (:func:`xml_safe`), and with Excel's « quote prefix »
    when it :func:`looks_like_formula`."""

    def __init__(self, ws: Any, styles: dict[str, Style]) -> None:
        self.ws = ws
        self.st = styles
        self.row = 1

    def put(self, row: int, col: int, value: Any, *, fmt: str | None = None,
            style: str | None = None) -> Any:
        cell = self.ws.cell(row=row, column=col)
        if isinstance(value, str):
            cell.value = xml_safe(value)
            cell.data_type = "s"  # text, even when it starts with « = »: never a formula
            if looks_like_formula(value):
                cell.quotePrefix = True  # and Excel keeps it text when the cell is edited
        elif isinstance(value, bool):
            cell.value = "Oui" if value else "Non"
        else:
            cell.value = value
        if fmt:
            cell.number_format = fmt
        if style:
            self.st[style](cell)
        return cell

    def formula(self, row: int, col: int, text: str, *, fmt: str | None = None,
                style: str | None = None) -> Any:
        assert text.startswith("=")
        cell = self.ws.cell(row=row, column=col)
        cell.value = text
        cell.data_type = "f"
        if fmt:
            cell.number_format = fmt
        if style:
            self.st[style](cell)
        return cell

    def header(self, row: int, titles: list[str]) -> None:
        for i, title in enumerate(titles, start=1):
            self.put(row, i, title, style="header")

    def widths(self, *widths: float) -> None:
        from openpyxl.utils import get_column_letter
        for i, w in enumerate(widths, start=1):
            self.ws.column_dimensions[get_column_letter(i)].width = w


def _fit_heights(ws: Any) -> None:
    """Row heights for wrapped text: spreadsheets do not grow a row for a merged cell, and not
    all of them do it on opening for the others."""
    import math

    from openpyxl.utils import get_column_letter

    def width(col: int) -> float:
        w: float | None = ws.column_dimensions[get_column_letter(col)].width
        return w or 8.43

    spans: dict[tuple[int, int], float] = {}
    for rng in ws.merged_cells.ranges:
        spans[(rng.min_row, rng.min_col)] = sum(width(c)
                                                for c in range(rng.min_col, rng.max_col + 1))
    for row in ws.iter_rows():
        lines = 1
        for cell in row:
            if (isinstance(cell.value, str) and cell.alignment is not None
                    and cell.alignment.wrap_text):
                chars = spans.get((cell.row, cell.column), width(cell.column)) * 1.15
                lines = max(lines, sum(math.ceil(max(len(part), 1) / chars)
                                       for part in cell.value.split("\n")))
        if lines > 1:
            ws.row_dimensions[row[0].row].height = 15 * lines


def _styles() -> dict[str, Style]:
    from openpyxl.styles import Alignment, Font, PatternFill

    blue = PatternFill("solid", fgColor="000091")
    light = PatternFill("solid", fgColor="ECECFE")
    wrap = Alignment(wrap_text=True, vertical="top")

    def header(c: Any) -> None:
        c.font = Font(bold=True, color="FFFFFF")
        c.fill = blue
        c.alignment = Alignment(wrap_text=True, vertical="center")

    def title(c: Any) -> None:
        c.font = Font(bold=True, size=14, color="000091")

    def subtitle(c: Any) -> None:
        c.font = Font(bold=True, size=12, color="161616")

    def bold(c: Any) -> None:
        c.font = Font(bold=True)

    def total(c: Any) -> None:
        c.font = Font(bold=True)
        c.fill = light

    def wrapped(c: Any) -> None:
        c.alignment = wrap

    def mention(c: Any) -> None:
        c.font = Font(italic=True, color="666666")
        c.alignment = wrap

    return {"header": header, "title": title, "subtitle": subtitle, "bold": bold, "total": total,
            "wrap": wrapped, "mention": mention}


def _status_fill(status: str) -> Any:
    from openpyxl.styles import PatternFill
    colour = {"eligible": "B8FEC9", "eligible_with_reservations": "FFE9E6",
              "ineligible": "FFE9E9"}[status]
    return PatternFill("solid", fgColor=colour)

