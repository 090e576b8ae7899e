"""Streamlit helpers: the only place outside app.py and pages/ that imports Streamlit."""
