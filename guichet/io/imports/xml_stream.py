"""XML parts, streamed: an expat parser fed as the part is decompressed (no DTD, bounded markup
and depth), the events of a small part, and the bounded text of a cell."""

from __future__ import annotations

import pyexpat
import re
import zipfile
from collections.abc import Iterator
from typing import Any

from guichet.io.imports import limits
from guichet.io.imports.limits import _Budget
from guichet.io.imports.results import ImportFileError
from guichet.io.imports.zip_parts import _part_chunks
from guichet.present.formatting import number

_EXPAT_REASONS = {
    pyexpat.errors.XML_ERROR_SYNTAX: "erreur de syntaxe",
    pyexpat.errors.XML_ERROR_NO_ELEMENTS: "document vide",
    pyexpat.errors.XML_ERROR_INVALID_TOKEN: "caractère ou balise invalide",
    pyexpat.errors.XML_ERROR_UNCLOSED_TOKEN: "balise inachevée",
    pyexpat.errors.XML_ERROR_PARTIAL_CHAR: "caractère incomplet",
    pyexpat.errors.XML_ERROR_TAG_MISMATCH: "balises mal imbriquées",
    pyexpat.errors.XML_ERROR_DUPLICATE_ATTRIBUTE: "attribut en double",
    pyexpat.errors.XML_ERROR_JUNK_AFTER_DOC_ELEMENT: "contenu après la fin du document",
    pyexpat.errors.XML_ERROR_UNDEFINED_ENTITY: "entité inconnue",
    pyexpat.errors.XML_ERROR_UNKNOWN_ENCODING: "encodage inconnu",
    pyexpat.errors.XML_ERROR_INCORRECT_ENCODING: "encodage incorrect",
    pyexpat.errors.XML_ERROR_BAD_CHAR_REF: "référence à un caractère interdit",
}


class _Handler:
    """What :func:`_parse_xml` calls: names keep their prefix (``x:c``); see :func:`_local`."""

    def start(self, tag: str, attrs: dict[str, str]) -> None: ...

    def end(self, tag: str) -> None: ...

    def text(self, data: str) -> None: ...


class _NestedHandler(_Handler):
    """A handler that follows the nesting of elements (at most MAX_XML_DEPTH levels) and collects
    the text of the element it points ``collect`` at."""

    def __init__(self) -> None:
        self.stack: list[str] = []
        self.collect: _Text | None = None

    def too_deep(self) -> ImportFileError:
        raise NotImplementedError

    def enter(self, tag: str) -> tuple[str, str]:
        """(the element's local name, its parent's), the element pushed on the stack."""
        tag = _local(tag)
        parent = self.stack[-1] if self.stack else ""
        self.stack.append(tag)
        if len(self.stack) > limits.MAX_XML_DEPTH:
            raise self.too_deep()
        return tag, parent

    def in_text_of(self, tag: str, parent: str, owner: str) -> bool:
        """Whether ``tag`` is a <t> of ``owner``'s text: directly in it, or in one of its rich-text
        runs (<r>)."""
        return tag == "t" and (parent == owner or parent == "r" and self.stack[-3] == owner)

    def end(self, tag: str) -> None:
        self.stack.pop()
        self.collect = None
        self.closed(_local(tag))

    def closed(self, tag: str) -> None:
        """An element ended (its local name; already off the stack)."""

    def text(self, data: str) -> None:
        if self.collect is not None:
            self.collect.add(data)


def _local(tag: str) -> str:
    return tag.rpartition(":")[2] if ":" in tag else tag


def _parse_xml(archive: zipfile.ZipFile, name: str, handler: _Handler, budget: _Budget,
               where: str) -> Iterator[None]:
    """Parse an XML part while it is decompressed, pausing (yielding) after each chunk. No DTD
    (hence no entity bomb), no markup of more than MAX_XML_MARKUP bytes; the handler bounds the
    depth."""
    def doctype(*_: Any) -> None:
        raise ImportFileError(f"{where} : déclaration DOCTYPE refusée (un classeur XLSX n’en "
                              "contient jamais)")

    parser = pyexpat.ParserCreate()
    parser.buffer_text = True
    parser.StartElementHandler = handler.start
    parser.EndElementHandler = handler.end
    parser.CharacterDataHandler = handler.text
    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = doctype
    since_markup = 0  # bytes since the last « > »
    try:
        for chunk in _part_chunks(archive, archive.getinfo(name), budget):
            last = chunk.rfind(b">")
            since_markup = since_markup + len(chunk) if last < 0 else len(chunk) - 1 - last
            if since_markup > limits.MAX_XML_MARKUP:
                raise ImportFileError(f"{where} : XML invalide (plus de "
                                      f"{number(limits.MAX_XML_MARKUP)} octets sans fin de balise)")
            parser.Parse(chunk, False)
            yield
        parser.Parse(b"", True)
        yield
    except pyexpat.ExpatError as exc:
        reason = _EXPAT_REASONS.get(pyexpat.errors.messages.get(exc.code, ""), "XML mal formé")
        raise ImportFileError(f"{where} : XML invalide ({reason}, ligne {number(exc.lineno)} du "
                              "XML)") from None


class _Events(_Handler):
    def __init__(self, where: str) -> None:
        self.where = where
        self.events: list[tuple[str, str, Any]] = []
        self.depth = 0

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        self.depth += 1
        if self.depth > limits.MAX_XML_DEPTH:
            raise ImportFileError(f"{self.where} : XML imbriqué sur plus de {limits.MAX_XML_DEPTH} "
                                  "niveaux")
        self.events.append(("start", _local(tag), attrs))

    def end(self, tag: str) -> None:
        self.depth -= 1
        self.events.append(("end", _local(tag), None))

    def text(self, data: str) -> None:
        self.events.append(("text", data, None))


def _xml_events(archive: zipfile.ZipFile, name: str, budget: _Budget,
                where: str) -> Iterator[tuple[str, str, Any]]:
    """The events of an XML part: ("start", name, attributes), ("text", data, None), ("end",
    name, None); names lose their prefix (``x:c`` is ``c``). For the small parts."""
    handler = _Events(where)
    for _ in _parse_xml(archive, name, handler, budget, where):
        yield from handler.events
        handler.events.clear()


def _unescape(text: str) -> str:
    """OOXML's escapes: « _x000D_ » is a carriage return, « _x005F_ » an underscore."""
    if "_x" not in text:
        return text
    return re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), text)


class _Text:
    """The text of a cell or of a shared string, kept up to MAX_CELL_CHARS characters."""

    __slots__ = ("parts", "size")

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.size = 0

    def add(self, data: str) -> None:
        if self.size <= limits.MAX_CELL_CHARS:
            self.parts.append(data[:limits.MAX_CELL_CHARS + 1])
        self.size += len(data)

    @property
    def too_long(self) -> bool:
        return self.size > limits.MAX_CELL_CHARS

    def value(self) -> str:
        return "".join(self.parts)

