"""``*.localhost`` for the tests' own HTTP clients, as browsers resolve it.

The window and the browser open the app on a secret ``<label>.localhost`` name, which web
engines resolve to loopback by themselves; the system resolver may not (glibc does only with
nss-myhostname). ``opener`` gives urllib the browsers' rule, and ``allow_localhost_names``
lets a page of the Playwright fixture (which blocks every name but 127.0.0.1 and localhost)
load them.
"""

from __future__ import annotations

import http.client
import http.cookiejar
import socket
import urllib.request
from typing import Any
from urllib.parse import urlsplit

__all__ = ["allow_localhost_names", "is_localhost_name", "opener"]


def is_localhost_name(url: str) -> bool:
    """True for an http(s) address whose host is a ``*.localhost`` name."""
    return (urlsplit(url).hostname or "").endswith(".localhost")


class _Connection(http.client.HTTPConnection):
    def connect(self) -> None:
        if self.host.endswith(".localhost"):
            self.sock = socket.create_connection(("127.0.0.1", self.port), self.timeout)
        else:
            super().connect()


class _Handler(urllib.request.HTTPHandler):
    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_Connection, req)


def opener(jar: http.cookiejar.CookieJar | None = None) -> urllib.request.OpenerDirector:
    """A urllib opener that keeps cookies in ``jar`` (a new one by default) and reaches
    ``*.localhost`` names on 127.0.0.1."""
    return urllib.request.build_opener(
        _Handler(), urllib.request.HTTPCookieProcessor(
            http.cookiejar.CookieJar() if jar is None else jar))


def allow_localhost_names(page: Any) -> None:
    """Let ``page`` load ``*.localhost`` addresses (a page's routes go before its
    context's, which block every other name)."""
    page.route(is_localhost_name, lambda route: route.continue_())
