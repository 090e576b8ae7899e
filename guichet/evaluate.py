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

from guichet import indicators, labels
from guichet.checks import Check, Facts, Severity, run_checks
from guichet.formatting import eur, money_str, percent
from guichet.formulas import line_amounts, potential_cofinancing, spread_monthly
from guichet.models import Scenario, default_vat_rate
from guichet.rules import Reading, Rules, load_rules

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


def _evaluate(scenario: Scenario, reading: str | None, rules: Rules | None) -> Evaluation:
    rules = rules or load_rules()
    ctx = _Ctx(rules=rules, reading=rules.reading(reading), scenario=scenario)
    excluded_cats = set(rules.values("excluded_categories"))

    # The VAT rate of a line that gives none depends only on its category: computed once.
    vat_defaults = {c: default_vat_rate(c, rules) for c in labels.CATEGORIES}

    rows: list[dict] = []
    by_cat: dict[str, list] = {c: [Decimal(0), 0] for c in labels.CATEGORIES}
    spread_input = []
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
        acc = by_cat[category]
        acc[0] += ttc
        acc[1] += 1
        spread_input.append((int(ttc * 100), line.start_month, line.end_month, excluded))
    # One validation call for all the lines: much faster than one model per line.
    line_results = _LINE_RESULTS.validate_python(rows)

    total = sum((acc[0] for acc in by_cat.values()), Decimal("0.00"))
    excluded_total = sum((by_cat[c][0] for c in by_cat if c in excluded_cats), Decimal("0.00"))
    base = total - excluded_total
    training = by_cat["training"][0]
    other = by_cat["other"][0]
    size = total if ctx.reading.size_measure == "total_cost" else base
    rate = scenario.requested_rate
    potential = potential_cofinancing(rate, base)

    impact_months = [m.month for m in scenario.milestones if m.impact]
    first_impact = min(impact_months) if impact_months else None
    horizon_months = int(rules["impact_horizon_months"].value)
    six_month = first_impact is not None and first_impact <= horizon_months

    savings, savings_source = indicators.annual_savings(scenario.indicators)
    impact_results = _impact_results(scenario)
    checks = run_checks(Facts(
        scenario=scenario, rules=rules, reading=ctx.reading, total=total, excluded=excluded_total,
        base=base, size=size, training=training, other=other, potential=potential,
        first_impact=first_impact, six_month=six_month, savings=savings,
        complete_impact_indicators=sum(r.complete for r in impact_results)))
    status = _status(checks)
    cofinancing = potential if status != "ineligible" else Decimal("0.00")
    own = total - cofinancing

    horizon = max([line.end_month for line in scenario.cost_lines], default=0)
    schedule = []
    cumulative = 0
    for month, (elig, excl) in enumerate(spread_monthly(spread_input, horizon), start=1):
        cumulative += elig + excl
        schedule.append(MonthSpend(month=month, eligible_ttc=Decimal(elig) / 100,
                                   excluded_ttc=Decimal(excl) / 100,
                                   total_ttc=Decimal(elig + excl) / 100,
                                   cumulative_ttc=Decimal(cumulative) / 100))

    years = int(rules["savings_horizon_years"].value)
    categories = [CategoryTotal(category=c, label=labels.CATEGORIES[c], excluded=c in excluded_cats,
                                lines=acc[1], ttc=acc[0]) for c, acc in by_cat.items()]
    evaluation = Evaluation(
        status=status, status_label=labels.STATUSES[status], reading=ctx.reading.name,
        reading_label=ctx.reading.label, rules_version=rules.version, total_cost_ttc=total,
        excluded_cost_ttc=excluded_total, eligible_base_ttc=base, project_size_ttc=size,
        requested_rate=rate, potential_cofinancing_ttc=potential, cofinancing_ttc=cofinancing,
        own_contribution_ttc=own, training_cost_ttc=training, other_cost_ttc=other,
        six_month_impact=six_month, first_impact_month=first_impact, checks=checks,
        by_category=categories, lines=line_results, monthly_schedule=schedule,
        annual_savings_ttc=savings, annual_savings_source=savings_source,
        payback_months=indicators.payback_months(own, savings),
        savings_horizon_years=years,
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


def _explanations(ctx: _Ctx, e: Evaluation) -> dict[str, Explanation]:
    rules, reading = ctx.rules, ctx.reading
    present = [c for c in e.by_category if c.lines]
    def terms(cats) -> str:
        parts = [f"{c.label} {eur(c.ttc)}" for c in cats]
        return " + ".join(parts) if parts else "aucune ligne"
    excluded_cats = [c for c in present if c.excluded]
    n = len(e.lines)
    rate = e.requested_rate
    total_src = [ctx.source("min_project_ttc"), ctx.source("default_vat_rate"),
                 ctx.source("vat_free_categories")]
    size_is_total = reading.size_measure == "total_cost"
    out = {
        "total_cost_ttc": Explanation(
            label="Coût total du projet TTC", value=eur(e.total_cost_ttc),
            formula="Somme des lignes de coût TTC ; une ligne saisie HT est multipliée par "
                    "(1 + taux de TVA) puis arrondie au centime (arrondi au plus proche, 0,005 € "
                    f"vers le haut). TVA par défaut {percent(rules.money('default_vat_rate'))}, "
                    "0 % pour le temps des agents.",
            computation=f"{n} ligne(s) : {terms(present)} = {eur(e.total_cost_ttc)}",
            sources=total_src),
        "excluded_cost_ttc": Explanation(
            label="Dépenses exclues de l’assiette", value=eur(e.excluded_cost_ttc),
            formula="Somme des lignes TTC de matériel, logiciels (licences, souscriptions), "
                    "ressources Cloud consommées et évolutions fonctionnelles.",
            computation=f"{terms(excluded_cats)} = {eur(e.excluded_cost_ttc)}",
            sources=[ctx.source("excluded_categories")]),
        "eligible_base_ttc": Explanation(
            label="Assiette éligible TTC", value=eur(e.eligible_base_ttc),
            formula="Coût total TTC − dépenses exclues.",
            computation=f"{eur(e.total_cost_ttc)} − {eur(e.excluded_cost_ttc)} = "
                        f"{eur(e.eligible_base_ttc)}",
            sources=[ctx.source("excluded_categories"), ctx.source("min_eligible_ttc")]),
        "project_size_ttc": Explanation(
            label="Taille du projet retenue", value=eur(e.project_size_ttc),
            formula=("Coût total TTC (lecture « " if size_is_total else "Assiette éligible TTC (lecture « ")
                    + reading.label + " »), comparé à la fourchette "
                    f"{eur(rules.money('min_project_ttc'), cents=False)} – "
                    f"{eur(rules.money('max_project_ttc'), cents=False)} TTC, bornes comprises.",
            computation=f"{eur(e.project_size_ttc)} ; fourchette "
                        f"{eur(rules.money('min_project_ttc'), cents=False)} – "
                        f"{eur(rules.money('max_project_ttc'), cents=False)}",
            sources=[ctx.source("min_project_ttc")]),
        "requested_rate": Explanation(
            label="Taux de cofinancement demandé", value=percent(rate, 2),
            formula="Taux choisi par le porteur, au plus le taux maximal du guichet.",
            computation=f"{percent(rate, 2)} ≤ {percent(rules.money('max_cofinancing_rate'))}",
            sources=[ctx.source("max_cofinancing_rate")]),
        "potential_cofinancing_ttc": Explanation(
            label="Cofinancement potentiel", value=eur(e.potential_cofinancing_ttc),
            formula="Taux demandé × assiette éligible, arrondi au centime inférieur (jamais "
                    "au-dessus du plafond).",
            computation=f"{percent(rate, 2)} × {eur(e.eligible_base_ttc)} = "
                        f"{eur(e.potential_cofinancing_ttc)}",
            sources=[ctx.source("max_cofinancing_rate"), ctx.source("excluded_categories")]),
        "cofinancing_ttc": Explanation(
            label="Cofinancement", value=eur(e.cofinancing_ttc),
            formula="Le cofinancement potentiel si le projet est éligible (avec ou sans réserves), "
                    "0 € s’il ne l’est pas.",
            computation=(f"statut « {e.status_label} » → {eur(e.cofinancing_ttc)}"),
            sources=[ctx.source("max_cofinancing_rate")]),
        "own_contribution_ttc": Explanation(
            label="Reste à la charge du porteur", value=eur(e.own_contribution_ttc),
            formula="Coût total TTC − cofinancement (les dépenses exclues restent à la charge du "
                    "porteur).",
            computation=f"{eur(e.total_cost_ttc)} − {eur(e.cofinancing_ttc)} = "
                        f"{eur(e.own_contribution_ttc)}",
            sources=[ctx.source("max_cofinancing_rate"), ctx.source("excluded_categories")]),
        "six_month_impact": Explanation(
            label=f"Impact réel en moins de {rules['impact_horizon_months'].value} mois",
            value="Oui" if e.six_month_impact else "Non",
            formula=f"Oui si un jalon « apporte un impact » tombe au plus tard au mois "
                    f"{rules['impact_horizon_months'].value} du projet.",
            computation=(f"premier jalon d’impact : mois {e.first_impact_month}"
                         if e.first_impact_month else "aucun jalon d’impact")
                        + f" ; horizon : mois {rules['impact_horizon_months'].value}",
            sources=[ctx.source("impact_horizon_months")]),
        "training_share": Explanation(
            label="Part de la formation dans l’assiette",
            value=percent(e.training_cost_ttc / e.eligible_base_ttc, 1) if e.eligible_base_ttc else "—",
            formula="Formation TTC ÷ assiette éligible TTC, comparée au seuil "
                    f"{percent(rules.money('max_training_share'))} (hypothèse du simulateur).",
            computation=f"{eur(e.training_cost_ttc)} ÷ {eur(e.eligible_base_ttc)}",
            sources=[ctx.source("max_training_share")]),
        **_savings_explanations(ctx, e),
        "status": Explanation(
            label="Statut", value=e.status_label,
            formula="« Non éligible » si un contrôle est bloquant ; sinon « Éligible avec "
                    "réserves » si un contrôle est une réserve ; sinon « Éligible ».",
            computation=f"{len(e.checks_of('blocking'))} bloquant(s), "
                        f"{len(e.checks_of('warning'))} réserve(s), "
                        f"{len(e.checks_of('info'))} information(s)",
            sources=[]),
    }
    return out


def _savings_explanations(ctx: _Ctx, e: Evaluation) -> dict[str, Explanation]:
    ind = ctx.scenario.indicators
    years = e.savings_horizon_years
    sources = [ctx.source("mandatory_indicators")]
    if e.annual_savings_source == "derived":
        how = (f"coût annuel actuel {eur(ind.current_annual_run_cost_ttc)} − coût annuel visé "
               f"{eur(ind.target_annual_run_cost_ttc)} = {eur(e.annual_savings_ttc)}")
    elif e.annual_savings_source == "declared":
        how = f"économies déclarées : {eur(e.annual_savings_ttc)} par an"
    else:
        how = "non renseignées"
    savings = e.annual_savings_ttc
    return {
        "annual_savings_ttc": Explanation(
            label="Économies annuelles induites (TTC)",
            value=eur(savings) if savings is not None else "—",
            formula="Les économies déclarées ; à défaut, le coût annuel de fonctionnement actuel "
                    "moins le coût annuel visé après le projet.",
            computation=how, sources=sources),
        "payback_months": Explanation(
            label="Retour sur investissement",
            value=f"{e.payback_months} mois" if e.payback_months is not None else "—",
            formula="Reste à charge × 12 ÷ économies annuelles, arrondi au mois supérieur ; "
                    "seulement si les économies sont positives.",
            computation=(f"{eur(e.own_contribution_ttc)} × 12 ÷ {eur(savings)} = "
                         f"{e.payback_months} mois" if e.payback_months is not None
                         else "pas d’économies positives : pas de retour sur investissement calculé"),
            sources=sources),
        "five_year_savings_ttc": Explanation(
            label=f"Économies cumulées sur {years} ans (TTC)",
            value=eur(e.five_year_savings_ttc) if e.five_year_savings_ttc is not None else "—",
            formula=f"Économies annuelles × {years} (horizon choisi par le simulateur).",
            computation=(f"{eur(savings)} × {years} = {eur(e.five_year_savings_ttc)}"
                         if savings is not None else "économies non renseignées"),
            sources=sources + [ctx.source("savings_horizon_years")]),
    }


def line_explanation(line: LineResult) -> str:
    """One line's TTC, with its numbers (computed on demand: formatting is slow for 10 000 lines)."""
    if line.basis == "ttc":
        return f"{eur(line.amount)} saisis TTC → {eur(line.ttc)} (HT {eur(line.ht)})"
    return (f"{eur(line.amount)} HT × (1 + {percent(line.vat_rate, 2)}) = {eur(line.ttc)} TTC")
