"""No window at all: serve, print the ready line, wait to be stopped."""

from __future__ import annotations

import threading

from shell.backends.base import WindowHooks, WindowOptions

__all__ = ["HeadlessBackend"]


class HeadlessBackend:
    """Serves only; ``run`` returns when ``close`` is called (a signal, a test)."""

    name = "headless"

    def __init__(self) -> None:
        self._closed = threading.Event()

    def check(self) -> None:
        """Always available."""

    def run(self, url: str, options: WindowOptions, hooks: WindowHooks) -> None:
        """Block until ``close``."""
        if hooks.on_shown is not None:
            hooks.on_shown()
        while not self._closed.wait(0.2):
            pass

    def close(self) -> None:
        """Make ``run`` return."""
        self._closed.set()

    def bring_to_front(self) -> None:
        """Nothing to raise."""

    def show_html(self, html: str) -> None:
        """Nothing to show it in."""

    def show_url(self, url: str) -> None:
        """Nothing to show it in (a browser tab's page comes back by itself)."""

    def current_url(self) -> str | None:
        """No window: no page."""
        return None
