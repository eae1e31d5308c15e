"""The guard's Content-Security-Policy without ``'unsafe-eval'``, for browser tests that
prove a page's scripts need neither inline code nor ``eval``."""

from __future__ import annotations

from typing import Any

from shell.guard import DEFAULT_CSP

__all__ = ["STRICT_CSP", "StrictCSP"]

STRICT_CSP = DEFAULT_CSP.replace(" 'unsafe-eval'", "")


class StrictCSP:
    """ASGI middleware: every HTTP answer carries ``STRICT_CSP``; the app it wraps stays
    reachable as ``.app`` (the test client and ``app.hub`` users look there)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_csp(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", [])
                           if k.lower() != b"content-security-policy"]
                headers.append((b"content-security-policy", STRICT_CSP.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_csp)
