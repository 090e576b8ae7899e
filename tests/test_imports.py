"""Import of cost lines from CSV and XLSX as French offices write them; templates; merging."""

from __future__ import annotations

import datetime as dt
import io
import struct
import time
import tracemalloc
import zipfile
import zlib
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook

from guichet.engine.evaluate import evaluate
from guichet.engine.models import CostLine
from guichet.io import imports
from guichet.io.exports import export_csv, export_xlsx
from guichet.io.imports import (TEMPLATE_EXAMPLES, ImportFileError, add_lines, import_cost_lines,
                                import_csv, import_xlsx, limits, parse_number, replace_lines,
                                template_csv, template_xlsx)
from guichet.io.loading import ScenarioError, dump_scenario, load_scenario
from guichet.present.formatting import number

FIXTURES = Path(__file__).parent / "fixtures"
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def line(label, category, amount, basis, vat, start, end) -> CostLine:
    return CostLine(label=label, category=category, amount=Decimal(amount), basis=basis,
                    vat_rate=None if vat is None else Decimal(vat), start_month=start,
                    end_month=end)


def example(name: str = "migration-pi"):
    return load_scenario((EXAMPLES / f"{name}.json").read_bytes())


def xlsx_bytes(rows: list[list], title: str = "Budget") -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = title
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --- French-formatted files -------------------------------------------------------------------------

