"""Native features for the app's server side: file dialogs, confirm and alert, the window's
title and size, and the system's handler for URLs and files.

Every call blocks until the user answers, so call it from a worker thread (appkit's
``app.dialogs`` does). In the packaged app the calls go straight to the window
(``WindowNative``); in development the server runs in a child process and they travel to the
window process and back (``RemoteNative``, served there by ``answer``).
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import threading
import webbrowser
from collections.abc import Callable, Sequence
from typing import Any, Protocol, runtime_checkable

from shell.errors import NativeUnavailable

__all__ = ["Native", "NativeUnavailable", "RemoteNative", "WindowNative", "answer", "METHODS"]

#: What may be called through ``answer`` (nothing else of the window is reachable).
METHODS = frozenset({"open_file", "save_file", "select_folder", "confirm", "alert",
                     "set_title", "minimize", "maximize", "restore", "toggle_fullscreen",
                     "open_url", "open_path"})




@runtime_checkable
class Native(Protocol):
    """The native features; every method blocks until done or answered."""

    def open_file(self, *, directory: str = "", multiple: bool = False,
                  file_types: Sequence[str] = ()) -> list[str] | None:
        """Ask for one file (or several); None when cancelled."""

    def save_file(self, *, filename: str = "", directory: str = "",
                  file_types: Sequence[str] = ()) -> str | None:
        """Ask where to save; None when cancelled."""

    def select_folder(self, *, directory: str = "") -> str | None:
        """Ask for a folder; None when cancelled."""

    def confirm(self, message: str, title: str = "") -> bool:
        """Ask a yes/no question; False when cancelled."""

    def alert(self, message: str, title: str = "") -> None:
        """Tell the user something and wait until they dismiss it."""

    def set_title(self, title: str) -> None:
        """Change the window's title."""

    def minimize(self) -> None:
        """Minimise the window."""

    def maximize(self) -> None:
        """Maximise the window."""

    def restore(self) -> None:
        """Restore the window from minimised or maximised."""

    def toggle_fullscreen(self) -> None:
        """Enter or leave full screen."""

    def open_url(self, url: str) -> None:
        """Open a web address in the system's browser."""

    def open_path(self, path: str) -> None:
        """Open a file or folder with the system's handler for it."""


class _System:
    """What works without a window: the system's handlers."""

    def open_url(self, url: str) -> None:
        if not url.startswith(("http://", "https://", "mailto:")):
            raise ValueError(f"Only http, https and mailto addresses open outside: {url!r}")
        webbrowser.open(url)

    def open_path(self, path: str) -> None:
        if not os.path.exists(path):
            raise FileNotFoundError(f"There is nothing at {path!r} to open")
        if sys.platform == "win32":
            os.startfile(path)  # type: ignore[attr-defined]  # noqa: S606
        else:
            opener = "open" if sys.platform == "darwin" else "xdg-open"
            subprocess.Popen([opener, path], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, start_new_session=True)


class WindowNative(_System):
    """The native features of a window in this process.

    Args:
        window: a callable giving the pywebview window, or None while there is none (the
            backend's ``window`` property).
        backend_name: named in the message when there is no window.
    """

    def __init__(self, window: Callable[[], Any], backend_name: str) -> None:
        self._window = window
        self._backend_name = backend_name

    def _get(self) -> Any:
        window = self._window()
        if window is None:
            raise NativeUnavailable(
                f"This needs the app's native window, and it runs with the "
                f'"{self._backend_name}" backend, which has none')
        return window

    def open_file(self, *, directory: str = "", multiple: bool = False,
                  file_types: Sequence[str] = ()) -> list[str] | None:
        import webview

        result = self._get().create_file_dialog(webview.FileDialog.OPEN, directory, multiple,
                                                "", tuple(file_types))
        return list(result) if result else None

    def save_file(self, *, filename: str = "", directory: str = "",
                  file_types: Sequence[str] = ()) -> str | None:
        import webview

        result = self._get().create_file_dialog(webview.FileDialog.SAVE, directory, False,
                                                filename, tuple(file_types))
        if not result:
            return None
        return str(result if isinstance(result, str) else result[0])

    def select_folder(self, *, directory: str = "") -> str | None:
        import webview

        result = self._get().create_file_dialog(webview.FileDialog.FOLDER, directory)
        return str(result[0]) if result else None

    def confirm(self, message: str, title: str = "") -> bool:
        return bool(self._get().create_confirmation_dialog(title, message))

    def alert(self, message: str, title: str = "") -> None:
        text = f"{title}\n\n{message}" if title else message
        self._get().evaluate_js(f"alert({json.dumps(text)})")

    def set_title(self, title: str) -> None:
        self._get().set_title(title)

    def minimize(self) -> None:
        from shell.backends.webview import minimize_window

        minimize_window(self._get())

    def maximize(self) -> None:
        self._get().maximize()

    def restore(self) -> None:
        from shell.backends.webview import restore_window

        restore_window(self._get())

    def toggle_fullscreen(self) -> None:
        self._get().toggle_fullscreen()


