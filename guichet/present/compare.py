"""Side-by-side comparison of scenarios (pure: no Streamlit)."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from guichet.engine.evaluate import Evaluation
from guichet.engine.figures import short
from guichet.engine.models import Scenario
from guichet.present import labels
from guichet.present.formatting import eur, percent, unique_names

#: One row of the comparison: its label, and its value for a scenario and its evaluation.
Row = tuple[str, Callable[[Scenario, Evaluation], str]]

ROWS: list[Row] = [
    (short("status"), lambda s, e: e.status_label),
    (short("total_cost_ttc"), lambda s, e: eur(e.total_cost_ttc)),
    (short("excluded_cost_ttc"), lambda s, e: eur(e.excluded_cost_ttc)),
    (short("eligible_base_ttc"), lambda s, e: eur(e.eligible_base_ttc)),
    (short("requested_rate"), lambda s, e: percent(e.requested_rate, 2)),
    (short("cofinancing_ttc"), lambda s, e: eur(e.cofinancing_ttc)),
    (short("own_contribution_ttc"), lambda s, e: eur(e.own_contribution_ttc)),
    (short("six_month_impact"), lambda s, e: (
        f"Oui (mois {e.first_impact_month})" if e.six_month_impact else "Non")),
    ("Demandeur", lambda s, e: labels.APPLICANT_KINDS[s.applicant.kind]),
    ("Cible de migration", lambda s, e: labels.TARGETS[s.migration.target] if s.migration else "—"),
    ("Extension", lambda s, e: (", ".join(labels.CLOUDS[c] for c in s.extension.clouds)
                                if s.extension else "—")),
    ("Lignes de coût", lambda s, e: str(len(s.cost_lines))),
    ("Points bloquants", lambda s, e: ", ".join(c.code for c in e.checks_of("blocking")) or "aucun"),
    ("Réserves", lambda s, e: ", ".join(c.code for c in e.checks_of("warning")) or "aucune"),
]


def comparison_table(items: list[tuple[str, Scenario, Evaluation]]) -> pd.DataFrame:
    """One row per figure or check, one column per scenario (columns named after the scenarios,
    numbered when two share a name)."""
    names = unique_names([name for name, _, _ in items])
    data = {"": [label for label, _ in ROWS]}
    for name, (_, s, e) in zip(names, items, strict=False):
        data[name] = [fn(s, e) for _, fn in ROWS]
    return pd.DataFrame(data)


def differences(items: list[tuple[str, Scenario, Evaluation]]) -> pd.DataFrame:
    """The rows of the comparison whose values are not all the same."""
    table = comparison_table(items)
    differs = table.iloc[:, 1:].nunique(axis=1) > 1
    return table[differs].reset_index(drop=True)
