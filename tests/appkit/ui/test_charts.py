"""The charts' Python side: what a chart element carries, the points the hub sends, rows
of a query, a pie's shapes, and a clear error for data that cannot be drawn."""

from __future__ import annotations

import datetime as dt
import json
import math
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any

import pytest

from appkit import App
from appkit.html import Page, render
from appkit.live.ops import to_ops
from appkit.testing import Client
from appkit.ui.charts import (
    BarChart,
    ChartError,
    LineChart,
    PieChart,
    add_points,
    from_rows,
    install,
)


class Parts(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.data: dict[str, str] = {}
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in = tag

    def handle_data(self, data: str) -> None:
        if self._in:
            self.data[self._in] = self.data.get(self._in, "") + data


def parts(element: Any) -> Parts:
    parser = Parts()
    parser.feed(render(element))
    return parser


def test_a_line_chart_carries_its_settings_and_data() -> None:
    chart = parts(LineChart("load", x=[1, 2.5, 3], series={"cpu": [0.5, None, 1]},
                            title="Load", height=200, keep=100))
    figure = dict(chart.tags)["figure"]
    assert figure["id"] == "load" and figure["class"] == "chart chart-line"
    assert figure["role"] == "img" and figure["aria-label"] == "Load"
    assert json.loads(str(figure["data-chart"])) == {
        "kind": "line", "height": 200, "keep": 100, "time": False, "title": "Load",
        "series": [{"label": "cpu", "color": "#2f6fde"}]}
    assert dict(chart.tags)["script"]["type"] == "application/json"
    assert json.loads(chart.data["script"]) == {"x": [1, 2.5, 3], "y": [[0.5, None, 1]]}
    assert ("div", {"id": "load-feed", "class": "chart-feed", "hidden": None}) in chart.tags


def test_dates_make_a_time_axis_and_other_numbers_are_converted() -> None:
    chart = parts(LineChart("t", x=[dt.date(2024, 1, 1), dt.datetime(2024, 1, 2, 12)],
                            series={"v": [Decimal("1.5"), math.nan]}))
    assert json.loads(str(dict(chart.tags)["figure"]["data-chart"]))["time"] is True
    assert json.loads(chart.data["script"]) == {"x": [1704067200.0, 1704196800.0],
                                                "y": [[1.5, None]]}


def test_text_in_the_data_cannot_end_the_script() -> None:
    html = render(BarChart("b", ["</script><script>alert(1)</script>"], {"n": [1]}))
    assert html.count("<script") == 1 and html.count("</script>") == 1


def test_a_bar_chart_shows_labels_as_text() -> None:
    chart = parts(BarChart("spent", [2024, "Feb"], {"food": [1, 2], "rent": [3, 4]}))
    assert json.loads(chart.data["script"]) == {"x": ["2024", "Feb"], "y": [[1, 2], [3, 4]]}
    config = json.loads(str(dict(chart.tags)["figure"]["data-chart"]))
    assert config["kind"] == "bar" and [s["label"] for s in config["series"]] == [
        "food", "rent"]
    assert config["series"][0]["color"] != config["series"][1]["color"]


def test_points_go_to_the_charts_feed_through_the_hub() -> None:
    element = add_points("load", x=[4, 5], series={"cpu": [0.1, 0.2]})
    [op] = to_ops([element])
    assert op["op"] == "append" and op["target"] == "load-feed"
    assert op["html"].startswith("<template data-points=")
    payload = json.loads(dict(parts(element).tags)["template"]["data-points"] or "")
    assert payload == {"x": [4, 5], "series": ["cpu"], "y": [[0.1, 0.2]]}


def test_rows_of_a_query_make_the_series() -> None:
    rows = [{"month": "Jan", "food": 10, "rent": 800}, {"month": "Feb", "food": 12,
                                                         "rent": 800}]
    assert from_rows(rows, "month", ["food", "rent"]) == (
        ["Jan", "Feb"], {"food": [10, 12], "rent": [800, 800]})
    assert from_rows(iter(rows), "month", "food") == (["Jan", "Feb"], {"food": [10, 12]})
    with pytest.raises(ChartError, match="Row 0 has no column 'total'"):
        from_rows(rows, "month", "total")


def test_a_pie_is_drawn_on_the_server() -> None:
    pie = parts(PieChart("share", {"Food": 1, "Rent": 3, "None": 0}, title="Share"))
    paths = [attrs["d"] for tag, attrs in pie.tags if tag == "path"]
    assert paths == ["M0 0L0.000 -100.000A100 100 0 0 1 100.000 -0.000Z",
                     "M0 0L100.000 -0.000A100 100 0 1 1 -0.000 -100.000Z"]
    assert "Rent: 3 (75%)" in render(PieChart("share", {"Food": 1, "Rent": 3}))
    whole = parts(PieChart("one", {"All": 5}))
    assert [tag for tag, _ in whole.tags if tag in ("path", "circle")] == ["circle"]
    empty = parts(PieChart("none", {}))
    assert [tag for tag, _ in empty.tags if tag in ("path", "circle")] == []


@pytest.mark.parametrize(("make", "message"), [
    (lambda: LineChart("1bad", [1], {"v": [1]}), "Chart id '1bad'"),
    (lambda: LineChart("a b", [1], {"v": [1]}), "Chart id 'a b'"),
    (lambda: LineChart("c", [1, 2], {"v": [1]}), "'v' has 1 values for 2 x values"),
    (lambda: LineChart("c", [1], {"v": ["many"]}), "Value 0 of the series 'v' is 'many'"),
    (lambda: LineChart("c", [1], {"v": [object]}), "Value 0 of the series 'v' is"),
    (lambda: LineChart("c", [None], {"v": [1]}), "x value 0 is None"),
    (lambda: LineChart("c", ["Jan"], {"v": [1]}), "use a BarChart for labels"),
    (lambda: LineChart("c", [1], {}), "has no series"),
    (lambda: LineChart("c", [1], {"v": [1]}, height=10), "height=10"),
    (lambda: LineChart("c", [1], {"v": [1]}, keep=0), "keep=0"),
    (lambda: add_points("c", [1], {"v": [1, 2]}), "'v' has 2 values for 1 x values"),
    (lambda: PieChart("p", {"Food": -1}), "'Food' of pie 'p' is -1"),
    (lambda: PieChart("p", {"Food": "x"}), "The slice 'Food' is 'x'"),
])
def test_data_that_cannot_be_drawn_is_refused_clearly(make: Any, message: str) -> None:
    with pytest.raises(ChartError, match=message):
        make()


def test_install_puts_the_scripts_on_every_page_once() -> None:
    app = App("charts-page")
    install(app)
    install(app)

    @app.get("/")
    def index() -> Any:
        return Page("Charts", LineChart("c", [1], {"v": [1]}))

    with Client(app) as client:
        page = client.get("/").text
        for asset in ("vendor/uplot/uPlot.iife.min.js", "vendor/uplot/uPlot.min.css",
                      "ui/charts.js", "ui/charts.css"):
            assert page.count(f"/_appkit/{asset}?v=") == 1, asset
            assert client.get(f"/_appkit/{asset}").status_code == 200
        assert page.index("ui/charts.js") < page.index("uPlot.iife.min.js")
