"""Cost lines as rows of the editing grid, and back (pure: no Streamlit).

The grid shows French labels; a half-filled row (no amount yet, no category…) is kept as a row,
shown as incomplete, and left out of the scenario until it is complete.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from guichet.engine.models import MAX_MONTH, CostLine, Milestone
from guichet.io.loading import french_message
from guichet.present import labels

#: A row of a grid: column name → cell value, as the data editor gives it.
Row = dict[str, Any]

COLUMNS = ["label", "category", "amount", "basis", "vat", "start", "end"]
CATEGORY_BY_LABEL = {v: k for k, v in labels.CATEGORIES.items()}
BASIS_BY_LABEL = {v: k for k, v in labels.BASES.items()}
COLUMN_LABELS = {
    "label": "Libellé", "category": "Catégorie", "amount": "Montant (€)", "basis": "Base",
    "vat": "TVA %", "start": "Début", "end": "Fin",
}
FIELD_TO_COLUMN = {"label": "label", "category": "category", "amount": "amount", "basis": "basis",
                   "vat_rate": "vat", "start_month": "start", "end_month": "end"}


@dataclass(frozen=True)
class IncompleteRow:
    number: int  # 1-based, as the user sees the grid
    reason: str


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value == ""


def to_decimal(value: Any) -> Decimal:
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(str(value))


def line_to_row(line: CostLine) -> Row:
    return {
        "label": line.label,
        "category": labels.CATEGORIES[line.category],
        "amount": float(line.amount),
        "basis": labels.BASES[line.basis],
        "vat": float(line.vat_rate * 100) if line.vat_rate is not None else None,
        "start": line.start_month,
        "end": line.end_month,
    }


def rows_from_lines(lines: list[CostLine]) -> list[Row]:
    return [line_to_row(line) for line in lines]


def _number(value: Any) -> Any:
    """A grid's number as an exact Decimal; anything else as it is, for the model to refuse."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return to_decimal(value)
    return value


def _reasons(exc: ValidationError) -> str:
    """« Montant (€) : … ; Fin : … »: the model's problems, named by the grid's columns."""
    parts = []
    for err in exc.errors(include_url=False):
        field = str(err["loc"][0]) if err["loc"] else ""
        column = COLUMN_LABELS.get(FIELD_TO_COLUMN.get(field, ""), "")
        parts.append(f"{column} : {french_message(err)}" if column else french_message(err))
    return "; ".join(parts)


def row_to_line(row: Row) -> CostLine | str:
    """A CostLine, or the French reason why the row is not (yet) a valid line. Whatever a cell
    holds (a browser may send anything), the answer is one of the two."""
    missing = [COLUMN_LABELS[c] for c in ("category", "amount") if is_blank(row.get(c))]
    if missing:
        return "à compléter : " + ", ".join(missing)
    raw_category, raw_basis = row["category"], row.get("basis") or "HT"
    category = (CATEGORY_BY_LABEL.get(raw_category, raw_category) if isinstance(raw_category, str)
                else raw_category)
    basis = BASIS_BY_LABEL.get(raw_basis, raw_basis) if isinstance(raw_basis, str) else raw_basis
    try:
        vat = None if is_blank(row.get("vat")) else _number(row["vat"])
        if isinstance(vat, Decimal):
            vat = vat / 100
        start = 1 if is_blank(row.get("start")) else row["start"]
        end = start if is_blank(row.get("end")) else row["end"]
        label = "" if is_blank(row.get("label")) else str(row["label"])
        return CostLine.model_validate({
            "label": label or labels.CATEGORIES.get(str(category), "Ligne"), "category": category,
            "amount": _number(row["amount"]), "basis": basis, "vat_rate": vat,
            "start_month": start, "end_month": end})
    except ValidationError as exc:
        return _reasons(exc)
    except (ValueError, TypeError, ArithmeticError):
        return "valeur illisible"


def lines_from_rows(rows: list[Row]) -> tuple[list[CostLine], list[IncompleteRow]]:
    lines, incomplete = [], []
    for i, row in enumerate(rows, start=1):
        result = row_to_line(row)
        if isinstance(result, CostLine):
            lines.append(result)
        elif not all(is_blank(row.get(c)) for c in COLUMNS):
            incomplete.append(IncompleteRow(i, result))
        else:
            incomplete.append(IncompleteRow(i, "ligne vide"))
    return lines, incomplete


def apply_editor_delta(base_rows: list[Row], delta: dict[str, Any] | None,
                       columns: tuple[str, ...] | list[str] = tuple(COLUMNS)) -> list[Row]:
    """Apply a data editor's cumulative state ({edited_rows, added_rows, deleted_rows}, positions
    relative to ``base_rows``) and return the resulting rows (a new list)."""
    delta = delta or {}
    rows = [dict(r) for r in base_rows]
    for index, changes in (delta.get("edited_rows") or {}).items():
        i = int(index)
        if 0 <= i < len(rows):
            rows[i].update({k: v for k, v in changes.items() if k in columns})
    deleted = {int(i) for i in (delta.get("deleted_rows") or [])}
    rows = [r for i, r in enumerate(rows) if i not in deleted]
    for added in delta.get("added_rows") or []:
        row = {c: None for c in columns}
        row.update({k: v for k, v in added.items() if k in columns})
        rows.append(row)
    return rows


MONTH_RANGE = (1, MAX_MONTH)


MILESTONE_COLUMNS = ["label", "month", "impact"]
MILESTONE_LABELS = {"label": "Jalon", "month": "Mois", "impact": "Apporte un impact réel"}


def milestone_rows(milestones: Iterable[Milestone]) -> list[Row]:
    return [{"label": m.label, "month": m.month, "impact": m.impact} for m in milestones]


def milestones_from_rows(rows: list[Row]) -> tuple[list[Milestone], list[IncompleteRow]]:
    """(milestones, incomplete rows): a row needs a month; an empty label becomes « Jalon N »."""
    out: list[Milestone] = []
    incomplete: list[IncompleteRow] = []
    for i, row in enumerate(rows, start=1):
        if is_blank(row.get("month")):
            if not all(is_blank(row.get(c)) for c in ("label", "month")):
                incomplete.append(IncompleteRow(i, "à compléter : Mois"))
            continue
        label = "" if is_blank(row.get("label")) else str(row["label"])
        impact = row.get("impact")
        try:
            out.append(Milestone.model_validate({
                "label": label or f"Jalon {i}", "month": row["month"],
                "impact": False if is_blank(impact) else impact}))
        except ValidationError as exc:
            incomplete.append(IncompleteRow(i, french_message(exc.errors()[0])))
        except (ValueError, TypeError, ArithmeticError):
            incomplete.append(IncompleteRow(i, "valeur illisible"))
    return out, incomplete
