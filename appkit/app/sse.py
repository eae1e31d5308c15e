"""Server-sent events: stream what an async generator yields to the browser.

    @app.get("/clock")
    async def clock():
        async def ticks():
            while True:
                yield Event(Span(time.strftime("%X")), event="tick")
                await asyncio.sleep(1)
        return EventStream(ticks())

On the page, with the vendored sse extension:
``Div(hx_ext="sse", sse_connect="/clock", sse_swap="tick")``.

When the client goes away the generator is cancelled (its ``finally`` blocks run), and while
it is quiet a comment line keeps proxies and the browser from timing the stream out.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from appkit.html import Element, render

__all__ = ["Event", "EventStream"]

logger = logging.getLogger("appkit")


class Event:
    """One server-sent event: ``data`` (a str or nodes, rendered), with an optional event
    name, id and reconnection delay in milliseconds."""

    __slots__ = ("data", "event", "id", "retry")

    def __init__(self, data: Any = "", *, event: str | None = None, id: str | int | None = None,
                 retry: int | None = None) -> None:
        for label, value in (("event", event), ("id", id)):
            if value is not None and any(c in str(value) for c in "\r\n"):
                raise ValueError(f"An event's {label} cannot contain a line break: {value!r}")
        self.data = data
        self.event = event
        self.id = id
        self.retry = retry

    def encode(self) -> bytes:
        """The event in the ``text/event-stream`` format."""
        lines = []
        if self.event is not None:
            lines.append(f"event: {self.event}")
        if self.id is not None:
            lines.append(f"id: {self.id}")
        if self.retry is not None:
            lines.append(f"retry: {int(self.retry)}")
        data = self.data if isinstance(self.data, str) else render(self.data)
        data = data.replace("\r\n", "\n").replace("\r", "\n")  # all three end a line
        lines.extend(f"data: {line}" for line in data.split("\n"))
        return ("\n".join(lines) + "\n\n").encode()


class EventStream(Response):
    """An ASGI response that streams events from an async generator (or any async iterator).

    Each item is an ``Event``, a str, or nodes (rendered to HTML); str and nodes become an
    event with no name (the ``message`` event).

    Args:
        events: the async iterator of items.
        heartbeat: seconds of silence after which a comment line is sent; None for never.
        retry: the reconnection delay (ms) to announce to the browser at the start.
        headers: extra response headers.
    """

    media_type = "text/event-stream"

    def __init__(self, events: AsyncIterator[Any], *, heartbeat: float | None = 15.0,
                 retry: int | None = None, headers: dict[str, str] | None = None) -> None:
        if not hasattr(events, "__anext__"):
            raise TypeError(
                f"EventStream needs an async generator or iterator, not "
                f"{type(events).__name__}: write the source as `async def ...: yield ...`"
            )
        # Response.__init__ is not called: it would add a content-length of 0.
        self.events = events
        self.heartbeat = heartbeat
        self.retry = retry
        self.status_code = 200
        self.background = None
        self.body = b""
        self.raw_headers = [
            (b"content-type", b"text/event-stream; charset=utf-8"),
            (b"cache-control", b"no-cache"),
            (b"x-accel-buffering", b"no"),
        ]
        for key, value in (headers or {}).items():
            self.headers[key] = value

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code,
                    "headers": self.raw_headers})
        if self.retry is not None:
            await send({"type": "http.response.body", "body": f"retry: {int(self.retry)}\n\n"
                        .encode(), "more_body": True})
        queue: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=64)
        producer = asyncio.create_task(self._produce(queue))
        watcher = asyncio.create_task(_wait_disconnect(receive))
        try:
            while True:
                getter = asyncio.ensure_future(queue.get())
                done, _ = await asyncio.wait({getter, watcher}, timeout=self.heartbeat,
                                             return_when=asyncio.FIRST_COMPLETED)
                if watcher in done:
                    getter.cancel()
                    break
                if getter not in done:
                    getter.cancel()
                    chunk: bytes | None = b": keep-alive\n\n"
                else:
                    chunk = getter.result()
                    if chunk is None:
                        break
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            if not watcher.done():
                await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            for task in (producer, watcher):
                task.cancel()
            for task in (producer, watcher):
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            close = getattr(self.events, "aclose", None)
            if close is not None:
                with contextlib.suppress(Exception):
                    await close()
        if self.background is not None:
            await self.background()

    async def _produce(self, queue: asyncio.Queue[bytes | None]) -> None:
        try:
            async for item in self.events:
                await queue.put(_encode(item))
        except Exception:
            logger.exception("The event stream's generator failed; the stream ends here")
        await queue.put(None)  # not reached when cancelled: the consumer is gone then


def _encode(item: Any) -> bytes:
    if isinstance(item, Event):
        return item.encode()
    if isinstance(item, bytes):
        raise TypeError("EventStream items are Event, str or nodes, not bytes: decode first")
    if isinstance(item, str | Element | tuple | list) or hasattr(item, "__html__"):
        return Event(item).encode()
    raise TypeError(f"EventStream cannot send a {type(item).__name__}: yield an Event, "
                    "a str or nodes")


async def _wait_disconnect(receive: Receive) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
