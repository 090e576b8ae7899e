"""The dossier as a printable A4 PDF (fpdf2, imported only when a PDF is written).

Page 1, always one page, is the summary (status in words, key figures, six-month flag, the
blocking reasons, then the reserves and information as room allows); then « Annexe 1 —
Contrôles » (advice and sources), « Annexe 2 — Indicateurs » and « Annexe 3 — Graphiques » (the
charts of :mod:`guichet.present.charts`, rendered by vl-convert in a child process,
:mod:`guichet.io.exports.pdf_charts`). At most :data:`PDF_MAX_PAGES` pages and :data:`PDF_MAX_BYTES`
bytes, whatever the scenario.

This module holds the entry point and the settings (fonts, colours, bounds); the document is
drawn by :class:`guichet.io.exports.pdf_document.SummaryPdf`, on the page furniture and text helpers
of :class:`guichet.io.exports.pdf_layout.PdfLayout`.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from guichet.engine.evaluate import Evaluation
from guichet.engine.models import Scenario
from guichet.io.exports.common import _now
from guichet.io.exports.pdf_charts import CHART_ORDER, _chart_images, _Charts

FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/truetype/liberation"),
             Path("/usr/share/fonts/dejavu"), Path("/usr/share/fonts/TTF"))
FONT_FILES = (("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSans-Oblique.ttf"),
              ("LiberationSans-Regular.ttf", "LiberationSans-Bold.ttf",
               "LiberationSans-Italic.ttf"))

#: A colour, red, green and blue from 0 to 255.
Colour = tuple[int, int, int]

# DSFR colours
BLUE_FRANCE: Colour = (0, 0, 145)
TITLE_GREY: Colour = (22, 22, 22)
TEXT_GREY: Colour = (58, 58, 58)
MENTION_GREY: Colour = (102, 102, 102)
BORDER_GREY: Colour = (229, 229, 229)
STATUS_COLOURS: dict[str, tuple[Colour, Colour]] = {  # (text-safe colour, background)
    "eligible": ((24, 117, 60), (184, 254, 201)),
    "eligible_with_reservations": ((179, 64, 0), (255, 233, 230)),
    "ineligible": ((206, 5, 0), (255, 233, 233)),
}
SEVERITY_COLOURS: dict[str, Colour] = {"blocking": (206, 5, 0), "warning": (179, 64, 0),
                                       "info": (0, 99, 203)}


def find_font() -> tuple[Path, Path, Path] | None:
    """(regular, bold, italic) TTF files of a Unicode font on this system, or None."""
    for directory in FONT_DIRS:
        for names in FONT_FILES:
            paths = tuple(directory / n for n in names)
            if all(p.is_file() for p in paths):
                return paths  # type: ignore[return-value]
    return None


#: The PDF's bounds, whatever the scenario. Page 1 is the summary, alone on its page and never
#: longer; each annex then uses at most this many pages, counting the page it starts on (a long
#: list is cut with « … et N autres, voir le classeur XLSX »).
ANNEX_PAGES = {"checks": 2, "indicators": 2, "charts": 2}
#: At most this many pages in all.
PDF_MAX_PAGES = 1 + sum(ANNEX_PAGES.values())
#: At most this many bytes: above, charts are left out, the last one first, until it fits.
PDF_MAX_BYTES = 3 * 1024 * 1024
ANNEX_TITLES = {"checks": "Contrôles", "indicators": "Indicateurs", "charts": "Graphiques"}


def export_pdf(scenario: Scenario, evaluation: Evaluation, *,
               exported_at: dt.datetime | None = None, charts: bool = True) -> bytes:
    """A printable A4 dossier in French. Page 1, always one page, is the summary: status in
    words, key figures, six-month flag, the blocking reasons (and the reserves). Then the
    annexes: 1 — the checks with advice and source, 2 — the indicators, 3 — the charts
    (``charts=False`` leaves them out). At most :data:`PDF_MAX_PAGES` pages and
    :data:`PDF_MAX_BYTES` bytes, whatever the scenario."""
    from guichet.io.exports.pdf_document import SummaryPdf  # (imports fpdf)

    rendered = _chart_images(scenario, evaluation) if charts else _Charts({}, [])
    when = exported_at or _now()
    font = find_font()
    keys = [k for k in CHART_ORDER if k in rendered.images]
    too_big: list[str] = []
    while True:
        pdf = SummaryPdf(scenario, evaluation, when, font,
                         {k: rendered.images[k] for k in keys}, rendered.failed, too_big,
                         charts and bool(rendered.images or rendered.failed))
        pdf.build()
        data = bytes(pdf.output())
        if (len(data) <= PDF_MAX_BYTES and pdf.pages_count <= PDF_MAX_PAGES) or not keys:
            return data
        too_big.insert(0, keys.pop())  # the last chart first: the payback chart
