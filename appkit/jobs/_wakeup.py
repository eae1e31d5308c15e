"""Waking schedulers: each one listens on a loopback UDP port, recorded in the database.

Whoever changes something a scheduler must act on (a run queued, finished, cancelled)
sends one datagram to every scheduler's port after committing; the scheduler wakes, drains
its socket and looks at the database. A datagram may also name the runs that changed, so
that a scheduler can tell its ``on_change`` listeners (a dashboard); a worker sends such a
note, without asking for a look, when its run starts, reports progress or writes to its
log. The database stays the only source of truth: a stray or lost datagram changes
nothing (a slow fallback poll catches what a lost one missed). UDP on 127.0.0.1 works the
same on every system and needs no path (a Unix socket's path is limited to about 100
bytes).

A datagram is ``!`` (look at the database), or ``w`` (look) or ``c`` (only a change note)
followed by run ids in decimal, separated by commas.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
from collections.abc import Iterable

__all__ = ["WakeSocket", "notify", "sender"]

_HOST = "127.0.0.1"
_IDS_PER_DATAGRAM = 32
_DATAGRAM = 1024


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

    def drain(self, changed: set[int] | None = None) -> bool:
        """Read every waiting datagram; True if one asked for a look at the database.
        The run ids the datagrams name are added to ``changed``."""
        woken = False
        while True:
            try:
                data = self._sock.recv(_DATAGRAM)
            except (BlockingIOError, InterruptedError):
                return woken
            except OSError:
                # Windows reports an earlier send to a closed port here (WSAECONNRESET).
                return woken
            kind, ids = data[:1], data[1:]
            if kind != b"c":
                woken = True  # "!", "w", and anything unexpected: a look costs little
            if changed is not None and kind in (b"w", b"c"):
                for part in ids.split(b","):
                    if part.isdigit() and len(part) < 20:
                        changed.add(int(part))

    def close(self) -> None:
        """Stop listening."""
        self._sock.close()


def notify(ports: Iterable[int], runs: Iterable[int] = (), *, wake: bool = True) -> None:
    """Tell the schedulers listening on ``ports`` that ``runs`` changed; ``wake``: they
    must also look at the database (best effort: never raises)."""
    ports = list(ports)
    if not ports:
        return
    ids = [str(int(run_id)).encode() for run_id in runs]
    if not ids:
        messages = [b"!"] if wake else []
    else:
        kind = b"w" if wake else b"c"
        messages = [kind + b",".join(ids[i:i + _IDS_PER_DATAGRAM])
                    for i in range(0, len(ids), _IDS_PER_DATAGRAM)]
    if not messages:
        return
    with contextlib.suppress(OSError), _SENDER.lock:
        sock = _SENDER.socket()
        for port in ports:
            for message in messages:
                with contextlib.suppress(OSError):
                    sock.sendto(message, (_HOST, port))


def sender() -> socket.socket:
    """This process's socket for ``notify`` (made now if it is not yet)."""
    with _SENDER.lock:
        return _SENDER.socket()


class _Sender:
    """The one socket a process sends its datagrams from (made on first use, and again in
    a child process after ``fork``: a socket is not shared across processes)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._pid = 0

    def socket(self) -> socket.socket:
        """The socket of this process (call with ``lock`` held)."""
        if self._sock is None or self._pid != os.getpid():
            if self._sock is not None:
                self._sock.close()  # the copy a fork left here (the parent keeps its own)
            self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self._pid = os.getpid()
        return self._sock


_SENDER = _Sender()
if hasattr(os, "register_at_fork"):
    # A lock held by another thread at fork would stay held in the child forever.
    os.register_at_fork(after_in_child=lambda: setattr(_SENDER, "lock", threading.Lock()))
