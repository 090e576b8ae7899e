"""The page furniture of the PDF and its text helpers: a subclass of ``fpdf.FPDF`` with the
fonts, the header band and the footer of every page, text the font can draw (:meth:`tx`), text
cut to a number of lines (:meth:`fit`), the annexes' headings and their page budget
(:meth:`room`). Importing this module imports fpdf: :mod:`guichet.io.exports.pdf` does it only when
a PDF is written.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from pathlib import Path
from typing import Any

from fpdf import FPDF
from fpdf.enums import WrapMode, XPos, YPos

from guichet.engine.evaluate import Evaluation
from guichet.engine.models import Scenario
from guichet.engine.rules import load_rules
from guichet.io.exports.common import DISCLAIMER, french_date, french_datetime
from guichet.io.exports.pdf import (ANNEX_PAGES, ANNEX_TITLES, BLUE_FRANCE, BORDER_GREY,
                                    MENTION_GREY, TEXT_GREY, Colour)

#: Characters replaced when the font lacks them (the last resort is « ? »).
_FALLBACK_CHARS = {"\u202f": "\u00a0", "\u2009": " ", "\u2212": "-", "’": "'", "‘": "'",
                   "…": "...", "≤": "<=", "≥": ">=", "→": "->", "—": "-", "–": "-", "€": "EUR",
                   "œ": "oe", "Œ": "OE", "«": '"', "»": '"'}

#: Separators drawn as a space in the PDF (a line feed is a line break).
_PDF_SPACES = dict.fromkeys(map(ord, "\t\r\v\f\x85\u2028\u2029"), " ")

_LONG_WORD = re.compile(r"[^\s]{36}")


def _wrapmode(text: str) -> WrapMode:
    """Lines broken between words, or anywhere in a text with a « word » too long for a line
    (Chinese or Japanese, which has no spaces; a pasted identifier)."""
    return WrapMode.CHAR if _LONG_WORD.search(str(text)) else WrapMode.WORD


def _printable(text: str) -> str:
    """Text for the PDF's properties (title): control characters and lone surrogates as « ? »."""
    return "".join("?" if unicodedata.category(ch) in ("Cc", "Cs") else ch for ch in text)


def _cp1252(ch: str) -> bool:
    try:
        ch.encode("cp1252")
        return True
    except UnicodeEncodeError:
        return False


def _cmap(path: Path) -> set[int] | None:
    try:
        from fontTools.ttLib import TTFont
        with TTFont(str(path), lazy=True) as f:
            return set(f.getBestCmap())
    except Exception:  # pragma: no cover - fontTools comes with fpdf2
        return None


