"""Every figure of an evaluation, defined once: its label, its short label, its unit, its formula
in words and the rules it stands on (as Publicodes defines its rules).

The engine builds each figure's explanation (« Comment est-ce calculé ? ») from these definitions;
the pages, the command line, the exports, the comparison and the charts take their labels from
here, so that a figure is named the same everywhere. Labels and formulas may hold placeholders
filled from the rules file (:func:`rule_words`): ``{horizon}``, ``{years}``, ``{default_vat}``…
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from guichet.engine.rules import Rules, load_rules
from guichet.present import labels
from guichet.present.formatting import eur, percent

Unit = Literal["eur", "rate", "share", "months", "yes_no", "count", "status"]


@dataclass(frozen=True)
class Figure:
    key: str  # the evaluation's field (or explanation's key)
    label: str  # its name wherever there is room: « Assiette éligible TTC »
    short: str  # where room is short (the key figures, the comparison): « Assiette éligible »
    unit: Unit
    formula: str  # in words; placeholders from :func:`rule_words`
    rules: tuple[str, ...] = ()  # the rules whose sentences it stands on

    def name(self, rules: Rules | None = None, *, short: bool = False) -> str:
        """The label (or short label) with the rules' values in it."""
        return (self.short if short else self.label).format(**rule_words(rules))

    def formula_text(self, rules: Rules | None = None, **extra: str) -> str:
        return self.formula.format(**rule_words(rules), **extra)


def _in_text(label: str) -> str:
    """« Ressources Cloud consommées » inside a sentence: « ressources Cloud consommées »."""
    return label[:1].lower() + label[1:]


def _and(items: list[str]) -> str:
    return ", ".join(items[:-1]) + " et " + items[-1] if len(items) > 1 else "".join(items)


def rule_words(rules: Rules | None = None) -> dict[str, str]:
    """The rules' values as they are written inside a label or a formula."""
    r = rules or load_rules()
    return {
        "excluded": _and([_in_text(labels.CATEGORIES[c]) for c in r.values("excluded_categories")]),
        "horizon": str(int(r["impact_horizon_months"].value)),
        "years": str(int(r["savings_horizon_years"].value)),
        "default_vat": percent(r.decimal("default_vat_rate")),
        "min_project": eur(r.decimal("min_project_ttc"), cents=False),
        "max_project": eur(r.decimal("max_project_ttc"), cents=False),
        "max_rate": percent(r.decimal("max_cofinancing_rate")),
        "max_training_share": percent(r.decimal("max_training_share")),
    }


_FIGURES = (
    Figure("total_cost_ttc", "Coût total TTC", "Coût total TTC", "eur",
           "Somme des lignes de coût TTC ; une ligne saisie HT est multipliée par (1 + taux de "
           "TVA) puis arrondie au centime (arrondi au plus proche, 0,005 € vers le haut). TVA par "
           "défaut {default_vat}, 0 % pour le temps des agents.",
           ("min_project_ttc", "default_vat_rate", "vat_free_categories")),
    Figure("excluded_cost_ttc", "Dépenses exclues de l’assiette", "Dépenses exclues", "eur",
           "Somme des lignes TTC de {excluded}.", ("excluded_categories",)),
    Figure("eligible_base_ttc", "Assiette éligible TTC", "Assiette éligible", "eur",
           "Coût total TTC − dépenses exclues.", ("excluded_categories", "min_eligible_ttc")),
    Figure("project_size_ttc", "Taille du projet retenue", "Taille du projet", "eur",
           "{measured_on} (lecture « {reading} »), comparé à la fourchette {min_project} – "
           "{max_project} TTC, bornes comprises.", ("min_project_ttc",)),
    Figure("requested_rate", "Taux de cofinancement demandé", "Taux demandé", "rate",
           "Taux choisi par le porteur, au plus le taux maximal du guichet.",
           ("max_cofinancing_rate",)),
    Figure("potential_cofinancing_ttc", "Cofinancement potentiel", "Cofinancement potentiel", "eur",
           "Taux demandé × assiette éligible, arrondi au centime inférieur (jamais au-dessus du "
           "plafond).", ("max_cofinancing_rate", "excluded_categories")),
    Figure("cofinancing_ttc", "Cofinancement", "Cofinancement", "eur",
           "Le cofinancement potentiel si le projet est éligible (avec ou sans réserves), 0 € "
           "s’il ne l’est pas.", ("max_cofinancing_rate",)),
    Figure("own_contribution_ttc", "Reste à la charge du porteur", "Reste à charge", "eur",
           "Coût total TTC − cofinancement (les dépenses exclues restent à la charge du porteur).",
           ("max_cofinancing_rate", "excluded_categories")),
    Figure("training_cost_ttc", "Formation et acculturation TTC", "Formation", "eur",
           "Somme des lignes TTC de formation et d’acculturation.", ("max_training_share",)),
    Figure("six_month_impact", "Impact réel en moins de {horizon} mois",
           "Impact en moins de {horizon} mois", "yes_no",
           "Oui si un jalon « apporte un impact » tombe au plus tard au mois {horizon} du projet.",
           ("impact_horizon_months",)),
    Figure("training_share", "Part de la formation dans l’assiette", "Part de la formation",
           "share",
           "Formation TTC ÷ assiette éligible TTC, comparée au seuil {max_training_share} "
           "(hypothèse du simulateur).", ("max_training_share",)),
    Figure("annual_savings_ttc", "Économies annuelles induites TTC", "Économies annuelles", "eur",
           "Les économies déclarées ; à défaut, le coût annuel de fonctionnement actuel moins le "
           "coût annuel visé après le projet.", ("mandatory_indicators",)),
    Figure("payback_months", "Retour sur investissement", "Retour sur investissement", "months",
           "Reste à charge × 12 ÷ économies annuelles, arrondi au mois supérieur ; seulement si "
           "les économies sont positives.", ("mandatory_indicators",)),
    Figure("five_year_savings_ttc", "Économies cumulées sur {years} ans TTC",
           "Économies sur {years} ans", "eur",
           "Économies annuelles × {years} (horizon choisi par le simulateur).",
           ("mandatory_indicators", "savings_horizon_years")),
    Figure("status", "Statut", "Statut", "status",
           "« Non éligible » si un contrôle est bloquant ; sinon « Éligible avec réserves » si un "
           "contrôle est une réserve ; sinon « Éligible ».", ()),
)

#: Every figure by its key.
FIGURES: dict[str, Figure] = {f.key: f for f in _FIGURES}


def label(key: str, rules: Rules | None = None) -> str:
    """The label of figure ``key``: ``label("eligible_base_ttc")`` → « Assiette éligible TTC »."""
    return FIGURES[key].name(rules)


def short(key: str, rules: Rules | None = None) -> str:
    """The short label of figure ``key``: « Assiette éligible »."""
    return FIGURES[key].name(rules, short=True)
