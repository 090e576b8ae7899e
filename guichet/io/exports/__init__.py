"""Export the dossier: XLSX workbook, CSV of cost lines, Markdown summary, printable PDF.

The same functions are behind the app's download buttons and ``python -m guichet export``;
:func:`export` gives any of them by name. The modules, by role:

- :mod:`guichet.io.exports.common` — what the formats share: the neutralisation of formula
  look-alikes (:func:`looks_like_formula`, :func:`neutralise`, :func:`xml_safe`), dates in
  French, the texts of the figures.
- :mod:`guichet.io.exports.text` — :func:`export_csv` (the cost lines, ``;`` separator, UTF-8 with
  BOM, decimal comma) and :func:`export_markdown` (the summary, indicators included).
- :mod:`guichet.io.exports.xlsx` — :func:`export_xlsx`: sheets « Synthèse » (figures as Excel
  formulas next to the simulator's values, :mod:`guichet.io.exports.xlsx_summary`), « Lignes de
  coût », « Contrôles », « Calendrier », « Indicateurs »; the cell writer is
  :mod:`guichet.io.exports.xlsx_sheet`.
- :mod:`guichet.io.exports.pdf` — :func:`export_pdf`: an A4 dossier, a one-page summary then the
  annexes (checks, indicators, charts), at most :data:`PDF_MAX_PAGES` pages and
  :data:`PDF_MAX_BYTES` bytes; drawn by :mod:`guichet.io.exports.pdf_document` on
  :mod:`guichet.io.exports.pdf_layout`, with the charts of :mod:`guichet.io.exports.pdf_charts`.

Text the user typed is data, never a formula (CSV/formula injection): a text that
:func:`looks_like_formula` — after its leading spaces and zero-width characters, in NFKC form,
it starts with ``=``, ``+``, ``-`` or ``@``, or it starts with a tab or a carriage return — is
prefixed with an apostrophe in CSV; in XLSX every text is written as a text cell (``data_type
's'``), never as a formula, and such a text also gets Excel's « quote prefix ». XLSX text cells
go through :func:`xml_safe` (characters XML cannot hold become « � »). In Markdown, user text
goes through :func:`guichet.io.exports.text._md`.

openpyxl and fpdf are imported only when a workbook or a PDF is written: importing this package
imports neither. Pure functions; no Streamlit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from guichet.engine.evaluate import Evaluation
from guichet.engine.models import Scenario
from guichet.io.exports.common import (CALENDAR_SHEET, CHECKS_SHEET, DISCLAIMER, FORMULA_TRIGGERS,
                                       IN_BASE, INDICATORS_SHEET, LINE_COLUMNS, LINES_SHEET,
                                       MONTHS_FR, OUT_OF_BASE, SAVINGS_SOURCES, SUMMARY_SHEET,
                                       applicant_text, csv_decimal, csv_rate, french_date,
                                       french_datetime, horizon_savings_label, impact_parts,
                                       looks_like_formula, month_period, neutralise,
                                       operations_text, payback_parts, savings_parts, severity_word,
                                       six_month_label, six_month_text, xml_safe)
from guichet.io.exports.pdf import (ANNEX_PAGES, ANNEX_TITLES, BLUE_FRANCE, BORDER_GREY, FONT_DIRS,
                                    FONT_FILES, MENTION_GREY, PDF_MAX_BYTES, PDF_MAX_PAGES,
                                    SEVERITY_COLOURS, STATUS_COLOURS, TEXT_GREY, TITLE_GREY,
                                    export_pdf, find_font)
from guichet.io.exports.pdf_charts import (CHART_HEIGHTS, CHART_ORDER, CHART_TITLES,
                                           CHARTS_UNAVAILABLE, ChartRenderError, chart_spec,
                                           render_chart_png)
from guichet.io.exports.pdf_charts import _png_size as _png_size
from guichet.io.exports.text import KEY_FIGURES, MARKDOWN_MAX_LINES, export_csv, export_markdown
from guichet.io.exports.text import _md as _md
from guichet.io.exports.xlsx import export_xlsx
from guichet.io.exports.xlsx_sheet import (INT_FORMAT, LABEL_CHARS_PER_LINE, LABEL_WIDTH,
                                           MONEY_FORMAT, MONTHS_FORMAT, YEARS_FORMAT)
from guichet.io.exports.xlsx_sheet import _cap as _cap
from guichet.present import labels
from guichet.present.formatting import eur, slug

__all__ = [
    "ANNEX_PAGES", "ANNEX_TITLES", "BLUE_FRANCE", "BORDER_GREY", "CALENDAR_SHEET",
    "CHARTS_UNAVAILABLE", "CHART_HEIGHTS", "CHART_ORDER", "CHART_TITLES", "CHECKS_SHEET",
    "ChartRenderError", "DISCLAIMER", "FONT_DIRS", "FONT_FILES", "FORMATS", "FORMULA_TRIGGERS",
    "INDICATORS_SHEET", "INT_FORMAT", "IN_BASE", "KEY_FIGURES", "LABEL_CHARS_PER_LINE",
    "LABEL_WIDTH", "LINES_SHEET", "LINE_COLUMNS", "MARKDOWN_MAX_LINES", "MEDIA_TYPES",
    "MENTION_GREY", "MONEY_FORMAT", "MONTHS_FORMAT", "MONTHS_FR", "OUT_OF_BASE", "PDF_MAX_BYTES",
    "PDF_MAX_PAGES", "SAVINGS_SOURCES", "SEVERITY_COLOURS", "STATUS_COLOURS", "SUMMARY_SHEET",
    "TEXT_GREY", "TITLE_GREY", "YEARS_FORMAT", "applicant_text", "chart_spec", "csv_decimal",
    "csv_rate", "eur", "export", "export_csv", "export_filename", "export_markdown", "export_pdf",
    "export_xlsx", "find_font", "french_date", "french_datetime", "horizon_savings_label",
    "impact_parts", "labels", "looks_like_formula", "month_period", "neutralise",
    "operations_text", "payback_parts", "render_chart_png", "savings_parts", "severity_word",
    "six_month_label", "six_month_text", "xml_safe",
]

# --- one entry point ------------------------------------------------------------------------------

FORMATS: dict[str, Callable[..., bytes | str]] = {
    "xlsx": export_xlsx, "pdf": export_pdf, "csv": export_csv, "md": export_markdown}
MEDIA_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
    "csv": "text/csv",
    "md": "text/markdown",
}


def export(scenario: Scenario, evaluation: Evaluation, fmt: str, *,
           exported_at: dt.datetime | None = None) -> bytes:
    """The dossier in ``fmt`` (xlsx, pdf, csv, md) as bytes (Markdown in UTF-8)."""
    if fmt == "csv":
        return export_csv(scenario, evaluation)
    if fmt == "md":
        return export_markdown(scenario, evaluation,
                               exported_at=exported_at).encode("utf-8", errors="replace")
    if fmt == "xlsx":
        return export_xlsx(scenario, evaluation, exported_at=exported_at)
    if fmt == "pdf":
        return export_pdf(scenario, evaluation, exported_at=exported_at)
    raise ValueError(f"format d’export inconnu : {fmt!r} ; formats possibles : "
                     f"{', '.join(FORMATS)}")


def export_filename(scenario: Scenario, fmt: str) -> str:
    """« synthese-migration-de-l-application-….xlsx »: a safe file name for a download."""
    name = slug(scenario.name)[:60].strip("-") or "scenario"
    return f"synthese-{name}.{fmt}"
