"""Limits on a request's head (request line and headers), enforced before any of the app,
the guard included, sees the request.

uvicorn reads heads with httptools (``uvicorn[standard]``), which has no limit of its own:
the request line and each header grow in memory until their line ends, so one unfinished
header line of many megabytes is held whole, per connection. ``HeadLimitedProtocol`` is
uvicorn's httptools protocol with a cap on the bytes of a head and on its number of header
lines: past either, the answer is ``431 Request Header Fields Too Large`` and the connection
is closed. Without httptools, uvicorn uses h11, whose own cap (``h11_max_incomplete_event_size``,
set to the same size by ``server_config``) answers 400 instead.
"""

from __future__ import annotations

import importlib.util
from typing import Any

import uvicorn

__all__ = ["MAX_HEAD_BYTES", "MAX_HEADERS", "server_config"]

#: The most bytes a request line and its headers may take together (cookies included).
MAX_HEAD_BYTES = 64 * 1024
#: The most header lines a request may have.
MAX_HEADERS = 100
#: How long a refused connection is drained before it is closed.
LINGER_SECONDS = 1.0

_MESSAGE = b"Request header fields too large: the request line and headers must stay under " + (
    str(MAX_HEAD_BYTES // 1024).encode() + b" KiB and " + str(MAX_HEADERS).encode()
    + b" lines.\n")


def _protocol_class() -> Any:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    class HeadLimitedProtocol(HttpToolsProtocol):
        """uvicorn's httptools protocol, with a cap on the size and count of headers."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._in_head = True  # the next bytes start a request
            self._head_bytes = 0
            self._header_lines = 0
            self._refused = False
            self._too_many = False

        def data_received(self, data: bytes) -> None:
            if self._refused:
                return
            if self._in_head:
                room = MAX_HEAD_BYTES - self._head_bytes
                if len(data) > room:
                    # Feed what fits: if the head ends within it, the rest is body (or the
                    # next request, whose head is counted from the next read on).
                    super().data_received(data[:room])
                    if self._refused or self.parser is None or self.transport.is_closing():
                        return
                    if self._in_head:
                        self._refuse()
                        return
                    data = data[room:]
                else:
                    self._head_bytes += len(data)
            super().data_received(data)

        def on_header(self, name: bytes, value: bytes) -> None:
            self._header_lines += 1
            if self._header_lines > MAX_HEADERS:
                self._too_many = True
                raise ValueError("too many header lines")  # httptools stops parsing
            super().on_header(name, value)

        def on_headers_complete(self) -> None:
            self._in_head = False
            super().on_headers_complete()

        def on_message_complete(self) -> None:
            super().on_message_complete()
            self._in_head = True
            self._head_bytes = 0
            self._header_lines = 0

        def send_400_response(self, msg: str) -> None:
            if self._too_many:
                self._refuse()
                return
            super().send_400_response(msg)

        def _refuse(self) -> None:
            self._refused = True
            self.logger.warning("Refused a request whose headers were too large (431)")
            self.transport.write(
                b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
                b"content-type: text/plain; charset=utf-8\r\n"
                b"content-length: " + str(len(_MESSAGE)).encode() + b"\r\n"
                b"connection: close\r\n\r\n" + _MESSAGE)
            # A lingering close: the client may still be sending; what it sends is read
            # and dropped for a moment, so that closing does not reset the connection
            # (and discard the answer) before the client has read it.
            if self.transport.can_write_eof():
                self.transport.write_eof()
            self.loop.call_later(LINGER_SECONDS, self.transport.close)

    return HeadLimitedProtocol


def server_config(app: Any, **options: Any) -> uvicorn.Config:
    """A ``uvicorn.Config`` for ``app`` (``options`` as uvicorn takes them) whose request
    heads are capped at ``MAX_HEAD_BYTES`` and ``MAX_HEADERS`` (431), whatever parser it
    uses."""
    if importlib.util.find_spec("httptools") is not None:
        options["http"] = _protocol_class()
    else:  # pragma: no cover - uvicorn[standard] brings httptools
        options["http"] = "h11"
    options["h11_max_incomplete_event_size"] = MAX_HEAD_BYTES
    return uvicorn.Config(app, **options)
