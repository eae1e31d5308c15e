"""Publishing from another process of the app (a job's worker, a script): the server's hub
listens on a loopback UDP port, and a hub with no server of its own sends what it
publishes there.

The server writes where it listens, with a per-start key, to ``<runtime dir>/live.json``
(0600, the user's own folder); a datagram without that key is dropped. A message is at most
about 60 KB: a job with more to show keeps it in the database and publishes a short update.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import os
import secrets
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["BridgeServer", "send"]

logger = logging.getLogger("appkit.live")

FILE_NAME = "live.json"
MAX_DATAGRAM = 60_000


class BridgeServer(asyncio.DatagramProtocol):
    """The server's end: ``publish(topic, ops)`` is called on the loop for each valid
    datagram."""

    def __init__(self, folder: Path, publish: Callable[[str, list[Any]], Any]) -> None:
        self.file = folder / FILE_NAME
        self.key = secrets.token_hex(16)
        self._publish = publish
        self._transport: asyncio.DatagramTransport | None = None

    async def start(self) -> None:
        """Listen on a free loopback port and say where, in the runtime folder."""
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: self, local_addr=("127.0.0.1", 0))
        self._transport = transport  # type: ignore[assignment]
        port = transport.get_extra_info("sockname")[1]
        data = json.dumps({"port": port, "key": self.key, "pid": os.getpid()})
        tmp = self.file.with_name(f".{FILE_NAME}.{os.getpid()}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(data)
        os.replace(tmp, self.file)

    async def stop(self) -> None:
        """Stop listening and remove the file (if it is still this server's)."""
        if self._transport is not None:
            self._transport.close()
            self._transport = None
            await asyncio.sleep(0)  # the socket closes on the loop's next turn
        with contextlib.suppress(OSError, ValueError):
            if json.loads(self.file.read_text()).get("key") == self.key:
                self.file.unlink()

    def datagram_received(self, data: bytes, addr: Any) -> None:
        try:
            message = json.loads(data)
            key, topic, ops = message["key"], message["topic"], message["ops"]
        except (ValueError, KeyError, TypeError, RecursionError):
            logger.warning("Dropped a malformed publish datagram from %s", addr)
            return
        if not isinstance(key, str) or not hmac.compare_digest(key, self.key):
            logger.warning("Dropped a publish datagram with a wrong key from %s", addr)
            return
        if not isinstance(topic, str) or not _valid_ops(ops):
            logger.warning("Dropped a publish datagram with bad content from %s", addr)
            return
        try:
            self._publish(topic, ops)
        except Exception:
            logger.exception("A message from another process could not be published")


def send(folder: Path, topic: str, ops: list[Any]) -> bool:
    """Send a message to the server of the app whose runtime folder is ``folder``; False
    when no server of it runs (nobody could see it) or the message is too large (logged)."""
    try:
        where = json.loads((folder / FILE_NAME).read_text())
        port, key = int(where["port"]), str(where["key"])
    except (OSError, ValueError, KeyError, TypeError):
        return False
    data = json.dumps({"key": key, "topic": topic, "ops": ops}).encode()
    if len(data) > MAX_DATAGRAM:
        logger.error("A message of %d bytes is too large to publish from another process "
                     "(at most %d): keep the data in the database and publish a short "
                     "update", len(data), MAX_DATAGRAM)
        return False
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.sendto(data, ("127.0.0.1", port))
        except OSError:
            return False
    return True


def _valid_ops(ops: Any) -> bool:
    return isinstance(ops, list) and all(
        isinstance(op, dict) and set(op) == {"op", "target", "html"}
        and all(isinstance(v, str) for v in op.values()) for op in ops)
