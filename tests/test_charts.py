"""The charts: their data equal the engine's figures, their encodings say what the page shows, and
each spec is valid Vega-Lite (rendered once with vl-convert)."""

from __future__ import annotations

import dataclasses
import json
import re
from decimal import Decimal
from pathlib import Path

import altair as alt
import pytest
import vl_convert

import guichet.engine.rules
from guichet.engine.evaluate import Evaluation, evaluate
from guichet.engine.models import Scenario
from guichet.engine.rules import load_rules
from guichet.io.loading import load_scenario, scenario_from_data, scenario_to_data
from guichet.present import charts, labels
from guichet.present.formatting import eur

EXAMPLES_DIR = Path(__file__).resolve().parents[1] / "examples"
EXAMPLES = sorted(EXAMPLES_DIR.glob("*.json"))
NNBSP, NBSP = "\u202f", "\u00a0"
FRENCH_NUMBER_LOCALE = {"decimal": ",", "thousands": NNBSP, "grouping": [3],
                        "currency": ["", NBSP + "€"]}


def scenario_named(stem: str) -> Scenario:
    return load_scenario((EXAMPLES_DIR / f"{stem}.json").read_bytes())


@pytest.fixture(params=EXAMPLES, ids=lambda p: p.stem)
def case(request) -> tuple[Scenario, Evaluation]:
    scenario = load_scenario(request.param.read_bytes())
    return scenario, evaluate(scenario)


@pytest.fixture
def snc() -> tuple[Scenario, Evaluation]:
    scenario = scenario_named("secnumcloud-applications")
    return scenario, evaluate(scenario)


def empty_scenario(milestones: bool = False) -> Scenario:
    data = scenario_to_data(scenario_named("migration-pi"))
    data["cost_lines"] = []
    if not milestones:
        data["milestones"] = []
    return scenario_from_data(data)


def many_lines(n: int) -> Scenario:
    data = scenario_to_data(scenario_named("secnumcloud-applications"))
    cats = list(labels.CATEGORIES)
    data["cost_lines"] = [
        {"label": f"Ligne {i}", "category": cats[i % len(cats)], "amount": f"{100 + i % 97}.{i % 100:02d}",
         "basis": "ht", "start_month": 1 + i % 30, "end_month": 1 + i % 30 + i % 5}
        for i in range(n)]
    return scenario_from_data(data)


# --- helpers on the Vega-Lite dict ----------------------------------------------------------------

def spec_of(chart) -> dict:
    spec = chart.to_dict()
    json.dumps(spec)  # serialisable as is
    return spec


def views(spec: dict) -> list[dict]:
    return spec["layer"] if "layer" in spec else [spec]


def values(spec: dict, view: dict) -> list[dict]:
    data = view.get("data") or spec.get("data")
    if "values" in data:
        return data["values"]
    return spec["datasets"][data["name"]]


def marks(spec: dict) -> list[str]:
    return [v["mark"]["type"] if isinstance(v["mark"], dict) else v["mark"] for v in views(spec)]


def money(value) -> Decimal:
    """A plotted float back to cents, to compare with the engine's Decimal."""
    return Decimal(str(value)).quantize(Decimal("0.01"))


def svg_of(spec: dict) -> str:
    return vl_convert.vegalite_to_svg(spec)


def assert_french_locale(spec: dict) -> None:
    number = spec["config"]["locale"]["number"]
    for key, value in FRENCH_NUMBER_LOCALE.items():
        assert number[key] == value
    assert spec["autosize"] == {"type": "fit-x", "contains": "padding"}
    assert "width" not in spec  # the container decides


ALL_CHARTS = {
    "costs_by_category": lambda s, e: charts.costs_by_category_chart(e),
    "funding_split": lambda s, e: charts.funding_split_chart(e),
    "timeline": lambda s, e: charts.timeline_chart(s, e),
    "monthly_spend": lambda s, e: charts.monthly_spend_chart(e),
    "comparison": lambda s, e: charts.comparison_chart([("A", e), ("B", e)]),
}


