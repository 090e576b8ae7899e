"""The PDF dossier itself: page 1, the summary, which never breaks (each block has a bounded
height, and the lists stop where the page ends), then the annexes — the checks, the indicators,
the charts — each within its page budget. Importing this module imports fpdf (through
:mod:`guichet.io.exports.pdf_layout`).
"""

from __future__ import annotations

import io

from fpdf.enums import XPos, YPos

from guichet.engine.checks import Check, Severity
from guichet.engine.figures import label as figure_label
from guichet.io.exports.common import (CHECKS_SHEET, INDICATORS_SHEET, _indicator_figures,
                                       _severity_counts, applicant_text, french_date, impact_parts,
                                       operations_text, payback_parts, savings_parts, severity_word,
                                       six_month_label, six_month_text)
from guichet.io.exports.pdf import (ANNEX_TITLES, BLUE_FRANCE, BORDER_GREY, MENTION_GREY,
                                    SEVERITY_COLOURS, STATUS_COLOURS, TEXT_GREY, TITLE_GREY)
from guichet.io.exports.pdf_charts import (CHART_HEIGHTS, CHART_ORDER, CHART_TITLES,
                                           CHARTS_UNAVAILABLE, _png_size)
from guichet.io.exports.pdf_layout import PdfLayout
from guichet.present.formatting import eur, number, percent


