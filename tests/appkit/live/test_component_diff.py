"""Over the page's socket a component sends only what changed: nothing, the rows of a keyed
collection that changed, appeared or went, or else the whole component."""

from __future__ import annotations

import json
from typing import Any

from appkit import App
from appkit.html import Li, P, Page, Ul
from appkit.live import Component, handler
from tests.appkit.live.pages import (
    LivePage,
    component_token,
    frames,
    live_client,
    reply_to,
)

ROUTE = "/_appkit-component"


class Rows(Component):
    items: list = []  # noqa: RUF012 (state: each instance gets its own copy)
    title: str = "Rows"

    def on_mount(self, n: int = 1000) -> None:
        self.items = [[i, f"row {i}"] for i in range(n)]

    @handler
    def rename(self, i: int, text: str) -> None:
        for item in self.items:
            if item[0] == i:
                item[1] = text

    @handler
    def add(self, after: int, i: int) -> None:
        at = next(n for n, item in enumerate(self.items) if item[0] == after)
        self.items.insert(at + 1, [i, f"row {i}"])

    @handler
    def first(self, i: int) -> None:
        self.items.insert(0, [i, f"row {i}"])

    @handler
    def drop(self, i: int) -> None:
        self.items = [item for item in self.items if item[0] != i]

    @handler
    def promote(self, i: int) -> None:
        item = next(item for item in self.items if item[0] == i)
        self.items.remove(item)
        self.items.insert(0, item)

    @handler
    def reverse(self) -> None:
        self.items.reverse()

    @handler
    def retitle(self, title: str) -> None:
        self.title = title

    @handler
    def nothing(self) -> None:
        pass

    def render(self) -> Any:
        return [P(self.title, id=f"{self.id}-title"),
                Ul([Li(text, id=f"r-{i}") for i, text in self.items],
                   id=f"{self.id}-rows", data_keyed=True)]


def rows_app() -> App:
    app = App("rows")

    @app.get("/")
    def index() -> Any:
        return Page("Rows", Rows.mount())

    return app


class Driver:
    def __init__(self, client: Any) -> None:
        self.client = client
        self.page = LivePage(client)
        self.token = component_token(self.page.html, "Rows")
        self.ws = self.page.connect()
        frames(self.ws, 1)
        self.ref = 0

    def send(self, event: str, **data: Any) -> dict[str, Any]:
        self.ref += 1
        frame = json.dumps({"t": "ev", "ref": self.ref, "route": ROUTE,
                            "d": {"_c": self.token, "_h": event, **data}})
        self.ws.send_text(frame)
        reply = reply_to(self.ws, self.ref)
        assert reply["ok"] is True, reply
        reply["bytes"] = len(json.dumps(reply, separators=(",", ":")))
        return reply


def test_changing_one_row_of_a_thousand_sends_that_row() -> None:
    with live_client(rows_app()) as client:
        page = Driver(client)
        reply = page.send("rename", i=500, text="changed")
        assert reply["ops"] == [{"op": "morph", "target": "r-500",
                                 "html": '<li id="r-500">changed</li>'}]
        assert reply["bytes"] < 400


def test_a_new_row_goes_after_the_one_before_it_and_first_rows_are_prepended() -> None:
    with live_client(rows_app()) as client:
        page = Driver(client)
        ops = page.send("add", after=10, i=5000)["ops"]
        assert ops == [{"op": "after", "target": "r-10", "html": '<li id="r-5000">row 5000</li>'}]
        ops = page.send("first", i=6000)["ops"]
        assert ops[0]["op"] == "prepend" and ops[0]["target"].endswith("-rows")
        assert len(ops) == 1


def test_a_removed_row_is_removed() -> None:
    with live_client(rows_app()) as client:
        page = Driver(client)
        assert page.send("drop", i=7)["ops"] == [{"op": "remove", "target": "r-7"}]


def test_a_moved_row_is_taken_out_and_put_back() -> None:
    with live_client(rows_app()) as client:
        page = Driver(client)
        reply = page.send("promote", i=600)
        assert [(op["op"], op["target"]) for op in reply["ops"]] == [
            ("remove", "r-600"), ("prepend", reply["ops"][1]["target"])]
        assert reply["ops"][1]["target"].endswith("-rows") and reply["bytes"] < 400


def test_nothing_changed_sends_nothing_and_http_answers_204() -> None:
    with live_client(rows_app()) as client:
        page = Driver(client)
        assert page.send("nothing")["ops"] == []
        answer = client.post(ROUTE, data={"_c": page.token, "_h": "nothing"},
                             headers={"HX-Request": "true"})
        assert answer.status_code == 204 and answer.text == ""


def test_a_big_reorder_sends_the_rows_whole_a_change_outside_them_the_component() -> None:
    with live_client(rows_app()) as client:
        page = Driver(client)
        ops = page.send("reverse")["ops"]   # the rows' content, not 999 moves
        assert len(ops) == 1 and ops[0]["op"] == "inner" and ops[0]["target"].endswith("-rows")
        assert ops[0]["html"].startswith('<li id="r-999">') and "<ul" not in ops[0]["html"]
        ops = page.send("retitle", title="Other")["ops"]
        assert len(ops) == 1 and ops[0]["target"].startswith("c-")
        # and after a whole render, row changes are rows again
        assert page.send("rename", i=3, text="x")["ops"][0]["target"] == "r-3"


def test_over_http_the_whole_component_comes_back() -> None:
    with live_client(rows_app()) as client:
        page = Driver(client)
        answer = client.post(ROUTE, data={"_c": page.token, "_h": "rename", "i": "1",
                                          "text": "http"}, headers={"HX-Request": "true"})
        assert answer.status_code == 200 and answer.text.count("<li ") == 1000
        assert '<li id="r-1">http</li>' in answer.text
