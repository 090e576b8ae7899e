"""The CSV and XLSX templates offered for download, with two example rows that import back as
:data:`TEMPLATE_EXAMPLES`."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import TYPE_CHECKING

from guichet.engine.models import CostLine, default_vat_rate
from guichet.engine.rules import load_rules
from guichet.present import labels
from guichet.present.formatting import percent

if TYPE_CHECKING:
    from openpyxl import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

#: Headers of the templates (and of the CSV export), in order.
TEMPLATE_HEADERS = ("Libellé", "Catégorie", "Montant", "Base (HT/TTC)", "Taux de TVA",
                    "Mois de début", "Mois de fin")

#: The two example rows of the templates, as the import reads them back.
TEMPLATE_EXAMPLES = (
    CostLine(label="Prestation de migration vers le Cloud de confiance",
             category="external_services", amount=Decimal("84000.00"), basis="ht",
             vat_rate=Decimal("0.2"), start_month=1, end_month=6),
    CostLine(label="Formation des agents aux pratiques Cloud", category="training",
             amount=Decimal("12500.50"), basis="ttc", vat_rate=None, start_month=2, end_month=4),
)


def _template_rows() -> list[list[str]]:
    from guichet.io.exports import csv_decimal, csv_rate
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

    wb = Workbook()
    ws = wb.active
    _fill_lines_sheet(ws)
    _add_help_sheet(wb)
    _add_drop_downs(ws)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _fill_lines_sheet(ws: Worksheet) -> None:
    """« Lignes de coût »: the headers, the example rows, formats and column widths."""
    from openpyxl.styles import Alignment, Font, PatternFill

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
    for col, width in zip("ABCDEFG", (52, 34, 16, 14, 13, 14, 12), strict=True):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "A2"


def _add_help_sheet(wb: Workbook) -> None:
    """« Aide »: the categories (the drop-down list's source) and a few notes."""
    from openpyxl.styles import Font

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


def _add_drop_downs(ws: Worksheet) -> None:
    """Drop-down lists for the category (from the sheet « Aide ») and the basis."""
    from openpyxl.worksheet.datavalidation import DataValidation

    n_cat = len(labels.CATEGORIES)
    categories = DataValidation(type="list", formula1=f"'Aide'!$A$2:$A${1 + n_cat}",
                                allow_blank=True, showErrorMessage=False)
    bases = DataValidation(type="list", formula1='"HT,TTC"', allow_blank=True)
    ws.add_data_validation(categories)
    ws.add_data_validation(bases)
    categories.add("B2:B1000")
    bases.add("D2:D1000")
