"""The checks of the guichet: one small function per code, in the order of :data:`CHECKS`.

Each function reads the :class:`Facts` of an evaluation and returns its :class:`Check` (message,
advice and the sentence of the rule it applies), or None when the check does not apply. Messages
name what the rules file holds (the categories it excludes, the targets it trusts, its amounts)
through the labels of :mod:`guichet.present.labels`, never a copy of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel

from guichet.engine.formulas import base_needed_for_cofinancing, training_reduction
from guichet.engine.models import Scenario
from guichet.engine.rules import Reading, Rules
from guichet.present import labels
from guichet.present.formatting import eur, percent

Severity = Literal["blocking", "warning", "info"]
SEVERITY_ORDER = {"blocking": 0, "warning": 1, "info": 2}


class Check(BaseModel):
    code: str
    severity: Severity
    message: str
    source: str
    rule: str
    assumption: bool = False
    advice: str | None = None


@dataclass(frozen=True)
class Facts:
    """What the checks read: the scenario, the rules and reading in force, and the figures."""

    scenario: Scenario
    rules: Rules
    reading: Reading
    total: Decimal
    excluded: Decimal
    base: Decimal
    size: Decimal
    training: Decimal
    other: Decimal
    potential: Decimal
    first_impact: int | None
    six_month: bool
    savings: Decimal | None
    complete_impact_indicators: int

    def check(self, code: str, severity: Severity, rule_id: str, message: str,
              advice: str | None = None) -> Check:
        r = self.rules[rule_id]
        return Check(code=code, severity=severity, message=message, source=r.source, rule=rule_id,
                     assumption=r.assumption, advice=advice)


def _neither(items: list[str]) -> str:
    """« ni A, ni B, ni C » (« ni A ni B » for two)."""
    if len(items) == 2:
        return f"ni {items[0]} ni {items[1]}"
    return ", ".join(f"ni {item}" for item in items)


def applicant_not_eligible(f: Facts) -> Check | None:
    kind = f.scenario.applicant.kind
    allowed = f.rules.values("eligible_applicants")
    if kind in allowed:
        return None
    return f.check(
        "APPLICANT_NOT_ELIGIBLE", "blocking", "eligible_applicants",
        f"Le demandeur ({labels.APPLICANT_KINDS[kind]}) n’est "
        f"{_neither([labels.APPLICANT_KINDS_IN_TEXT[k] for k in allowed])}.",
        "Le dossier doit être porté par "
        + " ou ".join(labels.APPLICANT_KINDS_IN_TEXT[k] for k in allowed) + ".")


def no_operation(f: Facts) -> Check | None:
    if f.scenario.migration is not None or f.scenario.extension is not None:
        return None
    return f.check(
        "NO_OPERATION", "blocking", "operation_types",
        "Le projet ne comporte ni migration d’application vers le Cloud de confiance, ni "
        "extension des offres PI ou NUBO.",
        "Décrire au moins une opération : une migration vers PI, NUBO ou une offre qualifiée "
        "SecNumCloud, ou une extension des offres de services PI ou NUBO.")


def target_not_trusted(f: Facts) -> Check | None:
    migration = f.scenario.migration
    trusted = f.rules.values("trusted_targets")
    if migration is None or migration.target in trusted:
        return None
    return f.check(
        "TARGET_NOT_TRUSTED", "blocking", "trusted_targets",
        f"La cible de migration ({labels.TARGETS[migration.target]}) n’est "
        f"{_neither([labels.TARGETS_IN_TEXT[t] for t in trusted])}.",
        "Choisir PI, NUBO ou une offre qualifiée SecNumCloud (le catalogue des prestataires "
        "qualifiés de l’ANSSI fait foi).")


def origin_already_trusted(f: Facts) -> Check | None:
    migration = f.scenario.migration
    if migration is None or migration.origin not in f.rules.values("origins_to_review"):
        return None
    return f.check(
        "ORIGIN_ALREADY_TRUSTED", "warning", "origins_to_review",
        "L’hébergement d’origine est déjà un Cloud de confiance : contacter la DINUM pour "
        "évaluer le dossier.",
        f"Écrire à {f.rules.contact} en expliquant pourquoi l’hébergement actuel ne donne pas "
        "satisfaction.")


def extension_without_commitment(f: Facts) -> Check | None:
    extension = f.scenario.extension
    minimum = int(f.rules["min_third_party_commitments"].value)
    if extension is None or extension.third_party_commitments >= minimum:
        return None
    given = extension.third_party_commitments
    return f.check(
        "EXTENSION_WITHOUT_COMMITMENT", "blocking", "min_third_party_commitments",
        f"L’extension déclare {given} engagement formalisé de ministère tiers ; il en faut au "
        f"moins {minimum}.",
        f"Obtenir au moins {minimum - given} engagement(s) formalisé(s) d’un ministère tiers "
        "d’utiliser les nouveaux services une fois disponibles.")


def _size_words(f: Facts) -> tuple[str, str]:
    """(what the size is measured on, what to add to it), under the reading in force."""
    if f.reading.size_measure == "total_cost":
        return "coût total TTC", "de dépenses"
    return "assiette éligible TTC", "de dépenses éligibles"


def project_size_out_of_range(f: Facts) -> Check | None:
    """« Entre 100 000 € et 3 M€ TTC », bounds included: PROJECT_TOO_SMALL below the range,
    PROJECT_TOO_LARGE above it (never both)."""
    minimum, maximum = f.rules.decimal("min_project_ttc"), f.rules.decimal("max_project_ttc")
    measured_on, to_add = _size_words(f)
    if f.size < minimum:
        return f.check(
            "PROJECT_TOO_SMALL", "blocking", "min_project_ttc",
            f"Le projet ({eur(f.size)}, {measured_on}) est sous la taille minimale de "
            f"{eur(minimum, cents=False)} TTC.",
            f"Il manque {eur(minimum - f.size)} {to_add} pour atteindre "
            f"{eur(minimum, cents=False)} : élargir le périmètre (d’autres applications à migrer) "
            "ou regrouper des projets.")
    if f.size > maximum:
        return f.check(
            "PROJECT_TOO_LARGE", "blocking", "max_project_ttc",
            f"Le projet ({eur(f.size)}, {measured_on}) dépasse la taille maximale de "
            f"{eur(maximum, cents=False)} TTC.",
            f"Le projet dépasse {eur(maximum, cents=False)} de {eur(f.size - maximum)} : envisager "
            "deux phases déposées séparément, ou réduire le périmètre.")
    return None


def eligible_base_too_low(f: Facts) -> Check | None:
    """Under ``total_cost`` the 50 000 € is a floor on the eligible base; under
    ``eligible_base`` a floor on the co-financing."""
    minimum = f.rules.decimal("min_eligible_ttc")
    if f.reading.minimum_applies_to == "eligible_base":
        if f.base >= minimum:
            return None
        return f.check(
            "ELIGIBLE_BASE_TOO_LOW", "blocking", "min_eligible_ttc",
            f"L’assiette éligible ({eur(f.base)}) est inférieure au minimum de "
            f"{eur(minimum, cents=False)} TTC éligible au cofinancement.",
            f"Il manque {eur(minimum - f.base)} de dépenses éligibles pour atteindre "
            f"{eur(minimum, cents=False)}.")
    if f.potential >= minimum:
        return None
    rate = f.scenario.requested_rate
    needed = base_needed_for_cofinancing(minimum, rate)
    return f.check(
        "ELIGIBLE_BASE_TOO_LOW", "blocking", "min_eligible_ttc",
        f"Le cofinancement potentiel ({eur(f.potential)}) est inférieur au plancher de "
        f"{eur(minimum, cents=False)} TTC (lecture « {f.reading.label} »).",
        f"Il manque {eur(minimum - f.potential)} de cofinancement, soit {eur(needed - f.base)} de "
        f"dépenses éligibles au taux de {percent(rate, 2)}.")


def training_share_high(f: Facts) -> Check | None:
    share = f.rules.decimal("max_training_share")
    if not (f.training > 0 and f.training > share * f.base):
        return None
    cut = training_reduction(f.training, f.base - f.training, share)
    actual = percent(f.training / f.base, 2) if f.base else "—"
    return f.check(
        "TRAINING_SHARE_HIGH", "warning", "max_training_share",
        f"La formation ({eur(f.training)}, soit {actual} de l’assiette éligible) dépasse "
        f"{percent(share)} de l’assiette : au-delà, le simulateur ne la tient plus pour « un "
        "volume raisonné » (hypothèse du simulateur).",
        f"Réduire la formation de {eur(cut)}, ou justifier ce volume au regard de l’ambition "
        "du projet.")


def other_costs_to_justify(f: Facts) -> Check | None:
    if f.other <= 0:
        return None
    to_justify = f.rules.values("categories_to_justify")
    n = sum(1 for line in f.scenario.cost_lines if line.category in to_justify)
    names = ", ".join(f"« {labels.CATEGORIES[c]} »" for c in to_justify)
    return f.check(
        "OTHER_COSTS_TO_JUSTIFY", "warning", "categories_to_justify",
        f"{n} ligne(s) {names} ({eur(f.other)}) comptent dans l’assiette sans entrer dans une "
        "catégorie de la page (hypothèse du simulateur).",
        "Justifier ces dépenses dans le dossier, ou les reclasser dans une catégorie précise.")


def excluded_costs(f: Facts) -> Check | None:
    if f.excluded <= 0:
        return None
    names = ", ".join(labels.CATEGORIES_IN_TEXT[c] for c in f.rules.values("excluded_categories"))
    return f.check(
        "EXCLUDED_COSTS", "info", "excluded_categories",
        f"{eur(f.excluded)} de dépenses ({names}) ne sont pas comptabilisées dans l’assiette.",
        "Ces dépenses restent entièrement à la charge du porteur de projet.")


def no_six_month_impact(f: Facts) -> Check | None:
    if f.six_month:
        return None
    horizon = int(f.rules["impact_horizon_months"].value)
    when = (f"le premier jalon d’impact est au mois {f.first_impact}" if f.first_impact
            else "aucun jalon n’apporte d’impact réel")
    return f.check(
        "NO_SIX_MONTH_IMPACT", "info", "impact_horizon_months",
        f"Pas d’impact réel attendu dans les {horizon} premiers mois : {when}.",
        f"Les projets présentant un impact réel en moins de {horizon} mois sont privilégiés : "
        f"prévoir une première livraison utile au plus tard au mois {horizon} (par exemple une "
        "première application migrée).")


def _mandatory_missing(f: Facts, code: str, message: str, to_give: str) -> Check:
    """A mandatory indicator (« indicateurs obligatoires ») that the scenario does not give."""
    return f.check(code, "warning", "mandatory_indicators", message,
                   f"Indiquer {to_give} : c’est un indicateur obligatoire.")


def savings_indicator_missing(f: Facts) -> Check | None:
    if f.savings is not None:
        return None
    return _mandatory_missing(
        f, "SAVINGS_INDICATOR_MISSING", "Les économies induites par le projet ne sont pas renseignées.",
        "les économies annuelles TTC attendues, ou le coût annuel de fonctionnement actuel et visé")


def agents_trained_missing(f: Facts) -> Check | None:
    if f.scenario.indicators.agents_trained is not None:
        return None
    return _mandatory_missing(
        f, "AGENTS_TRAINED_MISSING",
        "Le nombre d’agents formés et travaillant dans un contexte Cloud n’est pas renseigné.",
        "le nombre d’agents formés à l’issue du projet")


def impact_indicators_missing(f: Facts) -> Check | None:
    if f.complete_impact_indicators:
        return None
    detail = ("Aucun indicateur d’impact n’est renseigné." if not f.scenario.indicators.impact
              else "Aucun indicateur d’impact n’a à la fois sa mesure actuelle et sa cible.")
    return f.check(
        "IMPACT_INDICATORS_MISSING", "warning", "impact_indicators_required", detail,
        "Ajouter au moins un indicateur avec sa mesure actuelle et sa cible datée (par exemple "
        "la fréquence des déploiements en production ou le temps de restauration sur incident).")


#: Every check, in the order the evaluation lists them within a severity.
CHECKS: tuple[Callable[[Facts], Check | None], ...] = (
    applicant_not_eligible, no_operation, target_not_trusted, origin_already_trusted,
    extension_without_commitment, project_size_out_of_range, eligible_base_too_low,
    training_share_high, other_costs_to_justify, excluded_costs, no_six_month_impact,
    savings_indicator_missing, agents_trained_missing, impact_indicators_missing,
)


def run_checks(facts: Facts) -> list[Check]:
    """The checks that apply, blocking first, then warnings, then information."""
    found = [check for rule in CHECKS if (check := rule(facts)) is not None]
    return sorted(found, key=lambda c: SEVERITY_ORDER[c.severity])

