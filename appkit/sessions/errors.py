"""The errors of the sessions package."""

from __future__ import annotations

from appkit.errors import AppkitError

__all__ = ["SessionError", "SessionTooLarge", "SessionValueError"]


class SessionError(AppkitError):
    """A session could not be read or saved because of how the app uses it (not because
    of what a client sent: a bad cookie just gives an empty session)."""


class SessionTooLarge(SessionError):
    """The session holds more than its store can keep (a cookie holds about 4 KB).

    Attributes:
        size: the saved session's size in bytes.
        limit: the most the store keeps.
    """

    def __init__(self, message: str, *, size: int, limit: int) -> None:
        super().__init__(message)
        self.size = size
        self.limit = limit


class SessionValueError(SessionError, TypeError):
    """A value put in the session cannot be saved as JSON (it is also a ``TypeError``)."""
