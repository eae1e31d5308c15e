"""A private Xvfb with a window manager, for the real-window tests that need one: window
states (minimised, maximised, full screen) and activation exist only where a window manager
carries out the toolkit's requests, which a bare Xvfb (``tests/shell/x11.py``) has none of.

The window manager is JWM (Debian package ``jwm``, one small package): it follows EWMH
(``_NET_WM_STATE``, ``_NET_ACTIVE_WINDOW``, ``_NET_CLIENT_LIST``, ``_NET_FRAME_EXTENTS``) and
ICCCM (``WM_STATE``), and runs here with an empty configuration, so there is no tray and a
maximised window fills the whole screen.

It runs on an Xvfb of its own, never on the session's: the other window tests look for
their windows among the root window's children, and a (reparenting) window manager would
move them into frames. Here windows are found the EWMH way, in ``_NET_CLIENT_LIST``.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pytest

from tests.conftest import missing_dependency
from tests.shell.x11 import POLL_INTERVAL, _connect, _title, start_xvfb

if TYPE_CHECKING:
    from Xlib.display import Display

WM = "jwm"
WM_HINT = "sudo apt-get install jwm (a small EWMH window manager)"

# No tray, no desktop switcher, no key bindings: nothing takes screen space or input.
_CONFIG = '<?xml version="1.0"?>\n<JWM>\n  <Desktops width="1" height="1"/>\n</JWM>\n'

T = TypeVar("T")


@dataclass
class ManagedDisplay:
    """An Xvfb with a window manager running on it: ``display`` for ``DISPLAY``."""

    display: str
    width: int
    height: int


@contextmanager
def managed_display(width: int = 1280, height: int = 800,
                    timeout: float = 10.0) -> Iterator[ManagedDisplay]:
    """Start a private Xvfb and JWM on it; stop both on exit. Raises ``RuntimeError`` when
    JWM does not take over the screen within ``timeout`` seconds."""
    binary = shutil.which(WM)
    if binary is None:
        raise RuntimeError(f"{WM} is not installed: {WM_HINT}")
    with start_xvfb(width, height) as xvfb, tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / "jwmrc"
        config.write_text(_CONFIG, encoding="utf-8")
        log = Path(folder) / "wm.log"
        with log.open("wb") as output:
            wm = subprocess.Popen([binary, "-display", xvfb.display, "-f", str(config)],
                                  stdin=subprocess.DEVNULL, stdout=output,
                                  stderr=subprocess.STDOUT)
        try:
            if wait_for(lambda: _wm_running(xvfb.display) or wm.poll() is not None,
                        timeout) is None or wm.poll() is not None:
                raise RuntimeError(f"{WM} did not start: {log.read_text(errors='replace')}")
            yield ManagedDisplay(xvfb.display, width, height)
        finally:
            wm.terminate()
            try:
                wm.wait(5)
            except subprocess.TimeoutExpired:
                wm.kill()
                wm.wait()


def desktop_or_skip() -> Iterator[ManagedDisplay]:
    """For a fixture: a ``managed_display()`` for its life; skips (fails under CI) when
    the window manager is not installed."""
    if shutil.which(WM) is None:
        missing_dependency(f"{WM} is not installed; run: {WM_HINT}")
    with managed_display() as managed:
        yield managed


def wait_for(condition: Callable[[], T], timeout: float) -> T | None:
    """Poll ``condition`` until it gives a true value (returned) or ``timeout`` seconds
    pass (None)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            return None
        time.sleep(POLL_INTERVAL)


def _wm_running(display: str) -> bool:
    from Xlib import Xatom

    with _connect(display) as connection:
        root = connection.screen().root
        check = root.get_full_property(connection.intern_atom("_NET_SUPPORTING_WM_CHECK"),
                                       Xatom.WINDOW)
        return check is not None and bool(check.value)


@dataclass(frozen=True)
class ClientState:
    """What the window manager and the X server say about one application window."""

    window: int
    title: str
    #: ``_NET_WM_STATE`` without its prefix: ``{"MAXIMIZED_VERT", "FULLSCREEN", ...}``.
    net_state: frozenset[str]
    #: ICCCM ``WM_STATE``: 1 normal, 3 iconic (minimised), 0 withdrawn.
    wm_state: int
    mapped: bool
    #: The client area in root coordinates: (x, y, width, height).
    geometry: tuple[int, int, int, int]
    #: ``_NET_FRAME_EXTENTS``: the decorations around it (left, right, top, bottom).
    frame: tuple[int, int, int, int]

    @property
    def maximized(self) -> bool:
        return {"MAXIMIZED_VERT", "MAXIMIZED_HORZ"} <= self.net_state

    @property
    def fullscreen(self) -> bool:
        return "FULLSCREEN" in self.net_state

    @property
    def iconic(self) -> bool:
        return self.wm_state == 3

    @property
    def outer(self) -> tuple[int, int, int, int]:
        """The window with its decorations: (x, y, width, height)."""
        x, y, width, height = self.geometry
        left, right, top, bottom = self.frame
        return (x - left, y - top, width + left + right, height + top + bottom)


def _clients(connection: Display) -> list[Any]:
    from Xlib import Xatom

    root = connection.screen().root
    prop = root.get_full_property(connection.intern_atom("_NET_CLIENT_LIST"), Xatom.WINDOW)
    if prop is None:
        return []
    return [connection.create_resource_object("window", wid) for wid in prop.value]


