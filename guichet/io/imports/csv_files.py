"""CSV files: decoding (UTF-8 with or without BOM, UTF-16 with BOM, Windows-1252), detecting the
separator (``;``, ``,``, tab, or Excel's « sep=; » first line) and reading the records."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from typing import Any

from guichet.io.imports import limits
from guichet.io.imports.limits import _Budget, _check_size, _too_many_rows
from guichet.io.imports.results import ImportFileError, ImportPreview, _safety_net
from guichet.io.imports.rows import _build, _expected_columns, _find_header, _Layout, _score
from guichet.present.formatting import number


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
            if scanned > limits.MAX_SCAN_ROWS:
                raise _too_many_rows(where())
            budget.add_cells(len(cells), where)
            if scanned % 1024 == 0:
                budget.clock(where)
            row_start, start = start, reader.line_num + 1
            if any(c.strip() for c in cells):
                yield row_start, [c.strip() for c in cells[:limits.MAX_COLUMNS]]
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
    best: tuple[int, str, _Layout | None, list[tuple[int, list[Any]]]] | None = None
    for d in delimiters:
        head: list[tuple[int, list[Any]]] = []
        for item in _csv_rows(text, d, budget):
            head.append(item)
            if len(head) >= limits.HEADER_SEARCH_ROWS:
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
            f"aucune ligne d’en-tête reconnue dans les {limits.HEADER_SEARCH_ROWS} premières "
            f"lignes ; colonnes attendues : {_expected_columns()}")
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

