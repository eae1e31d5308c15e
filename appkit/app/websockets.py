"""Websocket routes: ``@app.websocket(path)``, through the same pipeline as HTTP.

    @app.websocket("/echo")                     # a connection handler
    async def echo(socket: Socket):
        async for message in socket:
            await socket.send(P(message.text, id="echo"))

    @app.websocket("/chat")                     # a message handler
    def chat(text: str, session):
        return Li(text, id="messages", hx_swap_oob="beforeend")

The handshake is accepted first and then, when the pipeline refuses it (a missing CSRF
token, a before-hook's answer), closed with the refusal's close code, so the page can read
it (a refused handshake only shows the browser 1006). Every failure is logged and the page
is told: a message handler's error is sent as an ``appkit-error`` fragment (the socket stays
open); a connection handler's error closes the socket with the error's close code (1011 for
an unexpected one). A message over the route's ``max_message_size`` closes it with 1009.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any

from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from appkit.app.binding import Binder
from appkit.app.pipeline import CONNECTION
from appkit.app.routing import RouteHandler, call_handler
from appkit.errors import BadRequest, HTTPError, NotFound, PayloadTooLarge
from appkit.html import Div, P, render

if TYPE_CHECKING:
    from appkit.app.application import App

__all__ = ["Message", "Socket", "SocketClosed", "closing_websockets", "websocket_endpoint"]

logger = logging.getLogger("appkit")

_REASON_BYTES = 123  # a close frame's reason holds at most 123 bytes of UTF-8


class SocketClosed(Exception):
    """The other side closed the socket (``code`` says how); raised by ``receive``."""

    def __init__(self, code: int) -> None:
        super().__init__(f"the websocket was closed ({code})")
        self.code = code


class Message:
    """A message from the page: its ``text``, and ``data``, the JSON object it holds (the
    htmx ``ws-send`` extension sends a form's fields and its ``HEADERS`` this way), else
    None."""

    __slots__ = ("text", "data")

    def __init__(self, text: str) -> None:
        self.text = text
        self.data: dict[str, Any] | None = None
        if text[:1] == "{":
            try:
                value = json.loads(text)
            except (ValueError, RecursionError):
                value = None
            if isinstance(value, dict):
                self.data = value

    @property
    def fields(self) -> dict[str, Any]:
        """The message's fields (its JSON object without htmx's ``HEADERS``), or
        ``{"text": text}`` for a message that is not a JSON object."""
        if self.data is None:
            return {"text": self.text}
        return {k: v for k, v in self.data.items() if k != "HEADERS"}

    def __repr__(self) -> str:
        return f"Message({self.text[:60]!r})"


class Socket:
    """A websocket connection of a route: the ``socket`` parameter of a connection
    handler. Iterate it for the page's messages; ``send`` elements back."""

    def __init__(self, websocket: WebSocket, max_message_size: int) -> None:
        self.websocket = websocket
        self.max_message_size = max_message_size

    async def send(self, *elements: Any) -> None:
        """Render ``elements`` (nodes, strings, lists) and send them as one HTML message;
        ids with ``hx-swap-oob`` say where they go."""
        await self.websocket.send_text(render(list(elements)))

    async def send_json(self, data: Any) -> None:
        """Send ``data`` as a JSON text message."""
        await self.websocket.send_text(json.dumps(data))

    async def receive(self) -> Message:
        """The next message.

        Raises:
            SocketClosed: the page closed the socket.
            PayloadTooLarge: the message is over ``max_message_size`` (the socket is then
                closed with 1009).
        """
        event = await self.websocket.receive()
        if event["type"] == "websocket.disconnect":
            raise SocketClosed(int(event.get("code", 1000)))
        text = event.get("text")
        if text is None:
            raw = event.get("bytes") or b""
            if len(raw) > self.max_message_size:
                raise _too_large(len(raw), self.max_message_size)
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise BadRequest("A binary message is not UTF-8 text") from None
        elif len(text) > self.max_message_size or (
                len(text) * 4 > self.max_message_size
                and len(text.encode("utf-8")) > self.max_message_size):
            raise _too_large(len(text.encode("utf-8")), self.max_message_size)
        return Message(text)

    async def __aiter__(self) -> AsyncIterator[Message]:
        while True:
            try:
                yield await self.receive()
            except SocketClosed:
                return

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Close the socket (a second close does nothing)."""
        if self.websocket.application_state != WebSocketState.DISCONNECTED:
            await self.websocket.close(code, _reason(reason))

    def __repr__(self) -> str:
        return f"<Socket {self.websocket.url.path}>"


def websocket_endpoint(app: App, handler: RouteHandler
                       ) -> Callable[[WebSocket], Awaitable[None]]:
    """The Starlette websocket endpoint that serves ``handler`` through the pipeline."""
    size = handler.max_message_size or 1024 * 1024
    pipeline = app.pipeline
    providers = {**pipeline.providers, "socket": _socket}
    typed = {**pipeline.typed_providers, Socket: _socket}
    binder = Binder(handler.fn, handler._path_params, providers, typed,
                    soft=frozenset(pipeline.soft_names))
    per_connection = any(p.provider is _socket for p in binder.params)

    async def endpoint(websocket: WebSocket) -> None:
        socket = Socket(websocket, size)
        websocket.scope["appkit.socket"] = socket
        CONNECTION.set(websocket)  # this task's own context: no reset needed
        await websocket.accept()
        try:
            await pipeline.enter(websocket, handler)
            answered, _ = await pipeline.run_hooks(websocket, handler)
            if answered:
                await socket.close(1008, "Refused by the app (sign in first?)")
                return
            if per_connection:
                await call_handler(handler, await binder.bind(websocket))  # type: ignore[arg-type]
            else:
                await _serve_messages(app, handler, binder, socket)
        except SocketClosed:
            pass
        except WebSocketDisconnect:
            pass
        except HTTPError as exc:
            log = logger.info if exc.status < 500 else logger.error
            log("Websocket %s closed with %d: %s", websocket.url.path, exc.close_code,
                exc.message)
            await _close_quietly(socket, exc.close_code, exc.message)
        except Exception:
            logger.exception("Unhandled error in websocket %s", websocket.url.path)
            await _close_quietly(socket, 1011, "The app hit an error; see its log")
        else:
            await _close_quietly(socket, 1000, "")

    return endpoint


async def _serve_messages(app: App, handler: RouteHandler, binder: Binder,
                          socket: Socket) -> None:
    websocket = socket.websocket
    while True:
        message = await socket.receive()
        try:
            kwargs = await binder.bind(websocket, message.fields)  # type: ignore[arg-type]
            result = await call_handler(handler, kwargs)
        except HTTPError as exc:
            if exc.status >= 500:
                logger.error("Websocket %s: %s", websocket.url.path, exc.message)
            else:
                logger.info("Websocket %s refused a message: %s", websocket.url.path,
                            exc.message)
            await socket.send(_notice(exc.status, exc.message))
            continue
        except Exception:
            logger.exception("Unhandled error in websocket %s", websocket.url.path)
            await socket.send(_notice(500, "The app hit an error while handling this "
                                           "message. The details are in the app's log."))
            continue
        if result is not None:
            await socket.send(result)


def _notice(status: int, message: str) -> Any:
    """An error for the page: appkit.js shows ``#appkit-ws-error`` as a notice."""
    return Div(P(message), id="appkit-ws-error", cls="appkit-error", role="alert",
               data_status=status, hx_swap_oob="true")


def _socket(conn: Any) -> Socket:
    return conn.scope["appkit.socket"]  # type: ignore[no-any-return]


def _too_large(size: int, limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"A message of {size} bytes is over this socket's limit of "
                           f"{limit} bytes")


def _reason(text: str) -> str:
    encoded = text.encode("utf-8")[:_REASON_BYTES]
    return encoded.decode("utf-8", "ignore")


async def _close_quietly(socket: Socket, code: int, reason: str) -> None:
    try:
        await socket.close(code, reason)
    except (RuntimeError, OSError, WebSocketDisconnect):
        pass  # the page has gone already


def closing_websockets(default: ASGIApp) -> ASGIApp:
    """Starlette's answer to a path no route has, except that a websocket is accepted and
    closed with 4404 (NotFound's close code), which the page can read, instead of 1000."""

    async def not_found(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            socket = WebSocket(scope, receive, send)
            await socket.accept()
            await socket.close(NotFound.close_code, "There is no websocket route here")
            return
        await default(scope, receive, send)

    return not_found
