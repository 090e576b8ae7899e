"""French labels of the scenario format's codes (interface vocabulary, not rules)."""

from __future__ import annotations

APPLICANT_KINDS = {
    "state_administration": "Administration d’État",
    "state_operator": "Opérateur de l’État",
    "other": "Autre organisme",
}

#: The applicant kinds inside a sentence (« n’est ni une administration d’État ni … »).
APPLICANT_KINDS_IN_TEXT = {
    "state_administration": "une administration d’État",
    "state_operator": "un opérateur de l’État",
    "other": "un autre organisme",
}

ORIGINS = {
    "physical": "Infrastructures physiques",
    "other_internal_cloud": "Cloud interne autre que PI ou NUBO",
    "unqualified_cloud": "Cloud non qualifié SecNumCloud",
    "trusted_cloud": "Cloud de confiance (déjà)",
}

TARGETS = {
    "pi": "PI (Cloud π, ministère de l’Intérieur)",
    "nubo": "NUBO (DGFiP)",
    "secnumcloud": "Offre commerciale qualifiée SecNumCloud",
    "other": "Autre offre commerciale (non qualifiée SecNumCloud)",
}

#: The targets inside a sentence (« n’est ni PI, ni NUBO, ni une offre … »).
TARGETS_IN_TEXT = {
    "pi": "PI",
    "nubo": "NUBO",
    "secnumcloud": "une offre commerciale qualifiée SecNumCloud",
    "other": "une autre offre commerciale",
}

TARGET_HELP = {
    "pi": "Cloud interne interministériel opéré par le ministère de l’Intérieur (IaaS OpenStack, OpenShift, PaaS DevSecOps « Cloud π Native »).",
    "nubo": "Cloud interne interministériel opéré par la DGFiP (ministère de l’Économie et des Finances).",
    "secnumcloud": "Offre d’un prestataire qualifiée SecNumCloud par l’ANSSI : le catalogue de l’ANSSI fait foi.",
    "other": "Toute offre non qualifiée SecNumCloud : elle n’est pas finançable par ce guichet.",
}

CLOUDS = {"pi": "PI", "nubo": "NUBO"}

CATEGORIES = {
    "external_services": "Prestations externes",
    "internal_staff": "Temps des agents (interne)",
    "training": "Formation et acculturation",
    "hardware": "Matériel",
    "software": "Logiciels (licences, souscriptions)",
    "cloud_resources": "Ressources Cloud consommées",
    "functional_changes": "Évolutions fonctionnelles",
    "other": "Autres dépenses",
}

#: The categories inside a sentence (« 12 000 € de dépenses (matériel, logiciels, …) »).
CATEGORIES_IN_TEXT = {
    "external_services": "prestations externes",
    "internal_staff": "temps des agents",
    "training": "formation",
    "hardware": "matériel",
    "software": "logiciels",
    "cloud_resources": "ressources Cloud",
    "functional_changes": "évolutions fonctionnelles",
    "other": "autres dépenses",
}

BASES = {"ht": "HT", "ttc": "TTC"}

STATUSES = {
    "eligible": "Éligible",
    "eligible_with_reservations": "Éligible avec réserves",
    "ineligible": "Non éligible",
}

SEVERITIES = {"blocking": "Bloquant", "warning": "Réserve", "info": "Information"}