def test_csv_semicolon_decimal_comma_nnbsp_euro_bom_title_row():
    data = (FIXTURES / "budget-fr-utf8-bom.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and "\u202f".encode() in data
    preview = import_cost_lines(data, "budget.csv")
    assert preview.encoding == "UTF-8 (avec BOM)" and preview.separator == ";"
    assert preview.rejected == ()
    assert list(preview.lines) == [
        line("Prestation d’intégration et de migration", "external_services", "125000.00", "ht",
             "0.2", 1, 8),
        line("Chef de projet interne (0,8 ETP)", "internal_staff", "48000", "ht", None, 1, 9),
        line("Formation Kubernetes", "training", "15000.50", "ht", None, 2, 4),
        line("Consommation des ressources PI", "cloud_resources", "18000.00", "ttc", "0.2", 4, 9),
        line("Licences « outils » ; support", "software", "1200.5", "ttc", "0.055", 3, 3),
    ]
    # row numbers as the spreadsheet shows them: title on line 1, header on line 3, a blank row
    assert preview.rows == (4, 5, 6, 7, 9)
    assert preview.ignored_columns == ("Commentaire",)
    assert preview.columns["amount"] == "Montant (€)"


def test_csv_windows_1252_with_nbsp_thousands_and_euro_sign():
    data = (FIXTURES / "budget-fr-cp1252.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert b"\x80" in data and b"\xa0" in data  # « € » and U+00A0 in Windows-1252
    preview = import_csv(data)
    assert preview.encoding == "Windows-1252"
    assert list(preview.lines) == [
        line("Matériel réseau (commutateurs)", "hardware", "12345.67", "ht", "0.2", 2, 2),
        line("Évolutions fonctionnelles du module « congés »", "functional_changes", "9999.99",
             "ttc", None, 5, 7),
        line("Acculturation des équipes métier", "training", "2500", "ttc", "0", 3, 3),
    ]


def test_csv_comma_separated_english_headers_and_codes():
    preview = import_cost_lines((FIXTURES / "budget-en.csv").read_bytes())
    assert preview.separator == ","
    assert list(preview.lines) == [
        line("External integration services", "external_services", "12500.50", "ht", "0.2", 1, 6),
        line("Internal staff, 2 FTE", "internal_staff", "1234567.89", "ht", None, 1, 12),
        line("Cloud consumption", "cloud_resources", "3000", "ttc", "0.2", 6, 12),
    ]


def test_excel_sep_line_tab_separator_and_utf16():
    text = "sep=;\nlibelle;CATEGORIE;Montant TTC;mois de debut;Mois De Fin\nA;Autres;10,5;1;1\n"
    preview = import_csv(text.encode("utf-8"))
    assert preview.lines == (line("A", "other", "10.5", "ttc", None, 1, 1),)
    assert preview.rows == (3,)  # the « sep=; » line is line 1
    tab = "Libellé\tCatégorie\tMontant\tBase\tMois de début\tMois de fin\r\nB\tMatériel\t1 000\tHT\t2\t3\r\n"
    utf16 = import_csv(tab.encode("utf-16"))
    assert utf16.separator == "\t" and utf16.encoding == "UTF-16"
    assert utf16.lines == (line("B", "hardware", "1000", "ht", None, 2, 3),)


def test_separate_ht_and_ttc_amount_columns():
    text = ("Libellé;Catégorie;Montant HT;Montant TTC;Mois de début;Mois de fin\n"
            "Avec les deux;Prestations externes;1 000;1 200;1;1\n"
            "HT seul;Prestations externes;1 000;;1;1\n")
    preview = import_csv(text.encode())
    assert list(preview.lines) == [line("Avec les deux", "external_services", "1200", "ttc", None, 1, 1),
                                   line("HT seul", "external_services", "1000", "ht", None, 1, 1)]


def test_xlsx_with_number_and_text_cells():
    rows = [
        ["Budget du projet (version de travail)"],
        [],
        ["Libellé", "Catégorie", "Montant", "Base", "Taux de TVA", "Mois de début", "Mois de fin"],
        ["Intégration", "Prestations externes", 12500.5, "HT", 0.2, 1, 6.0],
        ["Accompagnement", "prestations externes", "12 000,00 € HT", None, "20 %", "M2", "M4"],
        ["Agents", "internal_staff", 48000, "HT", None, 1, 12],
        ["Licences", "Logiciels", 1200, "TTC", 5.5, 3, 3, "une note hors tableau"],
        [None, None, None, None, None, None, None],
        ["Mois en date", "Autres", 10, "HT", None, dt.datetime(2027, 3, 1), 4],
        ["Montant booléen", "Autres", True, "HT", None, 1, 1],
        ["Mois décimal", "Autres", 10, "HT", None, 2.5, 3],
        ["Montant formule", "Autres", "=C4*2", "HT", None, 1, 1],
    ]
    preview = import_cost_lines(xlsx_bytes(rows), "budget.xlsx")
    assert preview.source_format == "xlsx" and preview.sheet == "Budget"
    assert list(preview.lines) == [
        line("Intégration", "external_services", "12500.5", "ht", "0.2", 1, 6),
        line("Accompagnement", "external_services", "12000.00", "ht", "0.2", 2, 4),
        line("Agents", "internal_staff", "48000", "ht", None, 1, 12),
        line("Licences", "software", "1200", "ttc", "0.055", 3, 3),
    ]
    assert preview.rows == (4, 5, 6, 7)
    reasons = {r.row: r.reason for r in preview.rejected}
    assert "ligne 9, colonne mois de début : « 01/03/2027 » est une date" in reasons[9]
    assert "ligne 10, colonne montant : « VRAI » n’est pas un montant" in reasons[10]
    assert "ligne 11, colonne mois de début : « 2,5 » n’est pas un nombre entier de mois" in reasons[11]
    assert "formule sans valeur calculée" in reasons[12]


def test_xlsx_fixture_with_formats_title_row_and_total_row():
    """tests/fixtures/budget-fr.xlsx: a title row, « Coût HT (€) » as the only amount column (so
    the basis is HT), euro- and percent-formatted numbers, a text amount with U+202F and « € »,
    « M2 » months, a « N° » and an « Observations » column, a total row and a note below."""
    preview = import_cost_lines((FIXTURES / "budget-fr.xlsx").read_bytes(), "budget-fr.xlsx")
    assert preview.sheet == "Budget 2027"
    assert list(preview.lines) == [
        line("Assistance à maîtrise d’ouvrage", "external_services", "45000", "ht", "0.2", 1, 6),
        line("Temps des agents de la DNUM", "internal_staff", "36000.5", "ht", None, 1, 9),
        line("Acculturation Cloud des développeurs", "training", "7500.00", "ht", "0.2", 2, 3),
        line("Licences de l’outil de supervision", "software", "1234.56", "ht", "0.055", 3, 3),
    ]
    assert preview.rows == (4, 5, 6, 7)
    assert preview.ignored_columns == ("N°", "Observations")
    assert preview.columns["amount_ht"] == "Coût HT (€)"
    assert [str(p) for r in preview.rejected for p in r.problems] == [
        "ligne 8, colonne libellé : « Total » ressemble à une ligne de total : elle n’est pas "
        "importée (les totaux sont recalculés par le simulateur)"]


def test_xlsx_prefers_the_lines_sheet_and_skips_sheets_without_header():
    wb = Workbook()
    wb.active.title = "Notes"
    wb.active.append(["Rien à importer ici"])
    ws = wb.create_sheet("Lignes de coût")
    ws.append(["Libellé", "Catégorie", "Montant", "Base", "Mois de début", "Mois de fin"])
    ws.append(["X", "Matériel", 5, "HT", 1, 1])
    out = io.BytesIO()
    wb.save(out)
    preview = import_xlsx(out.getvalue())
    assert preview.sheet == "Lignes de coût" and len(preview.lines) == 1


# --- every rejected-row reason ----------------------------------------------------------------------

REJECTS = [
    (3, "libellé", "valeur manquante (libellé obligatoire)"),
    (4, "montant", "« 12,5,3 » n’est pas un montant"),
    (5, "catégorie", "« Voyages » n’est pas une catégorie connue ; catégories possibles : "
                     "Prestations externes"),
    (6, "base", "« HTT » n’est pas une base ; « HT » ou « TTC » attendu"),
    (7, "base", "valeur manquante : indiquer « HT » ou « TTC »"),
    (8, "base", "HT ou TTC ? la colonne base indique HT mais le montant est suivi de TTC"),
    (9, "taux de TVA", "« vingt » n’est pas un taux de TVA"),
    (10, "taux de TVA", "« 150 % » n’est pas un taux de TVA (de 0 à 100 %)"),
    (11, "mois de début", "« 1,5 » n’est pas un nombre entier de mois"),
    (12, "mois de début", "« 0 » n’est pas un mois du projet (de 1 à 120)"),
    (12, "mois de fin", "« 200 » n’est pas un mois du projet (de 1 à 120)"),
    (13, "mois de fin", "le mois de fin (2) précède le mois de début (5)"),
    (14, "montant", "« -500 » est négatif : un montant positif ou nul est attendu"),
    (15, "montant", "valeur manquante (montant obligatoire)"),
    (16, "libellé", "« Total » ressemble à une ligne de total : elle n’est pas importée"),
    (17, "catégorie", "valeur manquante (catégorie obligatoire)"),
    (17, "mois de fin", "valeur manquante (mois de fin obligatoire)"),
    (18, "libellé", "libellé trop long (301 caractères ; au plus 300)"),
    (19, "montant", "dépasse le montant maximal accepté"),
    (20, None, "9 valeurs pour 7 colonnes d’en-tête"),
]


@pytest.fixture(scope="module")
def rejects():
    return import_cost_lines((FIXTURES / "budget-rejects.csv").read_bytes(), "rejets.csv")


@pytest.mark.parametrize("row,column,fragment", REJECTS)
def test_every_rejected_row_reason(rejects, row, column, fragment):
    by_row = {r.row: r for r in rejects.rejected}
    assert row in by_row, f"ligne {row} acceptée à tort"
    problems = [p for p in by_row[row].problems if p.column == column and fragment in p.message]
    assert problems, by_row[row].reason
    where = f"ligne {row}" + (f", colonne {column}" if column else "")
    assert str(problems[0]).startswith(where + " : ")


def test_bad_rows_never_become_cost_lines(rejects):
    assert [ln.label for ln in rejects.lines] == ["Ligne correcte"]
    assert rejects.rows == (2,)
    assert sorted(r.row for r in rejects.rejected) == list(range(3, 21))
    assert rejects.summary() == "1 ligne acceptée, 18 lignes refusées"
    # the rejected rows keep what the user wrote, for the preview
    four = next(r for r in rejects.rejected if r.row == 4)
    assert four.values["amount"] == "12,5,3"
    # and the problem quoted by the issue reads exactly so
    assert "ligne 4, colonne montant : « 12,5,3 » n’est pas un montant" in rejects.reasons()


def test_one_row_with_several_problems_lists_them_all(rejects):
    twelve = next(r for r in rejects.rejected if r.row == 12)
    assert [p.column for p in twelve.problems] == ["mois de début", "mois de fin"]
    assert twelve.reason.count("ligne 12") == 2


# --- whole-file errors ------------------------------------------------------------------------------

def _zip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, content in files.items():
            z.writestr(name, content)
    return out.getvalue()


@pytest.mark.parametrize("data,name,fragment", [
    (b"", "vide.csv", "le fichier est vide"),
    (b"  \r\n \r\n", "blanc.csv", "le fichier est vide"),
    (b"%PDF-1.4 ...", "budget.pdf", "ni un CSV ni un classeur XLSX"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "budget.xls", "ancien format Excel (.xls)"),
    (_zip({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet"}), "b.ods", ".ods"),
    (_zip({"hello.txt": b"hi"}), "b.zip", "ni un CSV ni un classeur XLSX"),
    (b"PK\x03\x04 damaged", "b.xlsx", "classeur XLSX lisible"),
    (b"a\0b\0c\0", "b.csv", "contenu binaire"),
    (b"\x81\x8d\x8f;\x90", "b.csv", "encodage du fichier non reconnu"),
    ("Nom;Prénom\nDupont;Jean\n".encode(), "b.csv", "aucune ligne d’en-tête reconnue"),
    ("Libellé;Montant;Base\nX;10;HT\n".encode(), "b.csv",
     "colonne(s) manquante(s) : catégorie, mois de début, mois de fin"),
    ("Libellé;Catégorie;Montant;Mois de début;Mois de fin\nX;Autres;1;1;1\n".encode(), "b.csv",
     "base (HT ou TTC"),
    ("Libellé;Catégorie;Montant;Base;Mois de début;Mois de fin\n".encode(), "b.csv",
     "aucune ligne de coût sous l’en-tête (ligne 1)"),
])
def test_unreadable_files_give_one_clear_french_message(data, name, fragment):
    with pytest.raises(ImportFileError) as exc:
        import_cost_lines(data, name)
    assert isinstance(exc.value, ScenarioError)
    assert len(exc.value.problems) == 1
    assert fragment in str(exc.value)


def test_empty_workbook():
    with pytest.raises(ImportFileError, match="le classeur est vide"):
        import_xlsx(xlsx_bytes([]))


def test_size_and_row_caps(monkeypatch):
    monkeypatch.setattr(limits, "MAX_IMPORT_BYTES", 100)
    with pytest.raises(ImportFileError, match="fichier trop volumineux"):
        import_cost_lines(b"x" * 101, "gros.csv")
    monkeypatch.setattr(limits, "MAX_IMPORT_BYTES", 5_000_000)
    monkeypatch.setattr(limits, "MAX_IMPORT_ROWS", 3)
    body = "Libellé;Catégorie;Montant;Base;Mois de début;Mois de fin\n" + "X;Autres;1;HT;1;1\n" * 4
    with pytest.raises(ImportFileError, match="plus de 3 lignes"):
        import_csv(body.encode())
    ok = "Libellé;Catégorie;Montant;Base;Mois de début;Mois de fin\n" + "X;Autres;1;HT;1;1\n" * 3
    assert len(import_csv(ok.encode()).lines) == 3


def test_zip_bomb_is_refused_before_opening(monkeypatch):
    monkeypatch.setattr(limits, "MAX_XLSX_UNCOMPRESSED", 1000)
    with pytest.raises(ImportFileError, match="trop volumineux une fois décompressé"):
        import_xlsx(template_xlsx())


# --- values -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("text,expected", [
    ("12500", "12500"), ("12 500,50", "12500.50"), ("12\u202f500,5", "12500.5"),
    ("12\u00a0500", "12500"), ("1 234 567,89", "1234567.89"), ("12500.50", "12500.50"),
    ("12.500,50", "12500.50"), ("12,500.50", "12500.50"), ("1.234.567", "1234567"),
    ("1,234,567", "1234567"), (",5", "0.5"), ("-3,5", "-3.5"), ("\u22123", "-3"),
    ("12,5,3", None), ("12.5.3", None), ("douze", None), ("", None), ("1,2.3,4", None),
])
def test_parse_number(text, expected):
    assert parse_number(text) == (None if expected is None else Decimal(expected))


@pytest.mark.parametrize("cell,rate", [
    ("20 %", "0.2"), ("20%", "0.2"), ("0,2", "0.2"), ("20", "0.2"), ("5,5 %", "0.055"),
    ("5,5", "0.055"), ("2,1 %", "0.021"), ("0", "0"), ("exonéré", "0"), (0.2, "0.2"), (20, "0.2"),
    (0.055, "0.055"),
])
def test_vat_forms(cell, rate):
    assert imports._read_vat(cell) == Decimal(rate)


@pytest.mark.parametrize("header,field", [
    ("LIBELLE", "label"), ("Intitulé", "label"), ("Catégorie de dépense", "category"),
    ("Montant TTC (€)", "amount"), ("Coût HT", "amount"), ("montant en euros", "amount"),
    ("HT/TTC", "basis"), ("TVA (%)", "vat_rate"), ("Mois de debut", "start_month"),
    ("Début (mois)", "start_month"), ("mois de fin", "end_month"), ("end_month", "end_month"),
])
def test_tolerant_headers(header, field):
    assert imports._match_header(header)[0] == field


@pytest.mark.parametrize("cell,code", [
    ("Prestations externes", "external_services"), ("PRESTATION EXTERNE", "external_services"),
    ("temps des agents (interne)", "internal_staff"), ("Temps des agents", "internal_staff"),
    ("Formation", "training"), ("materiel", "hardware"), ("Logiciels", "software"),
    ("licences", "software"), ("Ressources cloud", "cloud_resources"),
    ("evolutions fonctionnelles", "functional_changes"), ("Divers", "other"),
    ("cloud_resources", "cloud_resources"),
])
def test_category_labels_synonyms_and_codes(cell, code):
    assert imports._read_category(cell) == code


# --- templates --------------------------------------------------------------------------------------

def test_templates_reimport_to_their_example_rows():
    for data, name in ((template_csv(), "modele.csv"), (template_xlsx(), "modele.xlsx")):
        preview = import_cost_lines(data, name)
        assert preview.rejected == ()
        assert list(preview.lines) == list(TEMPLATE_EXAMPLES)
        assert set(preview.columns) == set(imports.FIELDS)


def test_csv_template_is_excel_fr_friendly():
    data = template_csv()
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert text.splitlines()[0].split(";") == list(imports.TEMPLATE_HEADERS)
    assert "84000,00" in text and "\r\n" in text


# --- merging ----------------------------------------------------------------------------------------

def test_add_and_replace_return_a_new_scenario_and_never_mutate():
    scenario = example()
    before = dump_scenario(scenario)
    new_lines = list(TEMPLATE_EXAMPLES)
    added = add_lines(scenario, new_lines)
    replaced = replace_lines(scenario, new_lines)
    assert dump_scenario(scenario) == before
    assert added is not scenario and replaced is not scenario
    assert added.cost_lines == scenario.cost_lines + new_lines
    assert replaced.cost_lines == new_lines
    # the new scenario shares no line with the old one nor with the given list
    added.cost_lines[0].label = "modifié"
    replaced.cost_lines[0].label = "modifié"
    assert dump_scenario(scenario) == before and TEMPLATE_EXAMPLES[0].label != "modifié"
    assert added.milestones is not scenario.milestones


def test_merging_respects_the_line_cap(monkeypatch):
    monkeypatch.setattr(imports, "MAX_LINES", 5)
    scenario = example()  # 4 lines
    with pytest.raises(ScenarioError, match="au plus 5 lignes"):
        add_lines(scenario, list(TEMPLATE_EXAMPLES))
    assert len(replace_lines(scenario, list(TEMPLATE_EXAMPLES)).cost_lines) == 2


# --- exports re-import ------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["migration-pi", "secnumcloud-applications", "extension-nubo"])
def test_exported_lines_reimport_to_the_same_figures(name):
    scenario = example(name)
    evaluation = evaluate(scenario)
    for data in (export_csv(scenario, evaluation), export_xlsx(scenario, evaluation)):
        preview = import_cost_lines(data)
        assert preview.rejected == ()
        again = evaluate(replace_lines(scenario, preview.lines))
        assert [(ln.label, ln.ht, ln.vat, ln.ttc) for ln in again.lines] == \
               [(ln.label, ln.ht, ln.vat, ln.ttc) for ln in evaluation.lines]
        assert again.total_cost_ttc == evaluation.total_cost_ttc


# --- hostile files: nothing but a French message, quickly, in bounded memory ------------------------
#
# The workbooks below are written by hand, part by part, so that they can hold what no
# spreadsheet writes: a « NaN » in a number cell, a reference « ZZZZZ0 », a lying zip directory…

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
DOC_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


def inline(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


HEADER_ROW = '<row r="1">' + "".join(
    inline(f"{col}1", name) for col, name in zip(
        "ABCDEF", ["Libellé", "Catégorie", "Montant", "Base", "Mois de début", "Mois de fin"], strict=False)) + "</row>"


def data_row(n: int = 2, **cells: str) -> str:
    """Row ``n`` of a valid line (« Serveur », Matériel, 1 000 HT, months 1 to 2); ``C='<c …>'``
    replaces the cell of column C by the given XML."""
    default = {"A": inline(f"A{n}", "Serveur"), "B": inline(f"B{n}", "Matériel"),
               "C": f'<c r="C{n}"><v>1000</v></c>', "D": inline(f"D{n}", "HT"),
               "E": f'<c r="E{n}"><v>1</v></c>', "F": f'<c r="F{n}"><v>2</v></c>'}
    default.update(cells)
    return f'<row r="{n}">' + "".join(default.values()) + "</row>"


def xlsx_parts(rows: str, shared: tuple[str, ...] = (), styles: str | None = None) -> dict[str, bytes]:
    """The parts of a one-sheet workbook « Budget » whose sheetData is ``rows``."""
    office = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    types = ('<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
             '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
             '<Default Extension="xml" ContentType="application/xml"/>'
             f'<Override PartName="/xl/workbook.xml" ContentType="{office}.sheet.main+xml"/>'
             f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{office}.worksheet+xml"/>'
             f'<Override PartName="/xl/sharedStrings.xml" ContentType="{office}.sharedStrings+xml"/>'
             + (f'<Override PartName="/xl/styles.xml" ContentType="{office}.styles+xml"/>' if styles else "")
             + "</Types>")
    workbook = (f'<workbook xmlns="{MAIN}" xmlns:r="{DOC_RELS}"><sheets>'
                '<sheet name="Budget" sheetId="1" r:id="rId1"/></sheets></workbook>')
    rels = (f'<Relationships xmlns="{RELS_NS}">'
            f'<Relationship Id="rId1" Type="{DOC_RELS}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{DOC_RELS}/sharedStrings" Target="sharedStrings.xml"/>'
            + (f'<Relationship Id="rId3" Type="{DOC_RELS}/styles" Target="styles.xml"/>' if styles else "")
            + "</Relationships>")
    sheet = f'<worksheet xmlns="{MAIN}"><sheetData>{rows}</sheetData></worksheet>'
    strings = (f'<sst xmlns="{MAIN}" count="{len(shared)}" uniqueCount="{len(shared)}">'
               + "".join(f"<si><t>{s}</t></si>" for s in shared) + "</sst>")
    parts = {"[Content_Types].xml": types, "xl/workbook.xml": workbook,
             "xl/_rels/workbook.xml.rels": rels, "xl/worksheets/sheet1.xml": sheet,
             "xl/sharedStrings.xml": strings}
    if styles:
        parts["xl/styles.xml"] = styles
    return {name: (XML_HEAD + text).encode("utf-8") for name, text in parts.items()}


def hand_xlsx(rows: str, shared: tuple[str, ...] = (), styles: str | None = None) -> bytes:
    return _zip(xlsx_parts(rows, shared, styles))


def raw_zip(entries: list[dict]) -> bytes:
    """A zip archive written byte by byte. Each entry: name, data (compressed bytes as stored),
    method (0 stored, 8 deflate…), flags, crc, size (the declared uncompressed size)."""
    out, central = io.BytesIO(), []
    for e in entries:
        name, data = e["name"].encode(), e["data"]
        flags, method = e.get("flags", 0), e.get("method", 0)
        crc, size = e.get("crc", zlib.crc32(data)), e.get("size", len(data))
        offset = out.tell()
        out.write(struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, flags, method, 0, 0x21, crc,
                              len(data), size, len(name), 0) + name + data)
        central.append(struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, flags, method, 0, 0x21,
                                   crc, len(data), size, len(name), 0, 0, 0, 0, 0, offset) + name)
    directory, start = b"".join(central), out.tell()
    out.write(directory + struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(entries),
                                      len(entries), len(directory), start, 0))
    return out.getvalue()


def stored(parts: dict[str, bytes]) -> list[dict]:
    return [{"name": name, "data": data} for name, data in parts.items()]


def deflated_repeat(block: bytes, times: int) -> tuple[bytes, int]:
    """(raw deflate data, CRC-32) of ``block * times``, made in a fraction of a second: after a
    full flush, deflate writes the same bytes for the same block."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = c.compress(block) + c.flush(zlib.Z_FULL_FLUSH)
    again = c.compress(block) + c.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(times):
        crc = zlib.crc32(block, crc)
    return first + again * (times - 1) + c.flush(), crc


def refusal(data: bytes, name: str = "budget.xlsx") -> tuple[str, float, float]:
    """(message of the ImportFileError, seconds, peak MB traced) of an import that must fail."""
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(ImportFileError) as exc:
            import_cost_lines(data, name)
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()
    assert len(exc.value.problems) == 1
    return str(exc.value), seconds, peak


def test_a_hand_made_workbook_imports():
    preview = import_cost_lines(hand_xlsx(HEADER_ROW + data_row()), "budget.xlsx")
    assert preview.lines == (line("Serveur", "hardware", "1000", "ht", None, 1, 2),)


@pytest.mark.parametrize("cell,fragment", [
    ('<c r="C2"><v>NaN</v></c>', "cellule C2 illisible : « NaN » n’est pas un nombre"),
    ('<c r="C2"><v>douze</v></c>', "cellule C2 illisible : « douze » n’est pas un nombre"),
    ('<c r="C2" t="n"><v>' + "9" * 5000 + "</v></c>", "cellule C2 illisible : valeur trop longue"),
    ('<c r="C2"><v>' + "9" * 100 + "</v></c>", "cellule C2 illisible : « 999"),
    ('<c r="C2"><v>1E+400</v></c>', "cellule C2 illisible : « 1E+400 » est un nombre hors limites"),
    ('<c r="C2"><v>1E+30</v></c>', "« 1E+30 » dépasse le montant maximal accepté"),
    ('<c r="C2" t="b"><v>2</v></c>', "cellule C2 illisible : « 2 » n’est pas une valeur logique"),
    ('<c r="C2" t="b"><v>oui</v></c>', "cellule C2 illisible : « oui » n’est pas une valeur logique"),
    ('<c r="C2" t="d"><v>2027-13-45</v></c>', "cellule C2 illisible : « 2027-13-45 » n’est pas une date"),
    ('<c r="C2" t="d"><v>hier</v></c>', "cellule C2 illisible : « hier » n’est pas une date"),
    ('<c r="C2" t="s"><v>99</v></c>', "cellule C2 illisible : le texte n° 99 est absent"),
    ('<c r="C2" t="s"><v>-1</v></c>', "cellule C2 illisible : le texte n° -1 est absent"),
    ('<c r="C2" t="zz"><v>1</v></c>', "cellule C2 illisible : type de cellule « zz » inconnu"),
    ('<c r="C2" t="inlineStr"><is><t>' + "x" * 3000 + "</t></is></c>", "texte trop long"),
    # well-formed cells that are simply not amounts: the same reasons as before
    ('<c r="C2" t="b"><v>1</v></c>', "« VRAI » n’est pas un montant"),
    ('<c r="C2" t="e"><v>#DIV/0!</v></c>', "« #DIV/0! » n’est pas un montant"),
])
def test_an_unreadable_workbook_cell_rejects_its_row_naming_cell_and_value(cell, fragment):
    rows = HEADER_ROW + data_row(2, C=cell) + data_row(3)
    preview = import_cost_lines(hand_xlsx(rows), "budget.xlsx")
    assert preview.rows == (3,)  # the next row is read as usual
    assert [r.row for r in preview.rejected] == [2]
    [problem] = preview.rejected[0].problems
    assert problem.column == "montant"
    assert fragment in problem.message, problem.message


def test_unreadable_cells_in_other_columns_and_in_a_date_formatted_cell():
    styles = (f'<styleSheet xmlns="{MAIN}"><cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="14"/>'
              "</cellXfs></styleSheet>")
    rows = (HEADER_ROW
            + data_row(2, A='<c r="A2" t="s"><v>7</v></c>')
            + data_row(3, E='<c r="E3"><v>1E+30</v></c>')
            + data_row(4, F='<c r="F4" s="1"><v>1E+30</v></c>')
            + data_row(5, F='<c r="F5" s="1"><v>46082</v></c>')
            # a broken cell right of the table is never read
            + data_row(6, G='<c r="G6"><v>NaN</v></c>', Z='<c r="BZ6" t="s"><v>99</v></c>'))
    preview = import_cost_lines(hand_xlsx(rows, shared=("Serveur",), styles=styles))
    reasons = {r.row: r.reason for r in preview.rejected}
    assert reasons[2].startswith("ligne 2, colonne libellé : cellule A2 illisible : le texte n° 7")
    assert reasons[3] == "ligne 3, colonne mois de début : « 1E+30 » n’est pas un mois du projet (de 1 à 120)"
    assert reasons[4].startswith("ligne 4, colonne mois de fin : cellule F4 illisible : « 1E+30 » "
                                 "n’est pas une date possible")
    assert reasons[5].startswith("ligne 5, colonne mois de fin : « 01/03/2026 » est une date")
    assert preview.rows == (6,)


@pytest.mark.parametrize("row_xml,fragment", [
    ('<row r="2"><c r="ZZZZZ0"><v>1</v></c></row>', "référence de cellule « ZZZZZ0 » est invalide"),
    ('<row r="2"><c r="A-1"><v>1</v></c></row>', "référence de cellule « A-1 » est invalide"),
    ('<row r="2"><c r="XFE2"><v>1</v></c></row>', "référence de cellule « XFE2 » est invalide"),
    ('<row r="deux"><c><v>1</v></c></row>', "numéro de ligne « deux » invalide"),
    ('<row r="0"/>', "ligne numérotée 0 après la ligne 1"),
    ('<row r="5"/><row r="3"/>', "ligne numérotée 3 après la ligne 5"),
])
def test_a_cell_or_row_that_cannot_be_placed_refuses_the_file(row_xml, fragment):
    with pytest.raises(ImportFileError) as exc:
        import_cost_lines(hand_xlsx(HEADER_ROW + row_xml), "budget.xlsx")
    assert str(exc.value).startswith("classeur XLSX endommagé : feuille « Budget », ligne ")
    assert fragment in str(exc.value)


@pytest.mark.parametrize("sheet_data,fragment", [
    ("<row><c><v>1</v></row>", "XML invalide (balises mal imbriquées"),
    ("<row><c><v>&bogus;</v></c></row>", "XML invalide (entité inconnue"),
    ("<row><c><v>&#1;</v></c></row>", "XML invalide (référence à un caractère interdit"),
])
def test_a_damaged_sheet_xml_gives_a_french_message(sheet_data, fragment):
    with pytest.raises(ImportFileError) as exc:
        import_cost_lines(hand_xlsx(HEADER_ROW + data_row() + sheet_data), "budget.xlsx")
    assert str(exc.value).startswith("classeur XLSX endommagé, feuille « Budget » : ")
    assert fragment in str(exc.value)


def test_a_doctype_entity_bomb_is_refused_without_expanding():
    lol = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    parts = xlsx_parts(HEADER_ROW + data_row(2, A=inline("A2", "&l9;")))
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    parts["xl/worksheets/sheet1.xml"] = sheet.replace(
        "<worksheet", f'<!DOCTYPE worksheet [<!ENTITY l0 "lol">{lol}]><worksheet', 1).encode()
    message, seconds, peak = refusal(_zip(parts))
    assert "déclaration DOCTYPE refusée" in message
    assert seconds < 5 and peak < 200


@pytest.fixture(scope="module")
def honest_bomb() -> bytes:
    """A workbook plus 1 GB of zeros (about 1 MB once compressed), declared as such."""
    zeros, crc = deflated_repeat(b"\0" * (1 << 20), 1024)
    return raw_zip([{"name": "mimetype", "data": zeros, "method": 8, "crc": crc, "size": 1 << 30}]
                   + stored(xlsx_parts(HEADER_ROW + data_row())))


def test_a_zip_bomb_is_refused_before_anything_is_decompressed(honest_bomb):
    message, seconds, peak = refusal(honest_bomb)
    assert message == ("classeur trop volumineux une fois décompressé : la partie « mimetype » "
                       "annonce 1\u202f073\u202f741\u202f824 octets (au plus 60\u202f000\u202f000 "
                       "pour tout le classeur)")
    assert seconds < 5 and peak < 200


def test_parts_that_are_each_small_but_too_large_together_are_refused(monkeypatch):
    monkeypatch.setattr(limits, "MAX_XLSX_UNCOMPRESSED", 2000)
    parts = xlsx_parts(HEADER_ROW + data_row())
    assert all(len(d) < 2000 for d in parts.values()) and sum(map(len, parts.values())) > 2000
    with pytest.raises(ImportFileError, match=r"classeur trop volumineux une fois décompressé \(2"):
        import_cost_lines(_zip(parts), "budget.xlsx")


def test_an_over_compressed_part_is_refused_from_its_declared_ratio():
    zeros, crc = deflated_repeat(b"\0" * (1 << 20), 40)  # 40 MB in 40 kB
    data = raw_zip(stored(xlsx_parts(HEADER_ROW + data_row()))
                   + [{"name": "xl/media/image1.png", "data": zeros, "method": 8, "crc": crc,
                       "size": 40 << 20}])
    message, seconds, peak = refusal(data)
    assert message.startswith("archive anormalement compressée : la partie « xl/media/image1.png »")
    assert "(plus de 100 fois)" in message
    assert seconds < 5 and peak < 200


def test_a_zip_directory_that_lies_about_a_size_is_read_no_further_than_declared():
    """The sheet inflates to 1 GB of spaces (valid XML whitespace) but the directory says 4 kB:
    reading stops at 4 kB, whatever the deflate stream holds."""
    spaces, crc = deflated_repeat(b" " * (1 << 20), 1024)
    parts = xlsx_parts("")
    sheet = parts.pop("xl/worksheets/sheet1.xml")
    head = sheet[:sheet.index(b"</sheetData>")]
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    data = (c.compress(head) + c.flush(zlib.Z_FULL_FLUSH)) + spaces
    bomb = raw_zip(stored(parts) + [{"name": "xl/worksheets/sheet1.xml", "data": data, "method": 8,
                                     "crc": crc, "size": 4096}])
    message, seconds, peak = refusal(bomb)
    assert message.startswith("classeur XLSX endommagé")
    assert seconds < 5 and peak < 200


@pytest.mark.parametrize("entry,fragment", [
    ({"flags": 0x1}, ("classeur chiffré : la partie « xl/worksheets/sheet1.xml » de l’archive "
                      "est protégée par un mot de passe")),
    ({"flags": 0x41}, "classeur chiffré"),
    ({"method": 9}, "compression non prise en charge (Deflate64, partie « xl/worksheets/sheet1.xml »)"),
    ({"method": 14}, "compression non prise en charge (LZMA"),
    ({"method": 99, "flags": 0x1}, "classeur chiffré"),
    ({"method": 77}, "compression non prise en charge (méthode n° 77"),
])
def test_encrypted_or_oddly_compressed_parts_are_refused(entry, fragment):
    entries = stored(xlsx_parts(HEADER_ROW + data_row()))
    next(e for e in entries if e["name"] == "xl/worksheets/sheet1.xml").update(entry)
    with pytest.raises(ImportFileError) as exc:
        import_cost_lines(raw_zip(entries), "budget.xlsx")
    assert fragment in str(exc.value)


def test_a_corrupted_part_gives_a_french_message():
    entries = stored(xlsx_parts(HEADER_ROW + data_row()))
    sheet = next(e for e in entries if e["name"] == "xl/worksheets/sheet1.xml")
    sheet["crc"] = sheet.get("crc", zlib.crc32(sheet["data"])) ^ 1
    with pytest.raises(ImportFileError, match="la partie « xl/worksheets/sheet1.xml » de l’archive "
                                              "est corrompue"):
        import_cost_lines(raw_zip(entries), "budget.xlsx")
    # half a workbook: the zip directory is gone
    with pytest.raises(ImportFileError, match=r"archive endommagée"):
        import_cost_lines(template_xlsx()[:3000], "budget.xlsx")


def test_far_right_cells_on_many_rows_are_refused_quickly():
    rows = HEADER_ROW + data_row() + "".join(f'<row r="{n}"><c r="XFD{n}"><v>1</v></c></row>'
                                             for n in range(3, 100_003))
    message, seconds, peak = refusal(hand_xlsx(rows))
    assert message.startswith(f"le fichier compte plus de {number(imports.MAX_SCAN_ROWS)} lignes "
                              "à parcourir, lignes vides comprises (feuille « Budget », ligne "
                              f"{number(imports.MAX_SCAN_ROWS + 1)})")
    assert seconds < 5 and peak < 200


def test_a_row_number_far_below_the_table_is_refused_without_scanning_the_gap():
    rows = HEADER_ROW + data_row() + '<row r="1048576"><c r="A1048576"><v>1</v></c></row>'
    with pytest.raises(ImportFileError, match=f"plus de {number(imports.MAX_SCAN_ROWS)} lignes à parcourir"):
        import_cost_lines(hand_xlsx(rows), "budget.xlsx")


def test_columns_right_of_the_limit_are_ignored():
    assert imports.MAX_COLUMNS == 60  # BI is column 61
    rows = HEADER_ROW + data_row(2, Z='<c r="BI2" t="inlineStr"><is><t>note</t></is></c>')
    preview = import_cost_lines(hand_xlsx(rows), "budget.xlsx")
    assert preview.rows == (2,) and preview.ignored_columns == ()


def test_cell_and_time_budgets(monkeypatch):
    rows = HEADER_ROW + "".join(data_row(n) for n in range(2, 40))
    monkeypatch.setattr(limits, "MAX_SCAN_CELLS", 100)
    with pytest.raises(ImportFileError, match="le fichier compte plus de 100 cellules à parcourir "
                                              r"\(feuille « Budget », ligne 17\)"):
        import_cost_lines(hand_xlsx(rows), "budget.xlsx")
    csv_body = "Libellé;Catégorie;Montant;Base;Mois de début;Mois de fin\n" + "X;Autres;1;HT;1;1\n" * 30
    with pytest.raises(ImportFileError, match=r"plus de 100 cellules à parcourir \(vers la ligne 17\)"):
        import_cost_lines(csv_body.encode(), "budget.csv")
    monkeypatch.setattr(limits, "MAX_SCAN_CELLS", 1_000_000)
    monkeypatch.setattr(limits, "MAX_SCAN_SECONDS", -1)
    for data, name in ((hand_xlsx(rows), "budget.xlsx"), ((csv_body * 40).encode(), "budget.csv")):
        with pytest.raises(ImportFileError, match="lecture interrompue : le fichier demande plus de "
                                                  "-1 secondes de lecture"):
            import_cost_lines(data, name)


def test_csv_rows_and_cells_scanned_are_bounded():
    header = "Libellé;Catégorie;Montant;Base;Mois de début;Mois de fin\n"
    blank_lines = ("\n" * (imports.MAX_SCAN_ROWS + 10) + header + "X;Autres;1;HT;1;1\n").encode()
    message, seconds, _ = refusal(blank_lines, "budget.csv")
    assert message.startswith(f"le fichier compte plus de {number(imports.MAX_SCAN_ROWS)} lignes "
                              "à parcourir, lignes vides comprises (vers la ligne "
                              f"{number(imports.MAX_SCAN_ROWS + 1)})")
    wide = (header + "X;Autres;1;HT;1;1" + ";" * 1_100_000 + "\n").encode()
    message, seconds_wide, _ = refusal(wide, "budget.csv")
    assert message.startswith("le fichier compte plus de 1\u202f000\u202f000 cellules à parcourir")
    assert seconds < 5 and seconds_wide < 5


def test_a_month_of_thousands_of_digits_is_a_row_reason():
    text = ("Libellé;Catégorie;Montant;Base;Mois de début;Mois de fin\n"
            f"X;Autres;1;HT;M{'9' * 5000};1\n")
    [rejected] = import_cost_lines(text.encode(), "budget.csv").rejected
    assert rejected.reason.startswith("ligne 2, colonne mois de début : « M99999")
    assert "n’est pas un mois du projet (de 1 à 120)" in rejected.reason


def ole_file(*streams: str) -> bytes:
    """The start of an OLE compound file whose directory names ``streams`` (UTF-16LE names)."""
    directory = b"".join(name.encode("utf-16-le").ljust(64, b"\0") + b"\0" * 64 for name in streams)
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504 + directory


def test_a_password_protected_workbook_is_named_as_such():
    with pytest.raises(ImportFileError) as exc:
        import_cost_lines(ole_file("Root Entry", "EncryptionInfo", "EncryptedPackage"), "b.xlsx")
    assert str(exc.value).startswith("classeur protégé par un mot de passe : l’enregistrer sans mot "
                                     "de passe")
    with pytest.raises(ImportFileError, match=r"ancien format Excel \(\.xls\)"):
        import_cost_lines(ole_file("Root Entry", "Workbook"), "b.xls")


@pytest.mark.parametrize("char", ["\x01", "\x1f", "\x7f", "\x9f", "\ufffe", "\uffff"])
def test_a_csv_label_with_a_control_character_is_rejected_naming_it(char):
    text = ("Libellé;Catégorie;Montant;Base;Mois de début;Mois de fin\n"
            f"Ser{char}veur;Matériel;1000;HT;1;2\nBon;Matériel;1000;HT;1;2\n")
    preview = import_cost_lines(text.encode("utf-8"), "budget.csv")
    assert [ln.label for ln in preview.lines] == ["Bon"]
    [problem] = preview.rejected[0].problems
    assert (problem.row, problem.column) == (2, "libellé")
    assert f"caractère interdit, U+{ord(char):04X}" in problem.message
    assert "position 4" in problem.message
    assert char not in str(problem)  # the message itself shows « � », never the character


@pytest.mark.parametrize("escaped,code", [("_x0001_", "U+0001"), ("_xD800_", "U+D800"),
                                          ("_xFFFF_", "U+FFFF"), ("_x009F_", "U+009F")])
def test_an_xlsx_label_with_a_control_character_is_rejected_naming_it(escaped, code):
    rows = HEADER_ROW + data_row(2, A='<c r="A2" t="s"><v>0</v></c>') + data_row(3)
    preview = import_cost_lines(hand_xlsx(rows, shared=(f"Ser{escaped}veur",)), "budget.xlsx")
    assert preview.rows == (3,)
    [problem] = preview.rejected[0].problems
    assert problem.column == "libellé" and f"caractère interdit, {code}" in problem.message
    assert all(ch.isprintable() or ch == "\u202f" for ch in str(problem))


def test_ooxml_escapes_are_read_as_excel_reads_them():
    rows = HEADER_ROW + data_row(2, A='<c r="A2" t="s"><v>0</v></c>')
    preview = import_cost_lines(hand_xlsx(rows, shared=("Serveur_x005F_x0041_ 2",)), "budget.xlsx")
    assert [ln.label for ln in preview.lines] == ["Serveur_x0041_ 2"]


def test_rich_text_runs_are_joined_and_phonetic_runs_left_out():
    rows = (HEADER_ROW + data_row(2, A='<c r="A2" t="s"><v>0</v></c>')
            + data_row(3, A='<c r="A3" t="inlineStr"><is><r><t>Ser</t></r><r><rPr><b/></rPr>'
                            '<t xml:space="preserve">veur 2</t></r><rPh><t>x</t></rPh></is></c>'))
    parts = xlsx_parts(rows)
    parts["xl/sharedStrings.xml"] = (
        f'<sst xmlns="{MAIN}"><si><r><t>Ser</t></r><r><rPr><i/></rPr><t>veur</t></r>'
        "<rPh sb=\"0\" eb=\"1\"><t>セ</t></rPh></si></sst>").encode()
    preview = import_cost_lines(_zip(parts), "budget.xlsx")
    assert [ln.label for ln in preview.lines] == ["Serveur", "Serveur 2"]


def test_an_unexpected_failure_is_still_a_french_message(monkeypatch):
    def broken(*args):
        raise RuntimeError("bug")
    monkeypatch.setattr(imports.rows, "_convert_row", broken)
    for data, name in ((template_csv(), "modele.csv"), (template_xlsx(), "modele.xlsx")):
        with pytest.raises(ImportFileError) as exc:
            import_cost_lines(data, name)
        assert str(exc.value) == imports.UNEXPECTED_ERROR


def test_a_workbook_listing_one_sheet_many_times_is_read_quickly():
    """Found by a hostile tester: 300 000 entries pointing to one empty sheet took 8.6 s."""
    parts = xlsx_parts(HEADER_ROW)
    one = b'<sheet name="Budget" sheetId="1" r:id="rId1"/>'
    workbook = parts["xl/workbook.xml"]

    def listing(n: int) -> bytes:
        entries = b"".join(b'<sheet name="B%d" sheetId="%d" r:id="rId1"/>' % (i, i) for i in range(n))
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
            for name, data in {**parts, "xl/workbook.xml": workbook.replace(one, entries)}.items():
                z.writestr(name, data)
        return out.getvalue()
    data = listing(300_000)
    assert len(data) < imports.MAX_IMPORT_BYTES
    start = time.perf_counter()
    with pytest.raises(ImportFileError, match="le classeur compte plus de 1\u202f000 feuilles"):
        import_cost_lines(data, "budget.xlsx")
    assert time.perf_counter() - start < 3
    # under the cap, one sheet listed many times is read once
    with pytest.raises(ImportFileError, match="aucune ligne de coût sous l’en-tête"):
        import_cost_lines(listing(900), "budget.xlsx")
