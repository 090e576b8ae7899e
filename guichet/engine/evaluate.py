"""The rules engine: ``evaluate(scenario, reading=...) -> Evaluation``.

Formulas are small functions named after what they compute. Every figure of the evaluation comes
with an explanation (formula, this scenario's numbers, the rule and its source sentence), so a
person can check it by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Context, Decimal, DivisionByZero, InvalidOperation, Overflow, localcontext
from typing import Annotated, Literal

from pydantic import BaseModel, PlainSerializer, TypeAdapter

from guichet.engine import indicators
from guichet.engine.checks import Check, Facts, Severity, run_checks
from guichet.engine.figures import FIGURES, rule_words
from guichet.engine.formulas import line_amounts, potential_cofinancing, spread_monthly
from guichet.engine.models import Scenario, default_vat_rate
from guichet.engine.rules import Reading, Rules, load_rules
from guichet.present import labels
from guichet.present.formatting import eur, money_str, percent

MoneyOut = Annotated[Decimal, PlainSerializer(money_str, return_type=str, when_used="json")]
RateOut = Annotated[Decimal, PlainSerializer(lambda d: f"{d:f}", return_type=str, when_used="json")]

Status = Literal["eligible", "eligible_with_reservations", "ineligible"]


class Source(BaseModel):
    rule: str
    title: str
    sentence: str
    assumption: bool = False


class Explanation(BaseModel):
    """What a Publicodes rule page shows: the formula, this scenario's numbers, the sources."""

    label: str
    value: str
    formula: str
    computation: str
    sources: list[Source] = []


class LineResult(BaseModel):
    index: int
    label: str
    category: str
    category_label: str
    basis: str
    amount: MoneyOut
    vat_rate: RateOut
    ht: MoneyOut
    vat: MoneyOut
    ttc: MoneyOut
    excluded: bool
    start_month: int
    end_month: int


class CategoryTotal(BaseModel):
    category: str
    label: str
    excluded: bool
    lines: int
    ttc: MoneyOut


class MonthSpend(BaseModel):
    month: int
    eligible_ttc: MoneyOut
    excluded_ttc: MoneyOut
    total_ttc: MoneyOut
    cumulative_ttc: MoneyOut


class TargetResult(BaseModel):
    month: int
    value: RateOut
    band: str | None = None


class ImpactResult(BaseModel):
    """An impact indicator with its baseline, its dated targets and the DORA band of each."""

    name: str
    unit: str
    preset: str | None
    better: str | None
    baseline: RateOut | None
    baseline_band: str | None
    targets: list[TargetResult]
    complete: bool


class Evaluation(BaseModel):
    status: Status
    status_label: str
    reading: str
    reading_label: str
    rules_version: str
    total_cost_ttc: MoneyOut
    excluded_cost_ttc: MoneyOut
    eligible_base_ttc: MoneyOut
    project_size_ttc: MoneyOut
    requested_rate: RateOut
    potential_cofinancing_ttc: MoneyOut
    cofinancing_ttc: MoneyOut
    own_contribution_ttc: MoneyOut
    training_cost_ttc: MoneyOut
    other_cost_ttc: MoneyOut
    six_month_impact: bool
    first_impact_month: int | None
    checks: list[Check]
    by_category: list[CategoryTotal]
    lines: list[LineResult]
    monthly_schedule: list[MonthSpend]
    annual_savings_ttc: MoneyOut | None = None
    annual_savings_source: Literal["declared", "derived"] | None = None
    payback_months: int | None = None
    savings_horizon_years: int
    five_year_savings_ttc: MoneyOut | None = None
    agents_trained: int | None = None
    agents_cloud_context: int | None = None
    impact_indicators: list[ImpactResult] = []
    explanations: dict[str, Explanation]

    def checks_of(self, severity: Severity) -> list[Check]:
        return [c for c in self.checks if c.severity == severity]

    def codes(self) -> list[str]:
        return [c.code for c in self.checks]


_LINE_RESULTS = TypeAdapter(list[LineResult])


# --- the evaluation -------------------------------------------------------------------------------

@dataclass
class _Ctx:
    rules: Rules
    reading: Reading
    scenario: Scenario

    def source(self, rule_id: str) -> Source:
        r = self.rules[rule_id]
        return Source(rule=rule_id, title=r.title, sentence=r.source, assumption=r.assumption)