def _state_of(connection: Display, window: Any) -> ClientState:
    from Xlib import X, Xatom

    title = _title(connection, window) or ""
    prop = window.get_full_property(connection.intern_atom("_NET_WM_STATE"), Xatom.ATOM)
    names = frozenset(connection.get_atom_name(atom).removeprefix("_NET_WM_STATE_")
                      for atom in (prop.value if prop is not None else []))
    wm_state_atom = connection.intern_atom("WM_STATE")
    wm_state = window.get_full_property(wm_state_atom, wm_state_atom)
    extents = window.get_full_property(connection.intern_atom("_NET_FRAME_EXTENTS"),
                                       Xatom.CARDINAL)
    frame = tuple(int(v) for v in extents.value) if extents is not None else (0, 0, 0, 0)
    geometry = window.get_geometry()
    origin = window.translate_coords(connection.screen().root, 0, 0)
    return ClientState(
        window=window.id,
        title=title,
        net_state=names,
        wm_state=int(wm_state.value[0]) if wm_state is not None else 0,
        mapped=window.get_attributes().map_state == X.IsViewable,
        geometry=(-origin.x, -origin.y, geometry.width, geometry.height),
        frame=(frame[0], frame[1], frame[2], frame[3]) if len(frame) == 4 else (0, 0, 0, 0),
    )


def client_state(display: str, window: int) -> ClientState | None:
    """The state of the managed window ``window``; None once it is gone."""
    from Xlib.error import XError

    with _connect(display) as connection:
        for client in _clients(connection):
            if client.id == window:
                try:
                    return _state_of(connection, client)
                except XError:
                    return None
    return None


def find_client(display: str, title: str, timeout: float = 10.0) -> ClientState | None:
    """Wait up to ``timeout`` seconds for a managed window titled ``title``; its state."""
    from Xlib.error import XError

    def look() -> ClientState | None:
        with _connect(display) as connection:
            for client in _clients(connection):
                try:
                    if _title(connection, client) == title:
                        return _state_of(connection, client)
                except XError:
                    continue
        return None

    return wait_for(look, timeout)


def client_titles(display: str) -> list[str]:
    """The titles of the managed windows (for messages)."""
    with _connect(display) as connection:
        return [_title(connection, client) or "" for client in _clients(connection)]


def active_window(display: str) -> int | None:
    """The window the window manager has made active (``_NET_ACTIVE_WINDOW``), if any."""
    from Xlib import Xatom

    with _connect(display) as connection:
        root = connection.screen().root
        prop = root.get_full_property(connection.intern_atom("_NET_ACTIVE_WINDOW"),
                                      Xatom.WINDOW)
        if prop is None or not prop.value or not prop.value[0]:
            return None
        return int(prop.value[0])


def wait_state(display: str, window: int, condition: Callable[[ClientState], bool],
               timeout: float = 10.0) -> ClientState | None:
    """Wait up to ``timeout`` seconds until ``condition`` holds for the window's state;
    that state, or None when it never did (see ``client_state`` for the last one)."""

    def look() -> ClientState | None:
        state = client_state(display, window)
        return state if state is not None and condition(state) else None

    return wait_for(look, timeout)


def expect_state(display: str, window: int, what: str,
                 condition: Callable[[ClientState], bool], timeout: float = 10.0) -> ClientState:
    """Wait for the window's state to meet ``condition``; fail the test, showing the last
    state, when it does not within ``timeout`` seconds (``what`` names the state)."""
    state = wait_state(display, window, condition, timeout)
    if state is None:
        pytest.fail(f"the window is not {what}: {client_state(display, window)}")
    return state


def close_client(display: str, window: int) -> None:
    """Ask the window to close, as the window manager's close button does
    (``WM_DELETE_WINDOW``)."""
    from Xlib import X
    from Xlib.protocol.event import ClientMessage

    with _connect(display) as connection:
        target = connection.create_resource_object("window", window)
        wm_protocols = connection.intern_atom("WM_PROTOCOLS")
        message = ClientMessage(
            window=target, client_type=wm_protocols,
            data=(32, [connection.intern_atom("WM_DELETE_WINDOW"), X.CurrentTime, 0, 0, 0]))
        target.send_event(message, event_mask=0)
        connection.sync()


def stacked_above(display: str, upper: int, lower: int) -> bool:
    """True when window ``upper`` is stacked above window ``lower`` (their frames among the
    root window's children, which the X server lists bottom to top)."""
    with _connect(display) as connection:
        root = connection.screen().root
        order = [child.id for child in root.query_tree().children]

        def frame(window: int) -> int:
            current = connection.create_resource_object("window", window)
            while True:
                parent = current.query_tree().parent
                if parent.id == root.id:
                    return int(current.id)
                current = parent

        return order.index(frame(upper)) > order.index(frame(lower))


@contextmanager
def other_window(display: str, title: str, timeout: float = 10.0) -> Iterator[int]:
    """A plain window of another application, over the middle of the screen, that the
    window manager makes active: what the user turned to. Yields its id once it is active;
    destroyed on exit."""
    from Xlib import X
    from Xlib.display import Display
    from Xlib.Xutil import InputHint

    connection = Display(display)
    try:
        screen = connection.screen()
        window = screen.root.create_window(
            100, 100, 800, 500, 0, screen.root_depth, X.InputOutput, X.CopyFromParent,
            background_pixel=screen.white_pixel)
        window.set_wm_name(title)
        window.change_property(connection.intern_atom("_NET_WM_NAME"),
                               connection.intern_atom("UTF8_STRING"), 8, title.encode())
        window.set_wm_class("other", "Other")
        window.set_wm_hints(flags=InputHint, input=1)
        window.map()
        connection.sync()
        if wait_for(lambda: active_window(display) == window.id, timeout) is None:
            raise RuntimeError(f"the window manager did not activate {title!r}")
        yield int(window.id)
    finally:
        connection.close()  # the server destroys the window with its connection
