"""What every chart of :mod:`guichet.present.charts` shares: the French locale, the DSFR palette, the
common settings, and the helpers that build data, titles, axes and the placeholder chart."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, TypeVar

import altair as alt
import pandas as pd

from guichet.engine.figures import label, short
from guichet.present import labels

#: A row of a chart's data, as Vega receives it.
Record = dict[str, Any]

_Chart = TypeVar("_Chart", bound=alt.TopLevelMixin)

#: Vega number locale (d3-format): decimal comma, narrow no-break space between thousands, euro
#: sign after the amount, as the DSFR and :mod:`guichet.present.formatting` write them.
NUMBER_LOCALE = {"decimal": ",", "thousands": "\u202f", "grouping": [3],
                 "currency": ["", "\u00a0€"], "percent": "\u00a0%"}
#: Vega time locale (d3-time-format, fr-FR), for any date a page may plot.
TIME_LOCALE = {
    "dateTime": "%A %e %B %Y à %X", "date": "%d/%m/%Y", "time": "%H:%M:%S",
    "periods": ["AM", "PM"],
    "days": ["dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"],
    "shortDays": ["dim.", "lun.", "mar.", "mer.", "jeu.", "ven.", "sam."],
    "months": ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
               "septembre", "octobre", "novembre", "décembre"],
    "shortMonths": ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.",
                    "oct.", "nov.", "déc."],
}
VEGA_LOCALE = {"number": NUMBER_LOCALE, "time": TIME_LOCALE}

#: Name of the dataset of the Simulateur's two charts (their spec refers to it by name).
DATASET = "table"

#: DSFR categorical chart palette (dsfr-chart), in order.
PALETTE = ["#5C68E5", "#82B5F2", "#29598F", "#31A7AE", "#81EEF5", "#B478F1", "#CFB1F5", "#CECECE"]
HIGHLIGHT = "#5C68E5"
GREY = "#B1B1B1"
OUTLINE = "#3A3A3A"  # grey 200: outline of every bar and point
TEXT = "#161616"  # grey 50
MENTION = "#666666"  # grey 425
BLUE_FRANCE = "#000091"
RED_MARIANNE = "#E1000F"

MONEY_AXIS = "$,.0f"  # « 1 234 567 € » through the French locale

#: One colour per cost category, in the scenario format's order (stable from chart to chart).
CATEGORY_COLORS = dict(zip(labels.CATEGORIES, PALETTE, strict=True))

ELIGIBLE = "Dans l’assiette éligible"
EXCLUDED = "Exclue de l’assiette"
TOTAL = label("total_cost_ttc")
OWN = short("own_contribution_ttc")  # « Reste à charge »

#: In a container narrower than this (a phone), row labels are cut shorter and the timeline's
#: horizon label says less, so the bars and the label keep room (Vega reads the container's width).
NARROW_CONTAINER = 520
_NARROW = f"(containerSize()[0] > 0 && containerSize()[0] < {NARROW_CONTAINER})"

#: The width fits the container, the height is the chart's own (plot area plus axes and legends).
#: Streamlit's theme asks for ``fit`` in both directions, which squeezes the plot area into the
#: given height once legends are drawn; a spec's own ``autosize`` wins over the theme's config.
AUTOSIZE = alt.AutoSizeParams(type="fit-x", contains="padding")
AXIS_LABEL_LIMIT = 230


def _inline(frame: pd.DataFrame) -> alt.Data:
    """A small frame as inline records. Altair's default transformer sanitises a DataFrame with
    pandas at every ``to_dict`` (about 15 ms a chart); these frames hold only plain strings,
    floats and ints, so their records can go to Vega as they are (Altair still gathers them in
    the spec's ``datasets``)."""
    return alt.Data(values=frame.to_dict("records"))  # type: ignore[no-untyped-call]


def _named(name: str = DATASET) -> alt.Data:
    """A reference to a dataset the spec holds by name (the data attached later)."""
    return alt.Data(name=name)  # type: ignore[no-untyped-call]


def _money(value: Decimal | int) -> float:
    """A Decimal amount as a float: for plotting only, never for a figure a person reads."""
    return float(value)


def _configured(chart: _Chart) -> _Chart:
    """The French locale and the few settings every chart of the simulator shares."""
    # one configure() call: each altair call deep-copies the whole chart
    configured: _Chart = chart.properties(autosize=AUTOSIZE).configure(
        locale=VEGA_LOCALE,
        axis=alt.AxisConfig(labelLimit=AXIS_LABEL_LIMIT),
        legend=alt.LegendConfig(labelLimit=220, orient="bottom", direction="vertical", columns=1,
                                symbolStrokeWidth=1, symbolStrokeColor=OUTLINE),
        title=alt.TitleConfig(anchor="start"),
    )
    return configured


def vega_spec(chart: alt.TopLevelMixin) -> dict[str, Any]:
    """The Vega-Lite spec of a chart, for ``st.vega_lite_chart``. Not validated again at each
    rerun (jsonschema validation costs tens of milliseconds a chart); the tests validate every
    chart's spec, and render it with vl-convert."""
    return chart.to_dict(validate=False)


def _title(text: str, subtitle: str | list[str] | None = None) -> alt.TitleParams:
    return alt.TitleParams(text=text, subtitle=subtitle or alt.Undefined)


def placeholder(title: str, message: str) -> alt.Chart:
    """A chart that only says why there is nothing to draw (valid Vega-Lite, no axes)."""
    data = pd.DataFrame({"message": [message]})
    chart: alt.Chart = (alt.Chart(_inline(data), title=_title(title))
                        .mark_text(fontSize=14, color=MENTION, align="center")
                        .encode(text=alt.Text("message:N"))
                        .properties(height=60))
    return _configured(chart)


def _axis_money(title: str) -> alt.Axis:
    return alt.Axis(title=title, format=MONEY_AXIS, labelOverlap=True, tickCount=5)
