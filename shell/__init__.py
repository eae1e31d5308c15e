"""The desktop host: runs any ASGI app on loopback inside a native window.

    import shell
    shell.run(asgi_app, title="Notes", app_id="notes")

It imports nothing from ``appkit``: it hosts a Starlette, FastAPI or FastHTML app as well.
The server runs in a thread on 127.0.0.1 behind the loopback guard (a per-launch token, Host
and Origin checks); the window is a pywebview window, or the system browser, or nothing
(headless), chosen by ``auto``; a second launch hands its arguments to the first.
"""

from __future__ import annotations

from shell.backends import Backend, BackendUnavailable, WindowHooks, WindowOptions, WindowState
from shell.guard import LoopbackGuard, new_token
from shell.instance import InstanceLock
from shell.paths import AppDirs
from shell.runner import ShellError, run
from shell.server import LoopbackServer, ServerError, bind_loopback

__all__ = [
    "AppDirs",
    "Backend",
    "BackendUnavailable",
    "InstanceLock",
    "LoopbackGuard",
    "LoopbackServer",
    "ServerError",
    "ShellError",
    "WindowHooks",
    "WindowOptions",
    "WindowState",
    "bind_loopback",
    "new_token",
    "run",
]
