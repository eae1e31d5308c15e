"""The hello example without appkit: Starlette served by uvicorn in a thread, in a pywebview
GTK window. This is the baseline for ``bench/startup.py``.

It is written the way a developer would write it by hand. Its page has the same bytes as
``examples/hello/app.py``'s: the same head, with the same content-hashed URLs, and the same
body. The assets come from ``appkit/static`` (read as files; appkit is not imported). The
window is the same size as appkit's (1024x768). Nothing else is added: there is no launch
token, no single-instance lock, no log file, no remembered geometry and no signal handling.
pywebview's defaults apply, so the web engine runs in private mode (ephemeral storage),
where appkit keeps its storage in the app's cache folder.

    .venv/bin/python bench/apps/plain_webview.py
"""

from __future__ import annotations

import hashlib
import secrets
import socket
import threading
import time
from html import escape
from pathlib import Path

import uvicorn
import webview
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

STATIC = Path(__file__).resolve().parents[2] / "appkit" / "static"
TITLE = "hello"  # the window's title, as appkit's (the App's name)


def _asset(path: str) -> str:
    digest = hashlib.sha256((STATIC / path).read_bytes()).hexdigest()[:12]
    return f"/_appkit/{path}?v={digest}"


HEAD = (
    '<meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">'
    # appkit's pages carry the session's CSRF token; so does this one (a fresh random one,
    # as appkit makes for a first visit), so that both send the same bytes.
    '<meta name="csrf-token" content="{token}">'
    + "".join(f'<link rel="stylesheet" href="{_asset(p)}">'
              for p in ("vendor/pico.min.css", "appkit.css"))
    + "".join(f'<script src="{_asset(p)}" defer></script>'
              for p in ("vendor/htmx.min.js", "vendor/ext/sse.js", "vendor/ext/ws.js",
                        "appkit.js"))
)

PAGE = (
    f'<!doctype html><html lang="en"><head>{HEAD}<title>Hello</title></head><body>'
    '<main class="container"><h1>Hello</h1>'
    '<form hx-get="/greet" hx-target="#greeting"><input name="name" placeholder="Your name">'
    '<button>Greet</button></form><div id="greeting"></div></main></body></html>'
)


async def index(request: Request) -> HTMLResponse:
    return HTMLResponse(PAGE.replace("{token}", secrets.token_urlsafe(32), 1))


async def greet(request: Request) -> HTMLResponse:
    name = request.query_params.get("name") or "world"
    return HTMLResponse(f"<p>Hello, {escape(name)}!</p>")


app = Starlette(routes=[
    Route("/", index),
    Route("/greet", greet),
    Mount("/_appkit", app=StaticFiles(directory=STATIC)),
])


def main() -> None:
    # Bind first, so the port is ours before the window asks for it.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(2048)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise SystemExit("The server did not start")
        time.sleep(0.01)
    port = sock.getsockname()[1]

    webview.create_window(TITLE, f"http://127.0.0.1:{port}/", width=1024, height=768)
    webview.start(gui="gtk")

    server.should_exit = True
    thread.join(5)


if __name__ == "__main__":
    main()
