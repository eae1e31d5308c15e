"""A native window through pywebview: WebKitGTK or Qt WebEngine on Linux, the system's own
engine on Windows (WebView2) and macOS (WKWebView).

``check`` finds out whether the engine can start *before* a window is opened: GTK kills the
process outright when it cannot open the display, so that must never be the first sign.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import webbrowser
from typing import Any

from shell.backends.base import BackendUnavailable, WindowHooks, WindowOptions, WindowState
from shell.backends.browser import has_display
from shell.menus import event_script, to_pywebview

__all__ = ["WebviewBackend", "minimize_window", "restore_window"]

# Installed into every page: links to other hosts, and target=_blank links, go to the
# system browser, never inside the app's window.
_LINK_SCRIPT = """
(function () {
  if (window.__appkitLinks) return;
  window.__appkitLinks = true;
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[href]");
    if (!link || event.defaultPrevented) return;
    var url = new URL(link.href, location.href);
    var external = url.origin !== location.origin || link.target === "_blank";
    if (!external || !/^(https?|mailto):$/.test(url.protocol)) return;
    event.preventDefault();
    window.pywebview.api.open_external(url.href);
  }, true);
})();
"""

_INSTALL_HINT = {
    "gtk": ("WebKitGTK is not available. Install it with: sudo apt-get install "
            "gir1.2-webkit2-4.1 libgirepository1.0-dev libcairo2-dev pkg-config; "
            'then: pip install "appkit[gtk]"'),
    "qt": 'Qt WebEngine is not available. Install it with: pip install "appkit[qt]"',
}


class _Api:
    """What the page may ask of the window (exposed as ``window.pywebview.api``)."""

    def open_external(self, url: str) -> None:
        if url.startswith(("http://", "https://", "mailto:")):
            webbrowser.open(url)


class WebviewBackend:
    """A pywebview window.

    Args:
        gui: ``"gtk"``, ``"qt"``, or None for the platform's default engine.
        storage_path: where the web engine keeps its storage (the app's cache folder).
    """

    def __init__(self, gui: str | None = None, storage_path: str | None = None) -> None:
        self.gui = gui
        self.name = gui or "webview"
        self.storage_path = storage_path
        self._window: Any = None
        self._force_close = False
        self._maximized = False
        self._ready = threading.Event()

    # ---- availability -------------------------------------------------------------------

    def check(self) -> None:
        """Raise ``BackendUnavailable`` unless a window can really be opened."""
        if not has_display():
            raise BackendUnavailable("there is no display (DISPLAY/WAYLAND_DISPLAY unset)")
        try:
            import webview  # noqa: F401
        except ImportError:
            raise BackendUnavailable('pywebview is not installed: pip install pywebview'
                                     ) from None
        if sys.platform != "linux":
            return
        gui = self.gui or "gtk"
        if gui == "gtk":
            _check_gtk()
        elif gui == "qt":
            _check_qt()
        else:
            raise BackendUnavailable(f'unknown webview engine {gui!r}: use "gtk" or "qt"')

    # ---- running ------------------------------------------------------------------------

    def run(self, url: str, options: WindowOptions, hooks: WindowHooks) -> None:
        """Open the window on ``url`` and run the GUI loop until it closes."""
        import webview

        webview.settings["OPEN_EXTERNAL_LINKS_IN_BROWSER"] = True
        state = options.state
        window = webview.create_window(
            options.title, url, js_api=_Api(), width=state.width, height=state.height,
            x=state.x, y=state.y, min_size=options.min_size, maximized=state.maximized,
            background_color=options.background_color, text_select=True)
        if window is None:
            raise BackendUnavailable("pywebview did not create a window")
        self._window = window
        self._maximized = state.maximized
        # Geometry comes from the window's events: asking the window for its size from
        # the closing handler (which runs on the GUI thread) would wait on that thread.
        geometry: dict[str, Any] = {"width": state.width, "height": state.height,
                                    "x": state.x, "y": state.y}

        def on_resized(width: int, height: int) -> None:
            if not self._maximized:
                geometry.update(width=int(width), height=int(height))

        def on_moved(x: int, y: int) -> None:
            if not self._maximized:
                geometry.update(x=int(x), y=int(y))

        def on_closing() -> bool:
            if self._force_close or hooks.on_closing is None:
                allowed = True
            else:
                allowed = hooks.on_closing() is not False
            if allowed and hooks.on_state is not None:
                maximized = _maximized_now(window)  # on the GUI thread here: safe to ask
                hooks.on_state(WindowState(
                    maximized=self._maximized if maximized is None else maximized,
                    **geometry))
            return allowed

        def on_loaded() -> None:
            window.run_js(_LINK_SCRIPT)

        views: list[Any] = []  # the toolkit's own window object, needed after it closed

        def on_shown() -> None:
            if not views:
                views.append(_toolkit_view(window))
            self._ready.set()
            if hooks.on_shown is not None:
                hooks.on_shown()

        window.events.closing += on_closing
        window.events.loaded += on_loaded
        window.events.shown += on_shown
        window.events.resized += on_resized
        window.events.moved += on_moved
        window.events.maximized += lambda: setattr(self, "_maximized", True)
        window.events.restored += lambda: setattr(self, "_maximized", False)
        gui = self.gui if sys.platform == "linux" else None
        _name_the_program(gui, options.app_id or options.title, options.title)
        menu = to_pywebview(options.menu, self._choose) if options.menu else []
        webview.start(_keep_python_responsive, (gui,), gui=gui,  # type: ignore[arg-type]
                      private_mode=False, icon=options.icon,
                      storage_path=self.storage_path, menu=menu)
        self._window = None
        # pywebview's threads that wait for a script's result are not daemon threads: if
        # the window closed before the answer came, the process could never exit.
        for view in views:
            _wake_script_waiters(view)
        if _toolkit(window) == "gtk":
            _dispatch_what_is_left()

    def _choose(self, action: Any) -> None:
        """A menu item was chosen: hand its action to the page, from a thread of its own
        (Qt calls this on the GUI thread, which the script's delivery needs)."""
        window = self._window
        if window is not None:
            threading.Thread(target=window.run_js, args=(event_script(action),),
                             name="shell-menu", daemon=True).start()

    def close(self) -> None:
        """Close the window without asking the app (a signal, the server shutting down)."""
        self._force_close = True
        window = self._window
        if window is not None:
            window.destroy()

    def bring_to_front(self) -> None:
        """Un-minimise, show, raise and focus the window; a maximised one stays so."""
        window = self._window
        if window is None:
            return
        maximized = _maximized_now(window)
        if maximized is None:
            maximized = self._maximized
        window.restore()
        if maximized:
            window.maximize()  # Qt's restore also un-maximises
        window.show()
        if _toolkit(window) != "qt":
            # Qt re-creates the native window to change this flag (it blinks and loses its
            # state); its restore has raised and activated the window already.
            window.on_top = True
            window.on_top = False

    def show_html(self, html: str) -> None:
        """Replace the page with ``html``."""
        if self._window is not None:
            self._window.load_html(html)

    def show_url(self, url: str) -> None:
        """Load ``url`` in place of the page."""
        if self._window is not None:
            self._window.load_url(url)

    def current_url(self) -> str | None:
        """The address of the page the window shows, once it has been shown (asked on the
        GUI thread: do not call it from there)."""
        window = self._window
        if window is None or not self._ready.is_set():
            return None
        url = window.get_current_url()
        return str(url) if url else None

    @property
    def window(self) -> Any:
        """The pywebview window while it is open (for native dialogs), else None."""
        return self._window


def minimize_window(window: Any) -> None:
    """Minimise a pywebview ``window``; a maximised one comes back maximised.

    pywebview's Qt ``minimize`` replaces the window's state with "minimised", which
    un-maximises it; Qt's own ``showMinimized`` (run on the GUI thread) keeps it.
    """
    view = _toolkit_view(window) if _toolkit(window) == "qt" else None
    if view is None:
        window.minimize()
        return
    from qtpy.QtCore import QMetaObject, Qt

    QMetaObject.invokeMethod(view, "showMinimized", Qt.ConnectionType.QueuedConnection)


def restore_window(window: Any) -> None:
    """Bring a pywebview ``window`` back from minimised or maximised.

    pywebview's own ``restore`` does both on Qt, but only un-minimises on GTK: there the
    window is also un-maximised, on the GUI thread as pywebview does its own calls.
    """
    window.restore()
    if _toolkit(window) == "gtk":
        view = _toolkit_view(window)
        if view is not None:
            from gi.repository import GLib

            GLib.idle_add(view.window.unmaximize)


def _toolkit(window: Any) -> str:
    """The toolkit pywebview runs ``window`` with: "gtk", "qt", "winforms", "cocoa"..."""
    return str(getattr(getattr(window, "gui", None), "__name__", "")).rpartition(".")[2]


def _maximized_now(window: Any) -> bool | None:
    """Whether the toolkit has ``window`` maximised (None where it cannot say).

    pywebview reports state changes from a thread per event, so a "restored" and a
    "maximized" in quick succession may arrive in either order; the toolkit's own flag
    does not have that problem.
    """
    view = _toolkit_view(window)
    try:
        if _toolkit(window) == "qt":
            return bool(view.isMaximized())
        if _toolkit(window) == "gtk":
            return bool(view.window.is_maximized())
    except (AttributeError, RuntimeError):  # no such view, or it is being destroyed
        pass
    return None


def _toolkit_view(window: Any) -> Any:
    """pywebview's toolkit object (its ``BrowserView``) for ``window``, or None."""
    views = getattr(getattr(getattr(window, "gui", None), "BrowserView", None), "instances", {})
    return views.get(window.uid)


def _wake_script_waiters(view: Any) -> None:
    # Qt: pywebview does not wake the threads still waiting for a script's result when
    # the window closes (a result Qt WebEngine may never deliver, e.g. for a script run
    # while the page loaded in a minimised window). The window is gone: there is none.
    for pending in list(getattr(view, "_js_results", {}).values()):
        pending["semaphore"].release()


def _dispatch_what_is_left(quiet: float = 0.1, limit: float = 1.0) -> None:
    # GTK: WebKitGTK's answers to scripts still pending when the window closed come
    # through the GLib main loop, which has stopped by then; pywebview keeps no handle on
    # the threads waiting for them. Run the loop until it has been quiet for ``quiet``
    # seconds (at most ``limit``), so that they get their answer and end.
    import time

    from gi.repository import GLib

    context = GLib.MainContext.default()
    deadline = time.monotonic() + limit
    last = time.monotonic()
    while time.monotonic() < deadline and time.monotonic() - last < quiet:
        if context.iteration(False):
            last = time.monotonic()
        else:
            time.sleep(0.005)


def _name_the_program(gui: str | None, name: str, title: str) -> None:
    """Name the program for the desktop before the window exists: task bars show (and
    group windows by) it, and would otherwise show the interpreter's or the launcher's
    script name ("Appkit" under ``appkit run``, "Python")."""
    if sys.platform != "linux":
        return
    if gui in (None, "gtk"):
        from gi.repository import GLib

        GLib.set_prgname(name)  # WM_CLASS's instance part, read as the window is created
        GLib.set_application_name(title)
        try:
            import gi

            gi.require_version("Gdk", "3.0")
            from gi.repository import Gdk

            Gdk.set_program_class(title)  # WM_CLASS's class part
        except (ImportError, ValueError):  # no GDK 3: pywebview cannot use GTK either
            pass
    elif gui == "qt":
        # Qt reads the instance name from RESOURCE_NAME and the class from the
        # application's name when it connects to the display (QApplication, in pywebview).
        os.environ["RESOURCE_NAME"] = name
        from qtpy.QtCore import QCoreApplication

        QCoreApplication.setApplicationName(title)


def _keep_python_responsive(gui: str | None) -> None:
    # GTK's loop runs in C; Python runs its signal handlers (Ctrl+C, SIGTERM) only when
    # it gets control back. A no-op timer hands it control four times a second.
    if gui in (None, "gtk") and sys.platform == "linux":
        from gi.repository import GLib

        GLib.timeout_add(250, lambda: True)


def import_gtk() -> Any:
    """Import GTK 3 and WebKitGTK (4.1, else 4.0) through PyGObject, without opening the
    display; returns the ``Gtk`` module.

    Raises:
        BackendUnavailable: PyGObject or the type libraries are missing (says what to
            install).
    """
    try:
        import gi

        gi.require_version("Gtk", "3.0")
        try:
            gi.require_version("WebKit2", "4.1")
        except ValueError:
            gi.require_version("WebKit2", "4.0")
        from gi.repository import Gtk, WebKit2  # noqa: F401
    except (ImportError, ValueError) as exc:
        raise BackendUnavailable(f"{_INSTALL_HINT['gtk']} ({exc})") from None
    return Gtk


def _check_gtk() -> None:
    Gtk = import_gtk()
    if not Gtk.init_check()[0]:
        raise BackendUnavailable(
            f"GTK cannot open the display {os.environ.get('DISPLAY', '')!r}")


def _check_qt() -> None:
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        # Chromium (inside Qt WebEngine) refuses to run as root with its sandbox on.
        os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")
    if getattr(sys, "frozen", False):
        # A built executable cannot run `python -c` (its sys.executable is the app, which
        # would start again); it bundles Qt, so the import is the check.
        try:
            from qtpy import QtWebEngineWidgets  # noqa: F401
        except ImportError as exc:
            raise BackendUnavailable(f"{_INSTALL_HINT['qt']} ({exc})") from None
        return
    # Qt aborts the whole process when it cannot start, so try it in a child first.
    probe = ("from qtpy import QtWebEngineWidgets\n"
             "from qtpy.QtWidgets import QApplication\n"
             "QApplication([])\n")
    try:
        result = subprocess.run([sys.executable, "-c", probe], capture_output=True,
                                text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BackendUnavailable(f"Qt could not be started: {exc}") from None
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["no message"])[-1]
        raise BackendUnavailable(f"{_INSTALL_HINT['qt']} ({last})")
