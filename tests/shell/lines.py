"""Reading a child process's output line by line, waiting for an expected line."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from typing import IO

import pytest


class Lines:
    """The lines of ``stream``, read in the background; ``expect`` waits for one.

    Args:
        stream: the child's stdout (text).
        describe: more to say when an expected line never comes (e.g. the child's stderr).
    """

    def __init__(self, stream: IO[str], describe: Callable[[], str] | None = None) -> None:
        self.queue: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        self._describe = describe
        threading.Thread(target=self._pump, args=(stream,), daemon=True).start()

    def _pump(self, stream: IO[str]) -> None:
        for line in stream:
            self.queue.put(line.rstrip("\n"))
        self.queue.put(None)

    def expect(self, prefix: str, timeout: float = 30.0) -> str:
        """The next line starting with ``prefix``; fails the test after ``timeout`` s or
        when the output ends first."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.queue.get(timeout=0.2)
            except queue.Empty:
                continue
            if line is None:
                break
            self.seen.append(line)
            if line.startswith(prefix):
                return line
        more = f"; {self._describe()}" if self._describe is not None else ""
        pytest.fail(f"no line starting {prefix!r}; seen: {self.seen}{more}")
