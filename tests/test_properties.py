"""Properties of the engine over generated scenarios (hypothesis)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guichet.engine.evaluate import evaluate
from guichet.engine.models import MAX_AMOUNT, MAX_MONTH, MAX_START_DATE, MIN_START_DATE, Scenario
from guichet.io.loading import dump_scenario, load_scenario, scenario_from_data

BASE = Path(__file__).parent / "cases" / "_base.json"
CAP = Decimal("0.5")  # « jusqu'à 50% » (the contract of issue 2)
CENT = Decimal("0.01")
READINGS = ("total_cost", "eligible_base")
CATEGORIES = ("external_services", "internal_staff", "training", "hardware", "software",
              "cloud_resources", "functional_changes", "other")
EXCLUDED = ("hardware", "software", "cloud_resources", "functional_changes")

PROPERTIES = settings(max_examples=150, deadline=None,
                      suppress_health_check=[HealthCheck.too_slow])

#: Text the format accepts: any character but controls, surrogates and noncharacters.
text = st.text(st.characters(exclude_categories=("Cc", "Cs"),
                             exclude_characters="".join(chr(c) for c in range(0xFDD0, 0xFDF0))
                             + "".join(chr(p * 0x10000 + 0xFFFE + i) for p in range(17)
                                       for i in (0, 1))), max_size=30)
amounts = st.one_of(
    st.decimals(min_value=0, max_value=5_000_000, places=2),       # usual amounts, to the cent
    st.decimals(min_value=0, max_value=1_000, places=4),           # sub-cent amounts: rounding
    st.decimals(min_value=0, max_value=MAX_AMOUNT, places=0),      # up to the sanity bound
    st.integers(min_value=0, max_value=10_000_000),                # JSON integers
)
vat_rates = st.one_of(st.none(), st.sampled_from([Decimal("0"), Decimal("0.055"), Decimal("0.1"),
                                                  Decimal("0.2")]),
                      st.decimals(min_value=0, max_value=1, places=4))
rates = st.one_of(st.just(None), st.decimals(min_value=Decimal("0.0001"), max_value=CAP, places=4))


@st.composite
def cost_lines(draw, categories=CATEGORIES) -> dict:
    start = draw(st.integers(min_value=1, max_value=36))
    line = {"label": draw(text), "category": draw(st.sampled_from(categories)),
            "amount": draw(amounts), "basis": draw(st.sampled_from(["ht", "ttc"])),
            "start_month": start,
            "end_month": draw(st.integers(min_value=start, max_value=min(start + 30, MAX_MONTH)))}
    vat = draw(vat_rates)
    if vat is not None:
        line["vat_rate"] = vat
    return line


APPLICANT_KINDS = ["state_administration", "state_operator", "other"]


def operations(texts, max_commitments: int = 5):
    """(migration, extension) of the format, their texts drawn from ``texts``."""
    migration = st.one_of(st.none(), st.fixed_dictionaries({
        "origin": st.sampled_from(["physical", "other_internal_cloud", "unqualified_cloud",
                                   "trusted_cloud"]),
        "target": st.sampled_from(["pi", "nubo", "secnumcloud", "other"]),
        "applications": st.lists(texts, max_size=3)}))
    extension = st.one_of(st.none(), st.fixed_dictionaries({
        "clouds": st.sampled_from([["pi"], ["nubo"], ["pi", "nubo"], ["nubo", "pi"]]),
        "services": st.lists(texts, max_size=3),
        "third_party_commitments": st.integers(min_value=0, max_value=max_commitments)}))
    return migration, extension


@st.composite
def scenario_data(draw, max_lines: int = 12) -> dict:
    migration, extension = operations(text)
    data = {
        "schema_version": 1,
        "name": "Scénario " + draw(text),  # never empty: the format refuses an empty name
        "applicant": {"name": draw(text), "kind": draw(st.sampled_from(APPLICANT_KINDS))},
        "migration": draw(migration),
        "extension": draw(extension),
        "start_date": draw(st.dates(MIN_START_DATE, MAX_START_DATE)).isoformat(),
        "cost_lines": draw(st.lists(cost_lines(), max_size=max_lines)),
        "milestones": draw(st.lists(st.fixed_dictionaries({
            "label": text, "month": st.integers(min_value=1, max_value=MAX_MONTH),
            "impact": st.booleans()}), max_size=4)),
        "indicators": draw(st.fixed_dictionaries({}, optional={
            "annual_savings_ttc": st.decimals(min_value=-10**6, max_value=10**7, places=2),
            "agents_trained": st.integers(min_value=0, max_value=10_000),
            "impact": st.lists(st.fixed_dictionaries({"name": text}, optional={
                "unit": text, "baseline": st.decimals(min_value=-1000, max_value=1000, places=1),
                "target": st.decimals(min_value=-1000, max_value=1000, places=1),
                "month": st.integers(min_value=1, max_value=MAX_MONTH)}), max_size=3)})),
    }
    rate = draw(rates)
    if rate is not None:
        data["requested_rate"] = rate
    return data


def to_json(data: dict) -> str:
    """JSON text with exact decimals (as the app and the CLI receive them)."""
    return json.dumps(data, ensure_ascii=False, default=str)


scenarios = scenario_data().map(scenario_from_data)


def money(result: dict, key: str) -> Decimal:
    return Decimal(result[key])


@PROPERTIES
@given(scenarios, st.sampled_from(READINGS))
def test_any_valid_scenario_evaluates(scenario: Scenario, reading: str) -> None:
    evaluation = evaluate(scenario, reading=reading)
    result = json.loads(evaluation.model_dump_json())
    assert result["reading"] == reading
    assert result["status"] in ("eligible", "eligible_with_reservations", "ineligible")
    assert set(result["explanations"]) >= {"total_cost_ttc", "eligible_base_ttc", "cofinancing_ttc"}
    for key in ("total_cost_ttc", "excluded_cost_ttc", "eligible_base_ttc",
                "potential_cofinancing_ttc", "cofinancing_ttc", "own_contribution_ttc"):
        assert result[key] == f"{money(result, key):.2f}"  # a string with two decimals
    severities = {c["severity"] for c in result["checks"]}
    assert (result["status"] == "ineligible") == ("blocking" in severities)


@PROPERTIES
@given(scenarios, st.sampled_from(READINGS))
def test_cofinancing_never_above_the_cap(scenario: Scenario, reading: str) -> None:
    e = evaluate(scenario, reading=reading)
    base, rate = e.eligible_base_ttc, scenario.requested_rate
    assert Decimal(0) <= e.cofinancing_ttc <= e.potential_cofinancing_ttc
    assert e.potential_cofinancing_ttc <= CAP * base
    assert e.potential_cofinancing_ttc <= rate * base
    assert rate * base - e.potential_cofinancing_ttc < CENT  # rounded down, to the cent
    assert e.cofinancing_ttc in (e.potential_cofinancing_ttc, Decimal(0))
    assert e.own_contribution_ttc == e.total_cost_ttc - e.cofinancing_ttc


@PROPERTIES
@given(scenarios)
def test_base_within_total(scenario: Scenario) -> None:
    e = evaluate(scenario)
    assert Decimal(0) <= e.eligible_base_ttc <= e.total_cost_ttc
    assert e.eligible_base_ttc + e.excluded_cost_ttc == e.total_cost_ttc
    assert e.total_cost_ttc == sum((line.ttc for line in e.lines), Decimal(0))
    assert e.excluded_cost_ttc == sum((line.ttc for line in e.lines if line.excluded), Decimal(0))
    for line in e.lines:
        assert line.ttc == line.ttc.quantize(CENT)


@PROPERTIES
@given(scenario_data(), cost_lines(categories=EXCLUDED), st.integers(min_value=0, max_value=12),
       st.sampled_from(READINGS))
def test_adding_an_excluded_line_never_changes_the_base(data: dict, extra: dict, where: int,
                                                        reading: str) -> None:
    before = evaluate(scenario_from_data(data), reading=reading)
    data["cost_lines"].insert(min(where, len(data["cost_lines"])), extra)
    after = evaluate(scenario_from_data(data), reading=reading)
    assert after.eligible_base_ttc == before.eligible_base_ttc
    assert after.potential_cofinancing_ttc == before.potential_cofinancing_ttc
    assert after.training_cost_ttc == before.training_cost_ttc
    added = after.lines[min(where, len(after.lines) - 1)]
    assert added.excluded
    assert after.total_cost_ttc == before.total_cost_ttc + added.ttc
    assert after.excluded_cost_ttc == before.excluded_cost_ttc + added.ttc


@PROPERTIES
@given(scenario_data(), st.randoms(use_true_random=False), st.sampled_from(READINGS))
def test_line_order_changes_nothing(data: dict, rnd, reading: str) -> None:
    before = evaluate(scenario_from_data(data), reading=reading).model_dump(mode="json")
    rnd.shuffle(data["cost_lines"])
    rnd.shuffle(data["milestones"])
    after = evaluate(scenario_from_data(data), reading=reading).model_dump(mode="json")

    def unordered(lines):
        return sorted(json.dumps({k: v for k, v in line.items() if k != "index"}, sort_keys=True)
                      for line in lines)

    assert unordered(after.pop("lines")) == unordered(before.pop("lines"))
    assert after == before


@PROPERTIES
@given(scenarios)
def test_monthly_schedule_sums_to_the_total(scenario: Scenario) -> None:
    e = evaluate(scenario)
    months = e.monthly_schedule
    assert [m.month for m in months] == list(range(1, len(months) + 1))
    assert len(months) == max((line.end_month for line in scenario.cost_lines), default=0)
    assert sum((m.total_ttc for m in months), Decimal(0)) == e.total_cost_ttc
    assert sum((m.eligible_ttc for m in months), Decimal(0)) == e.eligible_base_ttc
    assert sum((m.excluded_ttc for m in months), Decimal(0)) == e.excluded_cost_ttc
    cumulative = Decimal(0)
    for m in months:
        assert m.eligible_ttc >= 0 and m.excluded_ttc >= 0
        assert m.total_ttc == m.eligible_ttc + m.excluded_ttc
        cumulative += m.total_ttc
        assert m.cumulative_ttc == cumulative


@PROPERTIES
@given(cost_lines())
def test_a_line_is_spread_evenly_over_its_months(line: dict) -> None:
    data = json.loads(BASE.read_text(encoding="utf-8"))
    data["cost_lines"] = [line]
    e = evaluate(scenario_from_data(data))
    spent = [m.total_ttc for m in e.monthly_schedule][line["start_month"] - 1:]
    assert sum(spent, Decimal(0)) == e.total_cost_ttc
    assert all(m.total_ttc == 0 for m in e.monthly_schedule[: line["start_month"] - 1])
    assert max(spent) - min(spent) <= CENT  # even, to the cent
    assert spent == sorted(spent, reverse=True)  # the leftover cents go to the first months


@PROPERTIES
@given(scenario_data())
def test_json_round_trip(data: dict) -> None:
    scenario = load_scenario(to_json(data))
    again = load_scenario(dump_scenario(scenario))
    assert again == scenario
    assert dump_scenario(again) == dump_scenario(scenario)
    assert load_scenario(dump_scenario(scenario, indent=None)) == scenario


@PROPERTIES
@given(scenario_data(), st.sampled_from(READINGS))
def test_json_text_and_data_give_the_same_evaluation(data: dict, reading: str) -> None:
    from_text = evaluate(load_scenario(to_json(data)), reading=reading)
    from_data = evaluate(scenario_from_data(data), reading=reading)
    assert from_text.model_dump(mode="json") == from_data.model_dump(mode="json")