#: The decimal context of every computation: the models bound each number (digits, places,
#: magnitude), so no figure comes near these limits; a computation that would is an error, never
#: a silent giant or a number written in megabytes.
COMPUTATION_CONTEXT = Context(prec=34, Emax=40, Emin=-40,
                              traps=[InvalidOperation, DivisionByZero, Overflow])


def evaluate(scenario: Scenario, reading: str | None = None, rules: Rules | None = None) -> Evaluation:
    """Every figure, check and explanation of ``scenario`` under ``reading`` (the rules' default
    when None), computed in :data:`COMPUTATION_CONTEXT`."""
    with localcontext(COMPUTATION_CONTEXT):
        return _evaluate(scenario, reading, rules)


@dataclass
class _Lines:
    """The cost lines computed: each line's result, the TTC and count by category, and what the
    monthly schedule spreads."""

    results: list[LineResult]
    ttc: dict[str, Decimal]
    count: dict[str, int]
    spread: list[tuple[int, int, int, bool]]


def _lines(scenario: Scenario, rules: Rules, excluded_cats: set[str]) -> _Lines:
    # The VAT rate of a line that gives none depends only on its category: computed once.
    vat_defaults = {c: default_vat_rate(c, rules) for c in labels.CATEGORIES}
    rows: list[dict[str, object]] = []
    ttc_by = {c: Decimal(0) for c in labels.CATEGORIES}
    count_by = {c: 0 for c in labels.CATEGORIES}
    spread = []
    for i, line in enumerate(scenario.cost_lines):
        category = line.category
        rate = line.vat_rate if line.vat_rate is not None else vat_defaults[category]
        ht, rate, ttc = line_amounts(line.amount, line.basis, rate)
        excluded = category in excluded_cats
        rows.append({
            "index": i, "label": line.label, "category": category,
            "category_label": labels.CATEGORIES[category], "basis": line.basis,
            "amount": line.amount, "vat_rate": rate, "ht": ht, "vat": ttc - ht, "ttc": ttc,
            "excluded": excluded, "start_month": line.start_month, "end_month": line.end_month})
        ttc_by[category] += ttc
        count_by[category] += 1
        spread.append((int(ttc * 100), line.start_month, line.end_month, excluded))
    # One validation call for all the lines: much faster than one model per line.
    return _Lines(_LINE_RESULTS.validate_python(rows), ttc_by, count_by, spread)


def _schedule(scenario: Scenario, spread: list[tuple[int, int, int, bool]]) -> list[MonthSpend]:
    """Month by month to the last line's end: eligible, excluded, total and cumulative TTC."""
    horizon = max([line.end_month for line in scenario.cost_lines], default=0)
    schedule = []
    cumulative = 0
    for month, (elig, excl) in enumerate(spread_monthly(spread, horizon), start=1):
        cumulative += elig + excl
        schedule.append(MonthSpend(month=month, eligible_ttc=Decimal(elig) / 100,
                                   excluded_ttc=Decimal(excl) / 100,
                                   total_ttc=Decimal(elig + excl) / 100,
                                   cumulative_ttc=Decimal(cumulative) / 100))
    return schedule


def _first_impact(scenario: Scenario, rules: Rules) -> tuple[int | None, bool]:
    """(the first impact milestone's month, whether it falls within the impact horizon)."""
    months = [m.month for m in scenario.milestones if m.impact]
    first = min(months) if months else None
    return first, first is not None and first <= int(rules["impact_horizon_months"].value)


