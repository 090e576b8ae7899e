"""The workbook around the sheets: its parts and relationships, the list of its worksheets, its
date system, its shared strings and which cell formats show dates."""

from __future__ import annotations

import datetime as dt
import posixpath
import zipfile
from dataclasses import dataclass

from guichet.io.imports import limits
from guichet.io.imports.limits import _Budget
from guichet.io.imports.results import ImportFileError
from guichet.io.imports.text import _visible
from guichet.io.imports.xml_stream import _NestedHandler, _parse_xml, _Text, _unescape, _xml_events
from guichet.io.imports.zip_parts import _part_name
from guichet.present.formatting import number


@dataclass(frozen=True)
class _TooLong:
    """A shared string longer than MAX_CELL_CHARS (kept short)."""

    start: str


@dataclass
class _Book:
    sheets: list[tuple[str, str]]  # (title, part)
    epoch: dt.datetime
    shared: list[str | _TooLong]
    date_styles: set[int]
    timedelta_styles: set[int]


def _resolve(base: str, target: str) -> str:
    path = target[1:] if target.startswith("/") else posixpath.join(base, target)
    return posixpath.normpath(path).lstrip("/")


class _Parts:
    """The parts of an archive by name (Excel's part names ignore case)."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self.archive = archive
        self.names: dict[str, str] = {}
        for name in archive.namelist():
            self.names.setdefault(name.lower(), name)

    def find(self, name: str) -> str | None:
        return self.names.get(name.lower())


def _relationships(parts: _Parts, part: str, budget: _Budget) -> dict[str, tuple[str, str]]:
    """Id -> (type, target part) of the part's relationships (external targets left out)."""
    base, file = posixpath.split(part)
    rels = parts.find(posixpath.join(base, "_rels", file + ".rels"))
    out: dict[str, tuple[str, str]] = {}
    if rels is None:
        return out
    for kind, tag, attrs in _xml_events(parts.archive, rels, budget,
                                        f"classeur XLSX endommagé, partie {_part_name(rels)}"):
        if kind == "start" and tag == "Relationship" and attrs.get("TargetMode") != "External":
            target = attrs.get("Target")
            if target and "Id" in attrs:
                out[attrs["Id"]] = (attrs.get("Type", ""), _resolve(base, target))
    return out


def _read_book(archive: zipfile.ZipFile, budget: _Budget) -> _Book:
    from openpyxl.utils.datetime import CALENDAR_MAC_1904, WINDOWS_EPOCH

    parts = _Parts(archive)
    root = _relationships(parts, "", budget)  # _rels/.rels
    workbook = next((t for kind, t in root.values() if kind.endswith("/officeDocument")),
                    "xl/workbook.xml")
    found = parts.find(workbook) or parts.find("xl/workbook.xml")
    if found is None:
        raise ImportFileError("classeur XLSX endommagé : la description du classeur "
                              "(xl/workbook.xml) manque")
    where = f"classeur XLSX endommagé, partie {_part_name(found)}"
    listed: list[tuple[str, str]] = []
    date1904 = False
    for kind, tag, attrs in _xml_events(archive, found, budget, where):
        if kind != "start":
            continue
        if tag == "workbookPr":
            date1904 = attrs.get("date1904", "").strip().lower() in ("1", "true")
        elif tag == "sheet":
            if len(listed) >= limits.MAX_SHEETS:
                raise ImportFileError(f"le classeur compte plus de {number(limits.MAX_SHEETS)} "
                                      "feuilles : garder la feuille des lignes de coût dans un "
                                      "classeur à part")
            rid = next((v for k, v in attrs.items() if k.rpartition(":")[2] == "id"), None)
            listed.append((_visible(attrs.get("name", "")).strip() or "sans nom", rid or ""))
    rels = _relationships(parts, found, budget)
    sheets = []
    seen: set[str] = set()
    for title, rid in listed:
        kind, target = rels.get(rid, ("", ""))
        if not kind.endswith("/worksheet"):
            continue  # a chart sheet, a dialog sheet…
        part = parts.find(target)
        if part is None:
            raise ImportFileError(f"classeur XLSX endommagé : la feuille « {title} » manque "
                                  "dans l’archive")
        if part not in seen:  # several entries naming one part: it is read once
            seen.add(part)
            sheets.append((title, part))
    if not sheets:
        raise ImportFileError("le classeur ne contient aucune feuille de calcul lisible")

    def related(suffix: str, default: str) -> str | None:
        target = next((t for kind, t in rels.values() if kind.endswith(suffix)), default)
        return parts.find(target) or parts.find(default)

    shared_part = related("/sharedStrings", "xl/sharedStrings.xml")
    styles_part = related("/styles", "xl/styles.xml")
    shared = _shared_strings(archive, shared_part, budget) if shared_part else []
    dates, timedeltas = (_date_styles(archive, styles_part, budget) if styles_part
                         else (set(), set()))
    return _Book(sheets, CALENDAR_MAC_1904 if date1904 else WINDOWS_EPOCH, shared, dates,
                 timedeltas)


