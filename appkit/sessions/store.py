"""The contract of a session store: where a session's JSON lives between requests.

The cookie store (``cookie.py``) keeps it in the cookie itself, signed; the SQLite store
(``sqlite.py``) keeps it in a database and puts an opaque random id in the cookie. Another
store (Redis, say) needs only these methods.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

__all__ = ["SessionStore"]


@runtime_checkable
class SessionStore(Protocol):
    """Loads and saves sessions by the value of the session cookie.

    ``load`` and ``save`` may block (a file, a database): appkit calls them in a worker
    thread unless ``blocking`` is False.
    """

    #: Whether ``load`` and ``save`` do I/O (and so run in a worker thread).
    blocking: bool

    def load(self, cookie: str, max_age: float) -> str | None:
        """The session's JSON for the cookie's value, or None when there is none (unknown,
        expired, tampered, malformed). Never raises for a bad cookie."""
        ...

    def save(self, cookie: str | None, data: str, max_age: float) -> str:
        """Keep ``data`` (the session's JSON) for ``max_age`` seconds; returns the value to
        put in the cookie. ``cookie`` is the value the client sent, when it was valid.

        Raises:
            SessionTooLarge: ``data`` is more than the store can keep.
        """
        ...

    def close(self) -> None:
        """Release what the store holds open (the app is shutting down)."""
        ...
