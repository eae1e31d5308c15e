"""Window backends behind one contract (``Backend``), and the chooser.

``choose("auto")`` tries a native window, then the system browser, then headless, and
says why it passed over each one it did not take. Never a blank window.
"""

from __future__ import annotations

import sys

from shell.backends.base import (
    Backend,
    BackendUnavailable,
    WindowHooks,
    WindowOptions,
    WindowState,
)
from shell.backends.browser import BrowserBackend, has_display
from shell.backends.headless import HeadlessBackend
from shell.backends.webview import WebviewBackend

__all__ = [
    "Backend",
    "BackendUnavailable",
    "BrowserBackend",
    "HeadlessBackend",
    "WebviewBackend",
    "WindowHooks",
    "WindowOptions",
    "WindowState",
    "choose",
    "has_display",
    "BACKEND_NAMES",
]

BACKEND_NAMES = ("auto", "gtk", "qt", "webview", "browser", "headless")


def make(name: str, *, storage_path: str | None = None) -> Backend:
    """The backend called ``name`` (not checked)."""
    if name in ("gtk", "qt"):
        return WebviewBackend(name, storage_path)
    if name == "webview":
        return WebviewBackend(None, storage_path)
    if name == "browser":
        return BrowserBackend()
    if name == "headless":
        return HeadlessBackend()
    raise BackendUnavailable(
        f"Unknown backend {name!r}: use one of {', '.join(BACKEND_NAMES)}")


def choose(name: str = "auto", *, storage_path: str | None = None
           ) -> tuple[Backend, list[str]]:
    """The backend to use and, for ``auto``, why the ones before it were passed over.

    Raises:
        BackendUnavailable: a backend named explicitly cannot run here (the message says
            how to install it).
    """
    if name != "auto":
        backend = make(name, storage_path=storage_path)
        try:
            backend.check()
        except BackendUnavailable as exc:
            raise BackendUnavailable(f'The "{name}" backend cannot run: {exc}') from None
        return backend, []
    native = "gtk" if sys.platform == "linux" else "webview"
    reasons: list[str] = []
    for candidate in (native, "browser", "headless"):
        backend = make(candidate, storage_path=storage_path)
        try:
            backend.check()
        except BackendUnavailable as exc:
            reasons.append(f"{candidate}: {exc}")
            continue
        return backend, reasons
    raise AssertionError("headless is always available")  # pragma: no cover
