"""A bare Starlette websocket that holds its sockets open, for ``bench/live.py``: what
uvicorn and Starlette cost per idle socket, without a framework's own state."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect


async def hold(websocket: WebSocket) -> None:
    """Accept, answer each text frame with itself, until the peer goes."""
    await websocket.accept()
    try:
        while True:
            await websocket.send_text(await websocket.receive_text())
    except WebSocketDisconnect:
        pass


app = Starlette(routes=[WebSocketRoute("/ws", hold)])
