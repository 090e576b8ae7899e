"""Simulator of the « Guichet de financement : Adoption du Cloud de confiance » (DINUM, FTAP).

The core modules (rules, models, evaluate, formatting, loading, charts, exports) never import
Streamlit; Streamlit helpers live in ``guichet/ui/``.
"""
