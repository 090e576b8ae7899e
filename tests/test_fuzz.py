"""Fuzzing of the scenario entry points (hypothesis, in the normal suite): scenario files and
JSON text, share links, the command line in-process, and the app's pages (AppTest).

Every input either gives a Scenario that evaluates under both readings, exports and displays, or
the documented error (ScenarioError; exit status 2), within bounded time: never another
exception, and never a change of the scenario on screen. The examples are derandomised so that a
CI run is reproducible; their counts keep the file within about 30 s on a 2-core machine."""

from __future__ import annotations

import base64
import contextlib
import io
import json
import zlib
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest
from test_properties import scenario_data, text

from guichet import cli
from guichet.engine.evaluate import evaluate
from guichet.io.exports import export
from guichet.io.loading import ScenarioError, dump_scenario, load_scenario
from guichet.io.sharing import decode_scenario, encode_scenario

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app.py"
EXAMPLE_TEXT = (ROOT / "examples" / "migration-pi.json").read_text(encoding="utf-8")
PAGES = ["pages/accueil.py", "pages/simulateur.py", "pages/calendrier.py", "pages/indicateurs.py",
         "pages/fichiers.py", "pages/comparer.py", "pages/regles.py"]


def fuzz(n: int) -> settings:
    return settings(max_examples=n, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck))


#: Values a hostile file puts where a field is expected (JSON-ready).
HOSTILE_STRINGS = ["1E-999999", "1E+999999", "-1E-99999999999", "9" * 5000, "0" * 400 + "1",
                   "NaN", "Infinity", "-0", "0x10", "1_000", " 12 ", "1e5", "", "\x00", "\x01\x02",
                   "a\r\n===", "\ud800", "\ufffe", "\U0010ffff", "＝1+1", "\u200b=HYPERLINK(1)",
                   "R&amp;D", "<script>x</script>", "![i](https://exemple.invalid/p.png)",
                   "2023-02-30", "9999-12-31", "0001-01-01", "x" * 5000]
hostile_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(min_value=-10**30, max_value=10**30),
              st.sampled_from(HOSTILE_STRINGS), text,
              st.decimals(allow_nan=False, allow_infinity=False).map(str)),
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.sampled_from(["label", "amount", "x", "name", "month"]),
                                            inner, max_size=3)),
    max_leaves=8)

#: Number literals written into the JSON text itself (not as strings).
HOSTILE_LITERALS = ["1" + "0" * 5000, "1E999999", "-1E-999999", "NaN", "Infinity", "-Infinity",
                    "1.5e308", "1e-400", "0.0000001", "123456789012345678901234567890"]


