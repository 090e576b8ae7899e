"""Fuzzing the import: whatever the bytes, `import_cost_lines` returns a preview whose lines are
valid cost lines, or raises ImportFileError with one French message; never anything else, and
never the safety net's message (which would mean a failure no check foresaw).

Derandomized, so CI sees the same examples at every run; the counts are modest so that the file
stays fast."""

from __future__ import annotations

import codecs
import io
import random
import zipfile
from xml.sax.saxutils import escape, quoteattr

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from guichet.engine.models import CostLine
from guichet.io import imports
from guichet.io.imports import (ImportFileError, ImportPreview, import_cost_lines, template_csv,
                                template_xlsx)

FUZZ = settings(max_examples=150, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
DOC_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def check(data: bytes, name: str) -> ImportPreview | None:
    """The contract of import_cost_lines, as the page relies on it."""
    try:
        preview = import_cost_lines(data, name)
    except ImportFileError as exc:
        assert len(exc.problems) == 1
        message = exc.problems[0].message
        assert message and message != imports.UNEXPECTED_ERROR, repr(exc.__cause__)
        assert not imports._FORBIDDEN_CHARS.search(message)  # showable in the browser
        return None
    assert isinstance(preview, ImportPreview)
    assert len(preview.lines) == len(preview.rows)
    for line in preview.lines:
        assert isinstance(line, CostLine)
        assert CostLine.model_validate(line.model_dump()) == line  # a valid line, as the model says
        assert not imports._FORBIDDEN_CHARS.search(line.label)
    for rejected in preview.rejected:
        assert rejected.problems and all(p.row == rejected.row for p in rejected.problems)
        assert rejected.reason.startswith(f"ligne {rejected.row}")
        assert not imports._FORBIDDEN_CHARS.search(rejected.reason)  # showable in the browser
    return preview


# --- plausible tables with hostile values -----------------------------------------------------------

COLUMNS = ["Libellé", "Catégorie", "Montant", "Base", "Mois de début", "Mois de fin"]
OPTIONAL = ["Taux de TVA", "Montant HT", "Montant TTC", "Commentaire", "N°"]
VALID = {  # values a spreadsheet of the guichet holds
    "Libellé": ["Serveur", "Formation Kubernetes", "Licences « outils » ; support", "A\tB"],
    "Catégorie": ["Prestations externes", "Matériel", "temps des agents", "external_services",
                  "Autres"],
    "Montant": ["1000", "12 500,50", "12\u202f500,50 € HT", "1.234.567", "1,5", "0",
                "84000,00 TTC"],
    "Montant HT": ["1000", "", "1 200,00"],
    "Montant TTC": ["1200", ""],
    "Base": ["HT", "TTC", "ttc", "hors taxes"],
    "Taux de TVA": ["20 %", "0,2", "5,5", "exonéré", ""],
    "Mois de début": ["1", "2", "M3", "mois 4"],
    "Mois de fin": ["6", "12", "120", "M9"],
    "Commentaire": ["", "à revoir"],
    "N°": ["1", "2"],
}
ODD = {  # values a person may type by mistake
    "Libellé": ["Total", "Sous-total", "", "x" * 301],
    "Catégorie": ["Voyages", ""],
    "Montant": ["-3", "1000000000001", "12,5,3", "douze", "", "12 000 € HT TTC"],
    "Base": ["HTT", ""],
    "Taux de TVA": ["150 %", "vingt"],
    "Mois de début": ["0", "121", "1,5", ""],
    "Mois de fin": ["200", "", "1"],
}


def rarely(draw, one_in: int) -> bool:
    """True about once in ``one_in`` draws: a value inside the range, since hypothesis favours
    the bounds."""
    return draw(st.integers(0, one_in - 1)) == one_in // 2


def plausible(draw, column: str) -> str:
    roll = draw(st.integers(0, 19))
    if roll < 14 and column in VALID:
        return draw(st.sampled_from(VALID[column]))
    if roll < 17 and column in ODD:
        return draw(st.sampled_from(ODD[column]))
    return draw(hostile)


NASTY = ["=1+2", "+33 1 23", "-2+3", "@SUM(A1)", "=HYPERLINK(\"http://x\")", "\t=cmd", "\r",
         "NaN", "Infinity", "-0", "1e400", "1E+30", "9" * 60, "9" * 5000, "M" + "9" * 5000,
         "\x00", "\x01", "X\x02Y", "\x85", "A\u2028B", "\ufffe", "\uffff", "\ufeff", '"', '""',
         "'", ";", ",", "a" * 301, "é" * 2500, "\U0001F600", "Total HT"]
hostile = st.one_of(st.sampled_from(NASTY), st.text(max_size=30),
                    st.decimals(allow_nan=True, allow_infinity=True).map(str),
                    st.integers(min_value=-10**30, max_value=10**30).map(str))


@st.composite
def headers(draw) -> list[str]:
    if draw(st.integers(0, 9)) < 8:  # a recognisable header, most of the time
        names = COLUMNS + draw(st.lists(st.sampled_from(OPTIONAL), max_size=2, unique=True))
        names = [n for n in names if not rarely(draw, 20)]  # sometimes one is missing
        return draw(st.permutations(names))
    return draw(st.lists(st.one_of(st.sampled_from(COLUMNS + OPTIONAL), hostile), max_size=10))


@st.composite
def values(draw, header: list[str]) -> list[str]:
    """One data row: a plausible value per column, a hostile one now and then, sometimes a
    missing or an extra cell."""
    row = [plausible(draw, h) for h in header]
    if row and rarely(draw, 10):
        row.pop()
    if rarely(draw, 10):
        row += draw(st.lists(hostile, max_size=70))
    return row


# --- CSV ------------------------------------------------------------------------------------------

@st.composite
def csv_files(draw) -> bytes:
    sep = draw(st.sampled_from([";", ";", ",", "\t", "|"]))
    header = draw(headers())
    rows = draw(st.lists(values(header), max_size=20))
    quote_all = draw(st.booleans())

    def cell(text: str) -> str:
        needs = any(c in text for c in (sep, '"', "\n", "\r"))
        if quote_all or (needs and not rarely(draw, 5)):  # sometimes left unquoted
            return '"' + text.replace('"', '""') + '"'
        return text
    eol = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    lines = [sep.join(map(cell, draw(st.lists(hostile, max_size=3))))
             for _ in range(draw(st.integers(0, 2)))]  # title rows
    if rarely(draw, 5):
        lines.insert(0, f"sep={sep}")
    lines += [sep.join(map(cell, header))] + [sep.join(map(cell, r)) for r in rows]
    text = eol.join(lines) + (eol if draw(st.booleans()) else "")
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16", "latin-1"]))
    return text.encode(encoding, errors="surrogatepass" if encoding.startswith("utf") else "replace")


@FUZZ
@given(csv_files())
@example(template_csv())
@example("Libellé;Catégorie;Montant;Base;Mois de début;Mois de fin\nX\x01;Autres;1;HT;1;1\n".encode())
def test_fuzzed_csv(data):
    check(data, "budget.csv")


# --- XLSX -----------------------------------------------------------------------------------------

CELL_TYPES = ["n", "s", "b", "d", "e", "str", "inlineStr", None, "zz", ""]
XML_VALUES = ["1", "0", "2", "-1", "1000", "12.5", "1E+30", "1e-300", "1E+400", "NaN", "inf",
              "abc", "9" * 5000, " 7 ", "2027-03-01", "2027-13-45", "2027-03-01T10:00:00", "#N/A",
              "#DIV/0!", "_x0001_", "_xD800_", "A_x000D_B", "_x005F_x0001_", "", "99", "-3"]
BAD_REFS = ["ZZZZZ0", "A-1", "XFD1", "XFE1", "a1", "", "1A", "AAAA1", "A1048577", "BZ3"]


def xml_safe(text: str) -> str:
    """Text XML 1.0 can hold (a workbook writes the others as « _x0001_ »)."""
    return "".join(c for c in text if (c >= " " or c in "\t\n\r")
                   and not "\ud800" <= c <= "\udfff" and c not in "\ufffe\uffff")


@st.composite
def cell_xml(draw, ref: str, plausible: str, shared: list[str], hostile_one_in: int = 10) -> str:
    """A cell: usually the plausible value, stored as a spreadsheet would (a shared or inline
    string, a number); now and then any type, value, reference or body."""
    hostile_cell = rarely(draw, hostile_one_in)
    if hostile_cell:
        kind = draw(st.sampled_from(CELL_TYPES))
        if rarely(draw, 5):
            ref = draw(st.one_of(st.none(), st.sampled_from(BAD_REFS)))
        text = draw(st.one_of(st.sampled_from(XML_VALUES), hostile))
        body = draw(st.sampled_from(["v", "is", "rich", "f", "fv", "none"]))
    else:
        number = plausible.replace(",", ".").replace(" ", "")
        if number.lstrip("-").replace(".", "", 1).isdigit() and draw(st.booleans()):
            kind, text, body = "n", number, "v"
        elif draw(st.booleans()):
            kind, body = "s", "v"
            shared.append(plausible)
            text = str(len(shared) - 1)
        else:
            kind, text, body = "inlineStr", plausible, "is"
    attrs = (f" r={quoteattr(ref)}" if ref is not None else "") + \
        (f" t={quoteattr(kind)}" if kind is not None else "")
    if rarely(draw, 6):
        attrs += f' s="{draw(st.sampled_from(["0", "1", "2", "3", "9", "x"]))}"'
    text = escape(xml_safe(text))
    inner = {"v": f"<v>{text}</v>", "is": f"<is><t>{text}</t></is>",
             "rich": f"<is><r><t>{text}</t></r><rPh><t>x</t></rPh></is>", "f": "<f>A1*2</f>",
             "fv": f"<f>A1*2</f><v>{text}</v>", "none": ""}[body]
    return f"<c{attrs}>{inner}</c>"


def letters(i: int) -> str:
    return chr(65 + i) if i < 26 else "A" + chr(65 + i - 26)


@st.composite
def sheet_data(draw, shared: list[str]) -> str:
    header = draw(headers())
    rows = ['<row r="1">' + "".join(draw(cell_xml(f"{letters(i)}1", h, shared, 40))
                                    for i, h in enumerate(header)) + "</row>"]
    number = 1
    for row in draw(st.lists(values(header), max_size=15)):
        step = 1 if not rarely(draw, 20) else draw(st.sampled_from([0, -1, 2, 1000, 60_000]))
        number += step
        r = f' r="{number}"' if not rarely(draw, 20) else draw(st.sampled_from(["", ' r="x"']))
        rows.append(f"<row{r}>" + "".join(draw(cell_xml(f"{letters(i)}{number}", v, shared))
                                          for i, v in enumerate(row[:52])) + "</row>")
    return "".join(rows)


STYLES = (f'<styleSheet xmlns="{MAIN}"><numFmts count="1"><numFmt numFmtId="164" formatCode="[h]:mm"/>'
          '</numFmts><cellXfs count="4"><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="164"/>'
          '<xf numFmtId="bogus"/></cellXfs></styleSheet>')


@st.composite
def xlsx_files(draw) -> bytes:
    shared = draw(st.lists(st.sampled_from(XML_VALUES), max_size=4))
    sheet = f'<worksheet xmlns="{MAIN}"><sheetData>{draw(sheet_data(shared))}</sheetData></worksheet>'
    parts = {
        "[Content_Types].xml": '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
        "xl/workbook.xml": (f'<workbook xmlns="{MAIN}" xmlns:r="{DOC_RELS}">'
                            + ('<workbookPr date1904="1"/>' if draw(st.booleans()) else "")
                            + '<sheets><sheet name="Budget" sheetId="1" r:id="rId1"/></sheets></workbook>'),
        "xl/_rels/workbook.xml.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{DOC_RELS}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{DOC_RELS}/sharedStrings" Target="/xl/sharedStrings.xml"/>'
            f'<Relationship Id="rId3" Type="{DOC_RELS}/styles" Target="styles.xml"/></Relationships>'),
        "xl/worksheets/sheet1.xml": sheet,
        "xl/sharedStrings.xml": f'<sst xmlns="{MAIN}">' + "".join(
            f"<si><t>{escape(xml_safe(s))}</t></si>" for s in shared) + "</sst>",
        "xl/styles.xml": STYLES,
    }
    if rarely(draw, 20):  # now and then a part is missing
        del parts[draw(st.sampled_from(sorted(parts)))]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", draw(st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED]))) as z:
        for name, text in parts.items():
            z.writestr(name, text.encode("utf-8"))
    return out.getvalue()


