"""The charts of the PDF: the charts of :mod:`guichet.present.charts` as PNG, rendered by vl-convert in a
child process (:mod:`guichet.io.render`), never in this one. No fpdf here.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from guichet.engine.evaluate import Evaluation
from guichet.engine.models import Scenario

#: Largest height of each chart in the PDF (mm).
CHART_HEIGHTS = {"funding": 42.0, "categories": 60.0, "timeline": 75.0, "monthly": 72.0,
                 "payback": 62.0}
CHART_TITLES = {"funding": "Financement du projet (TTC)", "categories": "Coûts par catégorie (TTC)",
                "timeline": "Calendrier du projet",
                "monthly": "Dépenses mensuelles et cumulées (TTC)",
                "payback": "Économies cumulées et reste à charge"}
#: The charts in the order of the annex; the payback chart is the first one left out.
CHART_ORDER = ("funding", "categories", "timeline", "monthly", "payback")
CHARTS_UNAVAILABLE = ("Graphiques non disponibles : leur rendu a échoué ou a dépassé le temps "
                      "imparti. Tous les chiffres sont dans ce document et dans le classeur XLSX.")

#: A chart of the PDF: (name of its maker in :mod:`guichet.present.charts`, how to call the maker, width
#: in pixels).
_Maker = tuple[str, Callable[[Callable[..., Any]], Any], int]


def _png_size(png: bytes) -> tuple[int, int]:
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    width, height = struct.unpack(">II", png[16:24])
    return width, height


class ChartRenderError(RuntimeError):
    """A chart could not be rendered to PNG (the renderer failed, crashed or ran out of time)."""


def chart_spec(chart: Any, width_px: int = 520) -> dict[str, Any]:
    """The Vega-Lite spec of an altair chart (or a spec), at a fixed width (the app's charts
    leave the width to their container), on a white background."""
    spec: dict[str, Any] = chart.to_dict() if hasattr(chart, "to_dict") else dict(chart)
    if not any(k in spec for k in ("hconcat", "vconcat", "concat", "facet", "repeat")):
        spec["width"] = width_px
    spec.setdefault("background", "white")
    return spec


def render_chart_png(chart: Any, width_px: int = 520, scale: float = 2.0) -> bytes:
    """An altair chart as PNG bytes, rendered by vl-convert in a child process
    (:mod:`guichet.io.render`); raises :class:`ChartRenderError` when it cannot be."""
    from guichet.io import render
    pngs = render.render_pngs([chart_spec(chart, width_px)], scale=scale)
    if not pngs or pngs[0] is None:
        raise ChartRenderError("le graphique n’a pas pu être dessiné")
    return pngs[0]


@dataclass
class _Charts:
    """The PNG of each chart drawn, and the charts that should have been drawn but failed."""

    images: dict[str, bytes]
    failed: list[str]


def _chart_makers(scenario: Scenario, evaluation: Evaluation) -> dict[str, _Maker]:
    """The charts that have something to draw: a chart with nothing to draw would only say so,
    and the PDF leaves it out."""
    makers: dict[str, _Maker] = {
        "funding": ("funding_split_chart", lambda f: f(evaluation), 520),
        "categories": ("costs_by_category_chart", lambda f: f(evaluation), 520),
        "timeline": ("timeline_chart", lambda f: f(scenario, evaluation), 720),
        "monthly": ("monthly_spend_chart", lambda f: f(evaluation), 720),
        "payback": ("payback_chart", lambda f: f(evaluation), 720),
    }
    if not evaluation.lines:
        makers = {k: v for k, v in makers.items()
                  if k == "timeline" and scenario.milestones}
    if evaluation.payback_months is None:  # no positive savings: nothing to cumulate
        makers.pop("payback", None)
    return makers


def _chart_images(scenario: Scenario, evaluation: Evaluation) -> _Charts:
    """The PNG of each chart of :mod:`guichet.present.charts` that has something to draw, all rendered
    in ONE child process (:func:`guichet.io.render.render_pngs`). A chart that fails — its maker
    raises, vl-convert rejects it, or the child crashes or runs out of time — is listed in
    ``failed``: the PDF says so, and still has every figure in words."""
    try:
        from guichet.present import charts
    except Exception:
        return _Charts({}, [])
    specs: dict[str, dict[str, Any]] = {}
    failed: list[str] = []
    for key, (name, call, width) in _chart_makers(scenario, evaluation).items():
        maker = getattr(charts, name, None)
        if maker is None:
            continue
        try:
            specs[key] = chart_spec(call(maker), width_px=width)
        except Exception:  # a chart that cannot be made is left out, never the whole PDF
            failed.append(key)
    if not specs:
        return _Charts({}, failed)
    from guichet.io import render
    pngs = render.render_pngs(list(specs.values()))
    if pngs is None:  # the child failed as a whole
        return _Charts({}, [k for k in CHART_ORDER if k in failed or k in specs])
    images = {}
    for key, png in zip(specs, pngs, strict=True):
        if png is None:
            failed.append(key)
        else:
            images[key] = png
    return _Charts(images, [k for k in CHART_ORDER if k in failed])
