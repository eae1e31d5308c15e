"""Fixtures shared by every test layer.

- Every test fails on an unexpected ERROR log record; a test that expects one takes the
  ``error_logs`` fixture and checks it.
- ``live_server(app)`` serves an app with real uvicorn on 127.0.0.1 (shell's server).
- Every test gets private per-user folders (``appkit.testing.pytest_plugin``).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from shell.server import LoopbackServer

# The real-browser fixtures (browser, page, blocked), for every layer's tests; and the
# private per-user folders of every test (and every process it starts), as appkit's users
# get them: no test reads or writes the real user's config, data, logs or instance locks.
pytest_plugins = ["tests.browser", "appkit.testing.pytest_plugin"]


def run_async(coro: Any) -> Any:
    """``asyncio.run(coro)`` on a thread of its own: a test after the real-browser tests
    shares the main thread with Playwright's running event loop, where asyncio.run fails."""
    import asyncio
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def in_ci() -> bool:
    """CI runs every layer: a missing system dependency is a failure there, not a skip."""
    return os.environ.get("CI") == "true"


def missing_dependency(reason: str) -> None:
    """Skip on a developer's machine, fail in CI, with the reason (which says how to
    install what is missing)."""
    if in_ci():
        pytest.fail(f"CI must run this layer: {reason}")
    pytest.skip(reason)


class _Collector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def error_logs(request: pytest.FixtureRequest) -> list[logging.LogRecord]:
    """The ERROR records logged so far in the test (live), for a test that expects some;
    taking it also stops the test failing because of them."""
    collector: _Collector = request.node._appkit_error_collector
    return collector.records


@pytest.fixture(autouse=True)
def _fail_on_error_logs(request: pytest.FixtureRequest) -> Iterator[None]:
    collector = _Collector()
    request.node._appkit_error_collector = collector
    root = logging.getLogger()
    root.addHandler(collector)
    try:
        yield
    finally:
        root.removeHandler(collector)
    if "error_logs" in request.fixturenames:
        return
    if collector.records:
        lines = "\n".join(f"{r.name}: {r.getMessage()}" for r in collector.records)
        pytest.fail(f"Unexpected ERROR log records:\n{lines}")


@pytest.fixture
def live_server() -> Iterator[Callable[[Any], str]]:
    """``url = live_server(app)``: serve ``app`` on loopback for the test, return its URL."""
    servers: list[LoopbackServer] = []

    def start(app: Any) -> str:
        server = LoopbackServer(app)
        servers.append(server)
        return server.start()

    yield start
    for server in servers:
        server.stop()