# --- shared properties ----------------------------------------------------------------------------

@pytest.mark.parametrize("name", ALL_CHARTS)
def test_every_chart_has_the_french_locale_and_no_width(case, name):
    scenario, evaluation = case
    spec = spec_of(ALL_CHARTS[name](scenario, evaluation))
    assert_french_locale(spec)


@pytest.mark.parametrize("name", ALL_CHARTS)
def test_every_chart_renders_as_valid_vega_lite_with_french_numbers(snc, name):
    scenario, evaluation = snc
    svg = svg_of(spec_of(ALL_CHARTS[name](scenario, evaluation)))
    assert svg.startswith("<svg")
    if name != "timeline":  # the timeline has no money axis
        assert f"000{NBSP}€" in svg and f"{NNBSP}000" in svg  # « 200 000 € »
        assert "200,000" not in svg and "$" not in svg


#: About as many characters as a line of chart title text holds on a 390 px phone (≈ 330 px).
PHONE_LINE_CHARS = 56


@pytest.mark.parametrize("name", ALL_CHARTS)
def test_titles_fit_a_phone(name):
    """A title line wider than the chart makes Vega shrink the plot to keep it in (on a 390 px
    phone the funding bar was a third of the screen): every line of every title and subtitle
    fits a phone, for a small scenario and for one whose timeline is grouped by category."""
    for scenario in (scenario_named("secnumcloud-applications"), many_lines(500)):
        spec = spec_of(ALL_CHARTS[name](scenario, evaluate(scenario)))
        title = spec.get("title") or spec["layer"][0]["title"]
        lines = [title["text"]] + ([title["subtitle"]] if isinstance(title.get("subtitle"), str)
                                   else title.get("subtitle", []))
        assert lines and all(len(line) <= PHONE_LINE_CHARS for line in lines), lines


@pytest.mark.parametrize("name", ALL_CHARTS)
def test_empty_scenario_gives_a_valid_chart(name):
    scenario = empty_scenario()
    evaluation = evaluate(scenario)
    spec = spec_of(ALL_CHARTS[name](scenario, evaluation))
    assert_french_locale(spec)
    assert svg_of(spec).startswith("<svg")


def test_placeholders_say_why_in_french():
    evaluation = evaluate(empty_scenario())
    spec = spec_of(charts.costs_by_category_chart(evaluation))
    assert marks(spec) == ["text"]
    assert values(spec, spec)[0]["message"] == "Aucune ligne de coût saisie."
    assert spec["title"]["text"] == "Coûts par catégorie (TTC)"
    for chart in (charts.funding_split_chart(evaluation), charts.monthly_spend_chart(evaluation),
                  charts.timeline_chart(empty_scenario(), evaluation), charts.comparison_chart([])):
        assert marks(spec_of(chart)) == ["text"]


@pytest.mark.parametrize("name", ["costs_by_category", "funding_split", "monthly_spend", "comparison"])
def test_bars_are_outlined_and_use_the_dsfr_palette(snc, name):
    scenario, evaluation = snc
    spec = spec_of(ALL_CHARTS[name](scenario, evaluation))
    bar = next(v for v in views(spec) if marks({"layer": [v]}) == ["bar"])
    assert bar["mark"]["stroke"] == charts.OUTLINE and bar["mark"]["strokeWidth"] > 0
    colors = bar["encoding"]["color"]["scale"]["range"]
    assert set(colors) <= set(charts.PALETTE) | {charts.GREY}


# --- costs by category ----------------------------------------------------------------------------