def _evaluate(scenario: Scenario, reading: str | None, rules: Rules | None) -> Evaluation:
    rules = rules or load_rules()
    ctx = _Ctx(rules=rules, reading=rules.reading(reading), scenario=scenario)
    excluded_cats = set(rules.values("excluded_categories"))
    lines = _lines(scenario, rules, excluded_cats)
    total = sum(lines.ttc.values(), Decimal("0.00"))
    excluded_total = sum((v for c, v in lines.ttc.items() if c in excluded_cats), Decimal("0.00"))
    base = total - excluded_total
    size = total if ctx.reading.size_measure == "total_cost" else base
    rate = scenario.requested_rate
    potential = potential_cofinancing(rate, base)
    first_impact, six_month = _first_impact(scenario, rules)
    savings, savings_source = indicators.annual_savings(scenario.indicators)
    impact_results = _impact_results(scenario)
    checks = run_checks(Facts(
        scenario=scenario, rules=rules, reading=ctx.reading, total=total, excluded=excluded_total,
        base=base, size=size, training=lines.ttc["training"], other=lines.ttc["other"],
        potential=potential, first_impact=first_impact, six_month=six_month, savings=savings,
        complete_impact_indicators=sum(r.complete for r in impact_results)))
    status = _status(checks)
    cofinancing = potential if status != "ineligible" else Decimal("0.00")
    own = total - cofinancing
    years = int(rules["savings_horizon_years"].value)
    evaluation = Evaluation(
        status=status, status_label=labels.STATUSES[status], reading=ctx.reading.name,
        reading_label=ctx.reading.label, rules_version=rules.version, total_cost_ttc=total,
        excluded_cost_ttc=excluded_total, eligible_base_ttc=base, project_size_ttc=size,
        requested_rate=rate, potential_cofinancing_ttc=potential, cofinancing_ttc=cofinancing,
        own_contribution_ttc=own, training_cost_ttc=lines.ttc["training"],
        other_cost_ttc=lines.ttc["other"], six_month_impact=six_month,
        first_impact_month=first_impact, checks=checks,
        by_category=[CategoryTotal(category=c, label=labels.CATEGORIES[c],
                                   excluded=c in excluded_cats, lines=lines.count[c], ttc=ttc)
                     for c, ttc in lines.ttc.items()],
        lines=lines.results, monthly_schedule=_schedule(scenario, lines.spread),
        annual_savings_ttc=savings, annual_savings_source=savings_source,
        payback_months=indicators.payback_months(own, savings), savings_horizon_years=years,
        five_year_savings_ttc=indicators.cumulative_savings(savings, years),
        agents_trained=scenario.indicators.agents_trained,
        agents_cloud_context=scenario.indicators.agents_cloud_context,
        impact_indicators=impact_results, explanations={},
    )
    evaluation.explanations = _explanations(ctx, evaluation)
    return evaluation


def _impact_results(scenario: Scenario) -> list[ImpactResult]:
    out = []
    for ind in scenario.indicators.impact:
        preset = indicators.preset_for(ind)
        targets = [TargetResult(month=m, value=v, band=indicators.band_of(preset, v))
                   for m, v in indicators.targets_of(ind)]
        out.append(ImpactResult(
            name=ind.name, unit=ind.unit or (preset.unit if preset else ""),
            preset=preset.id if preset else None, better=preset.better if preset else None,
            baseline=ind.baseline, baseline_band=indicators.band_of(preset, ind.baseline),
            targets=targets, complete=ind.baseline is not None and bool(targets)))
    return out


def _status(checks: list[Check]) -> Status:
    severities = {c.severity for c in checks}
    if "blocking" in severities:
        return "ineligible"
    if "warning" in severities:
        return "eligible_with_reservations"
    return "eligible"


def _explained(ctx: _Ctx, key: str, value: str, computation: str, **words: str) -> Explanation:
    """The explanation of figure ``key``: its definition (:mod:`guichet.engine.figures`) with this
    scenario's value and numbers."""
    figure = FIGURES[key]
    return Explanation(label=figure.name(ctx.rules), value=value,
                       formula=figure.formula_text(ctx.rules, **words), computation=computation,
                       sources=[ctx.source(rule_id) for rule_id in figure.rules])


