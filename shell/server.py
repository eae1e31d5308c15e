"""The loopback server: uvicorn in a thread, on a socket the OS bound to a free port on
127.0.0.1 before uvicorn starts (so no two processes race for a port).

    server = LoopbackServer(asgi_app)
    url = server.start()          # returns once the app answers (lifespan startup done)
    ...
    server.stop()                 # graceful: lifespan shutdown runs, bounded by a deadline
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from typing import Any

import uvicorn

from shell.errors import ServerError
from shell.limits import server_config

__all__ = ["LoopbackServer", "ServerError", "bind_loopback"]

logger = logging.getLogger("shell")




def bind_loopback(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """A listening TCP socket on ``host``; port 0 lets the OS pick a free one."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


class LoopbackServer:
    """Runs an ASGI app with uvicorn in a background thread on a loopback socket.

    Args:
        app: the ASGI application.
        host: the loopback address to bind.
        port: 0 for a free port chosen by the OS.
        shutdown_timeout: seconds that open connections get to finish when stopping.
        log_level: uvicorn's log level.
        access_log: log each request.
    """

    def __init__(self, app: Any, *, host: str = "127.0.0.1", port: int = 0,
                 shutdown_timeout: float = 5.0, log_level: str = "warning",
                 access_log: bool = False) -> None:
        self.app = app
        self.host = host
        self.port = port
        self.shutdown_timeout = shutdown_timeout
        self.config = server_config(
            app, log_level=log_level, access_log=access_log, lifespan="on",
            timeout_graceful_shutdown=int(max(1, shutdown_timeout)), log_config=None,
        )
        self._server = uvicorn.Server(self.config)
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None
        self._error: BaseException | None = None

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>/`` once started."""
        if self._sock is None:
            raise ServerError("The server has not been started")
        host, port = self._sock.getsockname()[:2]
        return f"http://{host}:{port}/"

    def start(self, timeout: float = 30.0) -> str:
        """Start serving; returns the URL once the app's startup has finished.

        Raises:
            ServerError: startup failed or took longer than ``timeout`` seconds.
        """
        self.begin()
        return self.wait_started(timeout)

    def begin(self) -> str:
        """Bind the socket and start the server thread; returns the URL at once. A request
        made before the app's startup has finished waits in the socket's backlog (so a
        window can start loading while the server starts)."""
        self._sock = bind_loopback(self.host, self.port)
        self._thread = threading.Thread(target=self._run, name="appkit-server", daemon=True)
        self._thread.start()
        return self.url

    def wait_started(self, timeout: float = 30.0) -> str:
        """Wait until the server started by ``begin`` answers; returns its URL.

        Raises:
            ServerError: startup failed or took longer than ``timeout`` seconds.
        """
        if self._thread is None:
            raise ServerError("The server has not been started")
        self._thread.join(0)
        waited = 0.0
        while not self._server.started:
            if not self._thread.is_alive():
                raise ServerError(f"The server stopped during start-up: {self._error!r}"
                                  if self._error else
                                  "The server stopped during start-up (see the log above)")
            if waited >= timeout:
                self.stop()
                raise ServerError(f"The server did not start within {timeout:g} s")
            self._thread.join(0.01)
            waited += 0.01
        return self.url

    def _run(self) -> None:
        if self._sock is None:
            return
        try:
            # uvicorn's own loop choice (uvloop where installed): plain asyncio.run would
            # skip it, and the stock loop answered a page's first asset ~50 ms later.
            with asyncio.Runner(loop_factory=self.config.get_loop_factory()) as runner:
                runner.run(self._server.serve(sockets=[self._sock]))
        except SystemExit as exc:
            # uvicorn exits this way when the app's startup fails; it has logged why.
            self._error = exc
        except BaseException as exc:  # reported to start() / stop(), then the thread ends
            self._error = exc
            logger.exception("The server failed")

    @property
    def running(self) -> bool:
        """True while the server thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the server stops on its own or ``timeout`` passes; True if stopped."""
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def stop(self) -> bool:
        """Ask the server to stop and wait for it (lifespan shutdown runs), at most
        ``shutdown_timeout`` seconds plus a second; True if it stopped in time."""
        self._server.should_exit = True
        stopped = self.wait(self.shutdown_timeout + 1.0)
        if not stopped:
            self._server.force_exit = True
            stopped = self.wait(1.0)
        if self._sock is not None:
            self._sock.close()
        return stopped