class RemoteNative(_System):
    """The native features of a window in the parent process (the development loop).

    Args:
        send: writes one request (a dict) to the parent.
    """

    def __init__(self, send: Callable[..., None]) -> None:
        self._send = send
        self._ids = itertools.count(1)
        self._pending: dict[int, tuple[threading.Event, list[Any]]] = {}
        self._lock = threading.Lock()
        self._gone = False

    def _call(self, method: str, **kwargs: Any) -> Any:
        done = threading.Event()
        slot: list[Any] = []
        with self._lock:
            if self._gone:
                raise NativeUnavailable("The app's window is gone")
            call_id = next(self._ids)
            self._pending[call_id] = (done, slot)
        self._send(op="native", id=call_id, method=method, kwargs=kwargs)
        done.wait()
        reply = slot[0]
        if "error" in reply:
            raise NativeUnavailable(reply["error"])
        return reply.get("result")

    def deliver(self, reply: dict[str, Any]) -> None:
        """Hand the parent's answer to the waiting call."""
        with self._lock:
            pending = self._pending.pop(int(reply.get("id", 0)), None)
        if pending is not None:
            pending[1].append(reply)
            pending[0].set()

    def close(self) -> None:
        """The parent is gone: fail every waiting call."""
        with self._lock:
            self._gone = True
            pending, self._pending = self._pending, {}
        for done, slot in pending.values():
            slot.append({"error": "The app's window is gone"})
            done.set()

    def open_file(self, *, directory: str = "", multiple: bool = False,
                  file_types: Sequence[str] = ()) -> list[str] | None:
        result = self._call("open_file", directory=directory, multiple=multiple,
                            file_types=list(file_types))
        return None if result is None else [str(p) for p in result]

    def save_file(self, *, filename: str = "", directory: str = "",
                  file_types: Sequence[str] = ()) -> str | None:
        result = self._call("save_file", filename=filename, directory=directory,
                            file_types=list(file_types))
        return None if result is None else str(result)

    def select_folder(self, *, directory: str = "") -> str | None:
        result = self._call("select_folder", directory=directory)
        return None if result is None else str(result)

    def confirm(self, message: str, title: str = "") -> bool:
        return bool(self._call("confirm", message=message, title=title))

    def alert(self, message: str, title: str = "") -> None:
        self._call("alert", message=message, title=title)

    def set_title(self, title: str) -> None:
        self._call("set_title", title=title)

    def minimize(self) -> None:
        self._call("minimize")

    def maximize(self) -> None:
        self._call("maximize")

    def restore(self) -> None:
        self._call("restore")

    def toggle_fullscreen(self) -> None:
        self._call("toggle_fullscreen")


def answer(native: Native, request: dict[str, Any]) -> dict[str, Any]:
    """Carry out a ``RemoteNative`` request on this process's window; the reply to send
    back. Only the methods in ``METHODS`` can be called."""
    method = str(request.get("method", ""))
    reply: dict[str, Any] = {"id": request.get("id")}
    if method not in METHODS:
        reply["error"] = f"Unknown native method {method!r}"
        return reply
    try:
        reply["result"] = getattr(native, method)(**dict(request.get("kwargs") or {}))
    except (NativeUnavailable, ValueError, OSError, TypeError) as exc:
        reply["error"] = str(exc)
    return reply
