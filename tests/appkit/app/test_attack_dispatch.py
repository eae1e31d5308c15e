"""Attacks on appkit.app.dispatch: the app's own routes served without Starlette's router
and middleware must answer exactly as through Starlette's layers (the same app with an
author's ASGI middleware, which keeps Starlette's path)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, StreamingResponse
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from appkit import App, Router
from appkit.errors import BadRequest
from appkit.testing import Client


class _Pass:
    """An author's ASGI middleware that does nothing: Starlette's layers serve every route."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


def _build(middleware: bool, **options: Any) -> App:
    app = App("t", middleware=[Middleware(_Pass)] if middleware else [], **options)

    @app.get("/about")
    def about() -> str:
        return "about"

    @app.get("/todos/{todo_id:int}")
    def todo_int(todo_id: int) -> str:
        return f"int {todo_id}"

    @app.get("/todos/{todo_id:uuid}")
    def todo_uuid(todo_id: Any) -> str:
        return f"uuid {todo_id}"

    @app.get("/price/{value:float}")
    def price(value: float) -> str:
        return f"float {value}"

    @app.get("/files/{rest:path}")
    def files(rest: str) -> str:
        return f"path {rest}"

    @app.route("/form", methods=["POST", "OPTIONS"], csrf=False)
    async def form(request: Request) -> str:
        return f"form {len(await request.body())}"

    @app.get("/slash/")
    def slash() -> str:
        return "slash"

    @app.get("/teapot")
    def teapot() -> str:
        raise HTTPException(status_code=418, detail="short and stout")

    @app.get("/bad")
    def bad() -> str:
        raise BadRequest("no good")

    @app.get("/notfound")
    def notfound() -> str:
        raise HTTPException(status_code=404)

    @app.get("/broken-stream")
    def broken_stream() -> StreamingResponse:
        async def chunks() -> Any:
            yield b"a"
            raise ValueError("mid-stream")
        return StreamingResponse(chunks())

    async def api(request: Request) -> PlainTextResponse:
        return PlainTextResponse(f"api {request.scope['root_path']}")

    app.mount("/api", Starlette(routes=[Route("/x", api)]))
    sub = App("sub")

    @sub.get("/hello")
    def hello() -> str:
        return "sub hello"

    app.mount("/sub", sub)
    admin = Router("/admin", name="admin")

    @admin.get("/users/{name}")
    def user(name: str) -> str:
        return f"user {name}"

    app.include(admin)

    @app.get("/{page}")
    def page(page: str) -> str:
        return f"page {page}"

    return app


REQUESTS = [
    ("GET", "/about"), ("HEAD", "/about"), ("OPTIONS", "/about"), ("get", "/about"),
    ("POST", "/about"), ("GET", "/about/"), ("GET", "//about"), ("GET", "/ab%6Fut"),
    ("GET", "/todos/3"), ("GET", "/todos/-3"), ("GET", "/todos/0x3"),
    ("GET", "/todos/12345678-1234-5678-1234-567812345678"), ("GET", "/price/1.5"),
    ("GET", "/price/1e5"), ("GET", "/files/a/b//c"), ("GET", "/files/"), ("GET", "/files"),
    ("OPTIONS", "/form"), ("POST", "/form"), ("PUT", "/form"), ("GET", "/slash"),
    ("GET", "/slash/"), ("GET", "/teapot"), ("GET", "/bad"), ("GET", "/notfound"),
    ("GET", "/api/x"), ("GET", "/api"), ("GET", "/sub/hello"), ("HEAD", "/sub/hello"),
    ("GET", "/admin/users/ann"), ("GET", "/admin/users/"), ("GET", "/a%2Fb"),
    ("GET", "/%20"), ("GET", "/"), ("PROPFIND", "/about"), ("GET", "/later"),
    ("GET", "/admin/later"),
]


def _answer(client: Client, method: str, path: str) -> tuple[int, list[tuple[str, str]], str]:
    response = client.request(method, path, content=b"x" * 5 if method == "POST" else None,
                              headers={"HX-Request": "true"}, follow_redirects=False)
    headers = sorted((k, re.sub(r"=[^;]*", "=<v>", v) if k == "set-cookie" else v)
                     for k, v in response.headers.items())
    # The CSRF token and the session differ between two apps: compare what is not random.
    return response.status_code, headers, _norm(response.text)


def _norm(text: str) -> str:
    """A page without what differs between two apps: the CSRF token, the boot id."""
    text = re.sub(r"boot&quot;:&quot;[0-9a-f]+", "boot", text)
    text = re.sub(r"user:[0-9a-f]+", "user:", text)
    return re.sub(r"[A-Za-z0-9_-]{32,}", "<token>", text)


@pytest.mark.parametrize("root", ["", "/tool"])
def test_every_answer_is_the_one_starlettes_layers_give(root: str) -> None:
    answers = []
    for middleware in (False, True):
        app = _build(middleware)
        outer: Any = Starlette(routes=[Mount(root, app=app)]) if root else app
        got = []
        with Client(outer, raise_server_exceptions=False) as client:
            for method, path in REQUESTS[:-2]:
                got.append(_answer(client, method, root + path))
            # Routes added after the first request (the tables are made again).
            app.get("/later")(lambda: "later")
            admin = Router("/admin", name="late")
            admin.get("/later")(lambda: "admin later")
            app.include(admin)
            for method, path in REQUESTS[-2:]:
                got.append(_answer(client, method, root + path))
            got.append(_answer(client, "GET", root + "/broken-stream"))
        answers.append(got)
    for request, fast, slow in zip([*REQUESTS, ("GET", "/broken-stream")], *answers,
                                   strict=True):
        assert fast == slow, request


