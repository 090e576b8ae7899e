"""Tables shown beside the figures, with French strings (pure: no Streamlit)."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

import pandas as pd

from guichet.engine.evaluate import Evaluation
from guichet.engine.rules import Rule, Rules
from guichet.present import labels

if TYPE_CHECKING:  # the imports package imports this module's neighbours, not this one
    from guichet.io.imports import ImportPreview
from guichet.present.formatting import eur, percent


def lines_table(e: Evaluation) -> pd.DataFrame:
    """Each counted cost line with its HT, VAT and TTC, and whether it is in the eligible base."""
    return pd.DataFrame(
        [{
            "N°": line.index + 1,
            "Libellé": line.label,
            "Catégorie": line.category_label,
            "HT": eur(line.ht),
            "TVA": percent(line.vat_rate, 2),
            "TTC": eur(line.ttc),
            "Assiette": "exclue" if line.excluded else "éligible",
            "Mois": f"{line.start_month} à {line.end_month}",
        } for line in e.lines],
        columns=["N°", "Libellé", "Catégorie", "HT", "TVA", "TTC", "Assiette", "Mois"],
    )


def rule_value_text(rule: Rule) -> str:
    """A rule's value in French: amounts in euros, rates in percent, codes as labels."""
    vocab = {**labels.APPLICANT_KINDS, **labels.ORIGINS, **labels.CATEGORIES,
             "pi": "PI", "nubo": "NUBO", "secnumcloud": "Offre qualifiée SecNumCloud",
             "migration": "Migration", "extension": "Extension",
             "annual_savings_ttc": "Économies induites", "agents_trained": "Agents formés"}
    value = rule.value
    if isinstance(value, list):
        return ", ".join(vocab.get(str(v), str(v)) for v in value)
    if rule.unit == "eur":
        text = eur(Decimal(str(value)), cents=False)
        return f"{text} {rule.unit_label.removeprefix('€').strip()}".strip()
    if rule.unit in ("rate", "share"):
        return f"{percent(Decimal(str(value)))} {rule.unit_label}".strip()
    return f"{value} {rule.unit_label}".strip()


def rules_table(rules: Rules) -> pd.DataFrame:
    return pd.DataFrame(
        [{
            "Règle": r.title,
            "Valeur": rule_value_text(r),
            "Origine": "Hypothèse du simulateur" if r.assumption else "Page du guichet",
            "Phrase de la page": r.source + (f" — {r.note}" if r.note else ""),
            "En vigueur depuis": f"{r.in_force:%d/%m/%Y}",
            "Référence": r.reference,
            "Identifiant": r.id,
        } for r in rules.rules.values()],
    )


def import_preview_tables(preview: ImportPreview) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(accepted lines, rejected rows) of an import preview, as the user will read them."""
    from guichet.engine.formulas import line_ttc

    accepted = pd.DataFrame([{
        "Ligne du fichier": row,
        "Libellé": line.label,
        "Catégorie": labels.CATEGORIES[line.category],
        "Montant saisi": eur(line.amount) + " " + labels.BASES[line.basis],
        "TTC": eur(line_ttc(line)[2]),
        "Mois": f"{line.start_month} à {line.end_month}",
    } for row, line in zip(preview.rows, preview.lines, strict=False)],
        columns=["Ligne du fichier", "Libellé", "Catégorie", "Montant saisi", "TTC", "Mois"])
    rejected = pd.DataFrame([{"Ligne du fichier": r.row, "Raison du refus": r.reason}
                             for r in preview.rejected],
                            columns=["Ligne du fichier", "Raison du refus"])
    return accepted, rejected
