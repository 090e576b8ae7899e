"""The rules engine: ``evaluate(scenario, reading=...) -> Evaluation``.

Formulas are small functions named after what they compute. Every figure of the evaluation comes
with an explanation (formula, this scenario's numbers, the rule and its source sentence), so a
person can check it by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_UP, Context, Decimal, DivisionByZero, InvalidOperation, Overflow, localcontext
from typing import Annotated, Literal

from pydantic import BaseModel, PlainSerializer, TypeAdapter

from guichet import indicators, labels
from guichet.formatting import CENT, eur, money_str, percent, round_down, round_half_up
from guichet.models import CostLine, Scenario, default_vat_rate
from guichet.rules import Reading, Rules, load_rules

MoneyOut = Annotated[Decimal, PlainSerializer(money_str, return_type=str, when_used="json")]
RateOut = Annotated[Decimal, PlainSerializer(lambda d: f"{d:f}", return_type=str, when_used="json")]

Severity = Literal["blocking", "warning", "info"]
Status = Literal["eligible", "eligible_with_reservations", "ineligible"]
SEVERITY_ORDER = {"blocking": 0, "warning": 1, "info": 2}


class Check(BaseModel):
    code: str
    severity: Severity
    message: str
    source: str
    rule: str
    assumption: bool = False
    advice: str | None = None


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


# --- small formulas -------------------------------------------------------------------------------

def line_ttc(line: CostLine) -> tuple[Decimal, Decimal, Decimal]:
    """(HT, VAT rate, TTC) of a cost line; TTC rounded half-up to the cent.

    An HT amount is raised by the line's VAT rate; a TTC amount is taken as it is and its HT part
    derived (rounded half-up) for the exports.
    """
    return line_amounts(line.amount, line.basis, line.effective_vat_rate())


def line_amounts(amount: Decimal, basis: str, rate: Decimal) -> tuple[Decimal, Decimal, Decimal]:
    """(HT, VAT rate, TTC) of an amount entered on ``basis`` ("ht" or "ttc") at VAT ``rate``."""
    if basis == "ttc":
        ttc = round_half_up(amount)
        ht = round_half_up(ttc / (1 + rate)) if rate else ttc
    else:
        ht = round_half_up(amount)
        ttc = round_half_up(amount * (1 + rate))
    return ht, rate, ttc


def potential_cofinancing(rate: Decimal, base: Decimal) -> Decimal:
    """requested rate × eligible base, rounded down to the cent (never above the cap)."""
    return round_down(rate * base)


def base_needed_for_cofinancing(amount: Decimal, rate: Decimal) -> Decimal:
    """The smallest eligible base (to the cent) whose co-financing at ``rate`` reaches ``amount``."""
    needed = (amount / rate).quantize(CENT, rounding=ROUND_UP)
    while potential_cofinancing(rate, needed) < amount:  # pragma: no cover - guard for odd rates
        needed += CENT
    return needed


def training_reduction(training: Decimal, other_eligible: Decimal, share: Decimal) -> Decimal:
    """How much training to remove so that training ≤ share × (other eligible + training)."""
    if share >= 1:
        return Decimal(0)
    allowed = round_down(share * other_eligible / (1 - share))
    return max(training - allowed, Decimal(0))


def spread_monthly(lines: list[tuple[int, int, int, bool]], horizon: int) -> list[tuple[int, int]]:
    """Spread each line's TTC (in cents) evenly over its months; the leftover cents go to the
    first months, so each month's figures add up exactly to the line. Returns per month
    (eligible cents, excluded cents). Linear in lines + months (difference arrays)."""
    diff_eligible = [0] * (horizon + 2)
    diff_excluded = [0] * (horizon + 2)
    for cents, start, end, excluded in lines:
        n = end - start + 1
        per, extra = divmod(cents, n)
        diff = diff_excluded if excluded else diff_eligible
        diff[start] += per
        diff[end + 1] -= per
        if extra:
            diff[start] += 1
            diff[start + extra] -= 1
    out = []
    elig = excl = 0
    for month in range(1, horizon + 1):
        elig += diff_eligible[month]
        excl += diff_excluded[month]
        out.append((elig, excl))
    return out


# --- the evaluation -------------------------------------------------------------------------------

@dataclass
class _Ctx:
    rules: Rules
    reading: Reading
    scenario: Scenario

    def source(self, rule_id: str) -> Source:
        r = self.rules[rule_id]
        return Source(rule=rule_id, title=r.title, sentence=r.source, assumption=r.assumption)

    def check(self, code: str, severity: Severity, rule_id: str, message: str,
              advice: str | None = None) -> Check:
        r = self.rules[rule_id]
        return Check(code=code, severity=severity, message=message, source=r.source, rule=rule_id,
                     assumption=r.assumption, advice=advice)


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
    checks = _checks(ctx, total=total, excluded=excluded_total, base=base, size=size,
                     training=training, other=other, potential=potential,
                     first_impact=first_impact, six_month=six_month, savings=savings,
                     impact_results=impact_results)
    checks.sort(key=lambda c: SEVERITY_ORDER[c.severity])
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


def _checks(ctx: _Ctx, *, total: Decimal, excluded: Decimal, base: Decimal, size: Decimal,
            training: Decimal, other: Decimal, potential: Decimal, first_impact: int | None,
            savings: Decimal | None, impact_results: list[ImpactResult],
            six_month: bool) -> list[Check]:
    rules, s, reading = ctx.rules, ctx.scenario, ctx.reading
    out: list[Check] = []

    if s.applicant.kind not in rules.values("eligible_applicants"):
        out.append(ctx.check(
            "APPLICANT_NOT_ELIGIBLE", "blocking", "eligible_applicants",
            f"Le demandeur ({labels.APPLICANT_KINDS[s.applicant.kind]}) n’est ni une administration "
            "d’État ni un opérateur de l’État.",
            "Le dossier doit être porté par une administration d’État ou un opérateur de l’État."))

    if s.migration is None and s.extension is None:
        out.append(ctx.check(
            "NO_OPERATION", "blocking", "operation_types",
            "Le projet ne comporte ni migration d’application vers le Cloud de confiance, ni "
            "extension des offres PI ou NUBO.",
            "Décrire au moins une opération : une migration vers PI, NUBO ou une offre qualifiée "
            "SecNumCloud, ou une extension des offres de services PI ou NUBO."))

    if s.migration is not None:
        if s.migration.target not in rules.values("trusted_targets"):
            out.append(ctx.check(
                "TARGET_NOT_TRUSTED", "blocking", "trusted_targets",
                f"La cible de migration ({labels.TARGETS[s.migration.target]}) n’est ni PI, ni "
                "NUBO, ni une offre commerciale qualifiée SecNumCloud.",
                "Choisir PI, NUBO ou une offre qualifiée SecNumCloud (le catalogue des prestataires "
                "qualifiés de l’ANSSI fait foi)."))
        if s.migration.origin in rules.values("origins_to_review"):
            out.append(ctx.check(
                "ORIGIN_ALREADY_TRUSTED", "warning", "origins_to_review",
                "L’hébergement d’origine est déjà un Cloud de confiance : contacter la DINUM pour "
                "évaluer le dossier.",
                f"Écrire à {rules.contact} en expliquant pourquoi l’hébergement actuel ne donne pas "
                "satisfaction."))

    minimum_commitments = int(rules["min_third_party_commitments"].value)
    if s.extension is not None and s.extension.third_party_commitments < minimum_commitments:
        out.append(ctx.check(
            "EXTENSION_WITHOUT_COMMITMENT", "blocking", "min_third_party_commitments",
            f"L’extension déclare {s.extension.third_party_commitments} engagement formalisé de "
            f"ministère tiers ; il en faut au moins {minimum_commitments}.",
            f"Obtenir au moins {minimum_commitments - s.extension.third_party_commitments} "
            "engagement(s) formalisé(s) d’un ministère tiers d’utiliser les nouveaux services une "
            "fois disponibles."))

    size_words = ("coût total TTC" if reading.size_measure == "total_cost"
                  else "assiette éligible TTC")
    what_to_add = ("de dépenses" if reading.size_measure == "total_cost"
                   else "de dépenses éligibles")
    min_size, max_size = rules.money("min_project_ttc"), rules.money("max_project_ttc")
    if size < min_size:
        out.append(ctx.check(
            "PROJECT_TOO_SMALL", "blocking", "min_project_ttc",
            f"Le projet ({eur(size)}, {size_words}) est sous la taille minimale de "
            f"{eur(min_size, cents=False)} TTC.",
            f"Il manque {eur(min_size - size)} {what_to_add} pour atteindre "
            f"{eur(min_size, cents=False)} : élargir le périmètre (d’autres applications à migrer) "
            "ou regrouper des projets."))
    if size > max_size:
        out.append(ctx.check(
            "PROJECT_TOO_LARGE", "blocking", "max_project_ttc",
            f"Le projet ({eur(size)}, {size_words}) dépasse la taille maximale de "
            f"{eur(max_size, cents=False)} TTC.",
            f"Le projet dépasse {eur(max_size, cents=False)} de {eur(size - max_size)} : envisager "
            "deux phases déposées séparément, ou réduire le périmètre."))

    minimum = rules.money("min_eligible_ttc")
    if reading.minimum_applies_to == "eligible_base":
        if base < minimum:
            out.append(ctx.check(
                "ELIGIBLE_BASE_TOO_LOW", "blocking", "min_eligible_ttc",
                f"L’assiette éligible ({eur(base)}) est inférieure au minimum de "
                f"{eur(minimum, cents=False)} TTC éligible au cofinancement.",
                f"Il manque {eur(minimum - base)} de dépenses éligibles pour atteindre "
                f"{eur(minimum, cents=False)}."))
    elif potential < minimum:
        needed = base_needed_for_cofinancing(minimum, s.requested_rate)
        out.append(ctx.check(
            "ELIGIBLE_BASE_TOO_LOW", "blocking", "min_eligible_ttc",
            f"Le cofinancement potentiel ({eur(potential)}) est inférieur au plancher de "
            f"{eur(minimum, cents=False)} TTC (lecture « {reading.label} »).",
            f"Il manque {eur(minimum - potential)} de cofinancement, soit {eur(needed - base)} de "
            f"dépenses éligibles au taux de {percent(s.requested_rate, 2)}."))

    share = rules.money("max_training_share")
    if training > 0 and training > share * base:
        cut = training_reduction(training, base - training, share)
        actual = percent(training / base, 2) if base else "—"
        out.append(ctx.check(
            "TRAINING_SHARE_HIGH", "warning", "max_training_share",
            f"La formation ({eur(training)}, soit {actual} de l’assiette éligible) dépasse "
            f"{percent(share)} de l’assiette : au-delà, le simulateur ne la tient plus pour « un "
            "volume raisonné » (hypothèse du simulateur).",
            f"Réduire la formation de {eur(cut)}, ou justifier ce volume au regard de l’ambition "
            "du projet."))

    if other > 0:
        n = sum(1 for line in s.cost_lines if line.category == "other")
        out.append(ctx.check(
            "OTHER_COSTS_TO_JUSTIFY", "warning", "categories_to_justify",
            f"{n} ligne(s) « {labels.CATEGORIES['other']} » ({eur(other)}) comptent dans l’assiette "
            "sans entrer dans une catégorie de la page (hypothèse du simulateur).",
            "Justifier ces dépenses dans le dossier, ou les reclasser dans une catégorie précise."))

    if excluded > 0:
        out.append(ctx.check(
            "EXCLUDED_COSTS", "info", "excluded_categories",
            f"{eur(excluded)} de dépenses (matériel, logiciels, ressources Cloud, évolutions "
            "fonctionnelles) ne sont pas comptabilisées dans l’assiette.",
            "Ces dépenses restent entièrement à la charge du porteur de projet."))

    horizon = int(rules["impact_horizon_months"].value)
    if not six_month:
        when = (f"le premier jalon d’impact est au mois {first_impact}" if first_impact
                else "aucun jalon n’apporte d’impact réel")
        out.append(ctx.check(
            "NO_SIX_MONTH_IMPACT", "info", "impact_horizon_months",
            f"Pas d’impact réel attendu dans les {horizon} premiers mois : {when}.",
            f"Les projets présentant un impact réel en moins de {horizon} mois sont privilégiés : "
            f"prévoir une première livraison utile au plus tard au mois {horizon} (par exemple une "
            "première application migrée)."))

    ind = s.indicators
    if savings is None:
        out.append(ctx.check(
            "SAVINGS_INDICATOR_MISSING", "warning", "mandatory_indicators",
            "Les économies induites par le projet ne sont pas renseignées.",
            "Indiquer les économies annuelles TTC attendues, ou le coût annuel de fonctionnement "
            "actuel et visé : c’est un indicateur obligatoire."))
    if ind.agents_trained is None:
        out.append(ctx.check(
            "AGENTS_TRAINED_MISSING", "warning", "mandatory_indicators",
            "Le nombre d’agents formés et travaillant dans un contexte Cloud n’est pas renseigné.",
            "Indiquer le nombre d’agents formés à l’issue du projet : c’est un indicateur "
            "obligatoire."))
    if not any(r.complete for r in impact_results):
        detail = ("Aucun indicateur d’impact n’est renseigné." if not ind.impact else
                  "Aucun indicateur d’impact n’a à la fois sa mesure actuelle et sa cible.")
        out.append(ctx.check(
            "IMPACT_INDICATORS_MISSING", "warning", "impact_indicators_required", detail,
            "Ajouter au moins un indicateur avec sa mesure actuelle et sa cible datée (par exemple "
            "la fréquence des déploiements en production ou le temps de restauration sur incident)."))
    return out


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
