"""Waking schedulers: each one listens on a loopback UDP port, recorded in the database.

Whoever changes something a scheduler must act on (a run queued, finished, cancelled)
sends one datagram to every scheduler's port after committing; the scheduler wakes, drains
its socket and looks at the database. The datagram carries nothing: the database is the
only source of truth, so a stray or lost datagram changes nothing (a slow fallback poll
catches what a lost one missed). UDP on 127.0.0.1 works the same on every system and
needs no path (a Unix socket's path is limited to about 100 bytes).
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterable

__all__ = ["WakeSocket", "notify"]

_HOST = "127.0.0.1"


class WakeSocket:
    """The socket a scheduler waits on (``fileno`` goes into its wait list)."""

    def __init__(self) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            self._sock.bind((_HOST, 0))
            self._sock.setblocking(False)
        except BaseException:
            self._sock.close()
            raise
        self.port: int = self._sock.getsockname()[1]

    @property
    def socket(self) -> socket.socket:
        """The socket, for ``multiprocessing.connection.wait``."""
        return self._sock

    def drain(self) -> bool:
        """Read every waiting datagram; True if there was one."""
        woken = False
        while True:
            try:
                self._sock.recv(64)
            except (BlockingIOError, InterruptedError):
                return woken
            except OSError:
                # Windows reports an earlier send to a closed port here (WSAECONNRESET).
                return woken
            woken = True

    def close(self) -> None:
        """Stop listening."""
        self._sock.close()


def notify(ports: Iterable[int]) -> None:
    """Wake the schedulers listening on ``ports`` (best effort: never raises)."""
    ports = list(ports)
    if not ports:
        return
    with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for port in ports:
            with contextlib.suppress(OSError):
                sock.sendto(b"!", (_HOST, port))
