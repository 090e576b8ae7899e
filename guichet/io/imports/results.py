"""What an import returns (:class:`ImportPreview`, with its rejected rows) and how it fails
(:class:`ImportFileError`, and the safety net that turns any other failure into one)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, ParamSpec

from guichet.engine.models import CostLine
from guichet.io.loading import Problem, ScenarioError

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


class ImportFileError(ScenarioError):
    """The file cannot be read as a table of cost lines (one French message)."""

    def __init__(self, message: str) -> None:
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
        accepted = "acceptées" if len(self.lines) > 1 else "acceptée"
        refused = "refusées" if len(self.rejected) > 1 else "refusée"
        return (f"{n(len(self.lines), 'ligne')} {accepted}, "
                f"{n(len(self.rejected), 'ligne')} {refused}")

    def reasons(self) -> list[str]:
        return [str(p) for r in self.rejected for p in r.problems]


_P = ParamSpec("_P")


def _safety_net(function: Callable[_P, ImportPreview]) -> Callable[_P, ImportPreview]:
    """Whatever happens while reading a file, the caller gets an ImportFileError."""
    @functools.wraps(function)
    def guarded(*args: _P.args, **kwargs: _P.kwargs) -> ImportPreview:
        try:
            return function(*args, **kwargs)
        except ImportFileError:
            raise
        except Exception as exc:  # including MemoryError: no file may crash the page
            raise ImportFileError(UNEXPECTED_ERROR) from exc
    return guarded