def _explanations(ctx: _Ctx, e: Evaluation) -> dict[str, Explanation]:
    present = [c for c in e.by_category if c.lines]

    def terms(cats: list[CategoryTotal]) -> str:
        parts = [f"{c.label} {eur(c.ttc)}" for c in cats]
        return " + ".join(parts) if parts else "aucune ligne"
    rate, words = e.requested_rate, rule_words(ctx.rules)
    size_on = FIGURES["total_cost_ttc" if ctx.reading.size_measure == "total_cost"
                      else "eligible_base_ttc"].name(ctx.rules)
    horizon = words["horizon"]
    out = {
        "total_cost_ttc": _explained(
            ctx, "total_cost_ttc", eur(e.total_cost_ttc),
            f"{len(e.lines)} ligne(s) : {terms(present)} = {eur(e.total_cost_ttc)}"),
        "excluded_cost_ttc": _explained(
            ctx, "excluded_cost_ttc", eur(e.excluded_cost_ttc),
            f"{terms([c for c in present if c.excluded])} = {eur(e.excluded_cost_ttc)}"),
        "eligible_base_ttc": _explained(
            ctx, "eligible_base_ttc", eur(e.eligible_base_ttc),
            f"{eur(e.total_cost_ttc)} − {eur(e.excluded_cost_ttc)} = {eur(e.eligible_base_ttc)}"),
        "project_size_ttc": _explained(
            ctx, "project_size_ttc", eur(e.project_size_ttc),
            f"{eur(e.project_size_ttc)} ; fourchette {words['min_project']} – "
            f"{words['max_project']}", measured_on=size_on, reading=ctx.reading.label),
        "requested_rate": _explained(
            ctx, "requested_rate", percent(rate, 2), f"{percent(rate, 2)} ≤ {words['max_rate']}"),
        "potential_cofinancing_ttc": _explained(
            ctx, "potential_cofinancing_ttc", eur(e.potential_cofinancing_ttc),
            f"{percent(rate, 2)} × {eur(e.eligible_base_ttc)} = "
            f"{eur(e.potential_cofinancing_ttc)}"),
        "cofinancing_ttc": _explained(
            ctx, "cofinancing_ttc", eur(e.cofinancing_ttc),
            f"statut « {e.status_label} » → {eur(e.cofinancing_ttc)}"),
        "own_contribution_ttc": _explained(
            ctx, "own_contribution_ttc", eur(e.own_contribution_ttc),
            f"{eur(e.total_cost_ttc)} − {eur(e.cofinancing_ttc)} = {eur(e.own_contribution_ttc)}"),
        "six_month_impact": _explained(
            ctx, "six_month_impact", "Oui" if e.six_month_impact else "Non",
            (f"premier jalon d’impact : mois {e.first_impact_month}" if e.first_impact_month
             else "aucun jalon d’impact") + f" ; horizon : mois {horizon}"),
        "training_share": _explained(
            ctx, "training_share",
            percent(e.training_cost_ttc / e.eligible_base_ttc, 1) if e.eligible_base_ttc else "—",
            f"{eur(e.training_cost_ttc)} ÷ {eur(e.eligible_base_ttc)}"),
        **_savings_explanations(ctx, e),
        "status": _explained(
            ctx, "status", e.status_label,
            f"{len(e.checks_of('blocking'))} bloquant(s), {len(e.checks_of('warning'))} "
            f"réserve(s), {len(e.checks_of('info'))} information(s)"),
    }
    return out


def _savings_explanations(ctx: _Ctx, e: Evaluation) -> dict[str, Explanation]:
    ind = ctx.scenario.indicators
    years = e.savings_horizon_years
    if e.annual_savings_source == "derived":
        assert ind.current_annual_run_cost_ttc is not None
        assert ind.target_annual_run_cost_ttc is not None and e.annual_savings_ttc is not None
        how = (f"coût annuel actuel {eur(ind.current_annual_run_cost_ttc)} − coût annuel visé "
               f"{eur(ind.target_annual_run_cost_ttc)} = {eur(e.annual_savings_ttc)}")
    elif e.annual_savings_source == "declared" and e.annual_savings_ttc is not None:
        how = f"économies déclarées : {eur(e.annual_savings_ttc)} par an"
    else:
        how = "non renseignées"
    savings = e.annual_savings_ttc
    return {
        "annual_savings_ttc": _explained(
            ctx, "annual_savings_ttc", eur(savings) if savings is not None else "—", how),
        "payback_months": _explained(
            ctx, "payback_months",
            f"{e.payback_months} mois" if e.payback_months is not None else "—",
            f"{eur(e.own_contribution_ttc)} × 12 ÷ {eur(savings)} = {e.payback_months} mois"
            if e.payback_months is not None and savings is not None
            else "pas d’économies positives : pas de retour sur investissement calculé"),
        "five_year_savings_ttc": _explained(
            ctx, "five_year_savings_ttc",
            eur(e.five_year_savings_ttc) if e.five_year_savings_ttc is not None else "—",
            f"{eur(savings)} × {years} = {eur(e.five_year_savings_ttc)}"
            if savings is not None and e.five_year_savings_ttc is not None
            else "économies non renseignées"),
    }


def line_explanation(line: LineResult) -> str:
    """One line's TTC, with its numbers (computed on demand: formatting is slow for 10 000 lines)."""
    if line.basis == "ttc":
        return f"{eur(line.amount)} saisis TTC → {eur(line.ttc)} (HT {eur(line.ht)})"
    return (f"{eur(line.amount)} HT × (1 + {percent(line.vat_rate, 2)}) = {eur(line.ttc)} TTC")
