"""A loopback TCP proxy a test controls, to cut a page's connection and restore it (a
live page must lose nothing across it: see docs/live.md).

    from appkit.testing.proxy import CuttableProxy

    with CuttableProxy(server_port) as proxy:
        page.goto(f"http://127.0.0.1:{proxy.port}/")
        proxy.cut()        # open connections are dropped, new ones refused
        ...
        proxy.restore()    # it listens again, on the same port
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from typing import Any

__all__ = ["CuttableProxy"]


class CuttableProxy:
    """Forwards 127.0.0.1:``port`` to 127.0.0.1:``target`` on a thread of its own."""

    def __init__(self, target: int) -> None:
        self.target = target
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port: int = probe.getsockname()[1]
        probe.close()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True,
                                        name="cuttable-proxy")
        self._server: asyncio.Server | None = None
        self._pairs: set[asyncio.StreamWriter] = set()
        #: How many connections it forwarded.
        self.connections = 0

    def __enter__(self) -> CuttableProxy:
        self._thread.start()
        self.restore()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.cut()
        self._run(self._finish())  # its forwarding tasks end before its loop stops
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()

    def _run(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(10)

    def restore(self) -> None:
        """Listen again (new connections go through)."""
        self._run(self._listen())

    def cut(self) -> None:
        """Drop every open connection and refuse new ones."""
        self._run(self._cut())

    async def _finish(self) -> None:
        # After the cut every connection is reset, so the forwarding tasks end by
        # themselves: wait for them (cancelling one makes asyncio log an error).
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        if tasks:
            await asyncio.wait(tasks, timeout=5)

    async def _listen(self) -> None:
        if self._server is None:
            self._server = await asyncio.start_server(self._forward, "127.0.0.1", self.port,
                                                      reuse_address=True)

    async def _cut(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for writer in list(self._pairs):
            transport = writer.transport
            if transport is not None:
                transport.abort()  # a reset: the page sees the connection die
        self._pairs.clear()

    async def _forward(self, reader: asyncio.StreamReader,
                       writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target)
        except OSError:
            writer.close()
            return
        self._pairs.update((writer, up_writer))

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError, asyncio.CancelledError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            with contextlib.suppress(OSError, RuntimeError):
                dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self._pairs.difference_update((writer, up_writer))