def test_costs_by_category_data_and_encoding(case):
    _, evaluation = case
    spec = spec_of(charts.costs_by_category_chart(evaluation))
    assert marks(spec) == ["bar", "text"]
    bar = spec["layer"][0]
    enc = bar["encoding"]
    assert enc["x"]["field"] == "montant" and enc["x"]["stack"] == "zero"
    assert enc["y"]["field"] == "Catégorie"
    assert enc["color"]["field"] == "Statut"
    assert enc["color"]["scale"] == {"domain": [charts.ELIGIBLE, charts.EXCLUDED],
                                     "range": [charts.HIGHLIGHT, charts.GREY]}
    present = [c for c in evaluation.by_category if c.lines]
    assert enc["y"]["sort"] == {"field": "ordre", "op": "min"}  # the scenario format's order
    rows = values(spec, bar)
    assert [(r["ordre"], r["Catégorie"]) for r in rows] == list(enumerate(c.label for c in present))
    assert [(r["Catégorie"], r["Statut"], money(r["montant"]), r["Montant TTC"]) for r in rows] == [
        (c.label, charts.EXCLUDED if c.excluded else charts.ELIGIBLE, c.ttc, eur(c.ttc))
        for c in present]
    assert sum(money(r["montant"]) for r in rows) == evaluation.total_cost_ttc
    tooltip_fields = [t["field"] for t in enc["tooltip"]]
    assert "Montant TTC" in tooltip_fields  # the exact, pre-formatted amount


def test_costs_by_category_labels_say_excluded_in_words(snc):
    _, evaluation = snc
    spec = spec_of(charts.costs_by_category_chart(evaluation))
    text = spec["layer"][1]
    assert text["encoding"]["text"]["field"] == "Étiquette"
    labels_by_cat = {r["Catégorie"]: r["Étiquette"] for r in values(spec, text)}
    assert labels_by_cat["Prestations externes"] == f"720{NNBSP}000,00{NBSP}€"
    assert labels_by_cat["Ressources Cloud consommées"] == f"126{NNBSP}000,00{NBSP}€ · exclue"


def test_costs_by_category_table(snc):
    _, evaluation = snc
    table = charts.costs_by_category_table(evaluation)
    assert list(table.columns) == ["Catégorie", "Dans l’assiette éligible", "Lignes", "Montant TTC",
                                   "Part du coût total"]
    assert table.iloc[0].to_dict() == {
        "Catégorie": "Prestations externes", "Dans l’assiette éligible": "Oui", "Lignes": "4",
        "Montant TTC": f"720{NNBSP}000,00{NBSP}€", "Part du coût total": f"60,6{NBSP}%"}
    software = table[table["Catégorie"] == "Logiciels (licences, souscriptions)"].iloc[0]
    assert software["Dans l’assiette éligible"] == "Non (exclue)"
    assert software["Montant TTC"] == f"43{NNBSP}200,00{NBSP}€"
    total = table.iloc[-1]
    assert total["Catégorie"] == "Total" and total["Montant TTC"] == eur(evaluation.total_cost_ttc)
    assert total["Montant TTC"] == f"1{NNBSP}187{NNBSP}200,00{NBSP}€"
    assert len(table) == sum(1 for c in evaluation.by_category if c.lines) + 1


def test_costs_by_category_table_empty():
    table = charts.costs_by_category_table(evaluate(empty_scenario()))
    assert table.empty and "Montant TTC" in table.columns


# --- funding split --------------------------------------------------------------------------------

def test_funding_split_three_parts_add_up_to_the_total(case):
    _, e = case
    spec = spec_of(charts.funding_split_chart(e))
    assert marks(spec) == ["bar", "text"]
    bar = spec["layer"][0]
    assert bar["encoding"]["x"]["field"] == "debut" and bar["encoding"]["x2"]["field"] == "fin"
    assert bar["encoding"]["color"]["field"] == "Partie"
    assert bar["encoding"]["color"]["scale"]["domain"] == charts.FUNDING_PARTS
    rows = values(spec, bar)
    assert [r["Partie"] for r in rows] == ["Cofinancement", "Part propre de l’assiette éligible",
                                           "Dépenses exclues"]
    parts = [money(r["fin"]) - money(r["debut"]) for r in rows]
    assert parts == [e.cofinancing_ttc, e.eligible_base_ttc - e.cofinancing_ttc, e.excluded_cost_ttc]
    assert money(rows[-1]["fin"]) == e.total_cost_ttc
    assert parts[1] + parts[2] == e.own_contribution_ttc
    assert [r["Montant TTC"] for r in rows] == [eur(p) for p in parts]


