"""appkit.app.dispatch: the app's own routes served without Starlette's router and
middleware, choosing the route Starlette would and answering errors as it would."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse
from starlette.routing import Match, Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from appkit import App
from appkit.testing import Client


def _app(**options: Any) -> App:
    app = App("t", **options)

    @app.get("/todos/{todo_id:int}")
    def show(todo_id: int) -> str:
        return f"show {todo_id}"

    @app.put("/todos/{todo_id:int}")
    def update(todo_id: int) -> str:
        return f"update {todo_id}"

    @app.delete("/todos/{todo_id:int}")
    def delete(todo_id: int) -> str:
        return f"delete {todo_id}"

    @app.get("/todos")
    def todos() -> str:
        return "todos"

    @app.get("/teapot")
    def teapot() -> str:
        raise HTTPException(status_code=404)

    @app.get("/missing-file")
    def missing_file() -> FileResponse:
        return FileResponse("/nonexistent/appkit-test-file.txt")

    async def api(request: Request) -> PlainTextResponse:
        return PlainTextResponse("api")

    app.mount("/api", Starlette(routes=[Route("/x", api)]))

    @app.get("/{page}")
    def page(page: str) -> str:
        return f"page {page}"

    @app.get("/api/shadowed")  # after the mount: the mount wins, as in Starlette
    def shadowed() -> str:
        return "shadowed"

    return app


def _scope(method: str, path: str, root: str) -> dict[str, Any]:
    return {"type": "http", "method": method, "path": root + path, "root_path": root,
            "headers": [], "query_string": b""}


@pytest.mark.parametrize("root", ["", "/tool"])  # the app alone, or mounted at /tool
@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/todos/3"), ("PUT", "/todos/3"), ("DELETE", "/todos/3"), ("POST", "/todos/3"),
    ("GET", "/todos/x"), ("GET", "/todos"), ("HEAD", "/todos"), ("POST", "/todos"),
    ("GET", "/todos/"), ("GET", "/api/x"), ("GET", "/api/shadowed"), ("GET", "/about"),
    ("GET", "/"), ("GET", "/_appkit/appkit.js"), ("GET", "/favicon.ico"), ("GET", "/a/b/c"),
    ("PROPFIND", "/todos"),
])
def test_dispatch_finds_the_route_starlettes_router_chooses(method: str, path: str,
                                                             root: str) -> None:
    app = _app()
    chosen = None
    for route in app._routes:
        match, _ = route.matches(_scope(method, path, root))
        if match is Match.FULL:
            chosen = route
            break
    found = app._dispatch.find(_scope(method, path, root))
    if chosen is not None and isinstance(chosen, Route) and chosen.name in app.route_names:
        assert found is not None and found[0] is chosen
        assert found[1]["endpoint"] is chosen.endpoint
    else:
        assert found is None  # Starlette serves it: a mount, a 404, a 405, the favicon


class _Count:
    """ASGI middleware that counts the requests that reach it."""

    calls = 0

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            type(self).calls += 1
        await self.app(scope, receive, send)


def test_own_routes_skip_starlettes_layers_with_the_same_answers() -> None:
    app = _app()
    with Client(app, raise_server_exceptions=False) as client:
        assert client.get("/todos").text == "todos"  # the middleware stack is built
        stack = app._starlette.middleware_stack
        layers: list[str] = []

        async def spy(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "http":
                layers.append(scope["path"])
            assert stack is not None
            await stack(scope, receive, send)

        app._starlette.middleware_stack = spy
        assert client.delete("/todos/4").text == "delete 4"
        assert client.get("/about").text == "page about"
        # A handler's HTTPException: the app's 404 page, as through Starlette's layers.
        missing = client.get("/teapot")
        assert missing.status_code == 404 and "There is no page at /teapot" in missing.text
        # An error while sending: Starlette's plain 500, and the error raised to the server.
        broken = client.get("/missing-file")
        assert (broken.status_code, broken.text) == (500, "Internal Server Error")
        assert layers == []
        # Not the app's own: through Starlette.
        assert client.get("/api/x").text == "api"
        assert client.post("/todos").status_code == 405
        assert client.get("/api/shadowed").status_code == 404
        assert layers == ["/api/x", "/todos", "/api/shadowed"]
    # Mounted inside another app: the same (the route is found below the root path).
    with Client(Starlette(routes=[Mount("/tool", app=app)])) as client:
        assert client.get("/tool/todos/6").text == "show 6"
        assert client.get("/tool/api/x").text == "api"
    assert layers == ["/api/x", "/todos", "/api/shadowed", "/tool/api/x"]
    with Client(app) as client, pytest.raises(RuntimeError, match="does not exist"):
        client.get("/missing-file")
    # An app with ASGI middleware of its author's keeps Starlette's layers for every route.
    _Count.calls = 0
    app = _app(middleware=[Middleware(_Count)])
    with Client(app) as client:
        assert client.get("/todos/5").text == "show 5"
        assert client.get("/about").text == "page about"
    assert _Count.calls == 2
