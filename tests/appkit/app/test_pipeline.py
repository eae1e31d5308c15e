"""The connection pipeline: custom error pages, mounting under a prefix, websockets going
through the same steps and hooks as HTTP, and definition mistakes caught early."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.routing import Mount, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from appkit import App, NotFound, Redirect
from appkit.errors import ConfigurationError, Forbidden, HTTPError
from appkit.html import H1, P
from appkit.testing import Client


def test_error_handlers_answer_by_status_and_by_exception_class() -> None:
    app = App("errors")

    class OutOfStock(Exception):
        pass

    @app.error(404)
    def not_found(request, error) -> Any:  # type: ignore[no-untyped-def]
        return H1("Nothing here"), P(f"No page at {request.url.path}: {error.message}")

    @app.error(OutOfStock)
    def out_of_stock(error) -> Any:  # type: ignore[no-untyped-def]
        return P(f"Sold out: {error}")

    @app.get("/item/{n:int}")
    def item(n: int) -> Any:
        if n == 0:
            raise NotFound("item 0 was removed")
        if n == 1:
            raise OutOfStock("red socks")
        return P(f"item {n}")

    with Client(app) as client:
        missing = client.get("/nowhere")
        assert missing.status_code == 404 and "Nothing here" in missing.text
        assert "No page at /nowhere" in missing.text
        removed = client.get("/item/0")
        assert removed.status_code == 404 and "item 0 was removed" in removed.text
        sold = client.get("/item/1")
        assert sold.status_code == 500 and "Sold out: red socks" in sold.text
        assert client.get("/item/2").text.count("item 2") == 1


def test_a_failing_error_handler_falls_back_to_the_default_page(
        error_logs: list[Any]) -> None:
    app = App("errors")

    @app.error(404)
    def broken() -> Any:
        raise RuntimeError("the handler itself is broken")

    with Client(app) as client:
        page = client.get("/nowhere")
    assert page.status_code == 404 and "There is no page at /nowhere" in page.text
    assert any("error handler for 404 failed" in r.getMessage() for r in error_logs)


@pytest.mark.parametrize("key", [200, 999, True, "404", int])
def test_error_handler_keys_are_checked(key: Any) -> None:
    with pytest.raises(ConfigurationError, match="an HTTP error status"):
        App("errors").error(key)(lambda: None)


def test_a_function_where_the_path_goes_is_explained() -> None:
    app = App("fasthtml-habit")

    def index() -> str:
        return "hi"

    with pytest.raises(ConfigurationError, match=r'write @app.get\("/index"\)'):
        app.get(index)  # type: ignore[arg-type]


def test_an_app_mounted_under_a_prefix_serves_its_assets_links_and_lifespan() -> None:
    tool = App("tool")
    started: list[str] = []
    tool.on_startup(lambda: started.append("tool"))

    @tool.get("/")
    def index() -> Any:
        return P("home", id="home"), P(f"link:{other.url(n=3)}")

    @tool.get("/other/{n:int}")
    def other(n: int) -> Any:
        return P(f"other {n}")

    outer = Starlette(routes=[Mount("/tool", app=tool)], lifespan=tool.lifespan)
    with Client(outer) as client:
        assert started == ["tool"]
        page = client.get("/tool/")
        assert page.status_code == 200 and "link:/tool/other/3" in page.text
        assert 'src="/tool/_appkit/vendor/htmx.min.js' in page.text
        asset = page.text.split('src="/tool/_appkit/vendor/htmx.min.js')[1].split('"')[0]
        served = client.get("/tool/_appkit/vendor/htmx.min.js" + asset)
        assert served.status_code == 200 and "htmx" in served.text
        assert client.get("/tool/other/3").text.count("other 3") == 1


def _ws_app() -> tuple[App, list[str]]:
    """An app with a websocket endpoint that goes through its pipeline (the steps and the
    before-hooks of a route), as the live layer's websocket routes do."""
    app = App("ws")
    seen: list[str] = []

    @app.before(skip=["/open", "login"])
    def login_wall(session) -> Any:  # type: ignore[no-untyped-def]
        if "user" not in session:
            return Redirect("/login")
        return None

    @app.get("/login")
    def login(session) -> Any:  # type: ignore[no-untyped-def]
        session["user"] = "ann"
        return P("signed in")

    @app.get("/feed")
    def feed() -> Any:
        return P("feed page")

    @app.get("/open")
    def open_page() -> Any:
        return P("open page")

    handlers = {"feed": feed, "open": open_page}

    async def endpoint(socket: WebSocket) -> None:
        route = handlers[socket.path_params["name"]]
        try:
            await app.pipeline.enter(socket, route)
            answered, _ = await app.pipeline.run_hooks(socket, route)
        except HTTPError as exc:
            await socket.close(code=exc.close_code, reason=exc.message[:100])
            return
        if answered:
            await socket.close(code=1008, reason="sign in first")
            return
        await socket.accept()
        session = app.sessions.current(socket)
        seen.append(session.get("user", "anonymous"))
        await socket.send_text(f"hello {session.get('user', 'anonymous')}")
        await socket.close()

    app.mount("/ws", Starlette(routes=[WebSocketRoute("/{name}", endpoint)]))
    return app, seen


def _cookie(client: Client) -> dict[str, str]:
    # Starlette's test client does not send its cookie jar with a websocket handshake
    # (a browser does): send the session's cookie by hand.
    name = client.app.sessions.cookie_name  # type: ignore[attr-defined]
    return {"cookie": f"{name}={client.cookies[name]}"}


def test_a_websocket_handshake_needs_the_sessions_csrf_token() -> None:
    app, seen = _ws_app()
    with Client(app) as client:
        client.get("/login")
        with pytest.raises(WebSocketDisconnect) as refused:
            with client.websocket_connect("/ws/feed", headers=_cookie(client)):
                pass
        assert refused.value.code == Forbidden.close_code == 1008
        token = client.csrf_token()
        with client.websocket_connect(f"/ws/feed?appkit-csrf={token}",
                                      headers=_cookie(client)) as socket:
            assert socket.receive_text() == "hello ann"
        with pytest.raises(WebSocketDisconnect) as forged:
            with client.websocket_connect("/ws/feed?appkit-csrf=forged",
                                      headers=_cookie(client)):
                pass
        assert forged.value.code == 1008
    assert seen == ["ann"]


def test_a_before_hook_that_redirects_closes_a_websocket_with_1008() -> None:
    app, seen = _ws_app()
    with Client(app) as client:
        token = client.csrf_token()  # a session, but nobody signed in
        with pytest.raises(WebSocketDisconnect) as closed:
            with client.websocket_connect(f"/ws/feed?appkit-csrf={token}",
                                      headers=_cookie(client)):
                pass
        assert closed.value.code == 1008
        with client.websocket_connect(f"/ws/open?appkit-csrf={token}",
                                      headers=_cookie(client)) as socket:
            assert socket.receive_text() == "hello anonymous"
    assert seen == ["anonymous"]


def test_error_classes_carry_a_status_and_a_close_code() -> None:
    from appkit import BadRequest, PayloadTooLarge, RowNotFound, RunNotFound

    assert (BadRequest.status, BadRequest.close_code) == (400, 1007)
    assert (Forbidden.status, Forbidden.close_code) == (403, 1008)
    assert (NotFound.status, NotFound.close_code) == (404, 4404)
    assert (PayloadTooLarge.status, PayloadTooLarge.close_code) == (413, 1009)
    assert (HTTPError.status, HTTPError.close_code) == (500, 1011)
    assert RowNotFound.close_code == RunNotFound.close_code == 4404
