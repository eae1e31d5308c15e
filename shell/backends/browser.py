"""The system browser: where there is a display but no webview runtime."""

from __future__ import annotations

import os
import sys
import webbrowser

from shell.backends.base import BackendUnavailable, WindowHooks, WindowOptions
from shell.backends.headless import HeadlessBackend

__all__ = ["BrowserBackend", "has_display"]


def has_display() -> bool:
    """True where a window can be shown (always on Windows and macOS)."""
    if sys.platform in ("win32", "darwin"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


class BrowserBackend(HeadlessBackend):
    """Opens the app in the user's browser; runs until stopped (Ctrl+C, a signal)."""

    name = "browser"

    def check(self) -> None:
        """Needs a display and a browser that ``webbrowser`` knows."""
        if not has_display():
            raise BackendUnavailable("there is no display (DISPLAY/WAYLAND_DISPLAY unset)")
        try:
            webbrowser.get()
        except webbrowser.Error:
            raise BackendUnavailable("no web browser is installed") from None

    def run(self, url: str, options: WindowOptions, hooks: WindowHooks) -> None:
        """Open ``url`` in the browser, then wait until ``close``."""
        if not webbrowser.open(url):
            raise BackendUnavailable("the web browser did not start")
        super().run(url, options, hooks)

    def bring_to_front(self) -> None:
        """A browser tab cannot be raised from here; nothing to do."""
