"""The loopback guard: ASGI middleware that keeps other local users, processes and web pages
out of an app served on 127.0.0.1.

A port on loopback is reachable by every local process and, through fetch, forms,
websockets and DNS rebinding, by any web page the user has open. So, by default:

- a per-launch secret: the window opens ``/?appkit-token=...``; the guard answers with an
  HttpOnly, SameSite=Strict cookie and a redirect to the same URL without the token. Any
  request without the cookie (or ``Authorization: Bearer <token>``, for tools) gets 403;
- only ``Host: 127.0.0.1:<port>`` or ``localhost:<port>`` is served (DNS rebinding);
- ``Origin``, when a browser sends one, must be the app's own on websocket handshakes and
  on POST/PUT/PATCH/DELETE (CSRF from any page in the user's browser).

The token is compared in constant time and never logged (see ``redact``).
"""

from __future__ import annotations

import hmac
import html
import logging
import re
import secrets
from collections.abc import Iterable
from http.cookies import SimpleCookie
from urllib.parse import parse_qsl, urlencode

from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["LoopbackGuard", "TOKEN_PARAM", "new_token", "redact", "RedactTokens"]

TOKEN_PARAM = "appkit-token"
_UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_LOOPBACK_NAMES = ("127.0.0.1", "localhost")
_TOKEN_IN_TEXT = re.compile(rf"({re.escape(TOKEN_PARAM)}=)[^&\s\"']+")


def new_token() -> str:
    """A fresh 256-bit secret, URL-safe."""
    return secrets.token_urlsafe(32)


def redact(text: str) -> str:
    """``text`` with any ``appkit-token=...`` value replaced by ``***``."""
    return _TOKEN_IN_TEXT.sub(r"\1***", text)


class RedactTokens(logging.Filter):
    """A logging filter that removes launch tokens from records (uvicorn's access log
    prints the request line, query string included)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if TOKEN_PARAM in str(record.msg):
            record.msg = redact(str(record.msg))
        if record.args:
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            record.args = tuple(
                redact(a) if isinstance(a, str) and TOKEN_PARAM in a else a for a in args)
        return True


class LoopbackGuard:
    """Wraps an ASGI app so that only the window (and tools given the token) reach it.

    Args:
        app: the ASGI app to guard.
        token: the launch secret (``new_token()``).
        cookie_name: the cookie that carries it; cookies ignore ports, so two apps on
            127.0.0.1 need different names (the default adds the port).
        exempt_paths: paths served without the token (none by default).
    """

    def __init__(self, app: ASGIApp, token: str, *, cookie_name: str | None = None,
                 exempt_paths: Iterable[str] = ()) -> None:
        if len(token) < 32:
            raise ValueError("The launch token is too short: use shell.guard.new_token()")
        self.app = app
        self.token = token
        self._token_bytes = token.encode()
        self.cookie_name = cookie_name
        self.exempt_paths = frozenset(exempt_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        port = _server_port(scope)
        headers = _headers(scope)
        host = headers.get("host", "")
        if host not in {f"{name}:{port}" for name in _LOOPBACK_NAMES}:
            await _refuse(scope, receive, send, 403, "Wrong address",
                          "This app only answers requests addressed to "
                          f"127.0.0.1:{port} or localhost:{port}.")
            return
        origin = headers.get("origin")
        method = scope.get("method", "GET")
        if origin is not None and (kind == "websocket" or method in _UNSAFE):
            if origin not in {f"http://{name}:{port}" for name in _LOOPBACK_NAMES}:
                await _refuse(scope, receive, send, 403, "Cross-site request refused",
                              "This request came from another site, so the app refused it.")
                return
        cookie_name = self.cookie_name or f"appkit-token-{port}"
        query = scope.get("query_string", b"").decode("latin-1")
        if kind == "http" and TOKEN_PARAM in query:
            await self._exchange(scope, receive, send, query, cookie_name)
            return
        if scope.get("path") in self.exempt_paths or self._authorised(headers, cookie_name):
            await self.app(scope, receive, send)
            return
        await _refuse(scope, receive, send, 403, "Open this app from its window",
                      "This address belongs to a desktop app. It only answers its own "
                      "window, which carries a secret this request did not.")

    def _matches(self, candidate: str) -> bool:
        return hmac.compare_digest(candidate.encode(), self._token_bytes)

    def _authorised(self, headers: dict[str, str], cookie_name: str) -> bool:
        auth = headers.get("authorization", "")
        if auth[:7].lower() == "bearer " and self._matches(auth[7:].strip()):
            return True
        raw = headers.get("cookie")
        if not raw:
            return False
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(raw)
        except Exception:  # a malformed cookie header is simply not authorised
            return False
        morsel = jar.get(cookie_name)
        return morsel is not None and self._matches(morsel.value)

    async def _exchange(self, scope: Scope, receive: Receive, send: Send, query: str,
                        cookie_name: str) -> None:
        pairs = parse_qsl(query, keep_blank_values=True)
        given = [v for k, v in pairs if k == TOKEN_PARAM]
        if not given or not self._matches(given[-1]):
            await _refuse(scope, receive, send, 403, "Open this app from its window",
                          "The secret in this address is not this launch's.")
            return
        rest = urlencode([(k, v) for k, v in pairs if k != TOKEN_PARAM])
        location = scope.get("root_path", "") + scope["path"] + (f"?{rest}" if rest else "")
        cookie = (f"{cookie_name}={self.token}; Path=/; HttpOnly; SameSite=Strict")
        await send({"type": "http.response.start", "status": 303, "headers": [
            (b"location", location.encode("latin-1")),
            (b"set-cookie", cookie.encode("latin-1")),
            (b"cache-control", b"no-store"),
            (b"content-length", b"0"),
            (b"referrer-policy", b"no-referrer"),
        ]})
        await send({"type": "http.response.body", "body": b""})


def _server_port(scope: Scope) -> int | None:
    server = scope.get("server")
    return server[1] if server else None


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}


async def _refuse(scope: Scope, receive: Receive, send: Send, status: int, title: str,
                  message: str) -> None:
    body = (
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{html.escape(title)}</title></head><body style=\"font-family: sans-serif; "
        f"max-width: 36rem; margin: 3rem auto\"><h1>{html.escape(title)}</h1>"
        f"<p>{html.escape(message)}</p></body></html>"
    ).encode()
    headers = [
        (b"content-type", b"text/html; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-store"),
    ]
    if scope["type"] == "websocket":
        await receive()  # websocket.connect
        if "websocket.http.response" in scope.get("extensions", {}):
            await send({"type": "websocket.http.response.start", "status": status,
                        "headers": headers})
            await send({"type": "websocket.http.response.body", "body": body})
        else:  # the server answers a plain 403 to a handshake closed before accept
            await send({"type": "websocket.close", "code": 1008, "reason": title})
        return
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
