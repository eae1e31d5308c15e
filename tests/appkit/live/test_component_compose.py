"""Components inside components (each keeps its state across the parent's renders) and named,
checked slots."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from appkit import App
from appkit.errors import ConfigurationError
from appkit.html import H2, Article, Footer, P, Page, Span
from appkit.live import Component, handler
from tests.appkit.live.pages import live_client

ROUTE = "/_appkit-component"


class Tally(Component):
    n: int = 0

    def on_mount(self, start: int = 0) -> None:
        self.n = start

    @handler
    def bump(self) -> None:
        self.n += 1

    def render(self) -> Any:
        return Span(self.n, cls="tally")


class Board(Component):
    title: str = "Board"

    @handler
    def rename(self, title: str) -> None:
        self.title = title

    def render(self) -> Any:
        return [H2(self.title), self.child(Tally, "left", start=10),
                self.child(Tally, "right", start=20)]


class Card(Component):
    slots = ("body", "footer")
    heading: str = ""

    def render(self) -> Any:
        return Article(H2(self.heading), self.slot("body"), Footer(self.slot("footer")))


def compose_app() -> App:
    app = App("compose")

    @app.get("/")
    def index() -> Any:
        return Page("Board", Board.mount())

    @app.get("/card")
    def card() -> Any:
        return Page("Card", Card.mount(heading="Hi", slots={"body": P("inside")}))

    @app.get("/bad-slot")
    def bad_slot() -> Any:
        return Page("Card", Card.mount(slots={"sidebar": P("x")}))

    return app


def tokens(html: str, name: str) -> list[str]:
    return [json.loads(v.replace("&quot;", '"'))["_c"] for v in
            re.findall(rf'data-component="{name}" hx-vals="([^"]*)"', html)]


def post(client: Any, **data: Any) -> Any:
    return client.post(ROUTE, data=data, headers={"HX-Request": "true"})


def test_children_keep_their_state_when_the_parent_renders_again() -> None:
    with live_client(compose_app()) as client:
        html = client.get("/").text
        board, = tokens(html, "Board")
        left, right = tokens(html, "Tally")
        assert '<span class="tally">11</span>' in post(client, _c=left, _h="bump").text
        again = post(client, _c=board, _h="rename", title="Renamed").text
        assert "Renamed" in again
        assert re.findall(r'class="tally">(\d+)<', again) == ["11", "20"]
        assert tokens(again, "Tally") == [left, right]      # the same instances


def test_an_event_of_a_child_answers_the_child_only() -> None:
    with live_client(compose_app()) as client:
        html = client.get("/").text
        left = tokens(html, "Tally")[0]
        answer = post(client, _c=left, _h="bump").text
        assert "Board" not in answer and answer.count('data-component="Tally"') == 1


def test_slots_are_filled_and_checked(error_logs: list[logging.LogRecord]) -> None:
    with live_client(compose_app()) as client:
        page = client.get("/card").text
        assert "<p>inside</p>" in page and "<footer></footer>" in page
        assert client.get("/bad-slot").status_code == 500
    assert any("no slot 'sidebar'" in str(r.exc_info[1]) for r in error_logs if r.exc_info)


def test_asking_for_an_undeclared_slot_says_which_exist(
        error_logs: list[logging.LogRecord]) -> None:
    class Lonely(Component):
        def render(self) -> Any:
            return self.slot("missing")

    app = App("lonely")

    @app.get("/")
    def index() -> Any:
        return Page("x", Lonely.mount())

    with live_client(app) as client:
        assert client.get("/").status_code == 500
    assert any(isinstance(r.exc_info[1], ConfigurationError) and "no slot" in str(r.exc_info[1])
               for r in error_logs if r.exc_info)

