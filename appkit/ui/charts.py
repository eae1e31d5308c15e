"""Charts: line and bar charts drawn by uPlot in the page, pie charts drawn on the server,
all updated live through the hub.

    from appkit.ui.charts import BarChart, LineChart, PieChart, add_points, from_rows, install

    install(app)                                   # uPlot and charts.js on every page
    LineChart("load", x=[1, 2, 3], series={"cpu": [0.5, 0.7, 0.6]}, title="Load")
    BarChart("months", *from_rows(app.db.query(SQL), x="month", y=["spent"]))
    PieChart("share", {"Food": 120, "Rent": 800})
    app.hub.publish("load", add_points("load", x=[4], series={"cpu": [0.4]}))

A line or bar chart is a ``<figure>`` whose data travels in a ``<script
type="application/json">`` (never run; the guard's policy refuses inline scripts) and is
drawn by ``/_appkit/ui/charts.js`` with the vendored uPlot. ``add_points`` makes an
element that the live layer (or an htmx answer) appends to the chart: the page adds the
points without drawing the chart again. A pie is an SVG made here, so it needs no script;
publish a new ``PieChart`` with the same id to change it.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from appkit.html import (
    Circle,
    Div,
    Element,
    Figcaption,
    Figure,
    Li,
    Link,
    Path,
    Script,
    Span,
    Svg,
    Template,
    Title,
    Ul,
)
from appkit.ui._assets import asset_url, install_head
from appkit.ui.errors import UIError

__all__ = ["BarChart", "ChartError", "LineChart", "PALETTE", "PieChart", "add_points", "assets",
           "from_rows", "install"]

#: The colours series and slices get, in order (readable on light and dark pages).
PALETTE = ("#2f6fde", "#e8590c", "#2b8a3e", "#c2255c", "#7048e8", "#0c8599", "#e67700",
           "#5c940d", "#a61e4d", "#495057")

_ID = re.compile(r"^[A-Za-z][\w-]{0,63}$")
Number = int | float


class ChartError(UIError, ValueError):
    """The data given to a chart cannot be drawn (says which value and why)."""


def LineChart(id: str, x: Sequence[Any], series: Mapping[str, Sequence[Any]], *,
              title: str = "", height: int = 300, keep: int | None = None,
              colors: Sequence[str] = PALETTE, **attrs: Any) -> Element:
    """A line chart: one line per entry of ``series`` (name -> values, one per ``x``).

    ``x`` holds numbers, or dates and datetimes (then the axis shows dates; naive ones
    are taken as UTC). A value may be None (a gap). ``keep``: the most points the page
    keeps as ``add_points`` adds more (the oldest go); None keeps them all. ``attrs`` go
    on the ``<figure>``.

    Raises:
        ChartError: ``id`` is not a plain identifier, a series is not as long as ``x``,
            or a value is not a number.
    """
    return _plot("line", id, x, series, title, height, keep, colors, attrs)


def BarChart(id: str, labels: Sequence[Any], series: Mapping[str, Sequence[Any]], *,
             title: str = "", height: int = 300, keep: int | None = None,
             colors: Sequence[str] = PALETTE, **attrs: Any) -> Element:
    """A bar chart: one bar per label for each entry of ``series`` (side by side when
    there are several). Labels are shown as text (``str()`` of each). See ``LineChart``.

    Raises:
        ChartError: as ``LineChart``.
    """
    return _plot("bar", id, [str(label) for label in labels], series, title, height, keep,
                 colors, attrs)


def add_points(id: str, x: Sequence[Any], series: Mapping[str, Sequence[Any]]) -> Element:
    """Points to add to the line or bar chart ``id``, for ``app.hub.publish(topic, ...)``
    (or an htmx answer: it is an out-of-band element). ``series`` names the chart's series;
    one it leaves out gets gaps. For a bar chart ``x`` holds the new labels.

    Raises:
        ChartError: as ``LineChart``.
    """
    _check_id(id)
    xs, names, ys = _columns(x, series)
    payload = {"x": xs, "series": names, "y": ys}
    return Div(Template(data_points=_json(payload)), hx_swap_oob=f"beforeend:#{id}-feed")


def from_rows(rows: Iterable[Mapping[str, Any]], x: str, y: str | Sequence[str]
              ) -> tuple[list[Any], dict[str, list[Any]]]:
    """``(x values, {column: values})`` from rows of a query (mappings, as
    ``app.db.query`` gives), for ``LineChart(id, *from_rows(rows, "day", ["total"]))``.

    Raises:
        ChartError: a row lacks one of the columns.
    """
    names = [y] if isinstance(y, str) else list(y)
    xs: list[Any] = []
    columns: dict[str, list[Any]] = {name: [] for name in names}
    for number, row in enumerate(rows):
        try:
            xs.append(row[x])
            for name in names:
                columns[name].append(row[name])
        except KeyError as exc:
            raise ChartError(
                f"Row {number} has no column {exc.args[0]!r} (it has "
                f"{', '.join(map(repr, row))}): name columns the query selects") from None
    return xs, columns


def PieChart(id: str, slices: Mapping[str, Any] | Sequence[tuple[str, Any]], *,
             title: str = "", size: int = 220, colors: Sequence[str] = PALETTE,
             **attrs: Any) -> Element:
    """A pie chart drawn on the server (an SVG and its legend; no script): one slice per
    ``(label, value)``. Values must be numbers of at least 0; slices of 0 are left out.
    To change it live, publish a new ``PieChart`` with the same ``id``.

    Raises:
        ChartError: ``id`` is not a plain identifier, or a value is negative or not a
            number.
    """
    _check_id(id)
    items = list(slices.items() if isinstance(slices, Mapping) else slices)
    values = []
    for label, value in items:
        number = _number(value, f"the slice {label!r}")
        if number is None or number < 0:
            raise ChartError(f"The slice {label!r} of pie {id!r} is {value!r}: a pie's "
                             "values are numbers of at least 0")
        values.append(number)
    total = sum(values)
    radius = 100.0
    shapes: list[Element] = []
    legend: list[Element] = []
    start = 0.0
    for n, ((label, _), value) in enumerate(zip(items, values, strict=True)):
        color = colors[n % len(colors)]
        share = value / total if total else 0.0
        legend.append(Li(Span(cls="chart-swatch", style=f"background:{color}"),
                         f"{label}: {_format(value)} ({share:.0%})"))
        if share <= 0:
            continue
        tip = Title(f"{label}: {_format(value)} ({share:.0%})")
        if share >= 0.999999:
            shapes.append(Circle(tip, cx=0, cy=0, r=radius, fill=color))
            continue
        end = start + share * 2 * math.pi
        x0, y0 = radius * math.sin(start), -radius * math.cos(start)
        x1, y1 = radius * math.sin(end), -radius * math.cos(end)
        large = 1 if end - start > math.pi else 0
        shapes.append(Path(tip, fill=color, d=(
            f"M0 0L{x0:.3f} {y0:.3f}A{radius:g} {radius:g} 0 {large} 1 {x1:.3f} {y1:.3f}Z")))
        start = end
    label = title or "Pie chart"
    return Figure(
        Figcaption(title) if title else None,
        Div(Svg(*shapes, viewBox="-100 -100 200 200", width=size, height=size,
                role="img", aria_label=label),
            Ul(*legend, cls="chart-legend"), cls="chart-pie-body"),
        id=id, cls=_classes("chart chart-pie", attrs), **attrs)


def assets(app: Any) -> list[Element]:
    """The stylesheets and scripts a page with a line or bar chart needs."""
    return [
        Link(rel="stylesheet", href=asset_url(app, "vendor/uplot/uPlot.min.css")),
        Link(rel="stylesheet", href=asset_url(app, "ui/charts.css")),
        # charts.js first: it makes sure uPlot can load (see there).
        Script(src=asset_url(app, "ui/charts.js"), defer=True),
        Script(src=asset_url(app, "vendor/uplot/uPlot.iife.min.js"), defer=True),
    ]


def install(app: Any) -> None:
    """Give every full page of ``app`` the charts' scripts and stylesheets (once)."""
    install_head(app, "charts", assets)


