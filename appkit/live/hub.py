"""The hub: publish HTML to a topic, a user or a page; every open page that subscribes
gets it over its one websocket, in order, with nothing lost across a reconnect.

    @app.get("/")
    def index():
        return Page("Chat", messages(), app.hub.subscribe("chat"), send_form())

    @app.websocket("/chat")
    def send(text: str):
        msg = save(text)
        app.hub.publish("chat", append("messages", Li(text, id=f"m{msg.id}")))

Each topic numbers what is published to it (``seq``) and keeps the last messages (a bounded
history). A page knows the number it rendered at and the last it applied; after a
reconnect it gets what it missed from the history, or, when the history no longer reaches
back that far, the topic's current state from its ``snapshot`` (or a reload when the topic
has none). Publishing is thread-safe: call it from sync handlers, threads, async code.

The hub hands messages to its subscribers through a ``Broker`` (in-process by default), so
that a server mode can put them on PostgreSQL LISTEN/NOTIFY or Redis without changing
callers.
"""

from __future__ import annotations

import asyncio
import collections
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from appkit.errors import ConfigurationError
from appkit.html import Div, Element
from appkit.live.ops import Op, to_ops

__all__ = ["Broker", "Hub", "LocalBroker", "Subscriber", "Topic"]

logger = logging.getLogger("appkit.live")

USER_PREFIX = "user:"
PAGE_PREFIX = "page:"


class Subscriber(Protocol):
    """Something that receives a topic's messages on the server's loop (a page's
    connection)."""

    def deliver(self, topic: str, seq: int, ops: list[Op], snapshot: bool) -> None:
        """Take message ``seq`` of ``topic`` (``snapshot``: the topic's whole state)."""
        ...


class Broker(Protocol):
    """Carries published messages to the hub's subscribers: in-process by default; a
    server mode can carry them between processes (PostgreSQL LISTEN/NOTIFY, Redis)."""

    def start(self, deliver: Callable[[str, str], None]) -> None:
        """Begin delivering: ``deliver(topic, payload)`` is called on the server's loop."""
        ...

    def publish(self, topic: str, payload: str) -> None:
        """Hand ``payload`` over for ``topic``; thread-safe, returns at once."""
        ...

    def stop(self) -> None:
        """Stop delivering."""
        ...


class LocalBroker:
    """The in-process broker: messages go to the server's own loop."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._deliver: Callable[[str, str], None] | None = None

    def start(self, deliver: Callable[[str, str], None]) -> None:
        """Deliver on the running loop (called from it)."""
        self._loop = asyncio.get_running_loop()
        self._deliver = deliver

    def publish(self, topic: str, payload: str) -> None:
        """Deliver on the loop; from the loop's own thread, at once (in order)."""
        loop, deliver = self._loop, self._deliver
        if loop is None or deliver is None or loop.is_closed():
            return  # no server running: nobody is listening
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            deliver(topic, payload)
        else:
            loop.call_soon_threadsafe(deliver, topic, payload)

    def stop(self) -> None:
        """Forget the loop."""
        self._loop = self._deliver = None


@dataclass
class _Entry:
    seq: int
    ops: list[Op]
    size: int


class Topic:
    """A topic's numbering, its bounded history and its subscribers (see ``Hub``)."""

    def __init__(self, name: str, history: int, history_bytes: int,
                 snapshot: Callable[[], Any] | None = None,
                 allow: Callable[[Any], bool] | None = None) -> None:
        self.name = name
        self.snapshot = snapshot
        self.allow = allow
        self.seq = 0
        #: When it was last published to or followed (``time.monotonic()``).
        self.touched = time.monotonic()
        self._history: collections.deque[_Entry] = collections.deque()
        self._history_lock = threading.Lock()
        self._bytes = 0
        self._max = history
        self._max_bytes = history_bytes
        self.subscribers: set[Subscriber] = set()

    def add(self, ops: list[Op]) -> int:
        """Number ``ops`` and keep them in the history; returns their number."""
        self.seq += 1
        self.touched = time.monotonic()
        size = sum(len(op["html"]) + len(op["target"]) + 16 for op in ops)
        with self._history_lock:
            self._history.append(_Entry(self.seq, ops, size))
            self._bytes += size
            while self._history and (len(self._history) > self._max
                                     or self._bytes > self._max_bytes):
                self._bytes -= self._history.popleft().size
        return self.seq

    def since(self, seq: int) -> list[_Entry] | None:
        """The messages after ``seq``, or None when the history no longer has them all."""
        with self._history_lock:
            if seq == self.seq:
                return []
            if seq > self.seq or not self._history or self._history[0].seq > seq + 1:
                return None
            return [e for e in self._history if e.seq > seq]

    @property
    def kept(self) -> int:
        """How many messages the history holds."""
        return len(self._history)


