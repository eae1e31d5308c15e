"""appkit.testing.Client: htmx headers, and the app's startup/shutdown hooks."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.requests import Request

from appkit import App
from appkit.html import P
from appkit.testing import Client

HX_HEADERS = ("HX-Request", "HX-Current-URL", "HX-Target", "HX-Trigger", "X-Other")


def echo_app() -> App:
    app = App("echo")

    def headers(request: Request) -> dict[str, Any]:
        return {"method": request.method,
                **{name: request.headers.get(name) for name in HX_HEADERS}}

    for verb in ("get", "post", "put", "patch", "delete"):
        getattr(app, verb)(f"/{verb}", name=f"echo_{verb}")(headers)

    @app.get("/page")
    def page() -> Any:
        return P("content")

    return app


@pytest.fixture
def client() -> Iterator[Client]:
    with Client(echo_app()) as client:
        yield client


def test_plain_request_sends_no_htmx_headers(client: Client) -> None:
    data = client.get("/get").json()
    assert data["HX-Request"] is None
    assert data["HX-Current-URL"] is None
    assert data["HX-Target"] is None
    assert data["HX-Trigger"] is None


def test_hx_sends_request_and_current_url(client: Client) -> None:
    data = client.get("/get", hx=True).json()
    assert data["HX-Request"] == "true"
    assert data["HX-Current-URL"] is not None
    assert data["HX-Current-URL"].startswith("http://127.0.0.1:8000")
    assert data["HX-Target"] is None
    assert data["HX-Trigger"] is None


@pytest.mark.parametrize("verb", ["get", "post", "put", "patch", "delete"])
def test_every_verb_takes_hx(client: Client, verb: str) -> None:
    data = getattr(client, verb)(f"/{verb}", hx=True, hx_target="#box").json()
    assert data["method"] == verb.upper()
    assert data["HX-Request"] == "true"
    assert data["HX-Target"] == "#box"


def test_head_takes_hx() -> None:
    seen: list[str | None] = []
    app = App("head")

    @app.get("/")
    def index(request: Request) -> str:
        seen.append(request.headers.get("HX-Request"))
        return "body"

    with Client(app) as client:
        answer = client.head("/", hx=True)
    assert (answer.status_code, answer.text, seen) == (200, "", ["true"])


def test_hx_target_and_trigger(client: Client) -> None:
    data = client.post("/post", hx=True, hx_target="#list", hx_trigger="add-button").json()
    assert data["HX-Request"] == "true"
    assert data["HX-Target"] == "#list"
    assert data["HX-Trigger"] == "add-button"


def test_hx_target_alone_makes_an_htmx_request(client: Client) -> None:
    data = client.get("/get", hx_target="#list").json()
    assert data["HX-Request"] == "true"
    assert data["HX-Current-URL"] is not None
    assert data["HX-Target"] == "#list"


def test_hx_trigger_alone_makes_an_htmx_request(client: Client) -> None:
    data = client.get("/get", hx_trigger="btn").json()
    assert data["HX-Request"] == "true"
    assert data["HX-Trigger"] == "btn"


def test_own_headers_are_kept_and_win(client: Client) -> None:
    data = client.get("/get", hx=True, headers={
        "X-Other": "mine", "HX-Current-URL": "http://127.0.0.1:8000/todos?page=2"}).json()
    assert data["X-Other"] == "mine"
    assert data["HX-Request"] == "true"
    assert data["HX-Current-URL"] == "http://127.0.0.1:8000/todos?page=2"


def test_request_method_takes_hx(client: Client) -> None:
    data = client.request("PATCH", "/patch", hx=True, hx_trigger="t").json()
    assert data["method"] == "PATCH"
    assert data["HX-Request"] == "true"
    assert data["HX-Trigger"] == "t"


def test_hx_request_gets_the_fragment_and_plain_gets_the_page(client: Client) -> None:
    fragment = client.get("/page", hx=True)
    assert fragment.text == "<p>content</p>"
    page = client.get("/page")
    assert page.text.startswith("<!doctype html>")
    assert "<p>content</p>" in page.text


def test_form_data_is_posted(client: Client) -> None:
    app = App("form")

    @app.post("/add")
    def add(title: str) -> Any:
        return P(title)

    with Client(app) as form_client:
        assert form_client.post("/add", data={"title": "Milk"}, hx=True).text == "<p>Milk</p>"


def test_default_base_url_is_loopback() -> None:
    app = App("where")

    @app.get("/where")
    def where(request: Request) -> dict[str, Any]:
        return {"host": request.url.hostname, "port": request.url.port}

    with Client(app) as client:
        assert client.get("/where").json() == {"host": "127.0.0.1", "port": 8000}


# ---- lifespan hooks -----------------------------------------------------------------------------


def test_context_manager_runs_startup_and_shutdown_hooks() -> None:
    app = App("hooks")
    calls: list[str] = []

    @app.on_startup
    def start_sync() -> None:
        calls.append("start sync")

    @app.on_startup
    async def start_async() -> None:
        calls.append("start async")

    @app.on_shutdown
    def stop_sync() -> None:
        calls.append("stop sync")

    @app.on_shutdown
    async def stop_async() -> None:
        calls.append("stop async")

    @app.get("/")
    def index() -> Any:
        calls.append("request")
        return "ok"

    client = Client(app)
    assert calls == []
    with client:
        assert calls == ["start sync", "start async"]
        client.get("/")
    # Shutdown hooks run in reverse order of adding.
    assert calls == ["start sync", "start async", "request", "stop async", "stop sync"]


def test_hooks_do_not_run_without_the_context_manager() -> None:
    app = App("nohooks")
    calls: list[str] = []
    app.on_startup(lambda: calls.append("start"))

    @app.get("/")
    def index() -> Any:
        return "ok"

    client = Client(app)
    try:
        assert client.get("/").text == "ok"
    finally:
        client.close()
    assert calls == []


def test_shutdown_hook_failure_is_logged_not_raised(
        error_logs: list[logging.LogRecord]) -> None:
    app = App("failing")
    calls: list[str] = []

    @app.on_shutdown
    def runs_after() -> None:  # added first, so it runs last
        calls.append("later hook")

    @app.on_shutdown
    def broken() -> None:
        raise RuntimeError("disk gone")

    with Client(app):
        pass  # leaving must not raise
    assert calls == ["later hook"]  # the failure did not stop the other hooks
    failures = list(error_logs)
    assert len(failures) == 1
    assert failures[0].exc_info is not None
    assert isinstance(failures[0].exc_info[1], RuntimeError)
    assert "broken" in failures[0].getMessage()


def test_async_shutdown_hook_failure_is_logged_not_raised(
        error_logs: list[logging.LogRecord]) -> None:
    app = App("failing-async")

    @app.on_shutdown
    async def broken() -> None:
        raise ValueError("nope")

    with Client(app):
        pass
    failures = list(error_logs)
    assert len(failures) == 1
    assert isinstance(failures[0].exc_info[1], ValueError)  # type: ignore[index]


def test_startup_hook_failure_is_raised() -> None:
    app = App("failing-start")

    @app.on_startup
    def broken() -> None:
        raise RuntimeError("no database")

    with pytest.raises(RuntimeError, match="no database"):
        with Client(app):
            pass
