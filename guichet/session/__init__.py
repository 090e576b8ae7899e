"""The session's data, without Streamlit: the workspace of scenarios, the grids' rows and the
form's changes to a scenario, the examples."""
