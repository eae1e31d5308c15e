"""``LiveSettings``: the live layer's bounds and timings, checked when made."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from appkit.errors import ConfigurationError

if TYPE_CHECKING:
    from appkit.live.extension import LiveExtension

__all__ = ["LiveSettings"]


@dataclass(frozen=True)
class LiveSettings:
    """How the live layer keeps pages in sync: ``App(..., extensions=[LiveSettings(...)])``.

    Args:
        history: messages each topic keeps for pages that reconnect (a page that missed
            more gets the topic's snapshot, or reloads).
        history_bytes: and at most this many bytes of them per topic.
        max_message_size: the largest frame a page may send, in bytes (1009 above it).
        outbox_frames: frames that may wait to be sent to a page; past this the page
            counts as stuck (it does not read): its queue is dropped, the socket closed
            (1013) and the page resynced when it comes back, so server memory per page stays
            bounded. A page that missed more than half of it while away gets the topic's
            snapshot instead of the messages.
        outbox_bytes: and at most this many bytes of them.
        heartbeat: seconds of silence after which a page pings the server.
        idle_timeout: seconds without any frame from a page before the server closes it
            (4408); the page reconnects.
        page_grace: seconds a page's state (the events it sent, the topics it follows, its
            live components) is kept after its socket closed, for it to resume.
        left_grace: the same for a page that was left (its socket closed as the window
            closed or the page navigated away: 4101 from live.js, 1001 from the browser);
            at most ``page_grace``.
        pages_per_user: open or resumable pages one user may have; the oldest closed one
            is forgotten first.
        component_ttl: seconds a live component is kept after its last event (its page
            then gets "reload"); one whose page is live goes with the page (``page_grace``
            after the page closed, ``left_grace`` after it was left) and one taken off its
            page ``page_grace`` after that, unless an event comes first.
        components_per_session: live components one session may have; past it the least
            recently used one is dropped.
        component_store: ``"memory"`` (the default: components go with the server
            process) or ``"sqlite"`` (kept in ``<data>/<app>-components.db``: a page's
            components survive a restart of the app; their state must be JSON).

    Raises:
        ConfigurationError: a value out of range, named with the fix.
    """

    history: int = 1000
    history_bytes: int = 2 * 1024 * 1024
    max_message_size: int = 64 * 1024
    outbox_frames: int = 1024
    outbox_bytes: int = 4 * 1024 * 1024
    heartbeat: float = 15.0
    idle_timeout: float = 60.0
    page_grace: float = 600.0
    left_grace: float = 5.0
    pages_per_user: int = 64
    component_ttl: float = 3600.0
    components_per_session: int = 200
    component_store: str = "memory"

    def __post_init__(self) -> None:
        for name in ("history", "history_bytes", "max_message_size", "outbox_frames",
                     "outbox_bytes", "pages_per_user", "components_per_session"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigurationError(f"{name} is a whole number, 1 or more, not {value!r}")
        for name in ("heartbeat", "idle_timeout", "page_grace", "left_grace",
                     "component_ttl"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise ConfigurationError(f"{name} is a positive number of seconds, not "
                                         f"{value!r}")
        if self.component_store not in ("memory", "sqlite"):
            raise ConfigurationError(
                f"component_store is 'memory' or 'sqlite', not {self.component_store!r}")
        if self.idle_timeout <= self.heartbeat:
            raise ConfigurationError(
                f"idle_timeout ({self.idle_timeout}) must be longer than heartbeat "
                f"({self.heartbeat}), or quiet pages are closed between their pings")

    def extension(self) -> LiveExtension:
        """The live extension with these settings."""
        from appkit.live.extension import LiveExtension

        return LiveExtension(self)
