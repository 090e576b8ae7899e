"""Indicators: savings (declared or derived), payback, five-year savings, DORA bands, the checks,
and the charts of the Indicateurs page — both sides of each condition."""

import json
from decimal import Decimal

import pytest

from guichet.engine.evaluate import evaluate
from guichet.engine.indicators import (annual_savings, band_of, load_presets, payback_months,
                                       payback_series)
from guichet.io.loading import load_scenario, scenario_from_data, scenario_to_data
from guichet.present import charts
from guichet.session import changes
from guichet.session.presets import load_preset


def with_indicators(**indicators):
    data = scenario_to_data(load_preset("migration-pi"))
    data["indicators"] = indicators
    return scenario_from_data(data)


def test_declared_savings_win_over_run_costs():
    s = with_indicators(annual_savings_ttc="10000", current_annual_run_cost_ttc="90000",
                        target_annual_run_cost_ttc="50000")
    assert annual_savings(s.indicators) == (Decimal("10000"), "declared")


def test_savings_derived_from_run_costs_satisfy_the_mandatory_indicator():
    s = with_indicators(current_annual_run_cost_ttc="90000", target_annual_run_cost_ttc="50000",
                        agents_trained=3)
    e = evaluate(s)
    assert e.annual_savings_ttc == Decimal("40000") and e.annual_savings_source == "derived"
    assert "SAVINGS_INDICATOR_MISSING" not in e.codes()
    assert e.explanations["annual_savings_ttc"].computation == (
        "coût annuel actuel 90\u202f000,00\u00a0€ − coût annuel visé 50\u202f000,00\u00a0€ = "
        "40\u202f000,00\u00a0€")


def test_one_run_cost_alone_is_not_enough():
    e = evaluate(with_indicators(current_annual_run_cost_ttc="90000"))
    assert e.annual_savings_ttc is None
    assert "SAVINGS_INDICATOR_MISSING" in e.codes()


def test_payback_both_sides():
    # own contribution 126 000 €: 42 000 €/yr → exactly 36 months; 41 999 €/yr → 37 months
    assert payback_months(Decimal("126000.00"), Decimal("42000")) == 36
    assert payback_months(Decimal("126000.00"), Decimal("41999")) == 37
    assert payback_months(Decimal("126000.00"), Decimal("0")) is None
    assert payback_months(Decimal("126000.00"), Decimal("-5")) is None
    assert payback_months(Decimal("126000.00"), None) is None
    assert payback_months(Decimal("0.00"), Decimal("1")) == 0


def test_evaluation_carries_payback_and_five_year_savings():
    e = evaluate(load_preset("migration-pi"))  # own 126 000 €, savings 42 000 €/yr
    assert e.payback_months == 36
    assert e.five_year_savings_ttc == Decimal("210000.00")
    dumped = e.model_dump(mode="json")
    assert dumped["payback_months"] == 36 and dumped["five_year_savings_ttc"] == "210000.00"
    assert "= 36 mois" in e.explanations["payback_months"].computation


def test_negative_savings_give_no_payback():
    e = evaluate(with_indicators(annual_savings_ttc="-1000", agents_trained=1))
    assert e.payback_months is None
    assert e.five_year_savings_ttc == Decimal("-5000.00")
    assert "pas d’économies positives" in e.explanations["payback_months"].computation


def test_payback_series_crosses_at_the_payback_month():
    series = payback_series(Decimal("126000.00"), Decimal("42000"), 5)
    assert len(series) == 61
    assert series[36]["cumulative_savings"] == Decimal("126000.00")
    assert series[35]["cumulative_savings"] < Decimal("126000.00")


@pytest.mark.parametrize("preset,value,band", [
    ("deployment_frequency", "30", "Élite"), ("deployment_frequency", "29.99", "Élevée"),
    ("deployment_frequency", "1", "Élevée"), ("deployment_frequency", "0.99", "Moyenne"),
    ("deployment_frequency", "0.1", "Faible"),
    ("lead_time", "0.5", "Élite"), ("lead_time", "1", "Élevée"), ("lead_time", "168", "Moyenne"),
    ("lead_time", "4380", "Faible"),
    ("time_to_restore", "0.99", "Élite"), ("time_to_restore", "23.9", "Élevée"),
    ("time_to_restore", "24", "Moyenne"), ("time_to_restore", "168", "Faible"),
    ("change_success_rate", "85", "Élite"), ("change_success_rate", "84.9", "Élevée, moyenne ou faible"),
])
def test_dora_bands_both_sides(preset, value, band):
    assert band_of(load_presets().presets[preset], Decimal(value)) == band


