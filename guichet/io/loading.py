"""Reading and writing scenario files, with one clear French message per problem.

Every problem names the field path (``cost_lines[2].amount``) so the user can find it. Nothing
here raises anything but :class:`ScenarioError` on bad input.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from guichet.engine.models import SCHEMA_VERSION, Scenario
from guichet.present.formatting import number

MAX_SCENARIO_BYTES = 5_000_000  # a 20 000-line scenario is about 3 MB of JSON


@dataclass(frozen=True)
class Problem:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path} : {self.message}" if self.path else self.message


class ScenarioError(ValueError):
    """The input is not a valid scenario; ``problems`` says where and why, in French."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class _NonFinite:
    def __init__(self, text: str):
        self.text = text


class _TooLong:
    """A number literal too long to be read (a 5 000-digit integer): refused with its path."""

    def __init__(self, text: str):
        self.text = text


class _Duplicates(dict[str, Any]):
    """A JSON object that names a key more than once (the keys are in ``duplicates``)."""

    duplicates: list[str]


#: Longest number literal read from JSON; the models then allow at most MAX_DIGITS digits.
MAX_NUMBER_CHARS = 60


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) == len(pairs):
        return obj
    dup = _Duplicates(obj)
    seen: set[str] = set()
    dup.duplicates = [k for k, _ in pairs if k in seen or seen.add(k)]  # type: ignore[func-returns-value]
    return dup


def _int(text: str) -> int | _TooLong:
    return _TooLong(text) if len(text) > MAX_NUMBER_CHARS else int(text)


def _float(text: str) -> Decimal | _TooLong:
    return _TooLong(text) if len(text) > MAX_NUMBER_CHARS else Decimal(text)


#: The ``id`` of the data of the last :func:`parse_json` of this context when that parse made no
#: marker (no NaN, no over-long number, no duplicated key): its walk can be skipped.
_UNMARKED: ContextVar[int | None] = ContextVar("_unmarked", default=None)


def _key_shown(key: str) -> str:
    """A key of the file as a message shows it: a key holding control or other unprintable
    characters is written with escapes, a long one cut (it came from outside)."""
    key = str(key)
    if not key.isprintable():
        key = repr(key)[1:-1]
    return key if len(key) <= 40 else key[:39] + "…"


