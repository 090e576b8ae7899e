"""Import of cost lines from CSV and XLSX as French offices write them; templates; merging."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook

from guichet import imports
from guichet.evaluate import evaluate
from guichet.exports import export_csv, export_xlsx
from guichet.imports import (TEMPLATE_EXAMPLES, ImportFileError, add_lines, import_cost_lines,
                             import_csv, import_xlsx, parse_number, replace_lines, template_csv,
                             template_xlsx)
from guichet.loading import ScenarioError, dump_scenario, load_scenario
from guichet.models import CostLine

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
    monkeypatch.setattr(imports, "MAX_IMPORT_BYTES", 100)
    with pytest.raises(ImportFileError, match="fichier trop volumineux"):
        import_cost_lines(b"x" * 101, "gros.csv")
    monkeypatch.setattr(imports, "MAX_IMPORT_BYTES", 5_000_000)
    monkeypatch.setattr(imports, "MAX_IMPORT_ROWS", 3)
    body = "Libellé;Catégorie;Montant;Base;Mois de début;Mois de fin\n" + "X;Autres;1;HT;1;1\n" * 4
    with pytest.raises(ImportFileError, match="plus de 3 lignes"):
        import_csv(body.encode())
    ok = "Libellé;Catégorie;Montant;Base;Mois de début;Mois de fin\n" + "X;Autres;1;HT;1;1\n" * 3
    assert len(import_csv(ok.encode()).lines) == 3


def test_zip_bomb_is_refused_before_opening(monkeypatch):
    monkeypatch.setattr(imports, "MAX_XLSX_UNCOMPRESSED", 1000)
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