def test_an_error_escaping_to_the_server_is_raised_as_through_starlette() -> None:
    for middleware in (False, True):
        with Client(_build(middleware)) as client, pytest.raises(ValueError, match="mid"):
            client.get("/broken-stream")


def test_a_path_ending_in_a_newline_gets_the_route_starlette_chooses() -> None:
    answers = []
    for middleware in (False, True):
        with Client(_build(middleware)) as client:
            answers.append(client.get("/about%0A").text)
    assert answers[0] == answers[1]


def test_max_body_size_is_set_when_the_app_is_made() -> None:
    # One limit for both paths (Starlette's body limit is made with the constructor's
    # value): changing it afterwards is refused, not half taken.
    app = _build(False)
    with pytest.raises(AttributeError):
        app.max_body_size = 100  # type: ignore[misc]
    assert app.max_body_size == _build(False).max_body_size


def test_a_body_over_the_limit_answers_413_as_through_starlette() -> None:
    answers = []
    for middleware in (False, True):
        app = _build(middleware, max_body_size=100)
        with Client(app, raise_server_exceptions=False) as client:
            declared = client.post("/form", content=b"x" * 1000, headers={"HX-Request": "1"})

            def stream() -> Any:
                yield b"x" * 60
                yield b"x" * 60

            streamed = client.post("/form", content=stream(), headers={"HX-Request": "1"})
            answers.append([(r.status_code, _norm(r.text))
                            for r in (declared, streamed)])
    assert answers[0] == answers[1]
    assert [status for status, _ in answers[0]] == [413, 413]


async def _drive(app: Any, method: str, path: str, chunks: list[dict[str, Any]]
                 ) -> tuple[list[dict[str, Any]], BaseException | None]:
    """Call the app as a server would, with these request messages; what it sent and what
    it raised."""
    sent: list[dict[str, Any]] = []
    queue = list(chunks)

    async def receive() -> dict[str, Any]:
        return queue.pop(0) if queue else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": method, "path": path, "raw_path": path.encode(),
             "root_path": "", "query_string": b"", "scheme": "http", "http_version": "1.1",
             "server": ("127.0.0.1", 80), "client": ("127.0.0.1", 5000),
             "headers": [(b"host", b"127.0.0.1"), (b"hx-request", b"true")]}
    try:
        await app(scope, receive, send)
    except BaseException as exc:  # noqa: BLE001 - what reaches the server is compared
        return sent, exc
    return sent, None


def _compare(make: Any, method: str, path: str, chunks: list[dict[str, Any]]) -> list[Any]:
    answers = []
    for middleware in (False, True):
        app = make(middleware)
        with Client(app) as client:
            assert client.portal is not None
            sent, raised = client.portal.call(_drive, app, method, path, chunks)
        answers.append(([(m["type"], m.get("status"), _norm(m.get("body", b"").decode()))
                         for m in sent], type(raised)))
    return answers


@pytest.mark.parametrize("error", [KeyboardInterrupt, SystemExit])
def test_a_base_exception_is_raised_as_through_starlette(error: type[BaseException]) -> None:
    def make(middleware: bool) -> App:
        app = App("t", middleware=[Middleware(_Pass)] if middleware else [])

        @app.get("/boom")
        async def boom() -> str:
            raise error()

        return app

    fast, slow = _compare(make, "GET", "/boom", [])
    assert fast == slow


GONE: list[dict[str, Any]] = [{"type": "http.request", "body": b"ab", "more_body": True},
                              {"type": "http.disconnect"}]


def test_a_client_gone_mid_body_is_answered_as_through_starlette(
        error_logs: list[Any]) -> None:
    fast, slow = _compare(_build, "POST", "/form", GONE)
    assert fast == slow


def test_a_client_gone_mid_body_is_not_an_unhandled_error(error_logs: list[Any]) -> None:
    fast, _ = _compare(_build, "POST", "/form", GONE)
    assert not error_logs
    assert all(status != 500 for _, status, _ in fast[0])


@pytest.mark.parametrize("root", ["", "/tool"])
def test_a_handler_sees_the_scope_starlettes_layers_give_it(root: str) -> None:
    shown = []
    for middleware in (False, True):
        app = _build(middleware)

        @app.get("/scope/{x}")
        async def scope(request: Request, x: str) -> str:
            plain = (str, int, float, bool, type(None))
            return repr(sorted(
                (key, type(value).__name__, value if isinstance(value, plain) else "")
                for key, value in request.scope.items()
                if key != "state")) + repr(request.path_params) + str(request.url)

        outer: Any = Starlette(routes=[Mount(root, app=app)]) if root else app
        with Client(outer) as client:
            shown.append(client.get(root + "/scope/a%20b", headers={"HX-Request": "1"}).text)
    assert shown[0] == shown[1]


def test_an_http_exception_after_the_response_started_ends_as_through_starlette(
        error_logs: list[Any]) -> None:
    def make(middleware: bool) -> App:
        app = App("t", middleware=[Middleware(_Pass)] if middleware else [])

        @app.get("/late")
        def late() -> StreamingResponse:
            async def chunks() -> Any:
                yield b"a"
                raise HTTPException(status_code=404)
            return StreamingResponse(chunks())

        return app

    fast, slow = _compare(make, "GET", "/late", [])
    assert fast == slow and fast[1] is RuntimeError  # "response already started"
