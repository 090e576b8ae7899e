"""French labels of the scenario format's codes (interface vocabulary, not rules)."""

from __future__ import annotations

APPLICANT_KINDS = {
    "state_administration": "Administration d’État",
    "state_operator": "Opérateur de l’État",
    "other": "Autre organisme",
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

BASES = {"ht": "HT", "ttc": "TTC"}

STATUSES = {
    "eligible": "Éligible",
    "eligible_with_reservations": "Éligible avec réserves",
    "ineligible": "Non éligible",
}

SEVERITIES = {"blocking": "Bloquant", "warning": "Réserve", "info": "Information"}
