"""``Session``: one user's values, kept between requests, saved only when they change.

    @app.post("/cart")
    def add(item: str, session: Session):
        session["cart"] = [*session.get("cart", []), item]   # assign: saved
        session["cart"].append(item)                        # mutate inside: not noticed

Values are JSON: they come back as JSON gives them (tuples as lists, dict keys as text).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator, MutableMapping
from typing import Any

from appkit.sessions.errors import SessionValueError

__all__ = ["Session"]

_DATA, _CSRF, _TOASTS = "d", "c", "t"


def _check_json(key: str, value: Any) -> None:
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise SessionValueError(
            f"The session cannot keep {key!r}: {exc}. A session holds JSON values (str, "
            "int, float, bool, None, and lists and dicts of them): store an id or a dict, "
            "not the object itself"
        ) from None


class Session(MutableMapping[str, Any]):
    """The ``session`` handler parameter: a dict of JSON values for one user.

    Use it as a dict (``get``, ``[key]``, ``del``, ``pop``, ``clear``, ``in``, iteration).
    It is saved when the answer goes out, and only if it changed; a change inside a value
    (``session["cart"].append(...)``) is not noticed: assign the value again, or set
    ``session.modified = True``.

    Raises:
        SessionValueError: a key is not a str, or a value is not JSON (on assignment).
    """

    __slots__ = ("_data", "_csrf", "_toasts", "_modified", "values_changed", "cleared")

    def __init__(self, data: dict[str, Any] | None = None, *, csrf_token: str | None = None,
                 toasts: list[dict[str, str]] | None = None) -> None:
        self._data: dict[str, Any] = dict(data or {})
        self._csrf = csrf_token
        self._toasts: list[dict[str, str]] = list(toasts or [])
        self._modified = False
        #: True when a value was set or removed (not a toast, not the token): the user's
        #: open live pages then read the session again.
        self.values_changed = False
        #: True when ``clear`` removed values in this request (a sign-out, say): the user's
        #: running server-side views end with it.
        self.cleared = False

    @property
    def modified(self) -> bool:
        """True when the session has changed in this request and will be saved. Set it
        after changing a value in place (``session["cart"].append(...)``)."""
        return self._modified

    @modified.setter
    def modified(self, value: bool) -> None:
        self._modified = value
        if value:
            self.values_changed = True

    # ---- the mapping -------------------------------------------------------------------

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __setitem__(self, key: str, value: Any) -> None:
        if not isinstance(key, str):
            raise SessionValueError(
                f"Session keys are text, not {type(key).__name__}: {key!r}. Use str(key)")
        _check_json(key, value)
        self._data[key] = value
        self._modified = self.values_changed = True

    def __delitem__(self, key: str) -> None:
        del self._data[key]
        self._modified = self.values_changed = True

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def clear(self) -> None:
        """Remove every value (on logging out, say). The CSRF token and any queued toasts
        stay, so the page that is open keeps working."""
        if self._data:
            self._data.clear()
            self._modified = self.values_changed = self.cleared = True

    def __repr__(self) -> str:
        return f"Session({self._data!r})"

    # ---- appkit's own parts ------------------------------------------------------------

    @property
    def csrf_token(self) -> str:
        """This session's CSRF token (made on first use), which pages send back with every
        unsafe request: the ``X-CSRF-Token`` header or the ``appkit-csrf`` form field."""
        if self._csrf is None:
            self._csrf = secrets.token_urlsafe(32)
            self._modified = True
        return self._csrf

    @property
    def has_csrf_token(self) -> bool:
        """Whether a CSRF token was made already (reading ``csrf_token`` makes one)."""
        return self._csrf is not None

    def _queue_toast(self, toast: dict[str, str]) -> None:
        self._toasts.append(toast)
        self._modified = True

    def _take_toasts(self) -> list[dict[str, str]]:
        if not self._toasts:
            return []
        taken, self._toasts = self._toasts, []
        self._modified = True
        return taken

    @property
    def _has_toasts(self) -> bool:
        return bool(self._toasts)

    # ---- saved form ----------------------------------------------------------------------

    def dumps(self) -> str:
        """The session as JSON text, as the stores keep it.

        Raises:
            SessionValueError: a value changed inside (bypassing the checks on assignment)
                holds something that is not JSON; the message names its key.
        """
        payload: dict[str, Any] = {}
        if self._data:
            payload[_DATA] = self._data
        if self._csrf is not None:
            payload[_CSRF] = self._csrf
        if self._toasts:
            payload[_TOASTS] = self._toasts
        try:
            return json.dumps(payload, separators=(",", ":"), allow_nan=False)
        except (TypeError, ValueError):
            for key, value in self._data.items():
                _check_json(key, value)
            raise

    @classmethod
    def loads(cls, text: str) -> Session:
        """A session from what ``dumps`` wrote.

        Raises:
            ValueError: ``text`` is not a saved session.
        """
        payload = json.loads(text)
        if not isinstance(payload, dict):
            raise ValueError("not an object")
        data = payload.get(_DATA, {})
        csrf = payload.get(_CSRF)
        toasts = payload.get(_TOASTS, [])
        if not isinstance(data, dict) or not (csrf is None or isinstance(csrf, str)):
            raise ValueError("unexpected values")
        if not isinstance(toasts, list) or not all(
                isinstance(t, dict) and isinstance(t.get("message"), str)
                and isinstance(t.get("kind"), str) for t in toasts):
            raise ValueError("unexpected toasts")
        return cls(data, csrf_token=csrf, toasts=toasts)

    def largest(self, count: int = 3) -> list[tuple[str, int]]:
        """The ``count`` keys whose values take the most room, with their JSON sizes."""
        sizes = [(key, len(json.dumps(value, default=repr))) for key, value in
                 self._data.items()]
        return sorted(sizes, key=lambda item: -item[1])[:count]
