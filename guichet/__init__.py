"""Simulator of the « Guichet de financement : Adoption du Cloud de confiance » (DINUM, FTAP).

The package is laid out by role: ``engine/`` (rules, scenario format, evaluation), ``io/`` (files,
links, imports, exports), ``present/`` (formatting, labels, charts, tables), ``session/`` (the
session's scenarios, without Streamlit) and ``ui/``, the only place that imports Streamlit, with
the pages in ``pages/``. ``cli`` is the command line.
"""

import logging

# A library's logs go where its user sends them; none are printed by default (the command line's
# output stays French: what the logs say, it says in its own words).
logging.getLogger(__name__).addHandler(logging.NullHandler())