class PdfLayout(FPDF):
    """An A4 page in millimetres, with the header band, the footer, the fonts and the annexes'
    page budget. ``images`` are the PNG of the charts to draw, ``failed`` the charts whose
    rendering failed, ``too_big`` the charts left out for the byte cap; ``chart_annex`` says
    whether there is an annex of charts."""

    def __init__(self, scenario: Scenario, evaluation: Evaluation, when: dt.datetime,
                 font: tuple[Path, Path, Path] | None, images: dict[str, bytes],
                 failed: list[str], too_big: list[str], chart_annex: bool) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.scn, self.ev, self.when, self.images = scenario, evaluation, when, images
        self.failed, self.too_big = failed, too_big
        self.rules = load_rules()
        self.annexes = [k for k in ("checks", "indicators", "charts")
                        if k != "charts" or chart_annex]
        self.annex: tuple[int, str] | None = None  # the annex being written
        self.on_summary: set[str] = set()  # charts drawn on page 1
        self.annex_first = self.annex_last = 0  # its pages
        self.set_margins(15, 16, 15)
        self.set_auto_page_break(True, margin=18)
        self.set_title(_printable(f"Synthèse — {scenario.name}"))
        self.set_author("Simulateur du guichet « Adoption du Cloud de confiance »")
        self.set_lang("fr-FR")
        self._family: str
        self._glyphs: set[int] | None
        if font:
            regular, bold, italic = font
            self.add_font("Sans", "", str(regular))
            self.add_font("Sans", "B", str(bold))
            self.add_font("Sans", "I", str(italic))
            self._family = "Sans"
            self._glyphs = _cmap(regular)
        else:
            self._family = "helvetica"
            self.core_fonts_encoding = "windows-1252"
            self._glyphs = None
        self.alias_nb_pages("{nb}")

    def multi_cell(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("align", "L")  # ragged right: justified French text gets holes
        text = args[2] if len(args) > 2 else kwargs.get("text", "")
        kwargs.setdefault("wrapmode", _wrapmode(text))
        return super().multi_cell(*args, **kwargs)

    def write(self, h: float | None = None, text: str = "", *args: Any, **kwargs: Any) -> bool:
        kwargs.setdefault("wrapmode", _wrapmode(text))
        return super().write(h, text, *args, **kwargs)

    # --- text -----------------------------------------------------------------------------------

    def tx(self, text: str) -> str:
        """Text that the font can draw: any other character (a control character, a glyph
        the font lacks) is replaced."""
        text = str(text).translate(_PDF_SPACES)
        if self._glyphs is None:
            return "".join(ch if _cp1252(ch) and (ch >= " " or ch == "\n") else
                           _FALLBACK_CHARS.get(ch, "?") for ch in text)
        return "".join(ch if (ord(ch) in self._glyphs and ch >= " ") or ch == "\n"
                       else _FALLBACK_CHARS.get(ch, "?") for ch in text)

    def lines_of(self, text: str, w: float, h: float) -> list[str]:
        lines: list[str] = self.multi_cell(w, h, text, dry_run=True, output="LINES")
        return lines

    def fit(self, text: str, w: float, h: float, max_lines: int) -> str:
        """``text`` (through :meth:`tx`) in at most ``max_lines`` lines of width ``w`` in the
        current font, cut with « … » if it is longer."""
        text = self.tx(text)
        cap = 250 * max_lines  # no line of a width we use holds more characters
        cut = len(text) > cap
        text = text[:cap]
        lines = self.lines_of(text, w, h)
        if len(lines) <= max_lines and not cut:
            return text
        n = min(len(text), sum(len(line) + 1 for line in lines[:max_lines]))
        while n > 0 and len(self.lines_of(text[:n].rstrip() + "…", w, h)) > max_lines:
            n -= max(1, n // 40)
        return text[:n].rstrip() + "…"

    def height(self, text: str, w: float, h: float) -> float:
        return len(self.lines_of(text, w, h)) * h if text else 0.0

    def use_font(self, size: float, style: str = "", colour: Colour = TEXT_GREY) -> None:
        self.set_font(self._family, style, size)
        self.set_text_color(*colour)

    def fitted_size(self, text: str, w: float, size: float, style: str = "B") -> float:
        """The largest font size up to ``size`` at which ``text`` holds on one line of
        width ``w`` (figures of a thousand billion euros stay in their box)."""
        while size > 5:
            self.set_font(self._family, style, size)
            if self.get_string_width(text) <= w:
                break
            size -= 0.5
        return size

    # --- page furniture -------------------------------------------------------------------------

    def header(self) -> None:
        self.set_fill_color(*BLUE_FRANCE)
        self.rect(0, 0, 210, 9, style="F")
        self.set_xy(15, 2)
        self.use_font(8, "B", (255, 255, 255))
        self.cell(0, 5, self.tx(f"Simulation — {self.rules.title} (DINUM, FTAP)"))
        self.set_y(14)
        if self.annex and self.page > self.annex_first:
            number, title = self.annex
            self.use_font(9, "B", BLUE_FRANCE)
            self.cell(0, 5, self.tx(f"Annexe {number} — {title} (suite)"),
                      new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            self.ln(2)

    def footer(self) -> None:
        self.set_y(-14)
        self.set_draw_color(*BORDER_GREY)
        self.line(15, self.get_y(), 195, self.get_y())
        self.use_font(7, "", MENTION_GREY)
        self.set_y(-13)
        self.multi_cell(
            150, 3.4,
            self.tx(f"Règles {self.ev.rules_version} — page DINUM du "
                    f"{french_date(self.rules.source_date)} — exporté le "
                    f"{french_datetime(self.when)}. {DISCLAIMER}"),
            new_x=XPos.RIGHT, new_y=YPos.TOP)
        self.set_xy(165, -13)
        self.cell(30, 3.4, self.tx(f"Page {self.page_no()}/{{nb}}"), align="R")

    def heading(self, title: str) -> None:
        self.use_font(11.5, "B", BLUE_FRANCE)
        self.cell(0, 6.5, self.tx(title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_draw_color(*BLUE_FRANCE)
        self.line(self.l_margin, self.get_y(), self.l_margin + 24, self.get_y())
        self.ln(2)

    def annex_number(self, key: str) -> int:
        return self.annexes.index(key) + 1

    def start_annex(self, key: str, min_room: float = 40) -> None:
        """The heading « Annexe n — … », on a new page unless this one (not the summary)
        has ``min_room`` mm left; the annex may then use ANNEX_PAGES[key] pages."""
        self.annex = None
        if self.page == 1 or self.get_y() + 14 + min_room > self.page_break_trigger:
            self.add_page()
        self.annex = (self.annex_number(key), ANNEX_TITLES[key])
        self.annex_first = self.page
        self.annex_last = self.page + ANNEX_PAGES[key] - 1
        self.ln(1)
        self.use_font(13, "B", BLUE_FRANCE)
        self.cell(0, 7, self.tx(f"Annexe {self.annex[0]} — {self.annex[1]}"),
                  new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_draw_color(*BLUE_FRANCE)
        self.line(self.l_margin, self.get_y(), self.l_margin + 40, self.get_y())
        self.ln(3)

    def room(self, h: float, reserve: float = 0.0) -> bool:
        """Whether a block ``h`` mm high can be written in the current annex: here, or at
        the top of a next page within the annex's pages (added then)."""
        if self.get_y() + h <= self.page_break_trigger - reserve:
            return True
        if self.page < self.annex_last and h <= self.fresh_room() - reserve:
            self.add_page()
            return True
        return False

    def fresh_room(self) -> float:
        """The height a next page of the annex has (under the header and its « (suite) »)."""
        return self.page_break_trigger - 21

    def more_line(self, text: str) -> None:
        self.use_font(8.5, "I", MENTION_GREY)
        self.multi_cell(0, 4.4, self.tx(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
