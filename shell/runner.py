"""``shell.run``: host any ASGI app in a native window, on a guarded loopback server.

    import shell
    shell.run(starlette_app, title="Notes", app_id="notes")

Main thread: the GUI loop. One server thread: uvicorn on 127.0.0.1, a port the OS picked.
Closing the window stops the server (lifespan shutdown runs, bounded) and ``run`` returns;
SIGINT/SIGTERM close the window the same way. A second launch hands its argv to the first
and returns at once.
"""

from __future__ import annotations

import html
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import asdict, replace
from pathlib import Path
from types import FrameType
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from shell.backends import Backend, BackendUnavailable, WindowHooks, WindowOptions, WindowState
from shell.backends import choose as choose_backend
from shell.errors import ShellError
from shell.guard import DEFAULT_CSP, TOKEN_PARAM, LoopbackGuard, new_host_name, new_token
from shell.instance import ACTIVATE_PATH, InstanceLock, forward_to_running, read_activation
from shell.logs import setup_logging, teardown_logging
from shell.menus import MenuData, check_menu
from shell.native import Native, WindowNative
from shell.paths import AppDirs, write_private
from shell.server import LoopbackServer, ServerError

__all__ = ["run", "ShellError", "FORWARDED"]

#: What a second launch prints after handing its arguments to the running copy.
FORWARDED = "forwarded: the app is already running; it got this launch's arguments"

logger = logging.getLogger("shell")

Activate = Callable[[list[str], str], Any]

#: The backends that open a window (which may start loading before the server answers).
_WINDOWS = frozenset({"gtk", "qt", "webview"})




def run(
    app: ASGIApp,
    *,
    title: str,
    app_id: str | None = None,
    backend: str | Backend = "auto",
    argv: Sequence[str] | None = None,
    on_closing: Callable[[], bool] | None = None,
    on_activate: Activate | None = None,
    shutdown_timeout: float = 5.0,
    console_log: bool | None = None,
    announce: Callable[[str], None] | None = None,
    on_native: Callable[[Native], None] | None = None,
    content_security_policy: str | None = DEFAULT_CSP,
    icon: str | os.PathLike[str] | None = None,
    menu: MenuData | None = None,
) -> int:
    """Show ``app`` in a window; block until it closes. Returns the exit code (0).

    Args:
        app: any ASGI application (Starlette, FastAPI, an appkit App...).
        title: the window's title.
        app_id: names the app's folders and its single instance (default: the title).
        backend: ``auto`` (window, else browser, else headless), ``gtk``, ``qt``,
            ``webview``, ``browser`` or ``headless``; or a ``Backend`` instance.
        argv: this launch's arguments, forwarded to the running copy on a second launch.
        on_closing: called when the user closes the window; return False to keep it open.
        on_activate: called with ``(argv, cwd)`` when a later launch forwards to this one.
        shutdown_timeout: seconds the server gets to finish when the window closes.
        console_log: log to stderr too (default: when stderr is a terminal).
        announce: where the ``ready: <url>`` line goes (default: stdout).
        on_native: receives the window's native features (dialogs...) before the server
            starts, for the app's handlers to use.
        content_security_policy: the policy the guard adds to answers without one of their
            own (``shell.guard.DEFAULT_CSP``; None for none; frames stay refused).
        icon: an image file (PNG or ICO) for the window and the task bar.
        menu: the window's menu bar, as plain data (see ``shell.menus``): choosing an
            item sends the page a ``shell:menu`` event with the item's action.

    Raises:
        ShellError: the server did not start, the backend named cannot run here, or the
            menu is malformed.
    """
    menu_bar = tuple(check_menu(menu)) if menu else ()
    dirs = AppDirs(app_id or title)
    log_file = setup_logging(dirs.logs / "app.log", console=console_log)
    argv = list(sys.argv if argv is None else argv)
    say = announce or _print_line

    lock = InstanceLock(dirs.runtime)
    while not lock.acquire():
        try:
            forwarded = forward_to_running(lock, argv, os.getcwd())
        except TimeoutError as exc:
            teardown_logging()
            raise ShellError(str(exc)) from None
        if forwarded:
            logger.info("Handed this launch to the running copy of %s", title)
            say(FORWARDED)
            teardown_logging()
            return 0
    try:
        try:
            if isinstance(backend, str):
                chosen, reasons = choose_backend(backend,
                                                 storage_path=str(dirs.cache / "webview"))
            else:
                backend.check()
                chosen, reasons = backend, []
        except BackendUnavailable as exc:
            raise ShellError(str(exc), usage=True) from None
        if on_native is not None:
            on_native(native_of(chosen))
        for reason in reasons:
            logger.warning("Not using the %s", reason)
        if reasons:
            say(f"backend: {chosen.name} ({'; '.join(reasons)})")
        options = WindowOptions(title, icon=None if icon is None else os.fspath(icon),
                                app_id=app_id or title, menu=menu_bar)
        return _serve_and_show(app, chosen, dirs, lock, log_file, options, on_closing,
                               on_activate, shutdown_timeout, say, content_security_policy)
    finally:
        lock.release()
        teardown_logging()