def test_funding_split_of_an_ineligible_project_has_no_cofinancing():
    e = evaluate(scenario_named("not-eligible-commercial-cloud"))
    assert e.status == "ineligible"
    table = charts.funding_split_table(e)
    assert table["Montant TTC"].tolist() == [
        f"0,00{NBSP}€", eur(e.eligible_base_ttc), eur(e.excluded_cost_ttc), eur(e.total_cost_ttc)]


def test_funding_split_table(snc):
    _, e = snc
    table = charts.funding_split_table(e)
    assert list(table.columns) == ["Partie", "Montant TTC", "Part du coût total"]
    assert table.to_dict("records") == [
        {"Partie": "Cofinancement", "Montant TTC": f"482{NNBSP}000,00{NBSP}€",
         "Part du coût total": f"40,6{NBSP}%"},
        {"Partie": "Part propre de l’assiette éligible", "Montant TTC": f"482{NNBSP}000,00{NBSP}€",
         "Part du coût total": f"40,6{NBSP}%"},
        {"Partie": "Dépenses exclues", "Montant TTC": f"223{NNBSP}200,00{NBSP}€",
         "Part du coût total": f"18,8{NBSP}%"},
        {"Partie": "Coût total TTC", "Montant TTC": f"1{NNBSP}187{NNBSP}200,00{NBSP}€",
         "Part du coût total": f"100{NBSP}%"},
    ]


def test_funding_split_labels_only_where_they_fit(snc):
    _, e = snc
    spec = spec_of(charts.funding_split_chart(e))
    text = spec["layer"][1]
    assert [r["Étiquette"] for r in values(spec, text)] == [f"40,6{NBSP}%", f"40,6{NBSP}%",
                                                           f"18,8{NBSP}%"]
    assert text["encoding"]["x"]["field"] == "milieu"


# --- timeline -------------------------------------------------------------------------------------

def timeline_layers(spec: dict) -> dict[str, dict]:
    out = {}
    for view in spec["layer"]:
        mark = view["mark"]["type"] if isinstance(view["mark"], dict) else view["mark"]
        out[mark] = view
    return out


def test_timeline_layers_and_bars(case):
    scenario, e = case
    spec = spec_of(charts.timeline_chart(scenario, e))
    assert marks(spec) == ["bar", "point", "rule", "text"]
    layers = timeline_layers(spec)
    bar = layers["bar"]
    assert bar["encoding"]["x"]["field"] == "debut" and bar["encoding"]["x2"]["field"] == "fin"
    assert bar["encoding"]["color"]["field"] == "Catégorie"
    rows = values(spec, bar)
    assert len(rows) == len(scenario.cost_lines)
    for row, line in zip(rows, scenario.cost_lines, strict=True):
        assert (row["debut"], row["fin"]) == (line.start_month - 1, line.end_month)
        assert row["Catégorie"] == labels.CATEGORIES[line.category]
    assert [r["Montant TTC"] for r in rows] == [eur(ln.ttc) for ln in e.lines]
    y = bar["encoding"]["y"]
    assert y["field"] == "Ligne" and y["sort"][0] == charts.MILESTONES_ROW
    # the x axis reads « M1 », « M2 »… in the middle of each month
    axis = bar["encoding"]["x"]["axis"]
    assert axis["title"] == "Mois du projet"
    assert axis["values"][0] == 0.5 and "'M'" in axis["labelExpr"]


def test_timeline_month_labels_render(snc):
    scenario, e = snc
    svg = svg_of(spec_of(charts.timeline_chart(scenario, e)))
    for label in ("M1", "M6", "M14", "Jalons", "Horizon d’impact : fin de M6"):
        assert f">{label}<" in svg


