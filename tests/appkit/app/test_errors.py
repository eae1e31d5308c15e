"""Error answers: HTTPError pages, fragments and JSON; unhandled errors; the body limit."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from appkit import App, BadRequest, Forbidden, HTTPError, NotFound, PayloadTooLarge
from appkit.testing import Client


class Teapot(HTTPError):
    status = 418
    title = "I am a teapot"


def _raising_app() -> App:
    app = App("t")

    @app.get("/bad")
    def bad() -> str:
        raise BadRequest("The list name is too long")

    @app.get("/forbidden")
    def forbidden() -> str:
        raise Forbidden("Only the owner may see this list")

    @app.get("/missing")
    async def missing() -> str:
        raise NotFound("No list 42")

    @app.get("/teapot")
    def teapot() -> str:
        raise Teapot()

    return app


@pytest.mark.parametrize(("path", "status", "title", "message"), [
    ("/bad", 400, "Bad request", "The list name is too long"),
    ("/forbidden", 403, "Forbidden", "Only the owner may see this list"),
    ("/missing", 404, "Not found", "No list 42"),
    ("/teapot", 418, "I am a teapot", "I am a teapot"),
])
def test_http_error_page_for_browser(path: str, status: int, title: str, message: str
                                     ) -> None:
    with Client(_raising_app()) as client:
        response = client.get(path)
        assert response.status_code == status
        assert response.text.startswith("<!doctype html>")
        assert f"<title>{status} {title}</title>" in response.text
        assert f"<h1>{title}</h1><p>{message}</p>" in response.text
        assert 'class="container appkit-error-page"' in response.text


@pytest.mark.parametrize(("path", "status", "message"), [
    ("/bad", 400, "The list name is too long"),
    ("/forbidden", 403, "Only the owner may see this list"),
    ("/missing", 404, "No list 42"),
])
def test_http_error_fragment_for_htmx(path: str, status: int, message: str) -> None:
    with Client(_raising_app()) as client:
        response = client.get(path, hx=True)
        assert response.status_code == status
        assert response.text == (
            f'<div class="appkit-error" role="alert" data-status="{status}">'
            f"<p>{message}</p></div>")


@pytest.mark.parametrize(("path", "status", "message"), [
    ("/bad", 400, "The list name is too long"),
    ("/forbidden", 403, "Only the owner may see this list"),
    ("/missing", 404, "No list 42"),
    ("/teapot", 418, "I am a teapot"),
])
def test_http_error_json_for_json_client(path: str, status: int, message: str) -> None:
    with Client(_raising_app()) as client:
        response = client.get(path, headers={"Accept": "application/json"})
        assert response.status_code == status
        assert response.headers["content-type"] == "application/json"
        assert response.json() == {"error": message, "status": status}


def test_accept_with_html_gets_the_page() -> None:
    with Client(_raising_app()) as client:
        response = client.get("/bad", headers={"Accept": "text/html, application/json"})
        assert response.status_code == 400
        assert response.text.startswith("<!doctype html>")


def _crashing_app(debug: bool = False) -> App:
    app = App("t", debug=debug)

    @app.get("/crash/{id}")
    def crash(id: str) -> str:
        raise RuntimeError(f"secret detail {id}")

    return app


def test_unhandled_error_is_500_page_without_traceback(
        error_logs: list[logging.LogRecord], caplog: pytest.LogCaptureFixture) -> None:
    with Client(_crashing_app()) as client:
        response = client.get("/crash/77")
    assert response.status_code == 500
    assert "<h1>Something went wrong</h1>" in response.text
    assert ("<p>The app hit an error while handling this request. "
            "The details are in the app's log.</p>") in response.text
    assert "Traceback" not in response.text
    assert "secret detail" not in response.text
    assert "appkit-traceback" not in response.text
    records = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(records) == 1
    assert records[0].name == "appkit"
    assert "/crash/77" in records[0].getMessage()
    assert records[0].exc_info is not None
    assert "secret detail 77" in str(records[0].exc_info[1])


def test_unhandled_error_json_and_htmx_without_traceback(
        error_logs: list[logging.LogRecord], caplog: pytest.LogCaptureFixture) -> None:
    with Client(_crashing_app()) as client:
        as_json = client.get("/crash/1", headers={"Accept": "application/json"})
        fragment = client.get("/crash/2", hx=True)
    assert as_json.status_code == 500
    assert as_json.json() == {
        "error": "The app hit an error while handling this request. "
                 "The details are in the app's log.",
        "status": 500}
    assert fragment.status_code == 500
    assert fragment.text.startswith('<div class="appkit-error" role="alert" data-status="500">')
    assert "secret" not in fragment.text
    paths = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(paths) == 2
    assert "/crash/1" in paths[0]
    assert "/crash/2" in paths[1]


def test_unhandled_error_shows_traceback_in_debug(
        error_logs: list[logging.LogRecord], caplog: pytest.LogCaptureFixture) -> None:
    with Client(_crashing_app(debug=True)) as client:
        response = client.get("/crash/5")
        as_json = client.get("/crash/6", headers={"Accept": "application/json"})
    assert response.status_code == 500
    assert '<pre class="appkit-traceback">Traceback (most recent call last):' in response.text
    assert "RuntimeError: secret detail 5" in response.text
    assert as_json.status_code == 500
    assert "RuntimeError: secret detail 6" in as_json.json()["traceback"]
    assert any("/crash/5" in r.getMessage() for r in caplog.records)


def test_error_logs_fixture_collects_the_logged_error(
        error_logs: list[logging.LogRecord]) -> None:
    """The conftest promises a test that expects ERROR records can 'take the error_logs
    fixture and check it': the records must be there while the test runs."""
    with Client(_crashing_app()) as client:
        assert client.get("/crash/9").status_code == 500
    assert any("/crash/9" in r.getMessage() for r in error_logs)