def test_service_usage_has_no_bands():
    assert band_of(load_presets().presets["service_usage"], Decimal("10")) is None
    assert band_of(None, Decimal("10")) is None


def test_several_dated_targets_and_the_first_form_both_count():
    data = scenario_to_data(load_preset("migration-pi"))
    data["indicators"]["impact"] = [
        {"name": "RTO", "unit": "heures", "preset": "time_to_restore", "baseline": "48",
         "targets": [{"month": 12, "value": "2"}, {"month": 6, "value": "12"}]}]
    e = evaluate(scenario_from_data(data))
    r = e.impact_indicators[0]
    assert [(t.month, str(t.value), t.band) for t in r.targets] == [(6, "12", "Élevée"), (12, "2", "Élevée")]
    assert r.baseline_band == "Moyenne" and r.complete
    assert "IMPACT_INDICATORS_MISSING" not in e.codes()


def test_indicator_without_target_is_not_complete():
    data = scenario_to_data(load_preset("migration-pi"))
    data["indicators"]["impact"] = [{"name": "RTO", "baseline": "48"}]
    e = evaluate(scenario_from_data(data))
    assert not e.impact_indicators[0].complete
    assert "IMPACT_INDICATORS_MISSING" in e.codes()


def test_old_files_still_load():
    """schema_version 1 files written before these fields existed load unchanged."""
    text = (load_preset("migration-pi").model_dump_json(exclude={"indicators": {
        "current_annual_run_cost_ttc", "target_annual_run_cost_ttc", "agents_cloud_context"}}))
    assert load_scenario(text) == load_preset("migration-pi")


def test_form_adds_targets_and_removes_indicators():
    s = changes.add_impact_indicator(load_preset("migration-pi"), "lead_time")
    assert s.indicators.impact[-1].preset == "lead_time"
    s, left_out = changes.set_impact_targets(s, 2, [{"month": 6, "value": 48.0},
                                                 {"month": None, "value": 3.0},
                                                 {"month": None, "value": None}])
    assert [(t.month, t.value) for t in s.indicators.impact[2].targets] == [(6, Decimal("48.0"))]
    assert left_out == 1
    s = changes.remove_impact_indicator(s, 0)
    assert [i.name for i in s.indicators.impact][-1].startswith("Temps de mise")
    free = changes.add_impact_indicator(s, None)
    assert free.indicators.impact[-1].name == "Nouvel indicateur"


def test_set_field_reaches_into_lists():
    s = changes.set_field(load_preset("migration-pi"), "indicators.impact.1.baseline", Decimal("24"))
    assert s.indicators.impact[1].baseline == Decimal("24")


def test_indicator_chart_data_and_bands():
    e = evaluate(load_preset("migration-pi"))
    rto = e.impact_indicators[1]
    spec = charts.vega_spec(charts.indicator_chart(rto))
    assert spec["config"]["locale"]["number"]["decimal"] == ","
    marks = [layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"]
             for layer in spec["layer"]]
    assert marks[0] == "rect" and "line" in marks and "point" in marks
    table = charts.indicator_table(rto)
    assert list(table["Point"]) == ["Mesure actuelle", "Cible"]
    assert list(table["Bande DORA"]) == ["Moyenne", "Élevée"]


def test_payback_chart_marks_break_even_and_its_table():
    e = evaluate(load_preset("migration-pi"))
    spec = charts.vega_spec(charts.payback_chart(e))
    assert "Retour sur investissement : 36 mois" in json.dumps(spec, ensure_ascii=False)
    table = charts.payback_table(e)
    assert list(table["Mois"]) == ["Fin du projet", "M12", "M24", "M36", "M48", "M60"]
    assert table.iloc[3]["Économies cumulées"] == table.iloc[3]["Reste à charge"]


def test_payback_chart_without_savings_is_a_placeholder():
    e = evaluate(with_indicators(agents_trained=1))
    spec = charts.vega_spec(charts.payback_chart(e))
    assert spec["mark"]["type"] == "text"


def test_a_preset_is_recognised_by_name_only_in_its_own_unit():
    e = evaluate(load_preset("secnumcloud-applications"))
    lead = next(r for r in e.impact_indicators if r.name.startswith("Temps de mise"))
    assert lead.unit == "jours" and lead.preset is None and lead.baseline_band is None
    data = scenario_to_data(load_preset("secnumcloud-applications"))
    data["indicators"]["impact"][1]["unit"] = "heures"
    lead = evaluate(scenario_from_data(data)).impact_indicators[1]
    assert lead.preset == "lead_time" and lead.baseline_band == "Élevée"  # 60 h: 1 h to 1 week
