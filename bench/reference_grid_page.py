"""The floor of the browser latency benchmark (not part of the app): the plainest Streamlit page
with the same 100-row cost-line grid, whose edit updates one figure shown twice (a metric above
the grid, a line under it), as the Simulateur shows its co-financing. Started by
``bench/browser_latency.py`` with ``streamlit run``; what it measures on this page is the part of
the latency that comes from Streamlit, the browser and the machine, not from the simulator's page.
"""

import sys
from decimal import Decimal
from pathlib import Path

import pandas as pd
import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from engine import scenario_data  # noqa: E402

from guichet.io.loading import scenario_from_data  # noqa: E402
from guichet.present.formatting import eur  # noqa: E402
from guichet.session.editing import COLUMNS, rows_from_lines  # noqa: E402

N_LINES = 100

if "rows" not in st.session_state:
    rows = rows_from_lines(scenario_from_data(scenario_data(N_LINES)).cost_lines)
    st.session_state.rows = rows
    st.session_state.base = pd.DataFrame(rows, columns=COLUMNS)


def reference_figure(amounts) -> Decimal:
    """Half of the amounts as typed: the one figure of this page."""
    return (sum(Decimal(str(a)) for a in amounts) / 2).quantize(Decimal("0.01"))


def on_edit() -> None:
    for row, change in st.session_state.grid["edited_rows"].items():
        if "amount" in change:
            st.session_state.rows[int(row)]["amount"] = change["amount"]


figure = eur(reference_figure(r["amount"] for r in st.session_state.rows))
st.title("Référence")
st.metric("Cofinancement", figure)
st.data_editor(st.session_state.base, key="grid", on_change=on_edit, hide_index=True,
               num_rows="dynamic", alt="Tableau des lignes de coût de la page de référence")
st.markdown(f"**Après vos lignes** — cofinancement : **{figure}**")
