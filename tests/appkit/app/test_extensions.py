"""The extension protocol: a third-party extension adds a provider, a route, a pipeline
step, a head asset and lifespan hooks without any change to App; settings replace the
defaults; bad extensions are refused with a message."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from starlette.requests import HTTPConnection
from starlette.responses import Response

from appkit import App, DataSettings, JobsSettings, Router, Sessions
from appkit.app import Command, Extension
from appkit.app.routing import RouteHandler
from appkit.errors import ConfigurationError, Forbidden
from appkit.html import Meta, P
from appkit.testing import Client


class Greeter:
    """A small third-party extension: ``app.greeting``, a ``greeting`` parameter, a
    ``/greeter/hello`` route, a head asset, a step that refuses ``?blocked=1`` and stamps
    every answer, and a start/stop record."""

    name = "greeter"
    exports = ("greeting", "greeter_events")

    def __init__(self, greeting: str = "Hello") -> None:
        self.greeting = greeting
        self.greeter_events: list[str] = []

    def setup(self, app: App) -> None:
        app.provide("greeting", lambda: self.greeting)
        router = Router("/greeter")

        @router.get("/hello")
        def hello(greeting, name: str = "world") -> Any:  # type: ignore[no-untyped-def]
            return P(f"{greeting}, {name}!")

        app.include(router)
        app.pipeline.add(_Stamp())
        app.add_head(lambda conn: [Meta(name="greeter", content=self.greeting)])
        app.on_startup(lambda: self.greeter_events.append("start"))
        app.on_shutdown(lambda: self.greeter_events.append("stop"))

    def commands(self) -> Sequence[Command]:
        return ()


class _Stamp:
    async def enter(self, conn: HTTPConnection, route: RouteHandler | None) -> None:
        if conn.query_params.get("blocked") == "1":
            raise Forbidden("The greeter blocks this")

    async def leave(self, conn: HTTPConnection, response: Response) -> Response:
        response.headers["x-greeter"] = "yes"
        return response

    def page(self, conn: HTTPConnection, head: list[Any], body: list[Any]) -> None:
        body.append(P("Greeted by the greeter", id="greeter-footer"))


def test_a_third_party_extension_plugs_in_without_touching_app() -> None:
    greeter = Greeter("Hi")
    assert isinstance(greeter, Extension)
    app = App("ext", extensions=[greeter])

    @app.get("/")
    def index(greeting) -> Any:  # type: ignore[no-untyped-def]
        return P(f"Index says {greeting}")

    assert app.greeting == "Hi" and app.extension("greeter") is greeter
    with Client(app) as client:
        assert greeter.greeter_events == ["start"]
        page = client.get("/")
        assert "Index says Hi" in page.text
        assert '<meta name="greeter" content="Hi">' in page.text
        assert 'id="greeter-footer"' in page.text
        assert page.headers["x-greeter"] == "yes"
        assert "Hi, Ann!" in client.get("/greeter/hello?name=Ann").text
        refused = client.get("/?blocked=1")
        assert refused.status_code == 403 and "The greeter blocks this" in refused.text
        assert refused.headers["x-greeter"] == "yes"  # the steps still leave
    assert greeter.greeter_events == ["start", "stop"]


def test_the_default_extensions_are_there_and_settings_replace_them() -> None:
    app = App("defaults")
    assert sorted(app.extensions) == ["data", "jobs", "live", "sessions"]
    tuned = App("tuned", sessions=Sessions(csrf=False),
                extensions=[DataSettings(synchronous="normal"),
                            JobsSettings(max_concurrent_runs=3)])
    assert tuned.sessions.csrf is False
    assert tuned.store.synchronous == "NORMAL"
    assert tuned.jobs.settings.max_concurrent_runs == 3


def test_the_core_app_has_no_extension_by_default() -> None:
    from appkit.app import App as CoreApp

    core = CoreApp("core")

    @core.get("/")
    def index() -> Any:
        return P("bare")

    assert core.extensions == {}
    with pytest.raises(AttributeError, match="'App' object has no attribute 'db'"):
        core.db  # noqa: B018
    with Client(core) as client:
        page = client.get("/")
        assert page.status_code == 200 and "bare" in page.text
        assert "csrf-token" not in page.text


@pytest.mark.parametrize(("extensions", "message"), [
    ([Greeter(), Greeter()], "has a 'greeter' extension already"),
    ([object()], "is neither an extension"),
    ([Sessions(), Sessions()], "has a 'sessions' extension already"),
])
def test_bad_extensions_are_refused(extensions: list[Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        App("bad", extensions=extensions)


def test_an_export_may_not_hide_what_the_app_has() -> None:
    class Shadow(Greeter):
        name = "shadow"
        exports = ("route",)

    with pytest.raises(ConfigurationError, match="exports 'route', which the app has"):
        App("shadow", extensions=[Shadow()])


def test_unknown_extension_names_say_which_there_are() -> None:
    with pytest.raises(ConfigurationError, match="has no 'ui' extension .it has: data, "
                                                 "jobs, live, sessions"):
        App("which").extension("ui")