def test_timeline_milestones_differ_by_shape_and_colour(case):
    scenario, e = case
    spec = spec_of(charts.timeline_chart(scenario, e))
    point = timeline_layers(spec)["point"]
    enc = point["encoding"]
    assert enc["shape"]["field"] == "Type" and enc["fill"]["field"] == "Type"
    assert enc["shape"]["scale"]["domain"] == enc["fill"]["scale"]["domain"] == [charts.IMPACT,
                                                                                 charts.NO_IMPACT]
    shapes, fills = enc["shape"]["scale"]["range"], enc["fill"]["scale"]["range"]
    assert len(set(shapes)) == 2 and len(set(fills)) == 2
    rows = values(spec, point)
    assert [(r["x"], r["Type"], r["Jalon"]) for r in rows] == [
        (m.month - 0.5, charts.IMPACT if m.impact else charts.NO_IMPACT, m.label)
        for m in scenario.milestones]
    assert {r["Ligne"] for r in rows} == {charts.MILESTONES_ROW}


def test_timeline_has_both_kinds_of_milestones_in_migration_pi():
    scenario = scenario_named("migration-pi")
    spec = spec_of(charts.timeline_chart(scenario, evaluate(scenario)))
    types = [r["Type"] for r in values(spec, timeline_layers(spec)["point"])]
    assert types == [charts.NO_IMPACT, charts.IMPACT, charts.IMPACT]


def test_timeline_horizon_rule_is_read_from_the_rules(case):
    scenario, e = case
    horizon = load_rules()["impact_horizon_months"].value
    spec = spec_of(charts.timeline_chart(scenario, e))
    layers = timeline_layers(spec)
    rule = layers["rule"]
    assert [r["x"] for r in values(spec, rule)] == [horizon]
    assert rule["encoding"]["x"]["field"] == "x"
    text = layers["text"]
    assert values(spec, text)[0]["Repère"] == f"Horizon d’impact : fin de M{horizon}"


def test_timeline_horizon_follows_a_changed_rule(monkeypatch, snc):
    scenario, e = snc
    rules = load_rules()
    changed = dataclasses.replace(rules, rules={
        **rules.rules,
        "impact_horizon_months": dataclasses.replace(rules["impact_horizon_months"], values=tuple(
            dataclasses.replace(v, value=9) for v in rules["impact_horizon_months"].values))})
    monkeypatch.setattr(guichet.engine.rules, "load_rules", lambda: changed)
    spec = spec_of(charts.timeline_chart(scenario, e))
    assert [r["x"] for r in values(spec, timeline_layers(spec)["rule"])] == [9]
    table = charts.timeline_table(scenario, e)
    assert table.iloc[-1].to_dict()["Fin"] == "M9"
    assert table.iloc[-1]["Libellé"] == "Horizon d’impact réel (9 mois)"


def test_timeline_table(snc):
    scenario, e = snc
    table = charts.timeline_table(scenario, e)
    assert list(table.columns) == ["Élément", "Libellé", "Catégorie", "Début", "Fin", "Lignes",
                                   "Montant TTC"]
    first = table.iloc[0].to_dict()
    assert first == {"Élément": "Ligne de coût", "Libellé": "Étude d’architecture et plan de migration",
                     "Catégorie": "Prestations externes", "Début": "M1", "Fin": "M2", "Lignes": "1",
                     "Montant TTC": f"72{NNBSP}000,00{NBSP}€"}
    milestones = table[table["Élément"].isin([charts.IMPACT, charts.NO_IMPACT])]
    assert milestones["Début"].tolist() == ["M6", "M11", "M14"]
    assert table.iloc[-1]["Élément"] == "Repère"
    assert len(table) == len(scenario.cost_lines) + len(scenario.milestones) + 1


