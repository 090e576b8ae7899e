"""The simulator's charts: pure functions ``Evaluation``/``Scenario`` → ``alt.Chart``.

Each chart has a table alternative (``…_table``) holding the same figures as French-formatted
strings, to show next to it (RGAA 1.1, 3.1: a chart alone is not accessible).

Conventions, shared by every chart:

- Money reaches Vega as floats, for plotting only; every figure a person reads in a tooltip or a
  table is the engine's exact ``Decimal`` formatted by :func:`guichet.present.formatting.eur`. Axis labels
  and value labels are formatted by Vega with the French number locale set in the chart's
  ``config.locale`` (:data:`VEGA_LOCALE`): « 1 234 567 € » with the narrow no-break space.
- Colours come from the DSFR chart palette; bars are outlined so that the light colours stay
  visible on white (RGAA 3.3), and no information is carried by colour alone.
- Text colours of axes, legends and titles are left to the theme; the few marks that write
  text (value labels) are near-black or white on the DSFR colours: the charts are made for the
  light theme (set ``theme.base = "light"`` in ``.streamlit/config.toml``).
- No chart sets a width: the caller (Streamlit, ``width="stretch"`` by default) fits it to its
  container.
- An empty scenario gives a placeholder chart (a sentence, no axes) rather than an error.

The modules, by role (every public name is re-exported here: ``charts.X`` works for all):

- :mod:`guichet.present.charts.base`: the locale, the palette, the shared settings and helpers;
- :mod:`guichet.present.charts.project`: one project's costs by category, funding split, timeline and
  monthly spend (the Simulateur and Calendrier pages);
- :mod:`guichet.present.charts.compare`: the comparison of scenarios (the Comparer page);
- :mod:`guichet.present.charts.indicators`: impact indicators and payback (the Indicateurs page).

Streamlit: ``st.altair_chart(chart)`` keeps ``config.locale`` with the default
``theme="streamlit"`` as with ``theme=None``: the front end merges the chart's own ``config`` over
its theme, and the theme defines no locale. This package does not import Streamlit.
"""

from __future__ import annotations

from guichet.present.charts.base import (AUTOSIZE, AXIS_LABEL_LIMIT, BLUE_FRANCE, CATEGORY_COLORS,
                                         DATASET, ELIGIBLE, EXCLUDED, GREY, HIGHLIGHT, MENTION,
                                         MONEY_AXIS, NARROW_CONTAINER, NUMBER_LOCALE, OUTLINE, OWN,
                                         PALETTE, RED_MARIANNE, TEXT, TIME_LOCALE, TOTAL,
                                         VEGA_LOCALE, Record, placeholder, vega_spec)
from guichet.present.charts.compare import (MAX_COMPARED, MEASURES, comparison_chart,
                                            comparison_data, comparison_table)
from guichet.present.charts.indicators import (BAND_COLORS, BASELINE, BREAK_EVEN, TARGET,
                                               indicator_chart, indicator_data, indicator_table,
                                               payback_chart, payback_data, payback_table)
from guichet.present.charts.project import (COFINANCING, COSTS_SUBTITLE, COSTS_TITLE,
                                            EXCLUDED_COSTS, FUNDING_COLORS, FUNDING_PARTS,
                                            FUNDING_SUBTITLE, FUNDING_TITLE, IMPACT, LABEL_ROOM,
                                            MILESTONES_ROW, NO_IMPACT, OWN_SHARE,
                                            TIMELINE_LABEL_CHARS, TIMELINE_LABEL_LIMIT,
                                            TIMELINE_LABEL_LIMIT_NARROW, TIMELINE_MAX_LINES,
                                            costs_by_category_chart, costs_by_category_records,
                                            costs_by_category_spec, costs_by_category_table,
                                            funding_parts, funding_split_chart,
                                            funding_split_records, funding_split_spec,
                                            funding_split_table, monthly_spend_chart,
                                            monthly_spend_data, monthly_spend_table,
                                            timeline_bars_data, timeline_chart,
                                            timeline_is_aggregated, timeline_milestones_data,
                                            timeline_table)

__all__ = [
    "AUTOSIZE",
    "AXIS_LABEL_LIMIT",
    "BAND_COLORS",
    "BASELINE",
    "BLUE_FRANCE",
    "BREAK_EVEN",
    "CATEGORY_COLORS",
    "COFINANCING",
    "COSTS_SUBTITLE",
    "COSTS_TITLE",
    "DATASET",
    "ELIGIBLE",
    "EXCLUDED",
    "EXCLUDED_COSTS",
    "FUNDING_COLORS",
    "FUNDING_PARTS",
    "FUNDING_SUBTITLE",
    "FUNDING_TITLE",
    "GREY",
    "HIGHLIGHT",
    "IMPACT",
    "LABEL_ROOM",
    "MAX_COMPARED",
    "MEASURES",
    "MENTION",
    "MILESTONES_ROW",
    "MONEY_AXIS",
    "NARROW_CONTAINER",
    "NO_IMPACT",
    "NUMBER_LOCALE",
    "OUTLINE",
    "OWN",
    "OWN_SHARE",
    "PALETTE",
    "RED_MARIANNE",
    "Record",
    "TARGET",
    "TEXT",
    "TIMELINE_LABEL_CHARS",
    "TIMELINE_LABEL_LIMIT",
    "TIMELINE_LABEL_LIMIT_NARROW",
    "TIMELINE_MAX_LINES",
    "TIME_LOCALE",
    "TOTAL",
    "VEGA_LOCALE",
    "comparison_chart",
    "comparison_data",
    "comparison_table",
    "costs_by_category_chart",
    "costs_by_category_records",
    "costs_by_category_spec",
    "costs_by_category_table",
    "funding_parts",
    "funding_split_chart",
    "funding_split_records",
    "funding_split_spec",
    "funding_split_table",
    "indicator_chart",
    "indicator_data",
    "indicator_table",
    "monthly_spend_chart",
    "monthly_spend_data",
    "monthly_spend_table",
    "payback_chart",
    "payback_data",
    "payback_table",
    "placeholder",
    "timeline_bars_data",
    "timeline_chart",
    "timeline_is_aggregated",
    "timeline_milestones_data",
    "timeline_table",
    "vega_spec",
]
