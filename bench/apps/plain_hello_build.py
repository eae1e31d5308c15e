"""The baseline for ``bench/build.py``: a plain pywebview + uvicorn "hello", the way a
developer would write it by hand, built with bare ``pyinstaller --onefile``.

Starlette on uvicorn in a thread on a pre-bound 127.0.0.1 socket, in a pywebview window.
With ``--headless`` it opens no window: it prints ``ready: <url>`` once uvicorn answers and
serves until killed (what the benchmark times).
"""

from __future__ import annotations

import socket
import sys
import threading
import time

import uvicorn
import webview
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route


async def index(request: object) -> HTMLResponse:
    return HTMLResponse("<!doctype html><title>Hello</title><h1>Hello</h1>")


app = Starlette(routes=[Route("/", index)])


def main() -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(2048)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/"
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.005)
    print(f"ready: {url}", flush=True)
    if "--headless" in sys.argv:
        thread.join()
        return
    webview.create_window("Hello", url)
    webview.start(gui="gtk")
    server.should_exit = True


if __name__ == "__main__":
    main()
