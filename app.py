"""Entry point and router of the simulator: `streamlit run app.py`."""

from guichet.ui.router import run_app

run_app()