class SummaryPdf(PdfLayout):
    """The whole dossier: :meth:`build` writes it."""

    def build(self) -> None:
        self.summary_page()
        self.checks_annex()
        self.indicators_annex()
        if "charts" in self.annexes:
            self.charts_annex()

    # --- page 1: the summary ---------------------------------------------------------------------

    def summary_page(self) -> None:
        """Everything on page 1, which never breaks: each block has a bounded height, and
        the lists stop where the page ends."""
        self.set_auto_page_break(False, margin=18)
        self.add_page()
        self.title_block()
        self.status_block()
        self.figures_block()
        note = self.annexes_note()
        self.use_font(7.5, "I", MENTION_GREY)
        note_h = self.height(note, self.epw, 3.6)
        limit = self.page_break_trigger - note_h - 2
        self.reasons_block(limit)
        self.summary_chart(limit)
        self.set_y(limit + 1)
        self.use_font(7.5, "I", MENTION_GREY)
        self.multi_cell(0, 3.6, note, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_auto_page_break(True, margin=18)

    def title_block(self) -> None:
        s, e = self.scn, self.ev
        self.use_font(16, "B", TITLE_GREY)
        self.multi_cell(0, 7.5, self.fit(s.name, self.epw, 7.5, 2),
                        new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1)
        self.use_font(9, "", TEXT_GREY)
        info = [(f"Demandeur : {applicant_text(s)}", 1),
                *((op, 2) for op in operations_text(s)),
                (f"Début du projet : {french_date(s.start_date)} — lecture : {e.reading_label}",
                 2)]
        for line, max_lines in info:
            self.multi_cell(0, 4.4, self.fit(line, self.epw, 4.4, max_lines),
                            new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(2.5)

    def status_block(self) -> None:
        e = self.ev
        colour, background = STATUS_COLOURS[e.status]
        x, y = self.l_margin, self.get_y()
        width = self.epw
        self.set_fill_color(*background)
        lines = [(f"Statut : {e.status_label}", 13, "B", colour),
                 (_severity_counts(e).capitalize() + ".", 9, "", TITLE_GREY),
                 (f"{six_month_label(self.rules)} : {six_month_text(e, self.rules)}.", 9, "",
                  TITLE_GREY)]
        height = 4 + 6.5 + 4.6 * 2 + 1
        self.rect(x, y, width, height, style="F")
        self.set_fill_color(*colour)
        self.rect(x, y, 1.6, height, style="F")
        self.set_xy(x + 5, y + 2)
        for text, size, style, col in lines:
            self.use_font(size, style, col)
            self.cell(width - 8, 6.5 if size > 10 else 4.6, self.tx(text),
                      new_x=XPos.LEFT, new_y=YPos.NEXT)
        self.set_y(y + height + 4)

    def figures_block(self) -> None:
        """« Chiffres clés »: four cards, then the other figures in a two-column table."""
        self.heading("Chiffres clés")
        self.key_cards()
        self.details_table()
        self.ln(3)

    def key_cards(self) -> None:
        """The total cost, the eligible base, the co-financing and the own contribution, each in
        a card; a figure too wide for its card is drawn smaller."""
        e = self.ev
        cards = [(figure_label("total_cost_ttc"), eur(e.total_cost_ttc)),
                 (figure_label("eligible_base_ttc"), eur(e.eligible_base_ttc)),
                 (f"{figure_label('cofinancing_ttc')} ({percent(e.requested_rate, 2)})",
                  eur(e.cofinancing_ttc)),
                 (figure_label("own_contribution_ttc"), eur(e.own_contribution_ttc))]
        gap = 3
        w = (self.epw - gap * 3) / 4
        y = self.get_y()
        for i, (label, value) in enumerate(cards):
            x = self.l_margin + i * (w + gap)
            self.set_fill_color(245, 245, 254)
            self.set_draw_color(202, 202, 251)
            self.rect(x, y, w, 17, style="DF")
            self.set_xy(x + 2.5, y + 2.2)
            self.use_font(self.fitted_size(self.tx(label), w - 5, 7.5, ""), "", TEXT_GREY)
            self.cell(w - 5, 4, self.tx(label))
            self.set_xy(x + 2.5, y + 8)
            value = self.tx(value)
            self.use_font(self.fitted_size(value, w - 5, 12), "B", BLUE_FRANCE)
            self.cell(w - 5, 6, value)
        self.set_y(y + 17 + 3)

    def details_table(self) -> None:
        """The other figures, two by line: excluded costs, project size, potential
        co-financing, training, savings, payback."""
        e, s = self.ev, self.scn
        savings, _ = savings_parts(e, s)
        payback, _ = payback_parts(e)
        details = [
            *((figure_label(k), eur(getattr(e, k))) for k in (
                "excluded_cost_ttc", "project_size_ttc", "potential_cofinancing_ttc",
                "training_cost_ttc")),
            (figure_label("annual_savings_ttc"), savings),
            (figure_label("payback_months"), payback),
        ]
        half = (self.epw - 6) / 2
        for i in range(0, len(details), 2):
            y = self.get_y()
            for j, (label, value) in enumerate(details[i:i + 2]):
                x = self.l_margin + j * (half + 6)
                value = self.tx(value)
                size = self.fitted_size(value, half - 48, 8.5)
                value_w = self.get_string_width(value) + 1
                self.set_xy(x, y)
                self.use_font(8.5, "", TEXT_GREY)
                self.cell(half - value_w, 5, self.tx(label))
                self.use_font(size, "B", TITLE_GREY)
                self.cell(value_w, 5, value, align="R")
            self.set_draw_color(*BORDER_GREY)
            self.line(self.l_margin, y + 5, self.l_margin + self.epw, y + 5)
            self.set_y(y + 5.6)

    def reasons_block(self, limit: float) -> None:
        """The blocking reasons, each with its advice, then the reserves and the
        information, as many as page 1 holds above ``limit``; the others are counted, with
        where to find them."""
        e = self.ev
        self.heading("Points bloquants")
        blocking = e.checks_of("blocking")
        if not blocking:
            self.use_font(9, "", TEXT_GREY)
            self.cell(0, 4.6, self.tx("Aucun point bloquant."), new_x=XPos.LMARGIN,
                      new_y=YPos.NEXT)
            self.ln(2)
        elif not self.summary_list(blocking, limit, "point(s) bloquant(s)", advice=True):
            return
        others: tuple[tuple[Severity, str, str], ...] = (
            ("warning", "Réserves", "réserve(s)"), ("info", "Informations", "information(s)"))
        for severity, title, more in others:
            checks = e.checks_of(severity)
            if not checks:
                continue
            if self.get_y() + 10.5 + 4.6 + 4.6 > limit:
                if self.get_y() + 4.6 <= limit:
                    self.more_line(f"{len(checks)} {more} : voir l’annexe "
                                   f"{self.annex_number('checks')}.")
                return
            self.heading(title)
            if not self.summary_list(checks, limit, more, advice=False):
                return

    def summary_list(self, checks: list[Check], limit: float, more: str, *,
                     advice: bool) -> bool:
        """The messages of ``checks`` (with their advice if ``advice``) above ``limit``;
        False when they did not all fit (the rest is counted)."""
        indent, more_h = 4, 4.6
        w = self.epw - indent
        for i, c in enumerate(checks):
            self.use_font(9, "B" if advice else "", TITLE_GREY)
            message = self.fit(c.message, w, 4.6, 3 if advice else 2)
            h = self.height(message, w, 4.6)
            self.use_font(8.5, "", TEXT_GREY)
            tip = self.fit(f"Conseil : {c.advice}", w, 4.2, 3) if advice and c.advice else ""
            h += self.height(tip, w, 4.2) + (1.6 if advice else 1)
            rest = len(checks) - i - 1
            if self.get_y() + h > limit - (more_h if rest else 0):
                self.more_line(f"… et {len(checks) - i} autre(s) {more} : voir l’annexe "
                               f"{self.annex_number('checks')}.")
                return False
            self.use_font(9, "B", SEVERITY_COLOURS[c.severity])
            self.set_x(self.l_margin)
            self.cell(indent, 4.6, "•")
            self.use_font(9, "B" if advice else "", TITLE_GREY)
            self.multi_cell(w, 4.6, message, new_x=XPos.LEFT, new_y=YPos.NEXT)
            if tip:
                self.use_font(8.5, "", TEXT_GREY)
                self.multi_cell(w, 4.2, tip, new_x=XPos.LEFT, new_y=YPos.NEXT)
            self.set_x(self.l_margin)
            self.ln(1.6 if advice else 1)
        self.ln(1)
        return True

    def summary_chart(self, limit: float) -> None:
        """The funding chart at the foot of page 1, when it holds there whole."""
        png = self.images.get("funding")
        if png is None:
            return
        w, h = self.chart_size("funding", png)
        if self.get_y() + 2 + h > limit:
            return
        self.ln(2)
        self.draw_chart("funding", png, w, h)
        self.on_summary.add("funding")

    def annexes_note(self) -> str:
        parts = [f"{self.annex_number(k)} — {ANNEX_TITLES[k]}" for k in self.annexes]
        n = len(self.ev.lines)
        return self.tx(
            f"Annexes : {' ; '.join(parts)}. {number(n)} ligne{'s' if n > 1 else ''} de "
            "coût : le détail ligne par ligne (HT, TVA, TTC), les formules des totaux et du "
            "retour sur investissement, le calendrier mensuel et chaque cible datée des "
            "indicateurs sont dans le classeur XLSX du même scénario.")

    # --- annex 1: the checks ---------------------------------------------------------------------

    def checks_annex(self) -> None:
        e = self.ev
        self.start_annex("checks")
        if not e.checks:
            self.use_font(9, "", TEXT_GREY)
            self.multi_cell(0, 4.6, self.tx("Aucun contrôle à signaler."),
                            new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            self.ln(2)
            return
        for i, c in enumerate(e.checks):
            if not self.check_item(c, last=i == len(e.checks) - 1):
                self.more_line(f"… et {len(e.checks) - i} autre(s) contrôle(s), voir le "
                               f"classeur XLSX (feuille « {CHECKS_SHEET} »).")
                break
        self.ln(1)

    def check_item(self, c: Check, last: bool) -> bool:
        indent = 22
        w = self.epw - indent
        self.use_font(9, "B", TITLE_GREY)
        message = self.fit(c.message, w, 4.6, 4)
        h = self.height(message, w, 4.6)
        self.use_font(8.5, "", TEXT_GREY)
        advice = self.fit(f"Conseil : {c.advice}", w, 4.2, 4) if c.advice else ""
        h += self.height(advice, w, 4.2)
        mark = " (hypothèse du simulateur)" if c.assumption else ""
        self.use_font(7.5, "I", MENTION_GREY)
        source = self.fit(f"Source{mark} : « {c.source} »", w, 3.7, 4)
        h += self.height(source, w, 3.7) + 1.6
        if not self.room(h, 0 if last else 5):
            return False
        y = self.get_y()
        self.use_font(8, "B", SEVERITY_COLOURS[c.severity])
        self.set_xy(self.l_margin, y)
        self.cell(indent - 2, 4.6, self.tx(severity_word(c.severity)))
        self.set_xy(self.l_margin + indent, y)
        self.use_font(9, "B", TITLE_GREY)
        self.multi_cell(w, 4.6, message, new_x=XPos.LEFT, new_y=YPos.NEXT)
        if advice:
            self.use_font(8.5, "", TEXT_GREY)
            self.multi_cell(w, 4.2, advice, new_x=XPos.LEFT, new_y=YPos.NEXT)
        self.use_font(7.5, "I", MENTION_GREY)
        self.multi_cell(w, 3.7, source, new_x=XPos.LEFT, new_y=YPos.NEXT)
        self.set_x(self.l_margin)
        self.ln(1.6)
        return True

    # --- annex 2: the indicators -----------------------------------------------------------------

    def indicators_annex(self) -> None:
        """One line each: savings, payback, savings over the horizon, agents, and each
        impact indicator (baseline → last target, DORA bands)."""
        self.start_annex("indicators")
        items = self.indicator_items()
        for i, (label, value, comment) in enumerate(items):
            if not self.indicator_row(label, value, comment, last=i == len(items) - 1):
                self.more_line(f"… et {len(items) - i} autre(s) indicateur(s), voir le "
                               f"classeur XLSX (feuille « {INDICATORS_SHEET} »).")
                break
        self.ln(3)

    def indicator_items(self) -> list[tuple[str, str, str]]:
        """(label, value, comment) of each line of the annex."""
        e = self.ev
        items = [(label, value, comment) for key, label, value, comment
                 in _indicator_figures(e, self.scn) if not key.startswith("agents_")]
        trained = (f"{number(e.agents_trained)} formé{'s' if e.agents_trained > 1 else ''}"
                   if e.agents_trained is not None else "formés\u00a0: non renseigné")
        cloud = (f"{number(e.agents_cloud_context)} travaillant dans un contexte Cloud"
                 if e.agents_cloud_context is not None
                 else "dans un contexte Cloud\u00a0: non renseigné")
        items.append(("Agents", trained, f"; {cloud}"))
        for r in e.impact_indicators:
            items.append((r.name, *impact_parts(r)))
        if not e.impact_indicators:
            items.append(("Indicateurs d’impact", "aucun", "indicateur d’impact saisi"))
        return items

    def indicator_row(self, label: str, value: str, comment: str, *, last: bool) -> bool:
        """One line of the annex: the label (at most three lines), then the value in bold and
        its comment after it, wrapping under the value column; False when it does not fit in
        the annex's pages (keeping room for the « … et N autres » line unless ``last``)."""
        label_w, h = 64, 4.4
        left = self.l_margin
        value_w = self.epw - label_w
        self.use_font(8.5, "", TEXT_GREY)
        label = self.fit(label, label_w - 3, h, 3)
        label_h = self.height(label, label_w - 3, h)
        self.use_font(8.5, "B", TITLE_GREY)  # bold is the wider: an upper bound
        value, comment = self.tx(value), self.tx(comment)
        if len(self.lines_of(f"{value} {comment}".strip(), value_w, h)) > 3:
            value = self.fit(value, value_w, h, 2)
            comment = self.fit(comment, value_w, h, 1)
        value_h = self.height(f"{value} {comment}".strip(), value_w, h)
        if not self.room(max(label_h, value_h) + 1, 0 if last else 5):
            return False
        y = self.get_y()
        self.set_xy(left, y)
        self.use_font(8.5, "", TEXT_GREY)
        self.multi_cell(label_w - 3, h, label, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        label_bottom = self.get_y()
        self.set_left_margin(left + label_w)
        self.set_xy(left + label_w, y)
        self.use_font(8.5, "B", TITLE_GREY)
        self.write(h, value)
        if comment:
            self.use_font(8.5, "", TEXT_GREY)
            self.write(h, " " + comment)
        self.ln(h)
        self.set_left_margin(left)
        bottom = max(self.get_y(), label_bottom)
        self.set_draw_color(*BORDER_GREY)
        self.line(left, bottom + 0.3, left + self.epw, bottom + 0.3)
        self.set_xy(left, bottom + 0.9)
        return True

    # --- annex 3: the charts ---------------------------------------------------------------------

    def chart_size(self, key: str, png: bytes) -> tuple[float, float]:
        w_px, h_px = _png_size(png)
        w = self.epw
        h = w * h_px / w_px
        if h > CHART_HEIGHTS[key]:
            h = CHART_HEIGHTS[key]
            w = h * w_px / h_px
        return w, h

    def draw_chart(self, key: str, png: bytes, w: float, h: float) -> None:
        x = self.l_margin + (self.epw - w) / 2
        self.image(io.BytesIO(png), x=x, y=self.get_y(), w=w, h=h,
                   alt_text=self.tx(CHART_TITLES[key]))
        self.set_y(self.get_y() + h + 3)

    def charts_annex(self) -> None:
        """The charts not on page 1, in :data:`CHART_ORDER`; a chart may be drawn up to 25 %
        smaller rather than go to a new page. Then what was left out, and why."""
        self.start_annex("charts", min_room=70)
        if self.failed and not self.images:
            self.more_line(CHARTS_UNAVAILABLE)
            return
        no_room: list[str] = []
        for k in CHART_ORDER:
            if k not in self.images or k in self.on_summary:
                continue
            png = self.images[k]
            w, h = self.chart_size(k, png)
            room = self.page_break_trigger - self.get_y()
            if h > room and room < 0.75 * h:  # (a little smaller rather than a new page)
                if self.page < self.annex_last and self.fresh_room() >= 0.75 * h:
                    self.add_page()
                    room = self.page_break_trigger - self.get_y()
                else:
                    no_room.append(k)
                    continue
            if h > room:
                w, h = w * room / h, room
            self.draw_chart(k, png, w, h)
        notes: list[str] = []
        if self.on_summary:
            notes.append("Le graphique du financement est en page 1.")
        if self.failed:
            notes.append("Graphiques non disponibles (leur rendu a échoué) : "
                         + ", ".join(CHART_TITLES[k] for k in self.failed) + ".")
        left_out = [k for k in CHART_ORDER if k in no_room or k in self.too_big]
        if left_out:
            notes.append("Graphiques non repris faute de place : "
                         + ", ".join(CHART_TITLES[k] for k in left_out) + ".")
        for note in notes:
            self.use_font(8.5, "I", MENTION_GREY)
            if self.room(self.height(self.tx(note), self.epw, 4.4)):
                self.more_line(note)