# ---- body limit -------------------------------------------------------------------------------


def _limited_app() -> App:
    app = App("t", max_body_size=100)

    @app.post("/form")
    def form(text: str) -> dict[str, Any]:
        return {"len": len(text)}

    @app.post("/raw")
    async def raw(request: Request) -> dict[str, Any]:
        return {"len": len(await request.body())}

    return app


LIMIT_MESSAGE = ("The request is larger than this app accepts (100 bytes). "
                 "Send less data at once.")


def test_declared_body_over_limit_is_413() -> None:
    with Client(_limited_app()) as client:
        response = client.post("/raw", content=b"x" * 200)
        assert response.status_code == 413
        assert "<h1>Request too large</h1>" in response.text
        assert LIMIT_MESSAGE in response.text
        as_json = client.post("/raw", content=b"x" * 200,
                              headers={"Accept": "application/json"})
        assert as_json.json() == {"error": LIMIT_MESSAGE, "status": 413}


def test_form_over_limit_is_413() -> None:
    with Client(_limited_app()) as client:
        response = client.post("/form", data={"text": "y" * 200})
        assert response.status_code == 413
        assert LIMIT_MESSAGE in response.text


def _chunks(size: int, count: int) -> Iterator[bytes]:
    for _ in range(count):
        yield b"z" * size


def test_streamed_body_over_limit_is_413() -> None:
    with Client(_limited_app()) as client:
        response = client.post("/raw", content=_chunks(60, 3),
                               headers={"Accept": "application/json"})
        assert "content-length" not in response.request.headers
        assert response.request.headers["transfer-encoding"] == "chunked"
        assert response.status_code == 413
        assert response.json() == {"error": LIMIT_MESSAGE, "status": 413}


def test_body_at_or_under_limit_works() -> None:
    with Client(_limited_app()) as client:
        assert client.post("/raw", content=b"x" * 100).json() == {"len": 100}
        assert client.post("/raw", content=_chunks(50, 2)).json() == {"len": 100}
        assert client.post("/form", data={"text": "short"}).json() == {"len": 5}


def test_body_limit_also_covers_mounted_apps() -> None:
    """The limit is the app's, so a streamed body over it sent to a mounted app gets 413
    too, not a 500."""
    async def echo(request: Request) -> PlainTextResponse:
        return PlainTextResponse(str(len(await request.body())))

    app = _limited_app()
    app.mount("/api", Starlette(routes=[Route("/echo", echo, methods=["POST"])]))
    with Client(app, raise_server_exceptions=False) as client:
        assert client.post("/api/echo", content=_chunks(10, 3)).text == "30"
        assert client.post("/api/echo", content=b"x" * 200).status_code == 413
        response = client.post("/api/echo", content=_chunks(60, 3))
        assert response.status_code == 413
        assert LIMIT_MESSAGE in response.text


def test_payload_too_large_is_an_http_error() -> None:
    assert issubclass(PayloadTooLarge, HTTPError)
    assert PayloadTooLarge.status == 413
