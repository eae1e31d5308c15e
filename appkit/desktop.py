"""The desktop from a handler: ``app.dialogs`` and ``app.window``.

    @app.post("/import")
    async def import_file():
        path = await app.dialogs.open_file(file_types=["CSV files (*.csv)"])
        if path is None:
            return P("Nothing imported.")
        ...

They work in the packaged app (``App.run()``) and in development (``appkit run``, where the
server runs in a child process and each call travels to the window process and back). With
no native window (browser or headless mode, or an in-process test client) they raise
``WindowUnavailable``; ``open_url`` and ``open_path`` work everywhere.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, cast

from starlette.concurrency import run_in_threadpool

from appkit.errors import AppkitError, ConfigurationError, WindowUnavailable
from appkit.html import Element, Script

__all__ = ["DesktopApp", "Dialogs", "Window"]

Getter = Callable[[], Any]


async def _call(native: Getter, method: str, *args: Any, **kwargs: Any) -> Any:
    from shell.native import NativeUnavailable

    target = native()
    if target is None:
        raise WindowUnavailable(
            "The app is not running in a window: native features need App.run() or "
            "`appkit run` (not the test client or a plain ASGI server)")
    try:
        # The call waits for the user; a worker thread keeps the server answering.
        return await run_in_threadpool(getattr(target, method), *args, **kwargs)
    except NativeUnavailable as exc:
        raise WindowUnavailable(str(exc)) from None


class Dialogs:
    """Native dialogs; each waits for the user's answer."""

    def __init__(self, native: Getter) -> None:
        self._native = native

    async def open_file(self, *, directory: str | Path = "",
                        file_types: Sequence[str] = ()) -> Path | None:
        """Ask for a file to open; None when cancelled. ``file_types`` are like
        ``"CSV files (*.csv)"``."""
        result = await _call(self._native, "open_file", directory=str(directory),
                             multiple=False, file_types=list(file_types))
        return Path(result[0]) if result else None

    async def open_files(self, *, directory: str | Path = "",
                         file_types: Sequence[str] = ()) -> list[Path]:
        """Ask for one or more files; an empty list when cancelled."""
        result = await _call(self._native, "open_file", directory=str(directory),
                             multiple=True, file_types=list(file_types))
        return [Path(p) for p in result or []]

    async def save_file(self, *, filename: str = "", directory: str | Path = "",
                        file_types: Sequence[str] = ()) -> Path | None:
        """Ask where to save; None when cancelled."""
        result = await _call(self._native, "save_file", filename=filename,
                             directory=str(directory), file_types=list(file_types))
        return Path(result) if result else None

    async def select_folder(self, *, directory: str | Path = "") -> Path | None:
        """Ask for a folder; None when cancelled."""
        result = await _call(self._native, "select_folder", directory=str(directory))
        return Path(result) if result else None

    async def confirm(self, message: str, *, title: str = "") -> bool:
        """Ask a yes/no question; False when the user says no or closes it."""
        return bool(await _call(self._native, "confirm", message, title))

    async def alert(self, message: str, *, title: str = "") -> None:
        """Show a message and wait until the user dismisses it."""
        await _call(self._native, "alert", message, title)


class Window:
    """The app's window, and the system's handlers for addresses and files."""

    def __init__(self, native: Getter) -> None:
        self._native = native

    async def set_title(self, title: str) -> None:
        """Change the window's title."""
        await _call(self._native, "set_title", title)

    async def minimize(self) -> None:
        """Minimise the window."""
        await _call(self._native, "minimize")

    async def maximize(self) -> None:
        """Maximise the window."""
        await _call(self._native, "maximize")

    async def restore(self) -> None:
        """Bring the window back from minimised or maximised."""
        await _call(self._native, "restore")

    async def toggle_fullscreen(self) -> None:
        """Enter or leave full screen."""
        await _call(self._native, "toggle_fullscreen")

    async def open_url(self, url: str) -> None:
        """Open an http(s) or mailto address in the system's browser (works everywhere)."""
        from shell.native import WindowNative

        target = self._native() or WindowNative(lambda: None, "none")
        await run_in_threadpool(target.open_url, url)

    async def open_path(self, path: str | Path) -> None:
        """Open a file or folder with the system's handler (works everywhere).

        Raises:
            FileNotFoundError: there is nothing at ``path``.
        """
        from shell.native import WindowNative

        target = self._native() or WindowNative(lambda: None, "none")
        await run_in_threadpool(target.open_path, str(path))


