"""Text helpers shared by the readers: tolerant matching of words, and text of the file made
safe to show in a message."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from functools import lru_cache


@lru_cache(maxsize=4096)
def _norm(text: str) -> str:
    """Lower case, no accents, punctuation as spaces, singular words (for tolerant matching)."""
    text = unicodedata.normalize("NFKD", str(text))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = text.replace("’", " ").replace("'", " ")
    words = re.sub(r"[^a-z0-9%]+", " ", text).split()
    return " ".join(w[:-1] if len(w) > 3 and w[-1] in "sx" else w for w in words)


def _aliases(mapping: Mapping[str, Iterable[str]]) -> dict[str, str]:
    """Normalised name -> code, from code -> names."""
    out: dict[str, str] = {}
    for code, names in mapping.items():
        for name in names:
            out[_norm(name)] = code
    return out


#: Characters a label may not hold: the C0 and C1 controls (except tab, line breaks, VT, FF and
#: NEL, left to the model), DEL, lone surrogates, the non-characters U+FFFE and U+FFFF.
_FORBIDDEN_CHARS = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]")
_LINE_CHARS = re.compile("[\t\n\r\x0b\x0c\x85\u2028\u2029]")


def _visible(text: str) -> str:
    """Text of the file made safe to show: line breaks as spaces, forbidden characters as « � »
    (a lone surrogate cannot even be sent to the browser)."""
    return _LINE_CHARS.sub(" ", _FORBIDDEN_CHARS.sub("\ufffd", text))


def _char_name(ch: str) -> str:
    """« U+0001 (caractère de contrôle) »."""
    code = ord(ch)
    what = ("moitié isolée d’une paire de substitution" if 0xD800 <= code <= 0xDFFF
            else "non-caractère Unicode" if code in (0xFFFE, 0xFFFF) else "caractère de contrôle")
    return f"U+{code:04X} ({what})"
