"""What every export format shares: the names of the sheets and columns, the neutralisation of
formula look-alikes (:func:`looks_like_formula`, :func:`neutralise`, :func:`xml_safe`), numbers
for CSV, dates in French, and the texts of the figures that several formats print (status, six-
month flag, savings, payback, impact indicators).

Pure functions; no Streamlit, no openpyxl, no fpdf.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal

from guichet.engine.checks import Severity
from guichet.engine.evaluate import Evaluation, ImpactResult
from guichet.engine.figures import label as figure_label
from guichet.engine.models import Scenario
from guichet.engine.rules import Rules, load_rules
from guichet.present import labels
from guichet.present.formatting import eur, month_label, number

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

LINES_SHEET = "Lignes de coût"
SUMMARY_SHEET = "Synthèse"
CHECKS_SHEET = "Contrôles"
CALENDAR_SHEET = "Calendrier"
INDICATORS_SHEET = "Indicateurs"

#: Columns of the lines sheet and of the CSV export (they re-import as cost lines).
LINE_COLUMNS = ("Libellé", "Catégorie", "Base", "Montant saisi", "Taux de TVA", "Montant HT",
                "Montant de TVA", "Montant TTC", "Assiette", "Mois de début", "Mois de fin")
IN_BASE = "Éligible"
OUT_OF_BASE = "Exclue"

DISCLAIMER = ("Simulation indicative établie à partir de la page publique du guichet : seule "
              "l’instruction du dossier par la DINUM fait foi.")


# --- formula look-alikes and characters XML cannot hold -------------------------------------------

def _invisible_or_space(ch: str) -> bool:
    """A character a spreadsheet skips, or a person does not see, before a formula: white space
    (spaces of every width, no-break spaces, tabs, line breaks) and the format characters
    (category Cf: zero-width space U+200B, joiners U+200C and U+200D, word joiner U+2060, byte
    order mark U+FEFF, soft hyphen, direction marks…)."""
    return ch.isspace() or unicodedata.category(ch) == "Cf"


def looks_like_formula(text: str) -> bool:
    """Whether a spreadsheet could read ``text`` as a formula: it starts with a tab or a carriage
    return, or — once the characters of :func:`_invisible_or_space` at its start are skipped and
    it is put in Unicode NFKC form, which turns the fullwidth and small forms ``＝ ＋ － ＠ ﹦ ﹢ ﹣
    ﹫`` (and the super- and subscript ``⁼ ⁺ ₌ ₊``) into ``= + - @`` — with ``=``, ``+``, ``-``
    or ``@``."""
    text = str(text)
    if text.startswith(FORMULA_TRIGGERS):
        return True
    i = 0
    while i < len(text) and _invisible_or_space(text[i]):
        i += 1
    # NFKC of the first visible characters is enough: a character's NFKC form depends only on it
    # and on the combining marks after it
    head = unicodedata.normalize("NFKC", text[i:i + 16])
    j = 0
    while j < len(head) and _invisible_or_space(head[j]):
        j += 1
    return head.startswith(FORMULA_TRIGGERS[:4], j)


def neutralise(text: str) -> str:
    """A CSV cell that no spreadsheet will run as a formula: text that :func:`looks_like_formula`
    gets a leading apostrophe; any other text is kept as typed."""
    text = str(text)
    return "'" + text if looks_like_formula(text) else text


#: Characters XML 1.0 cannot hold, so neither can an XLSX file (openpyxl raises
#: ``IllegalCharacterError`` for the control characters): C0 controls but tab, line feed and
#: carriage return; lone surrogates; U+FFFE and U+FFFF.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(text: str) -> str:
    """``text`` with each character XML cannot hold (:data:`_XML_ILLEGAL`) replaced by « � »
    (U+FFFD, the replacement character); any other text unchanged."""
    return _XML_ILLEGAL.sub("\ufffd", text)


# --- numbers for CSV ------------------------------------------------------------------------------

def csv_decimal(value: Decimal) -> str:
    """« 150000,00 »: decimal comma, no thousands separator (Excel-fr reads it as a number)."""
    return f"{Decimal(value):f}".replace(".", ",")


def csv_rate(rate: Decimal) -> str:
    """« 20 % », « 5,5 % »."""
    pct = (Decimal(rate) * 100).normalize()
    return f"{pct:f}".replace(".", ",") + " %"


# --- dates ----------------------------------------------------------------------------------------

def _now() -> dt.datetime:
    try:
        from zoneinfo import ZoneInfo
        return dt.datetime.now(ZoneInfo("Europe/Paris")).replace(tzinfo=None)
    except Exception:  # pragma: no cover - no time zone database
        return dt.datetime.now()


MONTHS_FR = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
             "octobre", "novembre", "décembre")


def french_date(d: dt.date) -> str:
    """« 4 janvier 2027 », « 1er mars 2027 »."""
    day = "1er" if d.day == 1 else str(d.day)
    return f"{day} {MONTHS_FR[d.month - 1]} {d.year}"


def french_datetime(d: dt.datetime) -> str:
    """« 29 novembre 2025 à 22 h 40 »."""
    return f"{french_date(d)} à {d.hour} h {d.minute:02d}"


def month_period(start: dt.date, month: int) -> str:
    """The calendar month of project month ``month`` (month 1 = the start date's month)."""
    index = start.month - 1 + month - 1
    return f"{MONTHS_FR[index % 12]} {start.year + index // 12}"


# --- texts of the figures -------------------------------------------------------------------------

def six_month_text(e: Evaluation, rules: Rules | None = None) -> str:
    horizon = int((rules or load_rules())["impact_horizon_months"].value)
    if e.first_impact_month is None:
        return "Non (aucun jalon n’apporte d’impact réel)"
    answer = "Oui" if e.six_month_impact else "Non"
    return (f"{answer} (premier jalon d’impact au mois {e.first_impact_month} ; horizon : "
            f"mois {horizon})")


def six_month_label(rules: Rules | None = None) -> str:
    """« Impact réel en moins de 6 mois », with the horizon of the rules file."""
    return figure_label("six_month_impact", rules)


def severity_word(severity: str) -> str:
    return labels.SEVERITIES[severity]


def operations_text(s: Scenario) -> list[str]:
    out = []
    if s.migration is not None:
        m = s.migration
        apps = f" ; applications : {', '.join(m.applications)}" if m.applications else ""
        out.append(f"Migration : {labels.ORIGINS[m.origin]} → {labels.TARGETS[m.target]}{apps}")
    if s.extension is not None:
        x = s.extension
        clouds = " et ".join(labels.CLOUDS[c] for c in x.clouds)
        services = f" ; services : {', '.join(x.services)}" if x.services else ""
        out.append(f"Extension des offres {clouds}{services} ; {x.third_party_commitments} "
                   "engagement(s) formalisé(s) de ministère tiers")
    return out or ["Aucune opération décrite"]


def applicant_text(s: Scenario) -> str:
    kind = labels.APPLICANT_KINDS[s.applicant.kind]
    return f"{s.applicant.name} ({kind})" if s.applicant.name else kind


SAVINGS_SOURCES = {
    "declared": "déclarées par le porteur",
    "derived": "déduites des coûts annuels de fonctionnement, actuel − visé",
    None: "non renseignées",
}


def savings_parts(e: Evaluation, s: Scenario) -> tuple[str, str]:
    """(« 42 000,00 € par an », « (déclarées par le porteur) »), or « non renseignées »."""
    if e.annual_savings_ttc is None:
        return SAVINGS_SOURCES[None], ""
    if e.annual_savings_source == "derived":  # (from both run costs)
        ind = s.indicators
        current, target = ind.current_annual_run_cost_ttc, ind.target_annual_run_cost_ttc
        assert current is not None and target is not None
        return (f"{eur(e.annual_savings_ttc)} par an",
                f"(coût annuel de fonctionnement : actuel {eur(current)} − visé {eur(target)})")
    return f"{eur(e.annual_savings_ttc)} par an", f"({SAVINGS_SOURCES[e.annual_savings_source]})"


def payback_parts(e: Evaluation) -> tuple[str, str]:
    """(« 36 mois », what it means), or (« — », why there is none)."""
    if e.payback_months == 0:
        return "0 mois", "(aucun reste à charge à couvrir)"
    if e.payback_months is not None:
        return (f"{e.payback_months} mois",
                f"d’économies pour couvrir le reste à charge ({eur(e.own_contribution_ttc)})")
    if e.annual_savings_ttc is None:
        return "—", "(économies non renseignées)"
    return "—", "(pas d’économies annuelles positives)"


def horizon_savings_label(e: Evaluation) -> str:
    return figure_label("five_year_savings_ttc")


def _count(value: int | None) -> str:
    return number(value) if value is not None else "non renseigné"


def _indicator_figures(e: Evaluation, s: Scenario) -> list[tuple[str, str, str, str]]:
    """(key, label, value, comment) of the mandatory indicators and of what follows from them
    (Markdown, PDF); the key is the explanation's."""
    return [
        ("annual_savings_ttc", figure_label("annual_savings_ttc"), *savings_parts(e, s)),
        ("payback_months", figure_label("payback_months"), *payback_parts(e)),
        ("five_year_savings_ttc", horizon_savings_label(e),
         eur(e.five_year_savings_ttc) if e.five_year_savings_ttc is not None else "—", ""),
        ("agents_trained", "Agents formés", _count(e.agents_trained), ""),
        ("agents_cloud_context", "Agents travaillant dans un contexte Cloud",
         _count(e.agents_cloud_context), ""),
    ]


def _num(value: Decimal | None) -> str:
    return "—" if value is None else number(value, decimals=6)


def impact_parts(r: ImpactResult) -> tuple[str, str]:
    """An impact indicator on one line: (« 1 → 8 déploiements par mois », « en M9 ; bande DORA :
    Élevée → Élite »): the baseline, the last target, and the DORA band of each."""
    unit = f" {r.unit}" if r.unit else ""
    base = _num(r.baseline) if r.baseline is not None else "mesure actuelle non renseignée"
    if r.targets:
        last = r.targets[-1]
        value = f"{base} → {_num(last.value)}{unit}"
        comment = f"en {month_label(last.month)}" if last.month else "(cible non datée)"
        if len(r.targets) > 1:
            comment += f" ({len(r.targets)} cibles datées)"
        if r.baseline_band or last.band:
            comment += f" ; bande\u00a0DORA\u00a0: {r.baseline_band or '—'} → {last.band or '—'}"
    else:
        value = f"{base}{unit if r.baseline is not None else ''}"
        comment = "; aucune cible"
        if r.baseline_band:
            comment += f" ; bande\u00a0DORA actuelle\u00a0: {r.baseline_band}"
    return value, comment


def _severity_counts(e: Evaluation) -> str:
    parts = []
    words: tuple[tuple[Severity, str, str], ...] = (
        ("blocking", "point bloquant", "points bloquants"), ("warning", "réserve", "réserves"),
        ("info", "information", "informations"))
    for sev, one, many in words:
        n = len(e.checks_of(sev))
        if n:
            parts.append(f"{n} {one if n == 1 else many}")
    return ", ".join(parts) if parts else "aucun contrôle à signaler"
