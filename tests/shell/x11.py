"""X11 helpers for the real-window tests (layer 3): a private Xvfb, screenshots, and finding
and closing top-level windows the way a window manager does.

Under a bare Xvfb there is no window manager, so "the user clicks the close button" is done
here by hand: a ``WM_PROTOCOLS``/``WM_DELETE_WINDOW`` ClientMessage sent to the top-level
window, exactly what a window manager sends (ICCCM 4.2.8.1). The toolkit then runs its
normal close path (pywebview's ``closing``/``closed`` events). ``xdotool windowclose`` is
not the same: it destroys the window behind the toolkit's back.

python-xlib and Pillow are imported lazily, so this module imports (and ``start_xvfb``
works) without them; the fixtures in ``conftest.py`` check for them first.
"""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from PIL.Image import Image
    from Xlib.display import Display

POLL_INTERVAL = 0.05


class XvfbError(RuntimeError):
    """Xvfb could not be started."""


@dataclass
class XvfbDisplay:
    """A running Xvfb server: ``display`` is the value for ``DISPLAY`` (like ``":5"``)."""

    display: str
    process: subprocess.Popen[bytes]
    log: IO[bytes]

    def stop(self, timeout: float = 5.0) -> None:
        """Terminate the server (kill it if it does not exit within ``timeout`` seconds)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()

    def __enter__(self) -> XvfbDisplay:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def start_xvfb(
    width: int = 1280, height: int = 800, depth: int = 24, timeout: float = 10.0
) -> XvfbDisplay:
    """Start Xvfb on a free display number (chosen by Xvfb itself with ``-displayfd``) and
    return once it accepts connections. Raises ``XvfbError`` when it cannot start."""
    binary = shutil.which("Xvfb")
    if binary is None:
        raise XvfbError("Xvfb is not installed (apt-get install xvfb)")
    log = tempfile.TemporaryFile(prefix="xvfb-")
    read_fd, write_fd = os.pipe()
    try:
        process = subprocess.Popen(
            [
                binary,
                "-displayfd",
                str(write_fd),
                "-screen",
                "0",
                f"{width}x{height}x{depth}",
                "-nolisten",
                "tcp",
                # Do not reset the server each time its last client disconnects.
                "-noreset",
            ],
            pass_fds=(write_fd,),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    except BaseException:
        os.close(read_fd)
        os.close(write_fd)
        log.close()
        raise
    os.close(write_fd)
    try:
        number = _read_line(read_fd, timeout)
    finally:
        os.close(read_fd)
    server = XvfbDisplay(f":{number}", process, log)
    if not number.isdigit():
        output = _tail(log)
        server.stop(timeout=1.0)
        raise XvfbError(f"Xvfb did not report a display number: {output}")
    return server


def _read_line(fd: int, timeout: float) -> str:
    """Everything up to the first newline (or EOF) on ``fd``, waiting at most ``timeout``."""
    deadline = time.monotonic() + timeout
    data = b""
    while b"\n" not in data:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        ready, _, _ = select.select([fd], [], [], remaining)
        if not ready:
            break
        chunk = os.read(fd, 64)
        if not chunk:
            break
        data += chunk
    return data.split(b"\n", 1)[0].decode(errors="replace").strip()


def _tail(log: IO[bytes], limit: int = 2000) -> str:
    log.flush()
    log.seek(0)
    return log.read().decode(errors="replace")[-limit:]


@contextmanager
def _connect(display: str) -> Iterator[Display]:
    from Xlib.display import Display

    connection = Display(display)
    try:
        yield connection
    finally:
        connection.close()


def _title(connection: Display, window: Any) -> str | None:
    """The window's ``_NET_WM_NAME`` (UTF-8), else its ``WM_NAME``; None when it has none."""
    net_wm_name = connection.intern_atom("_NET_WM_NAME")
    utf8 = connection.intern_atom("UTF8_STRING")
    prop = window.get_full_property(net_wm_name, utf8)
    if prop is not None and prop.value:
        value = prop.value
        return value.decode(errors="replace") if isinstance(value, bytes) else str(value)
    name = window.get_wm_name()
    if name is None:
        return None
    return name.decode("latin-1") if isinstance(name, bytes) else str(name)


def _top_levels(connection: Display) -> list[tuple[Any, str]]:
    """The mapped (viewable) top-level windows that have a title, as (window, title).

    Without a window manager the top-level windows are the root window's children; toolkits
    also create unmapped helper windows (a client leader, a selection owner), left out."""
    from Xlib import X
    from Xlib.error import XError

    found: list[tuple[Any, str]] = []
    root = connection.screen().root
    for window in root.query_tree().children:
        try:
            if window.get_attributes().map_state != X.IsViewable:
                continue
            title = _title(connection, window)
        except XError:  # the window went away while we looked at it
            continue
        if title is not None:
            found.append((window, title))
    return found