def _serve_and_show(app: ASGIApp, backend: Backend, dirs: AppDirs, lock: InstanceLock,
                    log_file: Path, options: WindowOptions,
                    on_closing: Callable[[], bool] | None,
                    on_activate: Activate | None, shutdown_timeout: float,
                    say: Callable[[str], None], csp: str | None) -> int:
    token = new_token()
    host_name = launch_host_name()

    async def activate(request: Request) -> JSONResponse:
        args, cwd = await read_activation(request)
        logger.info("A second launch forwarded its arguments: %s", args[1:])
        backend.bring_to_front()
        if on_activate is not None:
            await run_in_threadpool(on_activate, args, cwd)
        return JSONResponse({"ok": True})

    control = Starlette(routes=[Route(ACTIVATE_PATH, activate, methods=["POST"])])

    async def host(scope: Scope, receive: Receive, send: Send) -> None:
        # The app gets everything else, lifespan included (a Mount would not pass it on).
        if scope["type"] == "http" and scope["path"] == ACTIVATE_PATH:
            await control(scope, receive, send)
        else:
            await app(scope, receive, send)

    guard = LoopbackGuard(host, token, host_name=host_name, content_security_policy=csp)
    server = LoopbackServer(guard, shutdown_timeout=shutdown_timeout, log_level="info",
                            access_log=True)
    # Handlers go in before the ready line: whoever reads it may signal at once.
    previous = _install_signal_handlers(backend)
    try:
        return _show(server, backend, dirs, lock, log_file, options, token, host_name,
                     on_closing, shutdown_timeout, say)
    finally:
        _restore_signal_handlers(previous)


def _show(server: LoopbackServer, backend: Backend, dirs: AppDirs, lock: InstanceLock,
          log_file: Path, options: WindowOptions, token: str, host_name: str | None,
          on_closing: Callable[[], bool] | None, shutdown_timeout: float,
          say: Callable[[str], None]) -> int:
    # A window starts loading while the server starts: its first request waits in the
    # socket's backlog until the app's startup is done. Without a window (browser,
    # headless) nothing is shown or announced before the app answers.
    overlap = backend.name in _WINDOWS
    try:
        url = server.begin() if overlap else server.start()
    except (ServerError, OSError) as exc:
        raise ShellError(f"The app's server did not start: {exc}. See {log_file}") from exc
    port = int(url.rstrip("/").rsplit(":", 1)[1])
    ready_url = f"{url}?{TOKEN_PARAM}={token}"
    window_url = launch_url(port, token, host_name)
    failed: list[ServerError] = []

    def announce() -> None:
        if overlap:
            try:
                server.wait_started()
            except ServerError as exc:
                # The watchdog shows the error page (naming the log file) in the window;
                # closing the socket ends the page request waiting in its backlog.
                logger.error("The app's server did not start: %s", exc)
                failed.append(exc)
                server.stop()
                return
        lock.publish(port, token)
        say(f"ready: {ready_url}")

    if overlap:
        threading.Thread(target=announce, name="shell-ready", daemon=True).start()
    else:
        announce()

    state_file = dirs.config / "window.json"
    stopping = threading.Event()
    watchdog = threading.Thread(target=_watch_server, name="shell-watchdog", daemon=True,
                                args=(server, backend, stopping, log_file))
    try:
        watchdog.start()
        backend.run(window_url, replace(options, state=_load_state(state_file)), WindowHooks(
            on_closing=on_closing,
            on_state=lambda state: write_private(state_file, json.dumps(asdict(state))),
        ))
    finally:
        stopping.set()
        stopped = server.stop()
        if not stopped:
            logger.error("The server did not stop within %.1f s", shutdown_timeout)
    return 1 if failed else 0


def launch_host_name() -> str | None:
    """The secret host name the window or browser opens the app on (``new_host_name``),
    or None on macOS, where WKWebView and Safari are not known to resolve ``*.localhost``
    (there the window opens 127.0.0.1, and its cookie is set there)."""
    return None if sys.platform == "darwin" else new_host_name()


def launch_url(port: int, token: str, host_name: str | None) -> str:
    """The address the window or browser opens: the token exchange, on the secret host
    name when there is one."""
    return f"http://{host_name or '127.0.0.1'}:{port}/?{TOKEN_PARAM}={token}"


def native_of(backend: Backend) -> Native:
    """The native features of ``backend``'s window (dialogs fail clearly without one)."""
    return WindowNative(lambda: getattr(backend, "window", None), backend.name)


def _watch_server(server: LoopbackServer, backend: Backend, stopping: threading.Event,
                  log_file: Path) -> None:
    while not stopping.wait(0.5):
        if not server.running:
            if stopping.is_set():
                return
            logger.error("The app's server stopped unexpectedly")
            backend.show_html(_server_died_page(log_file))
            return


def _server_died_page(log_file: Path) -> str:
    return (
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<title>The app stopped</title></head><body style=\"font-family: sans-serif; "
        "max-width: 36rem; margin: 3rem auto\"><h1>The app stopped working</h1>"
        "<p>Its server ended unexpectedly. Close this window and start the app again.</p>"
        f"<p>The details are in the log file:<br><code>{html.escape(str(log_file))}</code>"
        "</p></body></html>"
    )


def _load_state(path: Path) -> WindowState:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        state = WindowState(**{k: data[k] for k in ("width", "height", "x", "y", "maximized")
                               if k in data})
        if state.width < 200 or state.height < 150:
            return WindowState()
        return state
    except (OSError, ValueError, TypeError):
        return WindowState()


_Handler = Any


def _install_signal_handlers(backend: Backend) -> dict[int, _Handler]:
    if threading.current_thread() is not threading.main_thread():
        return {}

    def close(signum: int, frame: FrameType | None) -> None:
        logger.info("Closing on signal %s", signal.Signals(signum).name)
        backend.close()

    previous: dict[int, _Handler] = {}
    for signum in (signal.SIGINT, signal.SIGTERM):
        previous[signum] = signal.signal(signum, close)
    return previous


def _restore_signal_handlers(previous: dict[int, _Handler]) -> None:
    for signum, handler in previous.items():
        signal.signal(signum, handler)


def _print_line(line: str) -> None:
    print(line, flush=True)