def test_timeline_with_milestones_and_no_lines():
    scenario = empty_scenario(milestones=True)
    spec = spec_of(charts.timeline_chart(scenario, evaluate(scenario)))
    assert marks(spec) == ["point", "rule", "text"]
    assert svg_of(spec).startswith("<svg")


def test_timeline_keeps_lines_up_to_the_cap_then_aggregates():
    at_cap = many_lines(charts.TIMELINE_MAX_LINES)
    spec = spec_of(charts.timeline_chart(at_cap, evaluate(at_cap)))
    assert len(values(spec, timeline_layers(spec)["bar"])) == charts.TIMELINE_MAX_LINES
    over = many_lines(charts.TIMELINE_MAX_LINES + 1)
    e = evaluate(over)
    assert charts.timeline_is_aggregated(e)
    spec = spec_of(charts.timeline_chart(over, e))
    rows = values(spec, timeline_layers(spec)["bar"])
    assert {r["Ligne"] for r in rows} <= set(labels.CATEGORIES.values())
    assert sum(r["Lignes"] for r in rows) == charts.TIMELINE_MAX_LINES + 1
    assert "regroupées par catégorie" in " ".join(spec["title"]["subtitle"])


def test_timeline_of_ten_thousand_lines_stays_small_and_exact():
    scenario = many_lines(10_000)
    e = evaluate(scenario)
    spec = spec_of(charts.timeline_chart(scenario, e))
    bar = timeline_layers(spec)["bar"]
    rows = values(spec, bar)
    assert len(rows) <= len(labels.CATEGORIES) * 60
    assert sum(r["Lignes"] for r in rows) == 10_000
    # each category's periods cover exactly the months its lines cover
    for category, label in labels.CATEGORIES.items():
        covered = {m for ln in e.lines if ln.category == category
                   for m in range(ln.start_month, ln.end_month + 1)}
        drawn = {m for r in rows if r["Ligne"] == label for m in range(r["debut"] + 1, r["fin"] + 1)}
        assert drawn == covered
    table = charts.timeline_table(scenario, e)
    assert len(table) == len(rows) + len(scenario.milestones) + 1
    assert set(table["Élément"][: len(rows)]) == {"Période de dépense"}
    assert svg_of(spec).startswith("<svg")


# --- monthly spend --------------------------------------------------------------------------------

def test_monthly_spend_data_and_encoding(case):
    _, e = case
    spec = spec_of(charts.monthly_spend_chart(e))
    assert marks(spec) == ["bar", "line"]
    assert spec["resolve"]["scale"]["y"] == "independent"
    bar, line = spec["layer"]
    assert bar["encoding"]["y"]["field"] == "montant" and bar["encoding"]["y"]["stack"] == "zero"
    assert bar["encoding"]["color"]["field"] == "Statut"
    months = [f"M{m.month}" for m in e.monthly_schedule]
    assert bar["encoding"]["x"]["sort"] == months and line["encoding"]["x"]["sort"] == months
    rows = values(spec, bar)
    by_key = {(r["mois"], r["Statut"]): money(r["montant"]) for r in rows}
    for m in e.monthly_schedule:
        assert by_key[(m.month, charts.ELIGIBLE)] == m.eligible_ttc
        assert by_key[(m.month, charts.EXCLUDED)] == m.excluded_ttc
    assert line["encoding"]["y"]["field"] == "cumul"
    cumul = [money(r["cumul"]) for r in values(spec, line)]
    assert cumul == [m.cumulative_ttc for m in e.monthly_schedule]
    assert cumul[-1] == e.total_cost_ttc
    assert line["encoding"]["y"]["axis"]["orient"] == "right"


def test_monthly_spend_table(snc):
    _, e = snc
    table = charts.monthly_spend_table(e)
    assert list(table.columns) == ["Mois", "Dans l’assiette éligible", "Exclues de l’assiette",
                                   "Total du mois", "Cumul"]
    assert len(table) == len(e.monthly_schedule) == 14
    assert table["Mois"].tolist()[:2] == ["M1", "M2"]
    assert table.iloc[-1]["Cumul"] == f"1{NNBSP}187{NNBSP}200,00{NBSP}€"
    first = e.monthly_schedule[0]
    assert table.iloc[0]["Total du mois"] == eur(first.total_ttc)


