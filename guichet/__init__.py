"""Simulator of the « Guichet de financement : Adoption du Cloud de confiance » (DINUM, FTAP).

The core modules (rules, models, evaluate, formatting, loading, charts, exports) never import
Streamlit; Streamlit helpers live in ``guichet/ui/``.
"""

import logging

# A library's logs go where its user sends them; none are printed by default (the command line's
# output stays French: what the logs say, it says in its own words).
logging.getLogger(__name__).addHandler(logging.NullHandler())