@FUZZ
@given(xlsx_files())
@example(template_xlsx())
def test_fuzzed_xlsx(data):
    check(data, "budget.xlsx")


# --- random and damaged bytes ---------------------------------------------------------------------

@FUZZ
@given(st.one_of(st.binary(max_size=2000),
                 st.binary(max_size=500).map(lambda b: b"PK\x03\x04" + b),
                 st.binary(max_size=500).map(lambda b: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b),
                 st.binary(max_size=500).map(lambda b: codecs.BOM_UTF16_LE + b)),
       st.sampled_from(["budget.csv", "budget.xlsx", "budget.xls", None]))
def test_random_bytes(data, name):
    check(data, name)


TEMPLATES = {"xlsx": template_xlsx(), "csv": template_csv()}


@FUZZ
@given(st.sampled_from(sorted(TEMPLATES)), st.integers(min_value=0, max_value=2**32 - 1),
       st.integers(min_value=1, max_value=30))
def test_damaged_templates(kind, seed, flips):
    """A template with a few bytes changed, cut or doubled: in the zip directory, in a compressed
    part, anywhere."""
    rng = random.Random(seed)
    data = bytearray(TEMPLATES[kind])
    for _ in range(flips):
        i = rng.randrange(len(data))
        action = rng.random()
        if action < 0.7:
            data[i] = rng.randrange(256)
        elif action < 0.85:
            del data[i:i + rng.randrange(1, 50)]
        else:
            data[i:i] = data[i:i + rng.randrange(1, 50)]
    check(bytes(data), f"modele.{kind}")
