"""Review of issue 10 (mounting under a prefix): an App inside another ASGI app, as a new
user and a hostile reviewer would try it. A test marked xfail(strict) exposes a bug."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.websockets import WebSocketDisconnect

from appkit import App, NotFound, Redirect, toast
from appkit.app import Event, EventStream
from appkit.html import Div, P
from appkit.testing import Client
from tests.conftest import run_async


def _tool(static: Path | None = None) -> App:
    tool = App("tool", static_dir=static)

    @tool.get("/")
    def index() -> Any:
        return P(f"url={other.url(n=1)}")

    @tool.get("/other/{n:int}")
    def other(n: int) -> Any:
        return P(f"other {n}")

    @tool.get("/go")
    def go() -> Any:
        return Redirect(index)  # a route handler: its URL carries the prefix

    @tool.get("/gone")
    def gone() -> Any:
        raise NotFound("gone for good")

    @tool.post("/save")
    def save(session) -> Any:  # type: ignore[no-untyped-def]
        toast(session, "Saved.")
        return P("saved")

    @tool.websocket("/echo")
    def echo(text: str) -> Any:
        return P(f"echo {text}", id="echo")

    return tool


def test_an_app_mounted_at_two_prefixes_gives_each_request_its_own_urls() -> None:
    tool = App("tool")
    gate = asyncio.Event()

    @tool.get("/slow")
    async def slow() -> Any:
        await gate.wait()  # another request arrives meanwhile (any await does this)
        return P(f"url={fast.url()}")

    @tool.get("/fast")
    def fast() -> Any:
        return P(f"url={fast.url()}")

    outer = Starlette(routes=[Mount("/a", app=tool), Mount("/b", app=tool)])

    async def run() -> tuple[str, str]:
        transport = httpx.ASGITransport(app=outer)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            first = asyncio.create_task(client.get("/a/slow"))
            await asyncio.sleep(0.05)
            second = await client.get("/b/fast")
            gate.set()
            return (await first).text, second.text

    under_a, under_b = run_async(run())
    assert "url=/b/fast" in under_b
    assert "url=/a/fast" in under_a


def test_the_error_pages_link_back_to_the_mounted_apps_start_page() -> None:
    outer = Starlette(routes=[Mount("/tool", app=_tool())])
    with Client(outer) as client:
        raised = client.get("/tool/gone")
        routed = client.get("/tool/nowhere")
    assert raised.status_code == routed.status_code == 404
    assert 'href="/tool/"' in raised.text
    assert 'href="/tool/"' in routed.text


def test_urls_redirects_static_csrf_and_toasts_work_under_a_prefix(tmp_path: Path) -> None:
    (tmp_path / "a.css").write_text("p { color: red }")
    tool = _tool(tmp_path)
    outer = Starlette(routes=[Mount("/tool", app=tool)], lifespan=tool.lifespan)
    with Client(outer) as client:
        page = client.get("/tool/")
        assert "url=/tool/other/1" in page.text
        moved = client.get("/tool/go", follow_redirects=False)
        assert moved.status_code == 303 and moved.headers["location"] == "/tool/"
        assert tool.url_for("static", path="/a.css") == "/tool/static/a.css"
        assert tool.url_for("other", n=2) == "/tool/other/2"
        hashed = str(tool.static_url("a.css"))
        assert hashed.startswith("/tool/static/a.css?v=")
        assert client.get(hashed).text == "p { color: red }"
        token = re.search(r'name="csrf-token" content="([^"]+)"', page.text)
        assert token is not None
        refused = client.post("/tool/save", hx=True, csrf=False)
        assert refused.status_code == 403
        saved = client.post("/tool/save", hx=True, headers={"X-CSRF-Token": token[1]})
        assert saved.status_code == 200 and "Saved." in saved.text
        assert "appkit-toasts" in saved.text


def test_a_websocket_route_under_a_prefix_goes_through_the_pipeline() -> None:
    tool = _tool()
    outer = Starlette(routes=[Mount("/tool", app=tool)])
    with Client(outer) as client:
        page = client.get("/tool/")
        # The Client finds no App inside a Starlette app, so it sends no token by itself:
        # take the page's.
        assert client.csrf_token() is None
        token = re.search(r'name="csrf-token" content="([^"]+)"', page.text)
        assert token is not None
        name = tool.sessions.cookie_name
        cookie = {"cookie": f"{name}={client.cookies[name]}"}
        with pytest.raises(WebSocketDisconnect) as refused:
            with client.websocket_connect("/tool/echo", headers=cookie) as socket:
                socket.receive_text()
        assert refused.value.code == 1008
        with client.websocket_connect(f"/tool/echo?appkit-csrf={token[1]}",
                                      headers=cookie) as socket:
            socket.send_text('{"text": "hi"}')
            assert "echo hi" in socket.receive_text()


def test_an_event_stream_under_a_prefix_is_linked_and_served() -> None:
    tool = App("tool")

    @tool.get("/")
    def index() -> Any:
        return Div(hx_ext="sse", sse_connect=ticks, sse_swap="tick")

    @tool.get("/ticks")
    async def ticks() -> Any:
        async def two() -> Any:
            for n in range(2):
                yield Event(P(f"tick {n}"), event="tick")

        return EventStream(two())

    outer = Starlette(routes=[Mount("/tool", app=tool)])
    with Client(outer) as client:
        assert 'sse-connect="/tool/ticks"' in client.get("/tool/").text
        with client.stream("GET", "/tool/ticks") as stream:
            body = "".join(stream.iter_text())
    assert "event: tick" in body and "tick 1" in body