class _SharedStrings(_NestedHandler):
    """The table of shared strings, from expat's calls (rich-text runs joined, phonetic runs
    left out), at most MAX_SCAN_CELLS strings."""

    def __init__(self, where: str) -> None:
        super().__init__()
        self.where = where
        self.strings: list[str | _TooLong] = []
        self.current: _Text | None = None  # the <si> being read; ``collect`` is one of its <t>

    def too_deep(self) -> ImportFileError:
        return ImportFileError(f"{self.where} : XML imbriqué sur plus de {limits.MAX_XML_DEPTH} "
                               "niveaux")

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        tag, parent = self.enter(tag)
        if tag == "si" and parent == "sst":
            self.current = _Text()
        elif self.current is not None and self.in_text_of(tag, parent, "si"):
            self.collect = self.current

    def closed(self, tag: str) -> None:
        if tag == "si" and self.current is not None:
            text = self.current.value()
            self.strings.append(_TooLong(text[:40]) if self.current.too_long else _unescape(text))
            self.current = None
            if len(self.strings) > limits.MAX_SCAN_CELLS:
                raise ImportFileError(f"le classeur compte plus de {number(limits.MAX_SCAN_CELLS)} "
                                      "textes : découper le fichier en plusieurs fichiers")


def _shared_strings(archive: zipfile.ZipFile, part: str, budget: _Budget) -> list[str | _TooLong]:
    where = f"classeur XLSX endommagé, partie {_part_name(part)}"
    reader = _SharedStrings(where)
    for _ in _parse_xml(archive, part, reader, budget, where):
        pass
    return reader.strings


def _date_styles(archive: zipfile.ZipFile, part: str, budget: _Budget) -> tuple[set[int], set[int]]:
    """The cell formats (``s`` of a cell) that show a number as a date, and as a duration."""
    from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format

    where = f"classeur XLSX endommagé, partie {_part_name(part)}"
    custom: dict[str, str] = {}
    formats: list[str | None] = []
    stack: list[str] = []
    for kind, tag, attrs in _xml_events(archive, part, budget, where):
        if kind == "start":
            parent = stack[-1] if stack else None
            if tag == "numFmt" and parent == "numFmts" and len(custom) < limits.MAX_STYLES:
                custom[attrs.get("numFmtId", "").strip()] = attrs.get("formatCode", "")[:255]
            elif tag == "xf" and parent == "cellXfs" and len(formats) < limits.MAX_STYLES:
                formats.append(attrs.get("numFmtId"))
            stack.append(tag)
        elif kind == "end":
            stack.pop()
    dates, timedeltas = set(), set()
    for index, fid in enumerate(formats):
        fid = (fid or "0").strip()
        code = custom.get(fid) if fid in custom else \
            BUILTIN_FORMATS.get(int(fid)) if fid.isdigit() and len(fid) < 6 else None
        if code and is_date_format(code):
            dates.add(index)
            if is_timedelta_format(code):
                timedeltas.add(index)
    return dates, timedeltas