# --- comparison -----------------------------------------------------------------------------------

def evaluations() -> list[tuple[str, Evaluation]]:
    return [(load_scenario(p.read_bytes()).name, evaluate(load_scenario(p.read_bytes())))
            for p in EXAMPLES]


def test_comparison_grouped_bars():
    items = evaluations()
    spec = spec_of(charts.comparison_chart(items))
    assert marks(spec) == ["bar", "text"]
    bar, text = spec["layer"]
    enc = bar["encoding"]
    assert enc["y"]["field"] == "Mesure"
    assert enc["y"]["sort"] == ["Assiette éligible", "Cofinancement", "Reste à la charge du porteur"]
    assert enc["yOffset"]["field"] == "Scénario" and enc["color"]["field"] == "Scénario"
    assert enc["yOffset"]["sort"] == [name for name, _ in items]
    assert enc["color"]["scale"]["range"] == charts.PALETTE[: len(items)]
    assert "stack" not in enc["x"]  # grouped, not stacked
    rows = values(spec, bar)
    assert len(rows) == 3 * len(items)
    got = {(r["Scénario"], r["Mesure"]): money(r["montant"]) for r in rows}
    for name, e in items:
        assert got[(name, "Assiette éligible")] == e.eligible_base_ttc
        assert got[(name, "Cofinancement")] == e.cofinancing_ttc
        assert got[(name, "Reste à la charge du porteur")] == e.own_contribution_ttc
    # every bar is labelled with its exact amount, 0 € included
    assert text["encoding"]["text"]["field"] == "Montant TTC"
    labels_ = {(r["Scénario"], r["Mesure"]): r["Montant TTC"] for r in values(spec, text)}
    ineligible = next(name for name, e in items if e.status == "ineligible")
    assert labels_[(ineligible, "Cofinancement")] == f"0,00{NBSP}€"


def test_comparison_table():
    items = evaluations()[:2]
    table = charts.comparison_table(items)
    assert list(table.columns) == ["Scénario", "Statut", "Coût total TTC", "Assiette éligible",
                                   "Cofinancement", "Reste à la charge du porteur"]
    for row, (name, e) in zip(table.to_dict("records"), items, strict=True):
        assert row["Scénario"] == name and row["Statut"] == e.status_label
        assert row["Cofinancement"] == eur(e.cofinancing_ttc)


def test_comparison_names_are_made_distinct_and_the_count_capped():
    _, e = evaluations()[0]
    table = charts.comparison_table([("Variante", e), ("Variante", e), ("", e)])
    assert table["Scénario"].tolist() == ["Variante", "Variante (2)", "Sans nom"]
    with pytest.raises(ValueError, match="au plus 4 scénarios"):
        charts.comparison_chart([("x", e)] * 5)


# --- no Streamlit in the core ---------------------------------------------------------------------

def test_charts_package_does_not_import_streamlit():
    modules = sorted(Path(charts.__file__).parent.glob("*.py"))
    assert {p.stem for p in modules} >= {"__init__", "base", "project", "compare", "indicators"}
    for path in modules:
        source = path.read_text(encoding="utf-8")
        assert "import streamlit" not in source and "from streamlit" not in source, path.name
    assert isinstance(charts.costs_by_category_chart(evaluate(empty_scenario())), alt.TopLevelMixin)


# --- fast specs of the Simulateur page --------------------------------------------------------------

def resolved(spec: dict) -> dict:
    """A spec with every data reference replaced by its rows (named or inline alike)."""
    datasets = spec.get("datasets", {})

    def walk(node):
        if isinstance(node, dict):
            out = {}
            for k, v in node.items():
                if k == "datasets":
                    continue
                if k == "data" and isinstance(v, dict):
                    out[k] = datasets[v["name"]] if "name" in v else v["values"]
                else:
                    out[k] = walk(v)
            return out
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return json.loads(json.dumps(walk(spec)))


