"""Benchmark of the Simulateur page (not a test): the median time of one rerun.

    python bench/app_rerun.py [--runs N]

Runs the Simulateur page with a 100-line scenario through Streamlit's AppTest — one amount changed
before each rerun, as after an edit of the grid, so every figure and chart is computed anew — and in
the same run a
plain reference page holding a 100-row ``st.data_editor`` and two altair charts, so the figures
compare the two on the same machine. Goal of issue 3: ours ≤ 1.5 × the reference.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from engine import scenario_data  # noqa: E402
from machine import machine  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

from guichet.io.loading import scenario_from_data  # noqa: E402
from guichet.session.workspace import Workspace  # noqa: E402

GOAL_RATIO = 1.5
REFERENCE = '''
import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

rng = np.random.default_rng(0)
df = pd.DataFrame({"label": [f"Ligne {i}" for i in range(100)],
                   "category": rng.choice(["A", "B", "C", "D"], 100),
                   "amount": rng.uniform(1000, 50000, 100).round(2),
                   "basis": ["HT"] * 100, "vat": [20.0] * 100,
                   "start": rng.integers(1, 12, 100), "end": rng.integers(12, 24, 100)})
st.title("Référence")
st.data_editor(df, key="grid", num_rows="dynamic", hide_index=True)
st.altair_chart(alt.Chart(df).mark_bar().encode(x="sum(amount):Q", y="category:N"))
st.altair_chart(alt.Chart(df).mark_bar().encode(x="start:O", y="sum(amount):Q", color="category:N"))
'''


def timed_reruns(at: AppTest, runs: int, before=lambda i: None) -> list[float]:
    out = []
    for i in range(runs):
        before(i)
        start = time.perf_counter()
        at.run()
        out.append((time.perf_counter() - start) * 1000)
        assert not at.exception, at.exception
    return out


def simulateur_app() -> tuple[AppTest, callable]:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    ws = Workspace()
    ws.add(scenario_from_data(scenario_data(100)))
    at.session_state["workspace"] = ws
    at.run()
    at.switch_page("pages/simulateur.py").run()
    at.toggle(key="show_charts").set_value(True).run()  # its two charts too, as the reference's
    ws = at.session_state["workspace"]
    assert len(ws.scenario.cost_lines) == 100
    assert len(at.get("vega_lite_chart")) + len(at.get("arrow_vega_lite_chart")) == 2

    def edit(i: int) -> None:
        """As after an edit of the grid: one amount changes, so every figure and chart changes."""
        rows = [dict(r) for r in ws.current.rows]
        rows[i % 100]["amount"] = float(rows[i % 100]["amount"]) + 100 + i
        ws.set_rows(rows)

    return at, edit


def reference_app() -> AppTest:
    at = AppTest.from_string(REFERENCE, default_timeout=60)
    at.run()
    return at


def interleaved(runs: int) -> tuple[list[float], list[float]]:
    """One rerun of each page in turn, so a change in the machine's load weighs on both alike."""
    ours_app, edit = simulateur_app()
    ref_app = reference_app()
    ours, ref = [], []
    for i in range(runs):
        ours += timed_reruns(ours_app, 1, lambda _, i=i: edit(i))
        ref += timed_reruns(ref_app, 1)
    return ours, ref


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    ours, ref = interleaved(args.runs)
    m_ours, m_ref = statistics.median(ours), statistics.median(ref)
    print(f"machine: {machine()}")
    print(f"Simulateur page, 100 cost lines: median {m_ours:.1f} ms (min {min(ours):.1f}, "
          f"max {max(ours):.1f}) over {args.runs} reruns")
    print(f"reference page (100-row data_editor + 2 altair charts): median {m_ref:.1f} ms "
          f"(min {min(ref):.1f}, max {max(ref):.1f})")
    ratio = m_ours / m_ref
    print(f"ratio: {ratio:.2f} × the reference (goal ≤ {GOAL_RATIO}) — "
          f"{'met' if ratio <= GOAL_RATIO else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