# ---- helpers ------------------------------------------------------------------------------

def _plot(kind: str, id: str, x: Sequence[Any], series: Mapping[str, Sequence[Any]],
          title: str, height: int, keep: int | None, colors: Sequence[str],
          attrs: dict[str, Any]) -> Element:
    _check_id(id)
    if not isinstance(height, int) or not 50 <= height <= 4000:
        raise ChartError(f"height={height!r}: give the chart's height in pixels, 50 to 4000")
    if keep is not None and (not isinstance(keep, int) or keep < 1):
        raise ChartError(f"keep={keep!r}: give the most points to keep (1 or more), or None")
    xs, names, ys = _columns(x, series)
    if not names:
        raise ChartError(f"Chart {id!r} has no series: give at least one, e.g. "
                         "series={'total': [...]}")
    if kind == "line" and any(isinstance(value, str) for value in xs):
        raise ChartError(f"Line chart {id!r} has text on its x axis ({xs[0]!r}...): give "
                         "numbers, dates or datetimes, or use a BarChart for labels")
    time_axis = kind == "line" and any(isinstance(v, dt.date) for v in x)
    config = {
        "kind": kind, "height": height, "keep": keep, "time": time_axis, "title": title,
        "series": [{"label": name, "color": colors[n % len(colors)]}
                   for n, name in enumerate(names)],
    }
    return Figure(
        Figcaption(title) if title else None,
        Div(cls="chart-plot"),
        # "<" as \u003c: no text in the data can open or close a tag inside the script.
        Script(_json({"x": xs, "y": ys}).replace("<", "\\u003c"), type="application/json",
               cls="chart-data"),
        Div(id=f"{id}-feed", cls="chart-feed", hidden=True),
        id=id, cls=_classes(f"chart chart-{kind}", attrs), data_chart=config,
        role="img", aria_label=title or f"{kind.capitalize()} chart", **attrs)