class DesktopApp:
    """What an ``App`` offers for its window: ``run()``, ``dialogs``, ``window``,
    ``on_closing`` and ``on_activate`` (a part of ``App``)."""

    title: str
    name: str
    icon: Path
    _on_closing: Callable[[], bool] | None = None
    _on_activate: Callable[[list[str], str], Any] | None = None
    _native: Any = None
    _menus: tuple[Any, ...] | None = None

    @property
    def dialogs(self) -> Dialogs:
        """Native dialogs, from handlers: ``path = await app.dialogs.open_file()``."""
        return Dialogs(lambda: self._native)

    @property
    def window(self) -> Window:
        """The window and the system's handlers: ``await app.window.set_title("Report")``."""
        return Window(lambda: self._native)

    def on_closing(self, fn: Callable[[], bool]) -> Callable[[], bool]:
        """Ask before the window closes: ``fn()`` returning False keeps it open. It runs on
        the GUI thread while the user waits, so keep it quick (a native confirm is fine)."""
        self._on_closing = fn
        return fn

    def on_activate(self, fn: Callable[[list[str], str], Any]) -> Callable[[list[str], str], Any]:
        """Called with ``(argv, cwd)`` when the app is launched again while running (the
        second launch hands over its arguments, e.g. a file to open, and exits)."""
        self._on_activate = fn
        return fn

    def menu(self, *menus: Any) -> None:
        """Give the window a menu bar: ``Menu`` objects of ``appkit.ui.menus``, whose items
        go to a page or post to a route, with keyboard shortcuts that work in the page (in
        the browser mode too). A second call replaces the menus.

        Raises:
            ConfigurationError: a menu is not an ``appkit.ui.menus.Menu``, or one of its
                items cannot say where it goes (checked now, not when a page renders).
        """
        for menu in menus:
            if not callable(getattr(menu, "to_data", None)):
                raise ConfigurationError(
                    f"app.menu() takes the window's menus, not {menu!r}: use "
                    "appkit.ui.menus.Menu('File', Command(...), ...)")
            menu.to_data()
        if self._menus is None:
            cast(Any, self).add_head(lambda conn: self._menu_head())
        self._menus = tuple(menus)

    def menu_data(self) -> list[dict[str, Any]]:
        """The menu bar as plain data (``shell.menus``), its URLs worked out now."""
        return [menu.to_data() for menu in self._menus or ()]

    def _menu_head(self) -> list[Element]:
        app = cast(Any, self)
        data = json.dumps(self.menu_data()).replace("<", "\\u003c")
        return [Script(data, type="application/json", id="appkit-menu"),
                Script(src=app.root_path + app.assets.url("ui/menu.js"), defer=True)]

    def run(self, *, backend: str = "auto", argv: list[str] | None = None) -> None:
        """Show the app in a native window and block until the user closes it.

        For ``python app.py`` and the packaged executable. One copy runs per app name: a
        second launch hands its ``argv`` to the first (see ``on_activate``) and returns.
        ``backend`` is ``auto`` (a window, else the system browser, else headless),
        ``gtk``, ``qt``, ``webview``, ``browser`` or ``headless``.

        Raises:
            AppkitError: the server did not start, or the backend cannot run here.
        """
        import shell

        try:
            shell.run(cast(Any, self), title=self.title, app_id=self.name, backend=backend,
                      argv=argv, icon=self.icon, on_closing=self._on_closing,
                      on_activate=self._on_activate,
                      on_native=self.attach_native, menu=self.menu_data() or None)
        except shell.ShellError as exc:
            raise AppkitError(str(exc)) from None

    def attach_native(self, native: Any) -> None:
        """Give the app its window's native features (the shell calls this)."""
        self._native = native
