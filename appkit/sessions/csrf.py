"""CSRF protection: every unsafe request (POST, PUT, PATCH, DELETE) to an appkit route must
carry its session's token, in the ``X-CSRF-Token`` header (htmx requests: appkit.js adds it)
or the ``appkit-csrf`` form field (plain forms: appkit.js adds it on submit).

Exempt: safe methods, tools (``Authorization: Bearer``: behind the loopback guard only the
valid launch token counts, since the guard checked it; other schemes, such as ``Basic``,
which a browser may add by itself, never do), routes declared with ``csrf=False``, and
mounted apps. This is on top of the loopback guard's ``Origin`` check: both apply.
"""

from __future__ import annotations

import hmac

from starlette.requests import HTTPConnection, Request

from appkit.errors import Forbidden
from appkit.sessions.session import Session

__all__ = ["CSRF_FIELD", "CSRF_HEADER", "UNSAFE_METHODS", "check_csrf", "is_exempt"]

CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "appkit-csrf"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")

MISSING = (
    "This request did not carry the page's security token, so the app refused it (a "
    "protection against requests forged by other sites). Reload the page and try again. "
    f"Pages of the app send it by themselves; a script sends it in the {CSRF_HEADER} "
    "header (from <meta name=\"csrf-token\">), a tool uses an Authorization header."
)
WRONG = (
    "This request carried a security token that is not this session's (the page is older "
    "than the session: it expired or was reset), so the app refused it. Reload the page "
    "and try again."
)


_CSRF_HEADER_RAW = CSRF_HEADER.lower().encode("latin-1")


def _header(request: HTTPConnection, name: bytes) -> str | None:
    """The first value of header ``name`` (lowercase bytes), as ``request.headers.get``."""
    for key, value in request.scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return None


#: The scope key the loopback guard (``shell.guard.BEARER_SCOPE_KEY``) sets on the requests
#: it lets through: True when the launch token came as a Bearer token.
_GUARD_BEARER = "shell.bearer"


def is_exempt(request: HTTPConnection) -> bool:
    """Safe methods and tools' requests need no token; a websocket's handshake always
    does (its equivalent of an unsafe request). A tool's request carries
    ``Authorization: Bearer ...``; behind the loopback guard it must be the launch token
    (the guard says so in the scope). Any other scheme (``Basic``: a browser sends cached
    credentials by itself) is not exempt."""
    if request.scope["type"] == "websocket":
        return False
    if request.scope["method"] not in UNSAFE_METHODS:
        return True
    checked = request.scope.get(_GUARD_BEARER)
    if checked is not None:
        return checked is True
    return any(name == b"authorization" and value[:7].lower() == b"bearer "
               for name, value in request.scope["headers"])


async def check_csrf(request: HTTPConnection, session: Session) -> None:
    """Refuse an unsafe request (or a websocket handshake) whose token does not match its
    session's. A websocket carries it in the ``appkit-csrf`` query parameter.

    Raises:
        Forbidden: the token is missing or wrong (403, with a message that says what to do).
    """
    given = _header(request, _CSRF_HEADER_RAW)
    if given is None and request.scope["type"] == "websocket":
        given = request.query_params.get(CSRF_FIELD)
    elif given is None and isinstance(request, Request):
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype in _FORMS:
            field = (await request.form()).get(CSRF_FIELD)  # parsed once: the binder reuses it
            given = field if isinstance(field, str) else None
    if not given:
        raise Forbidden(MISSING)
    if not session.has_csrf_token or not hmac.compare_digest(
            given.encode(), session.csrf_token.encode()):
        raise Forbidden(WRONG)
