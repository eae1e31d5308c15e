"""The request body limit: a body over ``max_body_size`` bytes gets 413, whether it
announces its length or streams without one."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from appkit.errors import HTTPError, PayloadTooLarge

__all__ = ["BodyLimit"]


class BodyLimit:
    """ASGI middleware that refuses request bodies over ``max_body_size`` bytes."""

    def __init__(self, app: ASGIApp, max_body_size: int,
                 respond: Callable[[Request, HTTPError], Awaitable[Response]]) -> None:
        self.app = app
        self.max_body_size = max_body_size
        self.respond = respond

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_body_size
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared > limit:
                    response = await self.respond(Request(scope), PayloadTooLarge(_message(limit)))
                    await response(scope, receive, send)
                    return
                break
        received = 0
        exceeded = False
        started = False

        async def counting_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise PayloadTooLarge(_message(limit))
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded:
                return  # whatever the app answers to the error, the 413 below replaces it
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            # Once over the limit, a failure is its consequence (an app that let the error
            # through, or middleware that saw the app's own error answer start).
            if not exceeded:
                raise
        if exceeded and not started:
            response = await self.respond(Request(scope), PayloadTooLarge(_message(limit)))
            await response(scope, receive, send)


def _message(limit: int) -> str:
    size = f"{limit / 1024 / 1024:g} MB" if limit >= 1024 * 1024 else f"{limit} bytes"
    return f"The request is larger than this app accepts ({size}). Send less data at once."
