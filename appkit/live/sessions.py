"""The session as live events see it, kept the same as the browser's.

A live page's socket reads the session once, at its handshake; the browser's cookie may
change after that. Two things keep them together:

- An HTTP answer that changed the session's values (signing in or out, say) closes every
  live socket of that session with 4205 (``CLOSE_SESSION``): each page reconnects at once,
  reading the session anew, and sends again the events the server had not taken yet.
- A live event's handler that changes the session cannot set a cookie over the socket: its
  reply carries a one-time key (``"session"``), and the page posts it to
  ``/_appkit-live/session``, whose answer applies just those changes to the session as the
  cookie has it now and saves it (``Set-Cookie``). The user's other pages then reconnect as
  above.

The live layer does not import ``appkit.sessions``: it reads the session through the app's
``session`` provider and the mapping methods every session has.
"""

from __future__ import annotations

import copy
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

__all__ = ["SessionWrite", "SessionWrites", "changes", "snapshot"]

#: How long a page has to post an event's session changes.
KEY_LIFETIME = 120.0
#: At most this many waiting at once (the oldest go first).
MAX_WAITING = 1024


def snapshot(session: Any) -> dict[str, Any] | None:
    """The session's values as they are now (a deep copy), or None without a session."""
    if session is None:
        return None
    return {key: copy.deepcopy(session[key]) for key in session}


@dataclass
class SessionWrite:
    """What one live event changed in the session."""

    owner: str
    page_id: str
    set: dict[str, Any] = field(default_factory=dict)
    removed: list[str] = field(default_factory=list)
    made: float = field(default_factory=time.monotonic)

    def apply(self, session: Any) -> None:
        """Make the same changes to ``session`` (the one the cookie holds now)."""
        for key in self.removed:
            if key in session:
                del session[key]
        for key, value in self.set.items():
            session[key] = value


def changes(before: dict[str, Any] | None, session: Any, owner: str, page_id: str
            ) -> SessionWrite | None:
    """What the event changed since ``before`` (None: nothing)."""
    if before is None or session is None:
        return None
    write = SessionWrite(owner, page_id)
    for key in session:
        value = session[key]
        if key not in before or before[key] != value:
            write.set[key] = copy.deepcopy(value)
    write.removed = [key for key in before if key not in session]
    return write if write.set or write.removed else None


class SessionWrites:
    """The changes waiting for their page to post them, by one-time key."""

    def __init__(self) -> None:
        self._waiting: dict[str, SessionWrite] = {}

    def add(self, write: SessionWrite) -> str:
        """Keep ``write``; the key the page posts."""
        self._forget_old()
        while len(self._waiting) >= MAX_WAITING:
            del self._waiting[next(iter(self._waiting))]
        key = secrets.token_urlsafe(18)
        self._waiting[key] = write
        return key

    def take(self, key: str, owner: str) -> SessionWrite | None:
        """The changes of ``key`` if they belong to ``owner`` and are not too old (once)."""
        self._forget_old()
        write = self._waiting.get(key)
        if write is None or not secrets.compare_digest(write.owner, owner):
            return None
        del self._waiting[key]
        return write

    def _forget_old(self) -> None:
        limit = time.monotonic() - KEY_LIFETIME
        for key in [k for k, w in self._waiting.items() if w.made < limit]:
            del self._waiting[key]

    def __len__(self) -> int:
        return len(self._waiting)
