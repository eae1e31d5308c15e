"""``shell`` hosts any ASGI app, not only appkit's: a plain Starlette app, with its lifespan,
behind the guard, closed by the backend."""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

import shell
from shell.backends import HeadlessBackend


def test_shell_runs_a_plain_starlette_app() -> None:
    events: list[str] = []

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        events.append("startup")
        yield
        events.append("shutdown")

    app = Starlette(routes=[Route("/", lambda request: PlainTextResponse("plain starlette"))],
                    lifespan=lifespan)
    backend = HeadlessBackend()
    lines: list[str] = []
    ready = threading.Event()

    def announce(line: str) -> None:
        lines.append(line)
        if line.startswith("ready: "):
            ready.set()

    result: list[Any] = []
    runner = threading.Thread(target=lambda: result.append(shell.run(
        app, title="Plain", app_id="plain-starlette", backend=backend, announce=announce,
        console_log=False)))
    runner.start()
    try:
        assert ready.wait(20), lines
        url = lines[-1].split(" ", 1)[1]
        base, token = url.split("?appkit-token=")
        assert events == ["startup"]
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(base, timeout=10)
        assert refused.value.code == 403
        refused.value.close()
        request = urllib.request.Request(base, headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.read() == b"plain starlette"
    finally:
        backend.close()
        runner.join(15)
    assert not runner.is_alive()
    assert result == [0]
    assert events == ["startup", "shutdown"]


def test_shell_does_not_import_appkit() -> None:
    import subprocess
    import sys

    code = ("import sys, shell, shell.devloop, shell.child, shell.native; "
            "print([m for m in sys.modules if m == 'appkit' or m.startswith('appkit.')])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"
