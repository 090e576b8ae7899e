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
:class:`~guichet.io.loading.ScenarioError`), with one French message.

No file can crash, hang or exhaust the app: every limit is checked while reading (bytes,
uncompressed size and compression ratio of a workbook, rows, cells and time scanned, length of a
cell), a cell that cannot be read becomes a French reason for its row, and any other failure
becomes an :class:`ImportFileError`. Workbooks are read by a small streaming reader of the
SpreadsheetML parts (values only, never a whole part in memory); openpyxl writes the template and
lends its date helpers, it never opens an uploaded file.

Pure functions; no Streamlit.

The modules, by role:

- :mod:`~guichet.io.imports.values`: one cell (numbers, amounts, VAT, months, categories, labels);
- :mod:`~guichet.io.imports.rows`: the header row, one row into a cost line or a rejected row, the
  preview;
- :mod:`~guichet.io.imports.csv_files`: decoding and reading CSV files;
- :mod:`~guichet.io.imports.zip_parts`, :mod:`~guichet.io.imports.xml_stream`,
  :mod:`~guichet.io.imports.workbook`, :mod:`~guichet.io.imports.xlsx_reader`: workbooks (the zip
  checks, the streaming XML parser, the workbook's parts, the cells of a sheet);
- :mod:`~guichet.io.imports.templates`: the CSV and XLSX templates;
- :mod:`~guichet.io.imports.results`, :mod:`~guichet.io.imports.limits`, :mod:`~guichet.io.imports.text`:
  what an import returns, its limits, the text helpers.

The limits are the constants of :mod:`~guichet.io.imports.limits`, which every reader looks up when
it checks them: change them there (the names re-exported here are copies, for reading).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from guichet.engine.models import MAX_LINES, CostLine, Scenario
from guichet.io.imports.csv_files import import_csv
from guichet.io.imports.limits import (HEADER_SEARCH_ROWS, MAX_CELL_CHARS, MAX_COLUMNS,
                                       MAX_IMPORT_BYTES, MAX_IMPORT_ROWS, MAX_SCAN_CELLS,
                                       MAX_SCAN_ROWS, MAX_SCAN_SECONDS, MAX_STYLES,
                                       MAX_XLSX_UNCOMPRESSED, MAX_XML_DEPTH, MAX_XML_MARKUP,
                                       MAX_ZIP_ENTRIES, MAX_ZIP_RATIO, ZIP_RATIO_FREE_BYTES,
                                       _check_size)
from guichet.io.imports.results import (COLUMN_NAMES, FIELDS, REQUIRED, UNEXPECTED_ERROR,
                                        ImportFileError, ImportPreview, RejectedRow, RowProblem,
                                        _safety_net)
from guichet.io.imports.rows import _match_header as _match_header  # for the tests
from guichet.io.imports.templates import (TEMPLATE_EXAMPLES, TEMPLATE_HEADERS, template_csv,
                                          template_xlsx)
from guichet.io.imports.text import _FORBIDDEN_CHARS as _FORBIDDEN_CHARS  # for the tests
from guichet.io.imports.values import _read_category as _read_category  # for the tests
from guichet.io.imports.values import _read_vat as _read_vat  # for the tests
from guichet.io.imports.values import parse_number
from guichet.io.imports.xlsx_reader import MAX_XLSX_COLUMN, MAX_XLSX_ROW, import_xlsx
from guichet.io.loading import Problem, ScenarioError
from guichet.present.formatting import number

__all__ = [
    "COLUMN_NAMES", "FIELDS", "HEADER_SEARCH_ROWS", "MAX_CELL_CHARS", "MAX_COLUMNS",
    "MAX_IMPORT_BYTES", "MAX_IMPORT_ROWS", "MAX_SCAN_CELLS", "MAX_SCAN_ROWS", "MAX_SCAN_SECONDS",
    "MAX_STYLES", "MAX_XLSX_COLUMN", "MAX_XLSX_ROW", "MAX_XLSX_UNCOMPRESSED", "MAX_XML_DEPTH",
    "MAX_XML_MARKUP", "MAX_ZIP_ENTRIES", "MAX_ZIP_RATIO", "REQUIRED", "TEMPLATE_EXAMPLES",
    "TEMPLATE_HEADERS", "UNEXPECTED_ERROR", "ZIP_RATIO_FREE_BYTES", "ImportFileError",
    "ImportPreview", "RejectedRow", "RowProblem", "add_lines", "import_cost_lines", "import_csv",
    "import_xlsx", "parse_number", "replace_lines", "template_csv", "template_xlsx",
]

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


# --- merging into a scenario ----------------------------------------------------------------------

def _checked_lines(lines: Iterable[CostLine | dict[str, Any]]) -> list[CostLine]:
    return [line.model_copy() if isinstance(line, CostLine) else CostLine.model_validate(line)
            for line in lines]


def _with_lines(scenario: Scenario, lines: list[CostLine]) -> Scenario:
    if len(lines) > MAX_LINES:
        raise ScenarioError([Problem("cost_lines",
                                     f"au plus {number(MAX_LINES)} lignes de coût par scénario "
                                     f"({number(len(lines))} demandées)")])
    new = scenario.model_copy(deep=True)
    new.cost_lines = lines
    return new


def add_lines(scenario: Scenario, lines: Iterable[CostLine]) -> Scenario:
    """A new scenario: the scenario's cost lines followed by ``lines``. ``scenario`` is
    unchanged."""
    return _with_lines(scenario, _checked_lines(scenario.cost_lines) + _checked_lines(lines))


def replace_lines(scenario: Scenario, lines: Iterable[CostLine]) -> Scenario:
    """A new scenario whose cost lines are ``lines``. ``scenario`` is unchanged."""
    return _with_lines(scenario, _checked_lines(lines))
