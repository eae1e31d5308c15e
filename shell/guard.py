"""The loopback guard: ASGI middleware that keeps other local users, processes and web pages
out of an app served on 127.0.0.1.

A port on loopback is reachable by every local process and, through fetch, forms, frames,
websockets and DNS rebinding, by any web page the user has open. So, by default:

- a per-launch secret: the window opens ``http://<name>.localhost:<port>/?appkit-token=...``
  where ``<name>`` is a per-launch random label (``new_host_name``); the guard answers with
  an HttpOnly, SameSite=Strict cookie, host-only on that name, and a redirect to the same
  address without the token. Browsers keep cookies per host name, not per port, so a cookie
  set on 127.0.0.1 would also go to every other server on 127.0.0.1; one set on the secret
  name only ever goes to a server addressed by that name, which nobody else knows (a
  browser's exchange on 127.0.0.1 or localhost is redirected to that name first). Any
  request without the cookie (or ``Authorization: Bearer <token>``, for tools) gets 403;
- only ``Host: 127.0.0.1:<port>``, ``localhost:<port>`` or ``<name>.localhost:<port>`` is
  served (DNS rebinding), and exactly one ``Host`` header;
- ``Origin``, when a browser sends one, must be the app's own on websocket handshakes and
  on POST/PUT/PATCH/DELETE (CSRF from any page in the user's browser);
- every answer says that only the app's own pages may frame it (``X-Frame-Options``, CSP
  ``frame-ancestors``), and carries a strict default Content-Security-Policy unless the app
  sends its own.

The token is compared in constant time and never logged (see ``redact``).
"""

from __future__ import annotations

import hmac
import html
import logging
import re
import secrets
from collections.abc import Iterable
from urllib.parse import parse_qsl, quote, urlencode

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["BEARER_SCOPE_KEY", "DEFAULT_CSP", "LoopbackGuard", "TOKEN_PARAM", "new_host_name",
           "new_token", "parse_cookies", "redact", "RedactTokens"]

TOKEN_PARAM = "appkit-token"
#: Set in the scope of every request the guard lets through: True when a valid launch
#: token came as ``Authorization: Bearer`` (a tool; appkit's CSRF check exempts only these).
BEARER_SCOPE_KEY = "shell.bearer"
#: The Content-Security-Policy added to answers that carry none of their own: the app's
#: own scripts, styles, images and connections only; no plugins; forms post to the app;
#: only the app's own pages may frame it. Inline ``<script>`` and ``on...=`` attributes are
#: refused; inline styles are allowed (htmx adds its indicator styles that way).
#: ``'unsafe-eval'``: pywebview runs what the shell asks of the window (``evaluate_js``:
#: the window's state, its dialogs' answers) through ``eval`` inside the page; without it
#: the native window's features stop working. appkit's own pages need no eval.
DEFAULT_CSP = ("default-src 'self'; script-src 'self' 'unsafe-eval'; "
               "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
               "font-src 'self' data:; media-src 'self' data: blob:; connect-src 'self'; "
               "object-src 'none'; base-uri 'self'; form-action 'self'; "
               "frame-ancestors 'self'")
_FRAME_ANCESTORS = b"frame-ancestors 'self'"
_UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_LOOPBACK_NAMES = ("127.0.0.1", "localhost")
_TOKEN_IN_TEXT = re.compile(rf"({re.escape(TOKEN_PARAM)}=)[^&\s\"']+")
# What stays as it is in a path put back into a Location header; everything else
# (non-ASCII, CR, LF, backslash, spaces...) is percent-encoded.
_PATH_SAFE = "/:@!$&'()*+,;=-._~"


def new_token() -> str:
    """A fresh 256-bit secret, URL-safe."""
    return secrets.token_urlsafe(32)


def new_host_name() -> str:
    """A fresh secret host name, ``<32 hex digits>.localhost`` (128 bits). Browsers and
    the web engines the shell uses resolve every ``*.localhost`` name to loopback by
    themselves, and keep cookies per host name: a cookie set on this one reaches no
    other server."""
    return f"{secrets.token_hex(16)}.localhost"


def redact(text: str) -> str:
    """``text`` with any ``appkit-token=...`` value replaced by ``***``."""
    return _TOKEN_IN_TEXT.sub(r"\1***", text)


