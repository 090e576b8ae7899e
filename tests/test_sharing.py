"""The shareable link contract: ``s`` = base64url (no padding) of zlib of the UTF-8 JSON."""

from __future__ import annotations

import base64
import json
import time
import tracemalloc
import zlib
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from guichet.io import sharing
from guichet.io.loading import ScenarioError, dump_scenario, load_scenario, scenario_to_data
from guichet.io.sharing import (MAX_DECOMPRESSED_BYTES, MAX_TOKEN_CHARS, decode_scenario,
                                encode_scenario, share_url)

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.json"))


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def token_of(obj) -> str:
    text = obj if isinstance(obj, str) else json.dumps(obj, ensure_ascii=False)
    return b64(zlib.compress(text.encode("utf-8")))


def message(exc: pytest.ExceptionInfo) -> str:
    return str(exc.value)


@pytest.fixture
def example():
    return load_scenario((Path(__file__).resolve().parents[1] / "examples"
                          / "migration-pi.json").read_bytes())


# --- the contract ---------------------------------------------------------------------------------

@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_round_trip_is_identical_for_every_example(path):
    scenario = load_scenario(path.read_bytes())
    token = encode_scenario(scenario)
    back = decode_scenario(token)
    assert back == scenario
    assert dump_scenario(back) == dump_scenario(scenario)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_token_is_base64url_without_padding_of_zlib_of_compact_utf8_json(path):
    scenario = load_scenario(path.read_bytes())
    token = encode_scenario(scenario)
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert "=" not in token
    raw = zlib.decompress(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    text = raw.decode("utf-8")
    assert json.loads(text) == scenario_to_data(scenario)
    assert text == json.dumps(scenario_to_data(scenario), ensure_ascii=False, separators=(",", ":"))
    assert "’" in text or "é" in text  # non-ASCII kept as UTF-8, not \\u escapes


def test_a_token_made_by_hand_from_the_format_opens(example):
    # another tool following the contract (default zlib level, non-compact JSON) is accepted
    token = token_of(dump_scenario(example, indent=2))
    assert decode_scenario(token) == example


def test_padding_and_surrounding_spaces_are_tolerated(example):
    token = encode_scenario(example)
    padded = token + "=" * (-len(token) % 4)
    assert decode_scenario(f"  {padded}\n") == example


def test_share_url_sets_s_and_keeps_the_rest(example):
    url = share_url("https://simulateur.example.gouv.fr/simulateur?lecture=total_cost&s=vieux#haut",
                    example)
    parts = urlsplit(url)
    assert parts.scheme == "https" and parts.path == "/simulateur" and parts.fragment == "haut"
    query = parse_qs(parts.query)
    assert query["lecture"] == ["total_cost"]
    assert query["s"] == [encode_scenario(example)]
    assert decode_scenario(query["s"][0]) == example


def test_share_url_on_a_bare_address(example):
    url = share_url("http://localhost:8501/", example)
    assert url == "http://localhost:8501/?s=" + encode_scenario(example)


# --- every way a link can be wrong ----------------------------------------------------------------

@pytest.mark.parametrize("token", ["", "   "])
def test_empty_token(token):
    with pytest.raises(ScenarioError) as exc:
        decode_scenario(token)
    assert message(exc) == "Le lien de partage ne contient pas de scénario (paramètre « s » vide)."


def test_not_a_string():
    with pytest.raises(ScenarioError, match="doit être un texte"):
        decode_scenario(None)  # type: ignore[arg-type]


@pytest.mark.parametrize("token", ["abc!def", "abc+def", "abc/def", "abc def", "é", "abc=def",
                                   "abcd==="])
def test_not_base64url(token):
    with pytest.raises(ScenarioError) as exc:
        decode_scenario(token)
    assert "n’est pas du base64url" in message(exc) or "pas du base64url" in message(exc)
    assert "copié en entier" in message(exc)


def test_truncated_base64_length():
    with pytest.raises(ScenarioError) as exc:
        decode_scenario("abcde")
    assert "tronqué" in message(exc)


def test_not_zlib():
    with pytest.raises(ScenarioError) as exc:
        decode_scenario(b64(b"ceci n'est pas compress\xc3\xa9"))
    assert message(exc) == ("Le lien de partage est abîmé : son contenu n’est pas un scénario "
                            "compressé (zlib). Vérifiez que le lien a été copié en entier.")


def test_truncated_zlib_stream(example):
    raw = zlib.compress(json.dumps(scenario_to_data(example)).encode("utf-8"))
    with pytest.raises(ScenarioError) as exc:
        decode_scenario(b64(raw[: len(raw) // 2]))
    assert "incomplet" in message(exc)


def test_data_after_the_zlib_stream(example):
    raw = zlib.compress(json.dumps(scenario_to_data(example)).encode("utf-8"))
    with pytest.raises(ScenarioError) as exc:
        decode_scenario(b64(raw + b"en trop"))
    assert "des données suivent la fin" in message(exc)


def test_token_too_long():
    with pytest.raises(ScenarioError) as exc:
        decode_scenario("A" * (MAX_TOKEN_CHARS + 1))
    assert message(exc).startswith("Le lien de partage est trop long (8\u202f001 caractères ; "
                                   "au plus 8\u202f000)")


def test_not_utf8():
    with pytest.raises(ScenarioError) as exc:
        decode_scenario(b64(zlib.compress('{"name": "Démarches"}'.encode("latin-1"))))
    assert message(exc) == "Le scénario du lien n’est pas du texte UTF-8."


def test_not_json():
    with pytest.raises(ScenarioError) as exc:
        decode_scenario(token_of("{pas du JSON"))
    assert message(exc).startswith("JSON mal formé, ligne 1, colonne 2")


def test_json_but_not_an_object():
    with pytest.raises(ScenarioError) as exc:
        decode_scenario(token_of([1, 2, 3]))
    assert "doit être un objet JSON" in message(exc)


def test_failing_validation_keeps_the_field_paths(example):
    data = scenario_to_data(example)
    data["cost_lines"][0]["amount"] = "-5"
    data["migration"]["target"] = "aws"
    del data["start_date"]
    with pytest.raises(ScenarioError) as exc:
        decode_scenario(token_of(data))
    paths = {p.path for p in exc.value.problems}
    assert paths == {"cost_lines[0].amount", "migration.target", "start_date"}
    text = message(exc)
    assert "cost_lines[0].amount : doit être supérieur ou égal à 0" in text
    assert "start_date : champ obligatoire manquant" in text


def test_non_finite_numbers_are_refused_with_their_path(example):
    text = dump_scenario(example).replace('"requested_rate": "0.5"', '"requested_rate": NaN')
    with pytest.raises(ScenarioError) as exc:
        decode_scenario(token_of(text))
    assert [p.path for p in exc.value.problems] == ["requested_rate"]


def test_too_large_once_decompressed():
    # a valid-looking JSON document just over the cap, compressing well under the token cap
    text = json.dumps({"name": " " * MAX_DECOMPRESSED_BYTES})
    token = token_of(text)
    assert len(token) <= MAX_TOKEN_CHARS
    with pytest.raises(ScenarioError) as exc:
        decode_scenario(token)
    assert message(exc) == ("Le scénario du lien est trop volumineux une fois décompressé (plus de "
                            "1\u202f000\u202f000 octets) : il n’a pas été chargé.")


def test_exactly_at_the_cap_is_decompressed_then_validated():
    text = json.dumps({"name": "x"})
    text = text[:-1] + " " * (MAX_DECOMPRESSED_BYTES - len(text)) + "}"
    assert len(text.encode()) == MAX_DECOMPRESSED_BYTES
    with pytest.raises(ScenarioError) as exc:
        decode_scenario(token_of(text))
    assert "trop volumineux" not in message(exc)
    assert "applicant : champ obligatoire manquant" in message(exc)


# --- decompression bombs --------------------------------------------------------------------------

def _refused_quickly_and_small(token: str) -> str:
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(ScenarioError) as exc:
            decode_scenario(token)
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert elapsed < 1.0
    assert peak < 5 * MAX_DECOMPRESSED_BYTES  # never the bomb's size
    return message(exc)


def test_bomb_within_the_token_cap_is_refused_without_inflating_it():
    bomb = zlib.compress(b"\0" * 6_000_000, 9)  # ~6 MB of zeros in < 6 kB
    token = b64(bomb)
    assert len(token) <= MAX_TOKEN_CHARS
    assert "trop volumineux une fois décompressé" in _refused_quickly_and_small(token)


def test_hundred_megabyte_bomb_is_refused_by_its_length():
    token = b64(zlib.compress(b"\0" * 100_000_000, 9))
    assert "trop long" in _refused_quickly_and_small(token)


def test_hundred_megabyte_bomb_is_refused_by_the_decompression_cap(monkeypatch):
    # even if the token cap were raised, the bounded decompression stops at the byte cap
    monkeypatch.setattr(sharing, "MAX_TOKEN_CHARS", 10**7)
    token = b64(zlib.compress(b"\0" * 100_000_000, 9))
    assert "trop volumineux une fois décompressé" in _refused_quickly_and_small(token)


# --- what cannot be shared ------------------------------------------------------------------------

def test_a_scenario_too_large_for_a_link_is_refused_at_encoding(example):
    lines = [line.model_copy(update={"label": f"Ligne {i} " + "x" * (i % 50)})
             for i in range(2000) for line in example.cost_lines[:1]]
    big = example.model_copy(update={"cost_lines": lines})
    with pytest.raises(ScenarioError) as exc:
        encode_scenario(big)
    assert "trop volumineux pour un lien de partage" in message(exc)
    assert "exportez-le plutôt en fichier JSON" in message(exc)


def test_a_hundred_line_scenario_fits_in_a_link(example):
    lines = [line.model_copy(update={"label": f"Prestation {i}", "start_month": 1 + i % 12,
                                     "end_month": 2 + i % 12})
             for i in range(100) for line in example.cost_lines[:1]]
    scenario = example.model_copy(update={"cost_lines": lines})
    token = encode_scenario(scenario)
    assert len(token) <= MAX_TOKEN_CHARS
    assert decode_scenario(token) == scenario
