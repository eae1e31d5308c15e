"""The contract every window backend keeps (pywebview, the system browser, headless).

The runner starts the server, then hands the backend the URL to show; ``run`` blocks until
the window is closed (or, for backends with no window, until ``close`` is called).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from shell.errors import BackendUnavailable

__all__ = ["Backend", "BackendUnavailable", "WindowHooks", "WindowOptions", "WindowState"]




@dataclass(frozen=True)
class WindowState:
    """Where the window was and how big, remembered between launches."""

    width: int = 1024
    height: int = 768
    x: int | None = None
    y: int | None = None
    maximized: bool = False


@dataclass(frozen=True)
class WindowOptions:
    """How the window looks when it opens. ``icon``: an image file (PNG or ICO) for the
    window and the task bar; ``app_id``: the program's name for the desktop (the X11
    ``WM_CLASS`` instance, by which task bars group windows; its class is ``title``);
    ``menu``: the menu bar, as plain data (``shell.menus``; backends without a window
    ignore it)."""

    title: str
    state: WindowState = field(default_factory=WindowState)
    min_size: tuple[int, int] = (360, 240)
    background_color: str = "#FFFFFF"
    icon: str | None = None
    app_id: str | None = None
    menu: tuple[Any, ...] = ()


@dataclass
class WindowHooks:
    """What the backend reports back; every hook is optional.

    ``on_closing`` runs when the user asks to close the window; returning False keeps it
    open (an app asking "discard unsaved changes?"). ``on_state`` receives the window's
    geometry when it closes, to be remembered.
    """

    on_shown: Callable[[], None] | None = None
    on_closing: Callable[[], bool] | None = None
    on_state: Callable[[WindowState], None] | None = None


@runtime_checkable
class Backend(Protocol):
    """A way to show the app: a native window, the system browser, or nothing."""

    name: str

    def check(self) -> None:
        """Raise ``BackendUnavailable`` with the reason (and the fix) when it cannot run."""

    def run(self, url: str, options: WindowOptions, hooks: WindowHooks) -> None:
        """Show ``url``; block until the window is closed or ``close`` is called."""

    def close(self) -> None:
        """Close the window as a program would (no veto); safe from any thread."""

    def bring_to_front(self) -> None:
        """Raise the window above the others (a second launch asked for it)."""

    def show_html(self, html: str) -> None:
        """Replace the page with ``html`` (the server died: say so, with the log file)."""

    def show_url(self, url: str) -> None:
        """Load ``url`` in place of the page (back to the app after an error page)."""

    def current_url(self) -> str | None:
        """The address of the page the window shows (None without a window)."""