def path_of(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + _key_shown(part)
    return out


def _walk_nonfinite(value: Any, loc: tuple[int | str, ...] = ()) -> list[Problem]:
    """Every NaN/Infinity marker, number too long and duplicated key in parsed JSON, with its
    path, in document order.

    Iterative (an explicit stack), so a deeply nested document cannot exhaust Python's recursion
    limit; only containers and markers are visited, so a large scenario is walked quickly."""
    problems = []
    stack = [(value, loc)]
    while stack:
        node, where = stack.pop()
        if isinstance(node, _NonFinite):
            problems.append(Problem(path_of(where),
                                    f"valeur non finie ({node.text}) : un nombre fini est attendu"))
        elif isinstance(node, _TooLong):
            problems.append(Problem(path_of(where), f"nombre trop long ({len(node.text)} "
                                                    f"caractères ; au plus {MAX_NUMBER_CHARS})"))
        elif isinstance(node, dict):
            if isinstance(node, _Duplicates):
                problems.extend(Problem(path_of(where + (k,)), "champ en double : il ne doit "
                                        "figurer qu’une fois dans son objet")
                                for k in dict.fromkeys(node.duplicates))
            stack.extend((v, where + (k,)) for k, v in reversed(node.items())
                         if isinstance(v, _WALKED))
        elif isinstance(node, list):
            stack.extend((node[i], where + (i,)) for i in range(len(node) - 1, -1, -1)
                         if isinstance(node[i], _WALKED))
    return problems


_WALKED = (dict, list, _NonFinite, _TooLong)


def _shown(given: Any) -> str:
    """The received value as shown in a message: short, a container named (not printed), never
    a repr of Decimal (JSON numbers are parsed as Decimal)."""
    if isinstance(given, dict):
        return "un objet"
    if isinstance(given, list):
        return "une liste"
    shown = repr(str(given)) if isinstance(given, Decimal) else repr(given)
    return shown[:57] + "…" if len(shown) > 60 else shown


def _choices(ctx: Mapping[str, Any]) -> str:
    expected = str(ctx.get("expected", ""))
    return expected.replace(" or ", ", ")


def french_message(err: Mapping[str, Any]) -> str:
    """A French message for one pydantic error."""
    kind, ctx, given = err["type"], err.get("ctx") or {}, err.get("input")
    shown = _shown(given)
    unknown = (f"valeur inconnue (reçu {shown})" if isinstance(given, (dict, list))
               else f"valeur {shown} inconnue")
    messages = {
        "missing": "champ obligatoire manquant",
        "extra_forbidden": "champ inconnu du format de scénario",
        "literal_error": f"{unknown} ; valeurs possibles : {_choices(ctx)}",
        "enum": f"{unknown} ; valeurs possibles : {_choices(ctx)}",
        "decimal_parsing": f"nombre attendu (reçu {shown})",
        "decimal_type": f"nombre attendu (reçu {shown})",
        "finite_number": "nombre fini attendu (NaN et Infinity sont refusés)",
        "int_parsing": f"nombre entier attendu (reçu {shown})",
        "int_type": f"nombre entier attendu (reçu {shown})",
        "int_from_float": f"nombre entier attendu (reçu {shown})",
        "int_parsing_size": f"nombre entier trop grand (reçu {shown})",
        "bool_parsing": f"vrai ou faux attendu (reçu {shown})",
        "bool_type": f"vrai ou faux attendu (reçu {shown})",
        "string_type": f"texte attendu (reçu {shown})",
        "list_type": "liste attendue",
        "model_type": "objet attendu",
        "model_attributes_type": "objet attendu",
        "dict_type": "objet attendu",
        "date_from_datetime_parsing": f"date attendue au format AAAA-MM-JJ (reçu {shown})",
        "date_parsing": f"date attendue au format AAAA-MM-JJ (reçu {shown})",
        "date_type": f"date attendue au format AAAA-MM-JJ (reçu {shown})",
        "date_from_datetime_inexact": f"date attendue au format AAAA-MM-JJ, sans heure (reçu {shown})",
        "string_unicode": "texte invalide (caractère Unicode incomplet)",
        "greater_than_equal": f"doit être supérieur ou égal à {ctx.get('ge')} (reçu {shown})",
        "greater_than": f"doit être supérieur à {ctx.get('gt')} (reçu {shown})",
        "less_than_equal": f"doit être inférieur ou égal à {ctx.get('le')} (reçu {shown})",
        "less_than": f"doit être inférieur à {ctx.get('lt')} (reçu {shown})",
        "too_short": f"au moins {ctx.get('min_length')} élément(s) attendu(s)",
        "too_long": f"au plus {ctx.get('max_length')} élément(s) ou caractères",
        "string_too_long": f"texte trop long (au plus {ctx.get('max_length')} caractères)",
        "decimal_max_digits": "nombre trop long",
        "decimal_max_places": "trop de décimales",
    }
    if kind in messages:
        return messages[kind]
    if kind == "literal_error" or kind.startswith("literal"):
        return unknown
    return str(err.get("msg", "valeur invalide"))


#: At most this many problems are reported for one input (a file of 20 000 wrong lines would
#: otherwise give hundreds of thousands of messages, of which a person reads the first).
MAX_PROBLEMS = 100


def _capped(problems: list[Problem], more: int = 0) -> list[Problem]:
    """The first MAX_PROBLEMS problems, and one line saying how many more there are."""
    extra = len(problems) - MAX_PROBLEMS + more
    if extra <= 0:
        return problems
    return problems[:MAX_PROBLEMS] + [Problem("", f"et {extra} autre(s) problème(s) : corriger "
                                                  "d’abord les premiers")]


#: The fields each object of the format may have, by where it stands (lists by their items).
def _known_fields() -> dict[tuple[str, ...], frozenset[str]]:
    from guichet.engine.models import (Applicant, CostLine, DatedTarget, Extension, ImpactIndicator,
                                       Indicators, Migration, Milestone)
    return {(): frozenset(Scenario.model_fields), ("applicant",): frozenset(Applicant.model_fields),
            ("migration",): frozenset(Migration.model_fields),
            ("extension",): frozenset(Extension.model_fields),
            ("cost_lines",): frozenset(CostLine.model_fields),
            ("milestones",): frozenset(Milestone.model_fields),
            ("indicators",): frozenset(Indicators.model_fields),
            ("indicators", "impact"): frozenset(ImpactIndicator.model_fields),
            ("indicators", "impact", "targets"): frozenset(DatedTarget.model_fields)}


def _unknown_fields(data: dict[str, Any]) -> tuple[list[Problem], int]:
    """The unknown fields of a scenario, found cheaply before validation: (the first
    MAX_PROBLEMS + 1 of them, how many in all). A flood of unknown keys is refused without
    building a validation error for each. Only the format's own containers are entered."""
    found: list[Problem] = []
    count = 0
    known = _known_fields()
    stack: list[tuple[tuple[str, ...], tuple[int | str, ...], Any]] = [((), (), data)]
    while stack:
        shape, loc, node = stack.pop()
        items = enumerate(node) if isinstance(node, list) else ((None, node),)
        fields = known[shape]
        children = [k for k in (s[-1] for s in known if s[:-1] == shape and s)]
        for i, obj in items:
            if not isinstance(obj, dict):
                continue
            where = loc if i is None else loc + (i,)
            extra = obj.keys() - fields
            if extra:
                count += len(extra)
                found += [Problem(path_of(where + (key,)), "champ inconnu du format de scénario")
                          for key in obj if key in extra][:MAX_PROBLEMS + 1 - len(found)]
            for key in children:
                value = obj.get(key)
                if isinstance(value, (dict, list)):
                    stack.append((shape + (key,), where + (key,), value))
    return found, count


def _problems_from(exc: ValidationError) -> list[Problem]:
    """The French problems of a validation error: the first MAX_PROBLEMS of them (only those are
    put into words), then how many more."""
    problems = []
    for err in exc.errors(include_url=False)[:MAX_PROBLEMS]:
        loc = tuple(err["loc"])
        if err["type"] == "literal_error" and loc == ("schema_version",):
            given = err.get("input")
            version = (f"version de format inconnue (reçu {_shown(given)})"
                       if isinstance(given, (dict, list))
                       else f"version de format {_shown(given)} inconnue")
            problems.append(Problem("schema_version", f"{version} ; seule la version "
                                                      f"{SCHEMA_VERSION} est prise en charge"))
            continue
        problems.append(Problem(path_of(loc), french_message(err)))
    return _capped(problems, exc.error_count() - len(problems))


def scenario_from_data(data: Any) -> Scenario:
    """Validate already-parsed JSON data (numbers as Decimal, not float) into a Scenario."""
    problems = [] if _UNMARKED.get() == id(data) else _walk_nonfinite(data)
    if problems:
        raise ScenarioError(problems)
    if not isinstance(data, dict):
        raise ScenarioError([Problem("", "le scénario doit être un objet JSON ({…})")])
    unknown, count = _unknown_fields(data)
    if count > MAX_PROBLEMS:
        raise ScenarioError(_capped(unknown[:MAX_PROBLEMS], count - MAX_PROBLEMS))
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(_problems_from(exc)) from None


def changed(scenario: Scenario, **fields: Any) -> Scenario:
    """A copy of ``scenario`` with ``fields`` replaced, validated as a whole (list caps, lengths,
    the values themselves): every change of the session goes through the models, as a file does.
    Raises :class:`ScenarioError`; ``scenario`` is unchanged. Models given as values (cost lines
    already validated) are not validated twice."""
    try:
        return Scenario.model_validate({**dict(scenario), **fields})
    except ValidationError as exc:
        raise ScenarioError(_problems_from(exc)) from None


def parse_json(text: str | bytes) -> Any:
    """Parse JSON with decimals kept exact; NaN/Infinity, over-long numbers and duplicated keys
    marked (reported with their path by :func:`scenario_from_data`)."""
    if isinstance(text, bytes):
        if len(text) > MAX_SCENARIO_BYTES:
            raise ScenarioError([Problem("", "fichier trop volumineux : plus de "
                                             f"{number(MAX_SCENARIO_BYTES)} octets")])
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ScenarioError([Problem("", "le fichier n’est pas du texte UTF-8")]) from None
    elif len(text) > MAX_SCENARIO_BYTES:
        raise ScenarioError([Problem("", f"texte trop volumineux (au plus {MAX_SCENARIO_BYTES} "
                                         "caractères)")])
    text = text.lstrip("\ufeff")
    marked: list[object] = []

    def mark(made: Any) -> Any:
        if isinstance(made, (_NonFinite, _TooLong, _Duplicates)):
            marked.append(made)
        return made
    try:
        data = json.loads(text, parse_float=lambda t: mark(_float(t)),
                          parse_int=lambda t: mark(_int(t)),
                          parse_constant=lambda t: mark(_NonFinite(t)),
                          object_pairs_hook=lambda pairs: mark(_object(pairs)))
        _UNMARKED.set(None if marked else id(data))
        return data
    except json.JSONDecodeError as exc:
        raise ScenarioError([Problem("", f"JSON mal formé, ligne {exc.lineno}, colonne {exc.colno} : "
                                         f"{_json_reason(exc.msg)}")]) from None
    except RecursionError:
        raise ScenarioError([Problem("", "JSON trop profondément imbriqué")]) from None


def _json_reason(msg: str) -> str:
    known = {
        "Expecting value": "valeur attendue",
        "Expecting property name enclosed in double quotes": "nom de champ entre guillemets attendu",
        "Expecting ',' delimiter": "virgule attendue",
        "Expecting ':' delimiter": "deux-points attendus",
        "Extra data": "contenu en trop après la fin du JSON",
        "Unterminated string starting at": "texte non terminé",
        "Invalid control character at": "caractère de contrôle interdit",
    }
    return known.get(msg, msg)


def load_scenario(text: str | bytes) -> Scenario:
    """A Scenario from JSON text or bytes; raises ScenarioError with every problem found."""
    return scenario_from_data(parse_json(text))


def scenario_to_data(scenario: Scenario) -> dict[str, Any]:
    """The scenario as JSON-ready data (money as strings: exact)."""
    return scenario.model_dump(mode="json")


def dump_scenario(scenario: Scenario, indent: int | None = 2) -> str:
    return json.dumps(scenario_to_data(scenario), ensure_ascii=False, indent=indent)


def scenario_file_bytes(scenario: Scenario) -> bytes:
    """The saved file (« Enregistrer »): indented JSON, or compact JSON when the indented form
    would be over the size a file may have to reopen (a 20 000-line scenario). Still over it (very
    long texts on every line), the page says so: see :func:`reopens`."""
    data = dump_scenario(scenario).encode("utf-8")
    if len(data) > MAX_SCENARIO_BYTES:
        data = dump_scenario(scenario, indent=None).encode("utf-8")
    return data


def reopens(saved: bytes) -> bool:
    """Whether a saved file is within the size a scenario file may have."""
    return len(saved) <= MAX_SCENARIO_BYTES
