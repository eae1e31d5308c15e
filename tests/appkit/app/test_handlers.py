"""The hand-off of plain ``def`` functions to worker threads (``appkit.app.handlers``): many
at once, a blocking one never blocks the loop, outcomes and context variables come back as
with ``run_in_threadpool``, a cancelled caller waits for its function, and the functions
can call back into the loop with ``anyio.from_thread``."""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import Iterator
from typing import Any

import anyio.from_thread
import pytest

from appkit import App
from appkit.app import handlers
from appkit.app.handlers import run_sync
from appkit.app.pipeline import current_connection
from appkit.testing import Client
from tests.conftest import run_async

WAIT = 10.0  # seconds: far longer than anything here takes; a hang fails instead


@pytest.fixture
def small_pool(monkeypatch: pytest.MonkeyPatch) -> Iterator[handlers._Pool]:
    """A pool of 3 threads that end after 0.2 s idle, in place of the process's."""
    pool = handlers._Pool(max_threads=3, idle_seconds=0.2)
    monkeypatch.setattr(handlers, "_pool", pool)
    yield pool


def test_many_calls_at_once_all_come_back_on_worker_threads() -> None:
    loop_thread: list[int] = []
    seen: set[int] = set()
    lock = threading.Lock()

    def work(i: int, *, extra: int) -> int:
        with lock:
            seen.add(threading.get_ident())
        return i * 2 + extra

    async def main() -> list[int]:
        loop_thread.append(threading.get_ident())
        return await asyncio.gather(*(run_sync(work, i, extra=1) for i in range(500)))

    assert run_async(main()) == [i * 2 + 1 for i in range(500)]
    assert loop_thread[0] not in seen
    assert 1 <= len(seen) <= handlers.MAX_THREADS


def test_more_calls_than_threads_wait_their_turn(small_pool: handlers._Pool) -> None:
    running = 0
    most = 0
    lock = threading.Lock()
    release = threading.Event()

    def work(i: int) -> int:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        release.wait(WAIT)
        with lock:
            running -= 1
        return i

    async def main() -> list[int]:
        calls = asyncio.gather(*(run_sync(work, i) for i in range(10)))
        for _ in range(int(WAIT / 0.01)):  # the three threads get busy; seven calls wait
            with lock:
                if running == 3:
                    break
            await asyncio.sleep(0.01)
        assert small_pool.threads == 3
        assert running == 3
        release.set()
        return await calls

    assert run_async(main()) == list(range(10))
    assert most == 3


def test_idle_threads_end(small_pool: handlers._Pool) -> None:
    async def main() -> None:
        await asyncio.gather(*(run_sync(threading.get_ident) for _ in range(6)))
        assert small_pool.threads >= 1
        for _ in range(int(WAIT / 0.05)):
            if small_pool.threads == 0:
                return
            await asyncio.sleep(0.05)

    run_async(main())
    assert small_pool.threads == 0
    assert run_async(run_sync(lambda: 42)) == 42  # and new ones start when needed


def test_a_blocking_function_does_not_block_the_loop() -> None:
    started = threading.Event()
    unblocked = threading.Event()

    def blocking() -> str:
        started.set()
        return "unblocked" if unblocked.wait(WAIT) else "timed out"

    async def main() -> str:
        call = asyncio.ensure_future(run_sync(blocking))
        assert await asyncio.to_thread(started.wait, WAIT)
        await asyncio.sleep(0.01)  # the loop runs while the function blocks
        unblocked.set()  # ... and only the loop can let it go on
        return await call

    assert run_async(main()) == "unblocked"


class Oops(Exception):
    pass


def test_exceptions_come_back_as_raised() -> None:
    error = Oops("boom")

    def fails() -> None:
        raise error

    def stops() -> None:
        raise StopIteration

    async def main() -> tuple[BaseException, BaseException]:
        with pytest.raises(Oops) as first:
            await run_sync(fails)
        with pytest.raises(RuntimeError) as second:  # a future cannot hold StopIteration
            await run_sync(stops)
        return first.value, second.value

    raised, stopped = run_async(main())
    assert raised is error
    assert isinstance(stopped.__cause__, StopIteration)
    assert run_async(run_sync(lambda: "still serving")) == "still serving"


NAME: contextvars.ContextVar[str] = contextvars.ContextVar("name", default="unset")


def test_context_variables_are_seen_and_not_leaked_back() -> None:
    def read_and_set() -> str:
        value = NAME.get()
        NAME.set("changed in the thread")
        return value

    async def main() -> tuple[str, str, str]:
        NAME.set("set on the loop")
        first = await run_sync(read_and_set)
        second = await run_sync(read_and_set)
        return first, second, NAME.get()

    assert run_async(main()) == ("set on the loop", "set on the loop", "set on the loop")


