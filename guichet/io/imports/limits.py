"""The limits of one import, and the checks that enforce them while a file is read.

Every module of the package reads these constants as ``limits.NAME`` when it uses them, so that
a test (or a caller) can change one in a single place."""

from __future__ import annotations

import time
from collections.abc import Callable

from guichet.engine.models import MAX_LINES
from guichet.io.imports.results import ImportFileError
from guichet.present.formatting import number

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
MAX_SHEETS = 1_000  # sheets a workbook may list (each distinct sheet part is read at most once)


def _check_size(data: bytes) -> None:
    if not data:
        raise ImportFileError("le fichier est vide")
    if len(data) > MAX_IMPORT_BYTES:
        raise ImportFileError(f"fichier trop volumineux ({number(len(data))} octets ; au plus "
                              f"{number(MAX_IMPORT_BYTES)} octets)")


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