def window_titles(display: str) -> list[str]:
    """Titles of the mapped top-level windows on ``display``, bottom to top."""
    with _connect(display) as connection:
        return [title for _, title in _top_levels(connection)]


def windows(display: str) -> list[tuple[int, str]]:
    """(id, title) of the mapped top-level windows on ``display``, bottom to top: two
    windows of the same title (GTK's dialogs have none) told apart."""
    with _connect(display) as connection:
        return [(window.id, title) for window, title in _top_levels(connection)]


def _wait_for(connection: Display, title: str, timeout: float,
              window_id: int | None = None) -> Any | None:
    deadline = time.monotonic() + timeout
    while True:
        for window, window_title in _top_levels(connection):
            if window_title == title and window_id in (None, window.id):
                return window
        if time.monotonic() >= deadline:
            return None
        time.sleep(POLL_INTERVAL)


def find_window(display: str, title: str, timeout: float = 10.0) -> bool:
    """Wait up to ``timeout`` seconds for a mapped top-level window titled exactly ``title``;
    True once there is one."""
    with _connect(display) as connection:
        return _wait_for(connection, title, timeout) is not None


def wait_window_gone(display: str, title: str, timeout: float = 10.0) -> bool:
    """Wait up to ``timeout`` seconds until no mapped top-level window is titled ``title``;
    True once there is none."""
    deadline = time.monotonic() + timeout
    with _connect(display) as connection:
        while any(t == title for _, t in _top_levels(connection)):
            if time.monotonic() >= deadline:
                return False
            time.sleep(POLL_INTERVAL)
    return True


def window_geometry(
    display: str, title: str, timeout: float = 10.0
) -> tuple[int, int, int, int] | None:
    """``(x, y, width, height)`` of the window titled ``title``, in root (screenshot)
    coordinates, waiting up to ``timeout`` seconds for it; None when it does not appear."""
    with _connect(display) as connection:
        window = _wait_for(connection, title, timeout)
        if window is None:
            return None
        geometry = window.get_geometry()
        root = connection.screen().root
        origin = window.translate_coords(root, 0, 0)
        # translate_coords(src=root) gives root's origin in the window: negate it.
        return (-origin.x, -origin.y, geometry.width, geometry.height)


def close_window(display: str, title: str, timeout: float = 10.0,
                 window_id: int | None = None) -> bool:
    """Ask the window titled ``title`` to close, as a window manager's close button does:
    wait up to ``timeout`` seconds for it, then send it a ``WM_PROTOCOLS`` ClientMessage
    carrying ``WM_DELETE_WINDOW``. True when sent; False when the window did not appear or
    does not take part in ``WM_DELETE_WINDOW`` (a window manager would kill its client).
    It does not wait for the window to go: see ``wait_window_gone``. ``window_id`` picks
    one of several windows of that title (see ``windows``)."""
    from Xlib import X, Xatom
    from Xlib.protocol.event import ClientMessage

    with _connect(display) as connection:
        window = _wait_for(connection, title, timeout, window_id)
        if window is None:
            return False
        wm_protocols = connection.intern_atom("WM_PROTOCOLS")
        wm_delete_window = connection.intern_atom("WM_DELETE_WINDOW")
        protocols = window.get_full_property(wm_protocols, Xatom.ATOM)
        if protocols is None or wm_delete_window not in protocols.value:
            return False
        message = ClientMessage(
            window=window,
            client_type=wm_protocols,
            data=(32, [wm_delete_window, X.CurrentTime, 0, 0, 0]),
        )
        # Event mask 0: delivered to the client that created the window (ICCCM 4.2.8).
        window.send_event(message, event_mask=0)
        connection.sync()
        return True


def screenshot(display: str) -> Image:
    """A screenshot of the whole screen of ``display`` (RGB)."""
    from PIL import ImageGrab

    return ImageGrab.grab(xdisplay=display).convert("RGB")


def window_identity(display: str, title: str, timeout: float = 30.0
                    ) -> tuple[tuple[str, str] | None, list[int]]:
    """The window's ``WM_CLASS`` (instance, class) and ``_NET_WM_ICON`` (width, height,
    then ARGB pixels, for each size), waiting for the window and its icon."""
    deadline = time.monotonic() + timeout
    with _connect(display) as connection:
        window = _wait_for(connection, title, timeout)
        if window is None:
            raise AssertionError(f"no window titled {title!r}")
        icon_atom = connection.intern_atom("_NET_WM_ICON")
        cardinal = connection.intern_atom("CARDINAL")
        while True:
            wm_class = window.get_wm_class()
            prop = window.get_full_property(icon_atom, cardinal, sizehint=1 << 22)
            icon = list(prop.value) if prop is not None else []
            if icon or time.monotonic() >= deadline:
                return wm_class, icon
            time.sleep(0.2)
