"""The server side of the development loop: runs in a child process that the window
process restarts whenever the source changes.

The parent starts the child with the listening socket among its open files and writes one
JSON line to its stdin: ``{"fd": N, "token": "...", "control_fd": M, "boot": "..."}``. The
child, once it has imported the app, says ``{"op": "loaded", ...}`` and waits for
``{"op": "go"}``: the parent first takes the instance lock, so a launch handed over to a
running copy never starts the app (its startup hooks, migrations, scheduler).
The child serves the app on that socket behind the same guard (so the window's cookie keeps
working across restarts), and writes JSON lines to the control pipe for the parent:
``{"op": "hello", "title": ..., "app_id": ...}`` once it answers, ``{"op": "front"}`` when a
second launch asks for the window.

Extra routes, for the parent and the page:
- ``POST /_shell/activate``: a second launch's argv (the app's ``on_activate`` runs here,
  where the app's state is);
- ``POST /_shell/closing``: may the window close? (the app's ``on_closing``);
- ``GET /_shell/reload``: server-sent events carrying this child's boot id; the page reloads
  itself when, after a restart, it sees a different one.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import socket
import sys
import threading
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import IO, Any

import uvicorn
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, StreamingResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shell.guard import LoopbackGuard
from shell.instance import ACTIVATE_PATH, read_activation
from shell.limits import server_config
from shell.menus import check_menu
from shell.native import Native, RemoteNative

__all__ = ["CLOSING_PATH", "RELOAD_PATH", "RESTART_ENV", "serve_child"]

CLOSING_PATH = "/_shell/closing"
RELOAD_PATH = "/_shell/reload"
#: Set (to "1") in the environment of a child started again after a change to the source:
#: its messages then say "save the file again" rather than "run the command again".
RESTART_ENV = "APPKIT_DEVLOOP_RESTART"

logger = logging.getLogger("shell")

_STOP_CHECK = 0.1  # seconds between two looks at "is the server stopping?" in a stream
_KEEP_ALIVE = 15.0  # seconds between two comments on a quiet event stream


class _Control:
    """The pipe to the parent: one JSON object a line."""

    def __init__(self, fd: int) -> None:
        self._stream: IO[str] = os.fdopen(fd, "w", buffering=1, encoding="utf-8")
        self._lock = threading.Lock()

    def send(self, **message: Any) -> None:
        with self._lock:
            try:
                self._stream.write(json.dumps(message) + "\n")
            except (OSError, ValueError):
                pass  # the parent is gone; it will end us too


def serve_child(app: ASGIApp, *, title: str, app_id: str,
                on_closing: Callable[[], bool] | None = None,
                on_activate: Callable[[list[str], str], Any] | None = None,
                on_native: Callable[[Native], None] | None = None,
                config_stream: IO[str] | None = None, icon: str | None = None,
                menu: Sequence[Mapping[str, Any]] | None = None) -> int:
    """Serve ``app`` as the development loop's child; returns the exit code. ``icon``
    (an image file) is the window's, and ``menu`` its menu bar (plain data:
    ``shell.menus``), which the parent shows.

    Reads its configuration from ``config_stream`` (stdin by default); stops on SIGTERM or
    SIGINT with a graceful shutdown.
    """
    stream = config_stream or sys.stdin
    config = json.loads(stream.readline())
    control = _Control(int(config["control_fd"]))
    # Loaded, not started: the parent first makes sure no other copy runs, then says go.
    control.send(op="loaded", title=title, app_id=app_id, icon=icon,
                 menu=check_menu(menu) if menu else None)
    try:
        go = json.loads(stream.readline() or "{}")
    except ValueError:
        go = {}
    if go.get("op") != "go":
        return 0  # handed over to a running copy, or the parent is gone
    sock = socket.socket(fileno=int(config["fd"]))
    boot = str(config["boot"])
    native = RemoteNative(control.send)
    if on_native is not None:
        on_native(native)

    async def activate(request: Request) -> JSONResponse:
        argv, cwd = await read_activation(request)
        control.send(op="front")
        if on_activate is not None:
            await run_in_threadpool(on_activate, argv, cwd)
        return JSONResponse({"ok": True})

    async def closing(request: Request) -> JSONResponse:
        allow = True
        if on_closing is not None:
            allow = await run_in_threadpool(on_closing) is not False
        return JSONResponse({"allow": allow})

    async def reload_events(request: Request) -> StreamingResponse:
        async def events() -> AsyncIterator[bytes]:
            yield f"retry: 250\ndata: {boot}\n\n".encode()
            # The stream ends as soon as the server is asked to stop: an open one would
            # hold the graceful shutdown (and the reload) until its timeout. The page's
            # EventSource then reconnects, to the next server, and sees its new boot id.
            quiet = 0.0
            while not server.should_exit:
                await asyncio.sleep(_STOP_CHECK)
                quiet += _STOP_CHECK
                if quiet >= _KEEP_ALIVE:
                    quiet = 0.0
                    yield b": keep-alive\n\n"

        return StreamingResponse(events(), media_type="text/event-stream",
                                 headers={"cache-control": "no-cache"})

    control_app = Starlette(routes=[
        Route(ACTIVATE_PATH, activate, methods=["POST"]),
        Route(CLOSING_PATH, closing, methods=["POST"]),
        Route(RELOAD_PATH, reload_events),
    ])
    own_paths = {ACTIVATE_PATH, CLOSING_PATH, RELOAD_PATH}
    stopping = asyncio.Event()

    async def host(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        target = control_app if scope["path"] in own_paths else app
        await _ending_at_stop(target, scope, receive, send, stopping)

    guard = LoopbackGuard(host, str(config["token"]), host_name=config.get("host_name"))
    server = uvicorn.Server(server_config(
        guard, log_level="info", access_log=True,
        lifespan="on", log_config=None, timeout_graceful_shutdown=5))

    def stop(signum: int, frame: Any) -> None:
        server.should_exit = True

    async def main() -> None:
        async def announce() -> None:
            while not server.started:
                await asyncio.sleep(0.01)
            control.send(op="hello", title=title, app_id=app_id, pid=os.getpid())

        async def watch_stop() -> None:
            while not server.should_exit:
                await asyncio.sleep(_STOP_CHECK)
            stopping.set()

        announcing = asyncio.create_task(announce())
        watching = asyncio.create_task(watch_stop())
        try:
            # Not a task of its own: uvicorn ends a failed startup with SystemExit, which
            # must reach asyncio.run (and the except below) rather than sit in a task.
            await server.serve(sockets=[sock])
        finally:
            announcing.cancel()
            watching.cancel()

    def watch_parent() -> None:
        # The parent answers native calls on our stdin, and keeps it open for as long as it
        # lives: end of file means it is gone (even killed with SIGKILL), and a server
        # nobody can see must not keep running.
        for line in stream:
            try:
                native.deliver(json.loads(line))
            except ValueError:
                continue
        native.close()
        server.should_exit = True
        threading.Event().wait(10)
        os._exit(1)  # the graceful stop did not finish in time

    # uvicorn captures SIGINT/SIGTERM while serving and, once stopped, raises them again
    # into the handlers it found: these, which only ask it to stop (no exit -15).
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    threading.Thread(target=watch_parent, name="child-parent-watch", daemon=True).start()
    try:
        with asyncio.Runner(loop_factory=server.config.get_loop_factory()) as runner:
            runner.run(main())
    except SystemExit:
        # uvicorn exits this way when the app's startup fails; it has logged why.
        return 1
    finally:
        sock.close()
    return 0 if server.started else 1


async def _ending_at_stop(target: ASGIApp, scope: Scope, receive: Receive, send: Send,
                          stopping: asyncio.Event) -> None:
    """Call ``target`` for an HTTP request, ending it once the server is stopping.

    A restart stops the server gracefully, and the graceful stop waits for every open
    request; a page's event streams (``/_shell/reload``, and the app's own, like the jobs
    dashboard's) wait for a disconnect that would only come when the page goes away, so they
    would hold the restart until uvicorn's timeout, and be cancelled with an ERROR then.
    Here, once the server is stopping, a request waiting for the client's next message
    hears that the client has gone (``http.disconnect``), and a response its app left open
    is ended. The page's EventSource reconnects by itself, to the next server.
    """
    started = complete = False

    async def receive_or_stop() -> Message:
        if stopping.is_set():
            return {"type": "http.disconnect"}
        message = asyncio.ensure_future(receive())
        stop = asyncio.ensure_future(stopping.wait())
        try:
            await asyncio.wait({message, stop}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop.cancel()
            if not message.done():
                message.cancel()
        if message.done() and not message.cancelled():
            return message.result()
        return {"type": "http.disconnect"}

    async def tracking_send(message: Message) -> None:
        nonlocal started, complete
        if message["type"] == "http.response.start":
            started = True
        elif message["type"] == "http.response.body" and not message.get("more_body"):
            complete = True
        await send(message)

    await target(scope, receive_or_stop, tracking_send)
    if stopping.is_set() and started and not complete:
        await send({"type": "http.response.body", "body": b"", "more_body": False})