def test_a_cancelled_caller_waits_for_its_function() -> None:
    started = threading.Event()
    release = threading.Event()
    finished: list[str] = []

    def slow() -> None:
        started.set()
        release.wait(WAIT)
        finished.append("done")

    async def main() -> list[str]:
        task = asyncio.ensure_future(run_sync(slow))
        assert await asyncio.to_thread(started.wait, WAIT)
        task.cancel()
        await asyncio.sleep(0.02)
        assert not task.done()  # still waiting for the function
        task.cancel()  # a second cancellation waits too
        await asyncio.sleep(0.02)
        assert not task.done()
        release.set()
        with pytest.raises(asyncio.CancelledError):
            await task
        return list(finished)

    assert run_async(main()) == ["done"]


def test_functions_call_back_into_the_loop_with_anyio() -> None:
    async def on_the_loop(x: int) -> tuple[int, int]:
        await asyncio.sleep(0)
        return x + 1, threading.get_ident()

    def in_a_thread() -> tuple[tuple[int, int], int]:
        return anyio.from_thread.run(on_the_loop, 1), threading.get_ident()

    async def main() -> tuple[Any, int, int]:
        (value, loop_ident), worker = await run_sync(in_a_thread)
        return value, loop_ident, worker

    value, loop_ident, worker = run_async(main())
    assert value == 2
    assert loop_ident != worker


def test_sync_handlers_hooks_and_providers_run_off_the_loop() -> None:
    app = App("threads")
    seen: dict[str, Any] = {}

    @app.provide("who")
    def who(request: Any) -> str:
        seen["provider"] = threading.get_ident()
        return request.query_params.get("who", "nobody")

    @app.before
    def hook(request: Any) -> None:
        seen["hook"] = threading.get_ident()

    @app.get("/")
    def index(who) -> str:  # type: ignore[no-untyped-def]
        seen["handler"] = threading.get_ident()
        seen["connection"] = current_connection().url.path
        return f"hello {who}"

    @app.get("/loop")
    async def loop() -> str:
        seen["loop"] = threading.get_ident()
        return "on the loop"

    with Client(app) as client:
        assert client.get("/?who=ann").text == "hello ann"
        assert client.get("/loop").text == "on the loop"
    for name in ("provider", "hook", "handler"):
        assert seen[name] != seen["loop"], name
    assert seen["connection"] == "/"


def test_a_nonblocking_handler_hook_and_provider_run_on_the_loop() -> None:
    from appkit.app import nonblocking

    app = App("inline")
    seen: dict[str, int] = {}

    @app.provide("who")
    @nonblocking
    def who() -> str:
        seen["provider"] = threading.get_ident()
        return "ann"

    @app.before
    @nonblocking
    def hook() -> None:
        seen["hook"] = threading.get_ident()

    @app.get("/")
    @nonblocking
    def index(who) -> str:  # type: ignore[no-untyped-def]
        seen["handler"] = threading.get_ident()
        return f"hello {who}"

    @nonblocking  # above the route decorator works too
    @app.get("/above")
    def above() -> str:
        seen["above"] = threading.get_ident()
        return "above"

    @app.get("/threaded")
    def threaded() -> str:
        seen["threaded"] = threading.get_ident()
        return "threaded"

    @app.get("/loop")
    async def loop() -> str:
        seen["loop"] = threading.get_ident()
        return "loop"

    with Client(app) as client:
        for path, text in (("/", "hello ann"), ("/above", "above"),
                           ("/threaded", "threaded"), ("/loop", "loop")):
            assert client.get(path).text == text
    for name in ("provider", "hook", "handler", "above"):
        assert seen[name] == seen["loop"], name
    assert seen["threaded"] != seen["loop"]


def test_nonblocking_is_for_plain_functions() -> None:
    from appkit import ConfigurationError
    from appkit.app import nonblocking

    async def handler() -> None:
        pass

    with pytest.raises(ConfigurationError, match="async def runs on the event loop already"):
        nonblocking(handler)


_FORK_CHECK = """
import asyncio, os
from appkit.app import handlers
from appkit.app.handlers import run_sync

asyncio.run(run_sync(lambda: None))  # the parent has a worker thread now
assert handlers._pool.threads >= 1
read, write = os.pipe()
pid = os.fork()
if pid == 0:  # the child has none: with the parent's idle count, a call would wait forever
    ok = handlers._pool.threads == 0 and asyncio.run(run_sync(lambda: 41)) == 41
    os.write(write, b"ok" if ok else b"no")
    os._exit(0)
os.close(write)
print(os.read(read, 2).decode())
os.waitpid(pid, 0)
"""


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="no fork here")
def test_a_forked_child_starts_with_threads_of_its_own() -> None:
    import subprocess
    import sys

    # In a process of its own: forking pytest's, with its other threads, could deadlock.
    done = subprocess.run([sys.executable, "-c", _FORK_CHECK], capture_output=True, text=True,
                          timeout=60)
    assert done.stdout.strip() == "ok", done.stderr
