"""LiveSettings(component_store="sqlite"): a page's components survive a restart of the app
(its state, its token), read back by the class's declared types."""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal
from typing import Any

from appkit import App, LiveSettings
from appkit.errors import ConfigurationError
from appkit.html import P, Page
from appkit.live import Component, handler
from appkit.testing import Client
from tests.appkit.live.pages import component_token

ROUTE = "/_appkit-component"


class Keeper(Component):
    count: int = 0
    total: Decimal = Decimal("0")
    day: dt.date = dt.date(2024, 1, 1)
    notes: list = []  # noqa: RUF012 (state: each instance gets its own copy)

    @handler
    def add(self, by: int = 1) -> None:
        self.count += by
        self.total += Decimal("0.25")
        self.day += dt.timedelta(days=1)
        self.notes = [*self.notes, f"n{self.count}"]

    def render(self) -> Any:
        return P(f"{self.count} {self.total} {self.day} {','.join(self.notes)}", id="kept")


class Opaque(Component):
    thing: object = None

    def on_mount(self) -> None:
        self.thing = {1, 2}

    def render(self) -> Any:
        return P("opaque")


def keeping_app() -> App:
    app = App("keeps-components", extensions=[LiveSettings(component_store="sqlite")])

    @app.get("/")
    def index() -> Any:
        return Page("Kept", Keeper.mount())

    @app.get("/opaque")
    def opaque() -> Any:
        return Page("Opaque", Opaque.mount())

    return app


def post(client: Client, **data: Any) -> Any:
    return client.post(ROUTE, data=data, headers={"HX-Request": "true"})


def test_a_component_survives_a_restart_with_its_state_and_token() -> None:
    with Client(keeping_app()) as first:
        token = component_token(first.get("/").text, "Keeper")
        assert "1 0.25 2024-01-02 n1" in post(first, _c=token, _h="add", by="1").text
        answer = post(first, _c=token, _h="add", by="1")
        assert "2 0.50 2024-01-03 n1,n2" in answer.text
        cookies = dict(first.cookies)
    with Client(keeping_app()) as second:                   # another server process
        second.cookies.update(cookies)
        again = post(second, _c=token, _h="add", by="1")
        assert again.status_code == 200, again.text
        assert "3 0.75 2024-01-04 n1,n2,n3" in again.text


def test_another_session_cannot_use_a_kept_component() -> None:
    with Client(keeping_app()) as first:
        token = component_token(first.get("/").text, "Keeper")
    with Client(keeping_app()) as other:
        other.get("/")
        assert post(other, _c=token, _h="add").status_code == 403


def test_state_that_is_not_json_is_refused_naming_the_field(
        error_logs: list[logging.LogRecord]) -> None:
    with Client(keeping_app()) as client:
        assert client.get("/opaque").status_code == 500
    assert any(isinstance(r.exc_info[1], ConfigurationError) and "Opaque.thing" in
               str(r.exc_info[1]) for r in error_logs if r.exc_info)
