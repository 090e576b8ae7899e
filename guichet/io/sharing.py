"""The shareable link: the whole scenario in the URL query parameter ``s``.

The contract (keep it: links already sent must keep opening)::

    s = base64url_without_padding(zlib.compress(utf8(json(scenario))))

where ``json(scenario)`` is the scenario format of :mod:`guichet.io.loading` (``schema_version`` 1,
money as strings), written compactly (``separators=(",", ":")``, non-ASCII kept as UTF-8).
Decoding accepts trailing ``=`` padding and surrounding spaces (copy and paste), nothing else.

A link comes from outside: :func:`decode_scenario` checks its length before anything, decompresses
with a bounded output (``zlib.decompressobj().decompress(data, max_length)``: a decompression bomb
is refused after at most :data:`MAX_DECOMPRESSED_BYTES` of output, never allocated in full), and
raises only :class:`~guichet.io.loading.ScenarioError`, in French. The caps:

- :data:`MAX_TOKEN_CHARS`: the token's length. The web server refuses longer requests anyway
  (Streamlit 1.67 serves with uvicorn/h11, whose request line and headers must fit in 16 KiB;
  an nginx proxy with its defaults allows an 8 KiB request line), so a longer link could not
  have come from the simulator. A scenario too large for a link is to be exported as a file.
- :data:`MAX_DECOMPRESSED_BYTES`: the JSON once decompressed (1 MB).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import zlib
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from guichet.engine.models import Scenario
from guichet.io.loading import (Problem, ScenarioError, parse_json, scenario_from_data,
                                scenario_to_data)
from guichet.present.formatting import number

#: The URL query parameter that holds the scenario.
PARAM = "s"
#: Longest token accepted (and produced), in characters.
MAX_TOKEN_CHARS = 8_000
#: Largest scenario JSON accepted once decompressed, in bytes.
MAX_DECOMPRESSED_BYTES = 1_000_000

_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")
_COPY_ADVICE = "Vérifiez que le lien a été copié en entier."


def _error(message: str) -> ScenarioError:
    return ScenarioError([Problem("", message)])


def scenario_json_bytes(scenario: Scenario) -> bytes:
    """The scenario format as compact UTF-8 JSON: what the link compresses."""
    return json.dumps(scenario_to_data(scenario), ensure_ascii=False,
                      separators=(",", ":")).encode("utf-8")


def encode_scenario(scenario: Scenario) -> str:
    """The value of the ``s`` parameter for this scenario.

    Raises :class:`ScenarioError` if the scenario is too large for a link (the same caps as
    :func:`decode_scenario`: a link made here always opens)."""
    raw = scenario_json_bytes(scenario)
    if len(raw) > MAX_DECOMPRESSED_BYTES:
        raise _error(f"Le scénario est trop volumineux pour un lien de partage "
                     f"({number(len(raw))} octets ; au plus {number(MAX_DECOMPRESSED_BYTES)}) : "
                     "exportez-le plutôt en fichier JSON.")
    token = base64.urlsafe_b64encode(zlib.compress(raw, 9)).rstrip(b"=").decode("ascii")
    if len(token) > MAX_TOKEN_CHARS:
        raise _error(f"Le scénario est trop volumineux pour un lien de partage (lien de "
                     f"{number(len(token))} caractères ; au plus {number(MAX_TOKEN_CHARS)}) : "
                     "exportez-le plutôt en fichier JSON.")
    return token


def _unbase64(token: str) -> bytes:
    body = token.rstrip("=")
    if len(token) - len(body) > 2 or not _BASE64URL.fullmatch(body):
        raise _error("Le lien de partage est abîmé : le paramètre « s » contient des caractères "
                     "qui ne sont pas du base64url (seuls A à Z, a à z, 0 à 9, « - » et « _ » sont "
                     f"permis). {_COPY_ADVICE}")
    if len(body) % 4 == 1:  # no base64 text has this length: a character was lost
        raise _error("Le lien de partage est abîmé : le paramètre « s » est tronqué. "
                     + _COPY_ADVICE)
    try:
        return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError):  # pragma: no cover - excluded by the checks above
        raise _error(f"Le lien de partage est abîmé : le paramètre « s » n’est pas du base64url. "
                     f"{_COPY_ADVICE}") from None


def _inflate(data: bytes, limit: int) -> bytes:
    """zlib-decompress ``data``, producing at most ``limit`` bytes (then refusing)."""
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error:
        raise _error("Le lien de partage est abîmé : son contenu n’est pas un scénario compressé "
                     f"(zlib). {_COPY_ADVICE}") from None
    if len(out) > limit or inflater.unconsumed_tail:
        raise _error("Le scénario du lien est trop volumineux une fois décompressé (plus de "
                     f"{number(limit)} octets) : il n’a pas été chargé.")
    if not inflater.eof:
        raise _error(f"Le lien de partage est incomplet : les données compressées s’arrêtent avant "
                     f"la fin. {_COPY_ADVICE}")
    if inflater.unused_data:
        raise _error("Le lien de partage est abîmé : des données suivent la fin du scénario "
                     "compressé.")
    return out


def decode_scenario(token: str) -> Scenario:
    """The scenario of an ``s`` parameter; raises :class:`ScenarioError` (French messages) when
    the token is empty, too long, not base64url, not zlib, truncated, too large once
    decompressed, not UTF-8, not JSON, or not a valid scenario (then with the field paths of
    :mod:`guichet.io.loading`, e.g. ``cost_lines[0].amount``)."""
    if not isinstance(token, str):
        raise _error("Le lien de partage est invalide : le paramètre « s » doit être un texte.")
    token = token.strip()
    if not token:
        raise _error("Le lien de partage ne contient pas de scénario (paramètre « s » vide).")
    if len(token) > MAX_TOKEN_CHARS:
        raise _error(f"Le lien de partage est trop long ({number(len(token))} caractères ; au plus "
                     f"{number(MAX_TOKEN_CHARS)}) : il n’a pas été produit par le simulateur.")
    raw = _inflate(_unbase64(token), MAX_DECOMPRESSED_BYTES)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _error("Le scénario du lien n’est pas du texte UTF-8.") from None
    return scenario_from_data(parse_json(text))


def share_url(base_url: str, scenario: Scenario) -> str:
    """``base_url`` with its ``s`` parameter set to this scenario (other parameters and the
    fragment kept, any previous ``s`` replaced)."""
    parts = urlsplit(base_url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != PARAM]
    query.append((PARAM, encode_scenario(scenario)))
    return urlunsplit(parts._replace(query=urlencode(query)))