def _columns(x: Sequence[Any], series: Mapping[str, Sequence[Any]]
             ) -> tuple[list[Any], list[str], list[list[Number | None]]]:
    xs = [_x_value(value, n) for n, value in enumerate(x)]
    names: list[str] = []
    ys: list[list[Number | None]] = []
    for name, values in series.items():
        values = list(values)
        if len(values) != len(xs):
            raise ChartError(f"The series {name!r} has {len(values)} values for {len(xs)} "
                             "x values: give one value (or None) per x")
        names.append(str(name))
        ys.append([_number(value, f"value {n} of the series {name!r}")
                   for n, value in enumerate(values)])
    return xs, names, ys


def _x_value(value: Any, n: int) -> Any:
    if isinstance(value, str):
        return value
    if isinstance(value, dt.datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return moment.timestamp()
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC).timestamp()
    number = _number(value, f"x value {n}")
    if number is None:
        raise ChartError(f"x value {n} is None: every point needs its x")
    return number


def _number(value: Any, what: str) -> Number | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        try:
            value = float(value)  # Decimal, numpy numbers, numeric strings from SQLite
        except (TypeError, ValueError):
            raise ChartError(f"{what[0].upper()}{what[1:]} is {value!r}: a chart draws "
                             "numbers (or None for a gap)") from None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _check_id(id: str) -> None:
    if not isinstance(id, str) or not _ID.match(id):
        raise ChartError(f"Chart id {id!r}: use a letter then letters, digits, - or _ "
                         "(it names the element the page updates)")


def _json(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"), allow_nan=False)


def _classes(base: str, attrs: dict[str, Any]) -> str:
    extra = attrs.pop("cls", None)
    return f"{base} {extra}" if extra else base


def _format(value: Number) -> str:
    return f"{value:,}" if isinstance(value, int) else f"{value:,.2f}"
