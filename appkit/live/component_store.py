"""Where live components' instances live between events.

``MemoryStore`` (the default) keeps them in the server's memory, by session and component
id, each with an expiry renewed on every event (``ttl``) and at most ``per_session`` per
session: past that, the least recently used one is dropped (its page gets "reload" when it
sends an event to it). A component whose page closed goes with the page's state (the live
layer deletes it), and one taken off its page expires sooner (``expire``). Nothing the page
sends is ever turned into an instance: the page only names one.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import OrderedDict
from typing import Any, Protocol

__all__ = ["MemoryStore", "StateStore"]

logger = logging.getLogger("appkit.live.components")


class StateStore(Protocol):
    """What a component store does (``MemoryStore``, ``SQLiteStore``)."""

    def put(self, owner: str, cid: str, instance: Any, nonce: str) -> None:
        """Keep ``instance`` as ``owner``'s component ``cid``."""
        ...

    def get(self, owner: str, cid: str) -> tuple[Any, str, asyncio.Lock] | None:
        """(instance, nonce, its lock), or None when gone."""
        ...

    def touch(self, owner: str, cid: str) -> None:
        """Renew its expiry (an event was handled)."""
        ...

    def save(self, owner: str, cid: str, instance: Any) -> None:
        """After an event: renew its expiry and keep its new state."""
        ...

    def delete(self, owner: str, cid: str) -> None:
        """Forget it."""
        ...

    def expire(self, owner: str, cid: str, within: float) -> None:
        """Forget it ``within`` seconds unless an event comes first (no page shows it)."""
        ...

    def sweep(self) -> int:
        """Forget the expired ones; how many went."""
        ...


class MemoryStore:
    """Instances in memory, bounded in time (``ttl`` seconds since last used) and per
    session (``per_session``, the least recently used dropped first)."""

    def __init__(self, ttl: float = 3600.0, per_session: int = 200) -> None:
        self.ttl = ttl
        self.per_session = per_session
        self._sessions: dict[str, OrderedDict[str, list[Any]]] = {}
        # Mounts run in the thread pool (plain handlers), events on the loop.
        self._lock = threading.Lock()

    def put(self, owner: str, cid: str, instance: Any, nonce: str) -> None:
        dropped: list[tuple[str, Any]] = []
        with self._lock:
            mine = self._sessions.setdefault(owner, OrderedDict())
            mine[cid] = [instance, nonce, asyncio.Lock(), time.monotonic() + self.ttl]
            while len(mine) > self.per_session:
                gone, entry = mine.popitem(last=False)
                dropped.append((gone, entry[0]))
        for gone, instance in dropped:
            logger.info("Dropped component %s (%s): more than %d in one session",
                        gone, type(instance).__name__, self.per_session)

    def get(self, owner: str, cid: str) -> tuple[Any, str, asyncio.Lock] | None:
        with self._lock:
            mine = self._sessions.get(owner)
            entry = mine.get(cid) if mine is not None else None
            if entry is None or entry[3] < time.monotonic():
                return None
            return entry[0], entry[1], entry[2]

    def save(self, owner: str, cid: str, instance: Any) -> None:
        """After an event: keep it longer (a store on disk writes its state too)."""
        self.touch(owner, cid)

    def touch(self, owner: str, cid: str) -> None:
        with self._lock:
            mine = self._sessions.get(owner)
            if mine is not None and cid in mine:
                mine[cid][3] = time.monotonic() + self.ttl
                mine.move_to_end(cid)

    def delete(self, owner: str, cid: str) -> None:
        with self._lock:
            mine = self._sessions.get(owner)
            if mine is not None:
                mine.pop(cid, None)
                if not mine:
                    del self._sessions[owner]

    def expire(self, owner: str, cid: str, within: float) -> None:
        with self._lock:
            mine = self._sessions.get(owner)
            entry = mine.get(cid) if mine is not None else None
            if entry is not None:
                entry[3] = min(entry[3], time.monotonic() + within)

    def sweep(self) -> int:
        """Forget the expired instances (the live layer's sweeper calls it); how many
        went."""
        now = time.monotonic()
        gone = 0
        with self._lock:
            for owner in list(self._sessions):
                mine = self._sessions[owner]
                for cid in [c for c, e in mine.items() if e[3] < now]:
                    del mine[cid]
                    gone += 1
                if not mine:
                    del self._sessions[owner]
        return gone

    def __len__(self) -> int:
        with self._lock:
            return sum(len(mine) for mine in self._sessions.values())