def parse_cookies(header: str) -> list[tuple[str, str]]:
    """The ``(name, value)`` pairs of a ``Cookie`` header, as browsers send them:
    ``name=value`` pairs split on ``;``, spaces around them dropped, values taken as
    they are (quotes, spaces, commas, braces included). A pair without ``=`` is a value
    with an empty name, as RFC 6265bis reads it. Never raises."""
    pairs = []
    for piece in header.split(";"):
        name, eq, value = piece.partition("=")
        if not eq:
            name, value = "", name
        name, value = name.strip(" \t"), value.strip(" \t")
        if name or value:
            pairs.append((name, value))
    return pairs


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
        host_name: the per-launch secret host name (``new_host_name()``). When given, a
            browser only ever gets the cookie on it: a browser's token exchange addressed
            to 127.0.0.1 or localhost is redirected there first (a tool's is not: it keeps
            its own cookies). None keeps the cookie on whatever loopback name was used (for
            engines that cannot resolve ``*.localhost``).
        cookie_name: the cookie that carries the token (default ``appkit-token-<port>``).
        exempt_paths: paths served without the token (none by default).
        content_security_policy: added to answers that carry no CSP of their own (default
            ``DEFAULT_CSP``; None adds none). ``frame-ancestors 'self'`` and
            ``X-Frame-Options: SAMEORIGIN`` are added in any case.
    """

    def __init__(self, app: ASGIApp, token: str, *, host_name: str | None = None,
                 cookie_name: str | None = None, exempt_paths: Iterable[str] = (),
                 content_security_policy: str | None = DEFAULT_CSP) -> None:
        if len(token) < 32:
            raise ValueError("The launch token is too short: use shell.guard.new_token()")
        if host_name is not None and not re.fullmatch(r"[a-z0-9-]{16,63}\.localhost",
                                                      host_name):
            raise ValueError(f"The secret host name {host_name!r} is not a label of 16 to 63 "
                             "lowercase letters, digits or hyphens under .localhost: use "
                             "shell.guard.new_host_name()")
        self.app = app
        self.token = token
        self._token_bytes = token.encode()
        self.host_name = host_name
        self.cookie_name = cookie_name
        self.exempt_paths = frozenset(exempt_paths)
        self.content_security_policy = content_security_policy
        self._csp = content_security_policy.encode() if content_security_policy else None

    def names(self) -> tuple[str, ...]:
        """The host names served: 127.0.0.1, localhost and the secret one, if any."""
        return _LOOPBACK_NAMES + ((self.host_name,) if self.host_name else ())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        port = _server_port(scope)
        headers = _headers(scope)
        hosts = headers.get("host", [])
        if len(hosts) > 1:
            await _refuse(scope, receive, send, 400, "Bad request",
                          "This request named its address more than once (two Host "
                          "headers), so the app refused it.")
            return
        host = hosts[0] if hosts else ""
        allowed = {f"{name}:{port}" for name in self.names()}
        if host.lower() not in allowed:
            await _refuse(scope, receive, send, 403, "Wrong address",
                          "This app only answers requests addressed to "
                          f"127.0.0.1:{port} or localhost:{port}.")
            return
        method = scope.get("method", "GET")
        if kind == "websocket" or method in _UNSAFE:
            origins = {f"http://{name}" for name in allowed}
            if any(origin.lower() not in origins for origin in headers.get("origin", [])):
                await _refuse(scope, receive, send, 403, "Cross-site request refused",
                              "This request came from another site, so the app refused it.")
                return
        cookie_name = self.cookie_name or f"appkit-token-{port}"
        if kind == "http":
            send = self._with_security_headers(send)
            pairs = parse_qsl(scope.get("query_string", b"").decode("latin-1"),
                              keep_blank_values=True)
            if any(key == TOKEN_PARAM for key, _ in pairs):
                await self._exchange(scope, receive, send, pairs, cookie_name, host.lower(),
                                     port)
                return
        bearer = self._bearer(headers)
        if bearer or scope.get("path") in self.exempt_paths or self._cookie(headers,
                                                                            cookie_name):
            scope[BEARER_SCOPE_KEY] = bearer
            await self.app(scope, receive, send)
            return
        await _refuse(scope, receive, send, 403, "Open this app from its window",
                      "This address belongs to a desktop app. It only answers its own "
                      "window, which carries a secret this request did not.")

    def _matches(self, candidate: str) -> bool:
        return hmac.compare_digest(candidate.encode(), self._token_bytes)

    def _bearer(self, headers: dict[str, list[str]]) -> bool:
        found = False
        for auth in headers.get("authorization", []):
            if auth[:7].lower() == "bearer " and self._matches(auth[7:].strip()):
                found = True
        return found

    def _cookie(self, headers: dict[str, list[str]], cookie_name: str) -> bool:
        # Every cookie of that name counts: another page can add one of the same name
        # (a Domain cookie, another path), and it must not lock the window out.
        found = False
        for raw in headers.get("cookie", []):
            for name, value in parse_cookies(raw):
                if name == cookie_name and self._matches(value):
                    found = True
        return found

    def _with_security_headers(self, send: Send) -> Send:
        csp = self._csp

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                if b"x-frame-options" not in names:
                    headers.append((b"x-frame-options", b"SAMEORIGIN"))
                if b"content-security-policy" not in names and csp is not None:
                    headers.append((b"content-security-policy", csp))
                else:  # the app's own policy (or none): frames are refused all the same
                    headers.append((b"content-security-policy", _FRAME_ANCESTORS))
                if b"x-content-type-options" not in names:
                    headers.append((b"x-content-type-options", b"nosniff"))
                if b"referrer-policy" not in names:
                    # The secret host name must not travel to other sites in Referer.
                    headers.append((b"referrer-policy", b"same-origin"))
                message = {**message, "headers": headers}
            await send(message)

        return sending

    async def _exchange(self, scope: Scope, receive: Receive, send: Send,
                        pairs: list[tuple[str, str]], cookie_name: str, host: str,
                        port: int | None) -> None:
        given = [v for k, v in pairs if k == TOKEN_PARAM]
        if not self._matches(given[-1]):
            await _refuse(scope, receive, send, 403, "Open this app from its window",
                          "The secret in this address is not this launch's.")
            return
        path = _location_path(scope)
        headers = [(b"cache-control", b"no-store"), (b"content-length", b"0"),
                   (b"referrer-policy", b"no-referrer")]
        if self.host_name and host != f"{self.host_name}:{port}" and _from_browser(scope):
            # A browser shares its cookies with every server of the same name, whatever
            # the port: the cookie goes on the secret name only, so send the token there.
            # (A tool, such as curl or urllib, keeps its own cookie jar: it gets the cookie
            # on the name it used, and needs no *.localhost resolution.)
            target = f"http://{self.host_name}:{port}{path}?{urlencode(pairs)}"
        else:
            rest = urlencode([(k, v) for k, v in pairs if k != TOKEN_PARAM])
            # Absolute, on this host: a path like //evil.example/ stays a path here.
            target = f"http://{host}{path}" + (f"?{rest}" if rest else "")
            headers.append((b"set-cookie", f"{cookie_name}={self.token}; Path=/; HttpOnly; "
                                           "SameSite=Strict".encode("ascii")))
        headers.append((b"location", target.encode("ascii")))
        await send({"type": "http.response.start", "status": 303, "headers": headers})
        await send({"type": "http.response.body", "body": b""})


def _location_path(scope: Scope) -> str:
    """The request's path (root path included), percent-encoded for a Location header:
    non-ASCII, CR, LF, backslashes and the like cannot break the header or the URL."""
    path = scope.get("root_path", "") + scope.get("path", "/")
    return quote(path, safe=_PATH_SAFE, errors="replace") or "/"


def _from_browser(scope: Scope) -> bool:
    """True for a request a browser made: browsers send ``Sec-Fetch-Mode`` (Chromium
    since 76, Firefox since 90, Safari since 16.4), which no page can remove; tools do not."""
    return any(key.lower() == b"sec-fetch-mode" for key, _ in scope["headers"])


def _server_port(scope: Scope) -> int | None:
    server = scope.get("server")
    return server[1] if server else None


def _headers(scope: Scope) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for key, value in scope["headers"]:
        found.setdefault(key.decode("latin-1").lower(), []).append(value.decode("latin-1"))
    return found


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
        (b"x-frame-options", b"DENY"),
        (b"content-security-policy", b"default-src 'none'; style-src 'unsafe-inline'; "
                                     b"frame-ancestors 'none'"),
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