class Hub:
    """Topics and their subscribers (``app.hub``). See the module's docstring.

    Args:
        history: how many messages each topic keeps for pages that reconnect.
        history_bytes: and at most this many bytes of them.
        broker: carries messages to the subscribers (``LocalBroker`` by default).
    """

    def __init__(self, *, history: int = 1000, history_bytes: int = 2 * 1024 * 1024,
                 broker: Broker | None = None) -> None:
        self.history = history
        self.history_bytes = history_bytes
        self.broker: Broker = broker or LocalBroker()
        self._topics: dict[str, Topic] = {}
        self._lock = threading.Lock()
        #: Whether this process serves pages (the hub was started with the server).
        self.serving = False
        #: Where a hub that serves no pages sends what is published (to the server of the
        #: app in another process: ``appkit.live.bridge``); None to drop it.
        self.forward: Callable[[str, list[Op]], bool] | None = None
        # Whether it served pages: after its server stopped, what threads of the process
        # still publish goes nowhere (never to another server of the app).
        self._served = False

    # ---- topics ---------------------------------------------------------------------------

    def topic(self, name: str, *, snapshot: Callable[[], Any] | None = None,
              allow: Callable[[Any], bool] | None = None) -> Topic:
        """Declare ``name``: ``snapshot()`` returns elements holding the topic's whole state
        (sent to a page whose missed messages are no longer in the history, instead of
        reloading it); ``allow(session)`` says whether a page may subscribe.

        Raises:
            ConfigurationError: a bad name, or the topic was declared already.
        """
        _check_name(name)
        with self._lock:
            existing = self._topics.get(name)
            if existing is not None and (existing.snapshot or existing.allow):
                raise ConfigurationError(f"The topic {name!r} is declared already")
            topic = existing or Topic(name, self.history, self.history_bytes)
            topic.snapshot, topic.allow = snapshot, allow
            self._topics[name] = topic
        return topic

    def get(self, name: str) -> Topic:
        """The topic ``name`` (made on first use)."""
        topic = self._topics.get(name)
        if topic is None:
            with self._lock:
                topic = self._topics.setdefault(
                    name, Topic(name, self.history, self.history_bytes))
        return topic

    def subscribe(self, name: str) -> Element:
        """An element for a page: the page subscribes to ``name`` from the message it was
        rendered at (render it with the content it shows)."""
        _check_name(name)
        topic = self.get(name)
        return Div(hidden=True, data_live_topic=name, data_live_seq=topic.seq)

    # ---- publishing ---------------------------------------------------------------------

    def publish(self, name: str, *elements: Any) -> int:
        """Send ``elements`` (out-of-band elements: see ``appkit.live.ops``) to every page
        subscribed to ``name``; returns the message's number (0 in a process that serves no
        pages, such as a job's worker: the app's server publishes it). Thread-safe.

        Raises:
            ConfigurationError: an element the live layer cannot send.
        """
        _check_name(name)
        return self._publish(name, to_ops(elements))

    def to_user(self, session: Any, *elements: Any) -> int:
        """Send ``elements`` to every page of the user whose ``session`` this is."""
        return self._publish(user_topic(session), to_ops(elements))

    def _publish(self, name: str, ops: list[Op]) -> int:
        if not self.serving:
            # A job's worker or a script: the app's server (if one runs) numbers and
            # delivers it. Nothing to number here.
            if self.forward is not None and not self._served:
                self.forward(name, ops)
            return 0
        topic = self.get(name)
        payload = json.dumps(ops)
        with self._lock:
            # Numbered and handed to the broker under one lock: the loop gets the messages
            # of every thread in the order of their numbers.
            seq = topic.add(ops)
            self.broker.publish(name, f"[{seq},{payload}]")
        return seq

    # ---- delivering (on the server's loop) ----------------------------------------------

    def start(self) -> None:
        """Start delivering (on the server's loop)."""
        self.broker.start(self._deliver)
        self.serving = self._served = True

    def stop(self) -> None:
        """Stop delivering."""
        self.serving = False
        self.broker.stop()

    def publish_ops(self, name: str, ops: list[Op]) -> int:
        """Publish operations made elsewhere (by another process of the app)."""
        _check_name(name, reserved_ok=True)
        return self._publish(name, ops)

    def _deliver(self, name: str, payload: str) -> None:
        seq, ops = json.loads(payload)
        topic = self.get(name)
        for subscriber in list(topic.subscribers):
            try:
                subscriber.deliver(name, seq, ops, False)
            except Exception:
                logger.exception("A page could not take message %d of %r", seq, name)

    def attach(self, name: str, subscriber: Subscriber) -> None:
        """Add ``subscriber`` to ``name``."""
        topic = self.get(name)
        topic.subscribers.add(subscriber)
        topic.touched = time.monotonic()

    def drop(self, name: str) -> None:
        """Forget the topic ``name`` (declared or not): its pages keep what they show and
        get nothing more from it."""
        with self._lock:
            self._topics.pop(name, None)

    def seq(self, name: str) -> int:
        """The number of the last message of ``name`` (0 for a topic never published to;
        asking makes nothing)."""
        topic = self._topics.get(name)
        return 0 if topic is None else topic.seq

    def forget_idle(self, older_than: float) -> int:
        """Forget the topics nobody follows, nobody declared (``topic``), and nothing was
        published to for ``older_than`` seconds: no closed page can resume them any more
        (a page that comes back later resyncs). Returns how many were forgotten."""
        limit = time.monotonic() - older_than
        with self._lock:
            idle = [name for name, topic in self._topics.items()
                    if not topic.subscribers and topic.snapshot is None
                    and topic.allow is None and topic.touched < limit]
            for name in idle:
                del self._topics[name]
        return len(idle)

    def detach(self, subscriber: Subscriber, names: Iterable[str]) -> None:
        """Remove ``subscriber`` from ``names``; a topic nobody declared, subscribes to or
        remembers is forgotten."""
        for name in names:
            topic = self._topics.get(name)
            if topic is None:
                continue
            topic.subscribers.discard(subscriber)
            if not topic.subscribers and (name.startswith(PAGE_PREFIX) or (
                    topic.seq == 0 and topic.snapshot is None and topic.allow is None)):
                # Nothing to remember (a name a page made up, a topic never published to).
                with self._lock:
                    if not topic.subscribers and topic.seq == 0:
                        self._topics.pop(name, None)

    def snapshot_ops(self, name: str) -> list[Op] | None:
        """The ops of topic ``name``'s whole state, or None when it has no snapshot."""
        topic = self._topics.get(name)
        if topic is None or topic.snapshot is None:
            return None
        return to_ops([topic.snapshot()])

    @property
    def topics(self) -> dict[str, Topic]:
        """The topics by name (read it, do not change it)."""
        return self._topics

    def __repr__(self) -> str:
        return f"<Hub topics={len(self._topics)}>"


def user_topic(session: Any) -> str:
    """The topic of every page of ``session``'s user."""
    from hashlib import sha256

    token = getattr(session, "csrf_token", None) if session is not None else None
    key = sha256(token.encode()).hexdigest()[:24] if isinstance(token, str) else "anyone"
    return USER_PREFIX + key


def _check_name(name: Any, reserved_ok: bool = False) -> None:
    if not isinstance(name, str) or not name or len(name) > 200:
        raise ConfigurationError(f"A topic's name is text of 1-200 characters, not {name!r}")
    if not reserved_ok and name.startswith((USER_PREFIX, PAGE_PREFIX)):
        raise ConfigurationError(
            f"Topic names starting with {USER_PREFIX!r} or {PAGE_PREFIX!r} are the hub's "
            f"own (hub.to_user): pick another name than {name!r}")