@pytest.mark.parametrize("fast,slow", [
    (charts.costs_by_category_spec, charts.costs_by_category_chart),
    (charts.funding_split_spec, charts.funding_split_chart),
])
def test_fast_specs_equal_the_altair_charts(case, fast, slow):
    _, evaluation = case
    assert resolved(fast(evaluation)) == resolved(slow(evaluation).to_dict())


@pytest.mark.parametrize("fast,slow", [
    (charts.costs_by_category_spec, charts.costs_by_category_chart),
    (charts.funding_split_spec, charts.funding_split_chart),
])
def test_fast_specs_of_an_empty_scenario_and_of_many_lines(fast, slow):
    for scenario in (empty_scenario(), many_lines(500)):
        evaluation = evaluate(scenario)
        assert resolved(fast(evaluation)) == resolved(slow(evaluation).to_dict())


def spec_without_data(spec: dict) -> dict:
    return {k: v for k, v in spec.items() if k != "datasets"}


@pytest.mark.parametrize("fast", [charts.costs_by_category_spec, charts.funding_split_spec])
def test_simulateur_chart_specs_do_not_depend_on_the_figures(fast):
    """Only the data changes from one scenario (or one edit) to the next: the browser then updates
    the drawn chart instead of compiling a new one."""
    specs = [fast(evaluate(scenario_named(p.stem))) for p in EXAMPLES]
    specs.append(fast(evaluate(many_lines(500))))
    assert all(spec_without_data(s) == spec_without_data(specs[0]) for s in specs)
    assert len({json.dumps(s["datasets"], sort_keys=True) for s in specs}) == len(specs)


def axis_ticks(svg: str) -> list[Decimal]:
    """The money axis's tick labels of a rendered chart (« 200 000 € »), as numbers."""
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    return [Decimal(t.replace(NNBSP, "").replace(NBSP + "€", "").replace(",", "."))
            for t in texts if re.fullmatch(rf"[0-9{NNBSP}]+(,[0-9]+)?{NBSP}€", t)]


def test_costs_chart_draws_the_categories_in_order_with_room_for_their_labels(snc):
    _, evaluation = snc
    svg = svg_of(charts.costs_by_category_spec(evaluation))
    present = [c for c in evaluation.by_category if c.lines]
    # the category names in the order they are drawn, top to bottom
    drawn = [t for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg)
             if t in {c.label for c in present}]
    assert drawn == [c.label for c in present]
    # the axis goes past the largest bar (its label fits), but not by more than the label room
    largest = max(c.ttc for c in present)
    ticks = axis_ticks(svg)
    assert ticks and max(ticks) > largest
    assert max(ticks) <= largest * Decimal(str(charts.LABEL_ROOM))


def test_costs_chart_axis_follows_the_data_of_a_small_scenario():
    """The end of the axis is computed from the data, not frozen in the spec."""
    evaluation = evaluate(many_lines(6))  # amounts of a few hundred euros
    ticks = axis_ticks(svg_of(charts.costs_by_category_spec(evaluation)))
    largest = max(c.ttc for c in evaluation.by_category if c.lines)
    assert ticks and largest < max(ticks) <= largest * Decimal(str(charts.LABEL_ROOM))


def test_funding_chart_axis_spans_the_total_cost(snc):
    _, evaluation = snc
    ticks = axis_ticks(svg_of(charts.funding_split_spec(evaluation)))
    assert ticks[0] == 0 and max(ticks) <= evaluation.total_cost_ttc
    assert max(ticks) > evaluation.total_cost_ttc * Decimal("0.75")


def test_fast_spec_is_valid_vega_lite(snc):
    _, evaluation = snc
    svg = vl_convert.vegalite_to_svg(charts.costs_by_category_spec(evaluation))
    assert "Prestations externes" in svg
