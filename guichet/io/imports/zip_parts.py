"""The zip archive of a workbook: checks of its directory before any part is read (entries,
encryption, compression methods, declared sizes and ratios), and parts read chunk by chunk,
never past their declared size."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator

from guichet.io.imports import limits
from guichet.io.imports.limits import _Budget
from guichet.io.imports.results import ImportFileError
from guichet.io.imports.text import _visible
from guichet.present.formatting import number

_ZIP_METHODS = {9: "Deflate64", 12: "bzip2", 14: "LZMA", 93: "Zstandard", 95: "XZ", 97: "WavPack",
                98: "PPMd", 99: "AES"}
_CHUNK = 64 * 1024


def _part_name(name: str) -> str:
    return f"« {_visible(name)[:80]} »"


def _open_zip(data: bytes) -> zipfile.ZipFile:
    """The archive, once its directory shows nothing that a workbook would not hold: every check
    here reads only the directory, never a part."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except Exception:  # zipfile raises many kinds of errors on a damaged directory
        raise ImportFileError("le fichier n’est pas un classeur XLSX lisible (archive "
                              "endommagée)") from None
    _check_entries(infos)
    _check_sizes(infos)
    names = set(archive.namelist())
    if "mimetype" in names and b"opendocument" in _part_head(archive, "mimetype", 200):
        raise ImportFileError("classeur OpenDocument (.ods) : l’enregistrer au format .xlsx ou "
                              ".csv")
    if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
        raise ImportFileError("le fichier n’est ni un CSV ni un classeur XLSX")
    return archive


def _check_entries(infos: list[zipfile.ZipInfo]) -> None:
    """Not too many parts, none encrypted, each stored or deflated."""
    if len(infos) > limits.MAX_ZIP_ENTRIES:
        raise ImportFileError(f"l’archive contient {number(len(infos))} fichiers (au plus "
                              f"{number(limits.MAX_ZIP_ENTRIES)}) : ce n’est pas un classeur XLSX")
    for info in infos:
        if info.flag_bits & 0x41:  # bit 0: encrypted; bit 6: strong encryption
            raise ImportFileError(
                f"classeur chiffré : la partie {_part_name(info.filename)} de l’archive est "
                "protégée par un mot de passe ; enregistrer le classeur sans mot de passe, puis "
                "l’importer de nouveau")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) \
                or info.flag_bits & 0x20:  # bit 5: « compressed patched data »
            method = _ZIP_METHODS.get(info.compress_type, f"méthode n° {info.compress_type}")
            raise ImportFileError(
                f"compression non prise en charge ({method}, partie {_part_name(info.filename)}) "
                ": enregistrer le classeur à nouveau depuis un tableur (Excel, LibreOffice), "
                "puis l’importer de nouveau")


def _check_sizes(infos: list[zipfile.ZipInfo]) -> None:
    """The sizes the directory declares: each part's, all the parts', and each part's ratio."""
    for info in infos:
        if info.file_size > limits.MAX_XLSX_UNCOMPRESSED:
            raise ImportFileError(
                f"classeur trop volumineux une fois décompressé : la partie "
                f"{_part_name(info.filename)} annonce {number(info.file_size)} octets (au plus "
                f"{number(limits.MAX_XLSX_UNCOMPRESSED)} pour tout le classeur)")
    total = sum(info.file_size for info in infos)
    if total > limits.MAX_XLSX_UNCOMPRESSED:
        raise ImportFileError(f"classeur trop volumineux une fois décompressé ({number(total)} "
                              f"octets annoncés ; au plus {number(limits.MAX_XLSX_UNCOMPRESSED)})")
    for info in infos:
        if info.file_size > limits.ZIP_RATIO_FREE_BYTES and \
                info.file_size > limits.MAX_ZIP_RATIO * max(info.compress_size, 1):
            raise ImportFileError(
                f"archive anormalement compressée : la partie {_part_name(info.filename)} "
                f"annonce {number(info.file_size)} octets pour {number(info.compress_size)} "
                f"octets compressés (plus de {limits.MAX_ZIP_RATIO} fois) ; un tel fichier "
                "(« bombe de décompression ») est refusé")


def _damaged_part(name: str) -> ImportFileError:
    return ImportFileError(f"classeur XLSX endommagé : la partie {_part_name(name)} de l’archive "
                           "est corrompue (données tronquées ou somme de contrôle incorrecte)")


def _part_head(archive: zipfile.ZipFile, name: str, size: int) -> bytes:
    """The first ``size`` bytes of a part (no more is decompressed)."""
    try:
        with archive.open(name) as stream:
            return stream.read(size)
    except Exception:
        raise _damaged_part(name) from None


def _part_chunks(archive: zipfile.ZipFile, info: zipfile.ZipInfo,
                 budget: _Budget) -> Iterator[bytes]:
    """A part, decompressed chunk by chunk, never past its declared size (which the directory
    checks bounded): the count is kept here, whatever the decompressor does."""
    read = 0

    def where() -> str:
        return f"partie {_part_name(info.filename)}"

    try:
        with archive.open(info) as stream:
            while True:
                chunk = stream.read(_CHUNK)
                if not chunk:
                    return
                read += len(chunk)
                if read > info.file_size:
                    raise ImportFileError(
                        f"classeur XLSX piégé ou endommagé : la partie {_part_name(info.filename)} "
                        f"dépasse, une fois décompressée, la taille annoncée "
                        f"({number(info.file_size)} octets)")
                budget.clock(where)
                yield chunk
    except ImportFileError:
        raise
    except Exception:  # bad CRC, truncated or invalid deflate data…
        raise _damaged_part(info.filename) from None


