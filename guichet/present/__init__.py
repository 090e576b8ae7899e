"""Presentation: French formatting, labels of the format's codes, altair charts and their table
alternatives, the comparison of scenarios. No Streamlit."""
