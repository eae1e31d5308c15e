"""The default session store: the whole session in the cookie, signed with HMAC-SHA256.

The cookie is ``base64(json).issued-at.signature``. It is signed, not encrypted: the user
can read what is in it (they are the user it belongs to), but any change makes it invalid.
A cookie holds about 4 KB, so keep ids in the session, not records.
"""

from __future__ import annotations

import logging
import time

from appkit.sessions._signing import BadValue, Expired, derive_key, sign, unsign
from appkit.sessions.errors import SessionTooLarge

__all__ = ["CookieStore", "COOKIE_LIMIT"]

logger = logging.getLogger("appkit.sessions")

#: The most a browser keeps in one cookie (name and value together), in bytes.
COOKIE_LIMIT = 4096
_CHECKED_MAX = 256  # cookies remembered as checked (a few users' windows, many times over)


class CookieStore:
    """Keeps each session in its signed cookie.

    Args:
        secret_key: the key that signs the cookies (32 bytes or more).
        max_size: the most the cookie's value may take, in bytes (a browser drops a cookie
            whose name and value are over 4096 bytes).
    """

    blocking = False

    def __init__(self, secret_key: bytes, *, max_size: int = COOKIE_LIMIT) -> None:
        if len(secret_key) < 32:
            raise ValueError("A session key needs at least 32 bytes (secrets.token_bytes(32))")
        self._key = derive_key(secret_key, "session-cookie")
        self.max_size = max_size
        # Cookies whose signature checked out, with their JSON and when they were signed:
        # one user's window sends the same cookie with every request until the session
        # changes, so its HMAC and base64 are worked out once. Keyed by the exact value.
        self._checked: dict[str, tuple[str, int]] = {}

    def load(self, cookie: str, max_age: float) -> str | None:
        """The session's JSON from a signed cookie; None when the cookie is not valid."""
        if len(cookie) > self.max_size:
            logger.info("Ignored a session cookie of %d bytes (over %d)", len(cookie),
                        self.max_size)
            return None
        now = time.time()
        checked = self._checked.get(cookie)
        if checked is not None and now - checked[1] <= max_age:
            return checked[0]
        try:
            payload = unsign(self._key, cookie, max_age, now)
            text = payload.decode("utf-8")
        except Expired as exc:
            logger.info("The session cookie has expired (%s): starting a new session", exc)
        except (BadValue, UnicodeDecodeError) as exc:
            logger.info("Ignored a session cookie that is not valid (%s): tampered, or "
                        "signed with another key", exc)
        else:
            if len(self._checked) >= _CHECKED_MAX:
                self._checked.clear()
            self._checked[cookie] = (text, int(cookie.rsplit(".", 2)[1], 16))
            return text
        return None

    def save(self, cookie: str | None, data: str, max_age: float) -> str:
        """The signed cookie value for ``data``.

        Raises:
            SessionTooLarge: the signed value is over ``max_size``.
        """
        value = sign(self._key, data.encode("utf-8"), int(time.time()))
        if len(value) > self.max_size:
            raise SessionTooLarge(
                f"The session is {len(value)} bytes when saved in its cookie, over the "
                f"{self.max_size} bytes a cookie holds", size=len(value), limit=self.max_size)
        return value

    def close(self) -> None:
        """Nothing to release."""
