"""Live components: state on the server, events that may only call declared handlers and set
declared fields, the same answer over HTTP and over the page's socket."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import pytest

from appkit import App, BadRequest
from appkit.html import Button, P, Page
from appkit.live import Component, handler, state
from appkit.testing import Client
from tests.appkit.live.pages import (
    LivePage,
    component_token,
    frames,
    live_client,
    reply_to,
)

ROUTE = "/_appkit-component"


class Counter(Component):
    count: int = 0
    step: int = state(1, bind=True)

    def on_mount(self, start: int = 0) -> None:
        self.count = start

    @handler
    def increment(self, by: int = 1) -> None:
        self.count += by * self.step

    def on_reset(self) -> None:
        self.count = 0

    def secret(self) -> None:
        self.count = -1

    @handler
    def refuse(self) -> None:
        self.count = 999
        self.step = 7
        raise BadRequest("Not now")

    def render(self) -> Any:
        return [P(self.count, id=f"{self.id}-n"), Button("+", **self.on("increment", by=1))]


def counter_app() -> App:
    app = App("components")

    @app.get("/")
    def index() -> Any:
        return Page("Counter", Counter.mount(start=3))

    return app


def token_of(html: str) -> str:
    return component_token(html, "Counter")


def count_of(html: str) -> int:
    found = re.search(r'-n">(-?\d+)</p>', html)
    assert found is not None, html
    return int(found.group(1))


def event(client: Client, **data: Any) -> Any:
    return client.post(ROUTE, data=data, headers={"HX-Request": "true"})


@pytest.fixture
def client() -> Any:
    with live_client(counter_app()) as c:
        yield c


def test_a_component_mounts_with_its_parameters(client: Client) -> None:
    html = client.get("/").text
    assert count_of(html) == 3 and 'hx-post="/_appkit-component"' in html


def test_an_event_runs_a_declared_handler_and_answers_the_component(client: Client) -> None:
    token = token_of(client.get("/").text)
    answer = event(client, _c=token, _h="increment", by="2")
    assert answer.status_code == 200 and count_of(answer.text) == 5
    assert count_of(event(client, _c=token, _h="reset").text) == 0    # on_<event>


def test_a_bound_field_is_coerced_and_used(client: Client) -> None:
    token = token_of(client.get("/").text)
    assert count_of(event(client, _c=token, _h="increment", step="10").text) == 13
    bad = event(client, _c=token, _h="increment", step="ten")
    assert bad.status_code == 400 and "step" in bad.text


@pytest.mark.parametrize(("data", "status"), [
    ({"_h": "increment", "count": "99"}, 400),          # a field the page may not set
    ({"_h": "secret"}, 404),                            # not declared
    ({"_h": "render"}, 404),
    ({"_h": "on_mount"}, 404),
    ({"_h": "__init__"}, 404),
    ({"_h": "__class__.__init__"}, 404),
    ({"_h": "increment", "by": "x"}, 400),              # a wrong type
    ({"_h": "increment", "__class__": "x"}, 400),
    ({"_h": None}, 404),
])
def test_what_the_page_may_not_do_is_refused_and_logged(
        client: Client, caplog: pytest.LogCaptureFixture, data: dict[str, Any],
        status: int) -> None:
    token = token_of(client.get("/").text)
    with caplog.at_level(logging.WARNING, "appkit.live.components"):
        answer = event(client, _c=token, **{k: v for k, v in data.items() if v is not None})
    assert answer.status_code == status
    assert any("Refused a component event" in r.message for r in caplog.records)
    assert count_of(event(client, _c=token, _h="increment", by="1").text) == 4  # was 3


@pytest.mark.parametrize("forge", [
    lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),   # the MAC changed
    lambda t: t.replace(".Counter.", ".Other."),                    # another class
    lambda t: "c-0000000000000000" + t[t.index("."):],              # another id
    lambda t: t.rsplit(".", 1)[0],                                  # no MAC
    lambda t: "x" * 400,                                            # huge
    lambda t: "",
])
def test_forged_tokens_are_refused(client: Client, forge: Any) -> None:
    token = token_of(client.get("/").text)
    answer = event(client, _c=forge(token), _h="increment")
    assert answer.status_code in (400, 403)


def test_another_sessions_token_is_refused() -> None:
    app = counter_app()
    with live_client(app) as mine, Client(app) as thief:
        token = token_of(mine.get("/").text)
        thief.get("/")
        assert event(thief, _c=token, _h="increment").status_code == 403
        assert count_of(event(mine, _c=token, _h="increment").text) == 4


def test_a_component_the_server_forgot_answers_gone(client: Client) -> None:
    token = token_of(client.get("/").text)
    components = client.app.extension("live").components   # type: ignore[attr-defined]
    cid = token.split(".")[0]
    owner = next(iter(components.store._sessions))
    components.store.delete(owner, cid)
    answer = event(client, _c=token, _h="increment")
    assert answer.status_code == 410


def test_the_same_event_over_the_socket_gives_the_same_html(client: Client) -> None:
    page = LivePage(client)
    token = token_of(page.html)
    over_http = event(client, _c=token, _h="increment", by="2").text
    ws = page.connect()
    frames(ws, 1)
    ws.send_text(json.dumps({"t": "ev", "ref": 1, "route": ROUTE,
                             "d": {"_c": token, "_h": "increment", "by": "-2"}}))
    reply = reply_to(ws, 1)
    assert reply["ok"] is True and count_of(reply["ops"][0]["html"]) == 3
    back = event(client, _c=token, _h="increment", by="2").text
    assert back == over_http                                  # the same HTML both ways
    ws.send_text(json.dumps({"t": "ev", "ref": 2, "route": ROUTE,
                             "d": {"_c": token, "_h": "secret"}}))
    refused = reply_to(ws, 2)
    assert refused["ok"] is False and refused["error"]["status"] == 404


def test_a_handler_that_fails_changes_nothing(client: Client) -> None:
    token = token_of(client.get("/").text)
    refused = event(client, _c=token, _h="refuse", step="5")
    assert refused.status_code == 400 and "Not now" in refused.text
    assert count_of(event(client, _c=token, _h="increment").text) == 4   # step still 1


def test_mounting_outside_a_request_says_how() -> None:
    from appkit.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="while serving a request"):
        Counter.mount()


def test_two_components_with_one_name_in_one_app_are_refused(
        error_logs: list[logging.LogRecord]) -> None:
    from appkit.errors import ConfigurationError

    def make() -> type[Component]:
        class Counter(Component):  # another class of the same name
            def render(self) -> Any:
                return []

        return Counter

    other = make()
    app = counter_app()

    @app.get("/both")
    def both() -> Any:
        return Page("Both", Counter.mount(), other.mount())

    with live_client(app) as client:
        assert client.get("/").status_code == 200
        assert client.get("/both").status_code == 500
    assert any(isinstance(r.exc_info[1], ConfigurationError)
               and "Two components are called 'Counter'" in str(r.exc_info[1])
               for r in error_logs if r.exc_info)


def test_the_hooks_run_in_order_at_each_event() -> None:
    calls: list[str] = []

    class Hooked(Component):
        n: int = 0

        def on_mount(self) -> None:
            calls.append("mount")

        async def on_hydrate(self) -> None:
            calls.append("hydrate")

        @handler
        def go(self) -> None:
            calls.append("handler")
            self.n += 1

        def before_render(self) -> None:
            calls.append("before_render")

        def render(self) -> Any:
            calls.append("render")
            return P(self.n)

        def on_dehydrate(self) -> None:
            calls.append("dehydrate")

    app = App("hooks")

    @app.get("/")
    def index() -> Any:
        return Page("Hooks", Hooked.mount())

    with live_client(app) as client:
        token = component_token(client.get("/").text, "Hooked")
        assert calls == ["mount", "before_render", "render"]
        calls.clear()
        assert event(client, _c=token, _h="go").status_code == 200
        assert calls == ["hydrate", "handler", "before_render", "render", "dehydrate"]
        assert event(client, _c=token, _h="hydrate").status_code == 404   # not events