def leaves(node, path=()):
    """Every (path, value) of parsed JSON."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield from leaves(v, path + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from leaves(v, path + (i,))
    yield path, node


def put(data, path, value):
    if not path:
        return value
    node = data
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return data


@st.composite
def hostile_json(draw) -> str:
    """The example scenario with a few of its values replaced by hostile ones, written as JSON
    text, sometimes with a raw number literal, a duplicate key or a cut."""
    data = json.loads(EXAMPLE_TEXT)
    places = [p for p, _ in leaves(data)]
    for _ in range(draw(st.integers(1, 3))):
        data = put(data, draw(st.sampled_from(places)), draw(hostile_values))
        if not isinstance(data, dict):
            break
        places = [p for p, _ in leaves(data)]
    written = json.dumps(data, ensure_ascii=draw(st.booleans()))
    trick = draw(st.sampled_from(["none", "literal", "duplicate", "cut"]))
    if trick == "literal" and '"start_month": 1' in written:
        written = written.replace('"start_month": 1', '"start_month": ' + draw(st.sampled_from(HOSTILE_LITERALS)), 1)
    elif trick == "duplicate" and '"name": ' in written:
        written = written.replace('"name": ', '"name": "a", "name": ', 1)
    elif trick == "cut":
        written = written[:draw(st.integers(0, len(written)))]
    return written


def check_accepted(scenario) -> None:
    """An accepted scenario evaluates under both readings, exports (the fast formats) and
    round-trips through its file format."""
    for reading in ("total_cost", "eligible_base"):
        evaluation = evaluate(scenario, reading=reading)
    for fmt in ("md", "csv"):
        assert export(scenario, evaluation, fmt)
    assert load_scenario(dump_scenario(scenario)) == scenario


@fuzz(400)
@given(hostile_json())
def test_loading_hostile_json_gives_a_scenario_or_a_french_error(written: str) -> None:
    try:
        scenario = load_scenario(written)
    except ScenarioError as exc:
        assert exc.problems and all(str(p) for p in exc.problems)
        return
    check_accepted(scenario)


@fuzz(150)
@given(st.binary(max_size=400) | st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_loading_random_bytes_gives_a_french_error(data: bytes) -> None:
    try:
        load_scenario(data)
    except ScenarioError:
        return


def token_of(text: str) -> str:
    return base64.urlsafe_b64encode(zlib.compress(text.encode("utf-8", "surrogatepass"))).decode().rstrip("=")


@fuzz(150)
@given(st.one_of(hostile_json().map(token_of), st.text(max_size=300),
                 st.binary(max_size=300).map(lambda b: base64.urlsafe_b64encode(b).decode())))
def test_share_links_give_a_scenario_or_a_french_error(token: str) -> None:
    try:
        scenario = decode_scenario(token)
    except ScenarioError as exc:
        assert exc.problems
        return
    check_accepted(scenario)


@contextlib.contextmanager
def captured():
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        yield out, err


@fuzz(60)
@given(hostile_json(), st.sampled_from([["evaluate", "--format", "json"], ["evaluate"],
                                        ["export", "--format", "md", "-o"],
                                        ["export", "--format", "csv", "-o"]]))
def test_the_cli_exits_0_or_2_with_french_messages(tmp_path_factory, written: str, command) -> None:
    folder = tmp_path_factory.mktemp("cli")
    path = folder / "s.json"
    path.write_text(written, encoding="utf-8", errors="surrogatepass")
    argv = [command[0], str(path), *command[1:]]
    if command[-1] == "-o":
        argv.append(str(folder / "out"))
    with captured() as (_, err):
        code = cli.main(argv)
    assert code in (0, 2)
    if code == 2:
        lines = err.getvalue().splitlines()
        assert lines and all(line.startswith("Erreur : ") for line in lines)


# --- the app --------------------------------------------------------------------------------

def wide_scenarios():
    """Valid scenarios, with numbers up to the format's bounds."""
    edge = st.sampled_from([Decimal("0.000001"), Decimal("999999999999.999999"), Decimal(0),
                            Decimal("1000000000000")])

    def widen(data: dict, amount: Decimal, savings: Decimal, rate: Decimal | None) -> dict:
        for line in data["cost_lines"][:1]:
            line["amount"] = amount
        if savings:
            data["indicators"]["annual_savings_ttc"] = min(savings, Decimal("1000000000000"))
        if rate:
            data["requested_rate"] = rate
        return data
    rates = st.sampled_from([None, Decimal("0.000001"), Decimal("0.001"), Decimal("0.5")])
    return st.builds(widen, scenario_data(max_lines=6), edge, edge, rates).map(
        lambda d: load_scenario(json.dumps(d, default=str)))


@fuzz(10)
@given(wide_scenarios())
def test_any_accepted_scenario_displays_on_every_page(scenario) -> None:
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    at.session_state["workspace"].add(scenario)
    for page in PAGES:
        at.switch_page(page).run()
        assert not at.exception, (page, at.exception)
    at.switch_page("pages/simulateur.py").run()
    charts = next(t for t in at.toggle if t.label.startswith("Afficher les graphiques"))
    charts.set_value(True).run()
    assert not at.exception, at.exception


@fuzz(20)
@given(hostile_json())
def test_opening_a_hostile_file_or_link_in_the_app_changes_nothing_or_adds_it(written: str) -> None:
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    at.switch_page("pages/fichiers.py").run()
    before = at.session_state["workspace"].scenario
    upload = next(u for u in at.file_uploader if u.label.startswith("Ouvrir un scénario"))
    upload.upload("s.json", written.encode("utf-8", "surrogatepass"), "application/json").run()
    assert not at.exception, at.exception
    try:
        accepted = load_scenario(written)
    except ScenarioError:
        assert at.session_state["workspace"].scenario == before
        assert any("n’a pas pu être ouvert" in e.value for e in at.error)
    else:
        assert at.session_state["workspace"].scenario == accepted
        at.query_params["s"] = encode_scenario(accepted) if len(written) < 3000 else "x"
        at.switch_page("pages/simulateur.py").run()
        assert not at.exception, at.exception
