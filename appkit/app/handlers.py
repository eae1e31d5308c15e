"""Running a plain ``def`` (a handler, a hook, a provider, a live event's handler) from the
event loop without blocking it: ``await run_sync(fn, *args, **kwargs)``.

A sync handler may block (a database query, a file, a slow computation), so it never runs
on the loop: it runs on one of appkit's worker threads, and the loop serves other requests
meanwhile. The hand-off is a queue and a future, which costs a few microseconds where
``anyio.to_thread.run_sync`` (Starlette's ``run_in_threadpool``) costs 40 or more (a
capacity limiter, a cancel scope and a queue per worker):

- at most ``MAX_THREADS`` threads run sync functions at once (as anyio's default limiter);
  more calls wait in the queue for a free thread. A thread idle for ``IDLE_SECONDS`` ends.
- the function runs in a copy of the caller's context (context variables such as the
  current connection are seen as they were), and what it returns or raises comes back to
  the caller.
- a caller cancelled while its function runs waits for the function to finish before the
  cancellation goes on (a handler is never left running behind its request), as
  ``run_in_threadpool`` did.
- the function may call back into the loop with ``anyio.from_thread.run`` as in anyio's
  own worker threads.

An author may mark a plain ``def`` that never blocks (no I/O, no waiting on a lock held
long, no sleep: it only computes from memory) with ``@nonblocking``: it then runs on the
loop itself, as an ``async def`` would, without the hand-off.
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import os
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from appkit.errors import ConfigurationError

__all__ = ["IDLE_SECONDS", "MAX_THREADS", "nonblocking", "run_sync", "runs_inline"]

_T = TypeVar("_T")
_F = TypeVar("_F", bound=Callable[..., Any])
_MARK = "__appkit_nonblocking__"

#: The most threads running sync functions at once (anyio's default limiter has 40 too).
MAX_THREADS = 40
#: How long a worker thread waits for work before it ends, in seconds.
IDLE_SECONDS = 10.0

try:  # so that ``anyio.from_thread.run`` works in our threads as in anyio's own
    from anyio._core._eventloop import threadlocals as _anyio_locals
    from anyio.lowlevel import current_token as _anyio_token
except ImportError:  # pragma: no cover - another anyio: from_thread needs token= then
    _anyio_locals = None  # type: ignore[assignment]
    _anyio_token = None  # type: ignore[assignment]

try:
    from sniffio import current_async_library_cvar as _sniffio_cvar
except ImportError:  # pragma: no cover
    _sniffio_cvar = None


class _Work:
    """One call: what to run, where, and where its outcome goes."""

    __slots__ = ("fn", "args", "kwargs", "context", "loop", "future", "token", "finished",
                 "waiter")

    def __init__(self, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any],
                 context: contextvars.Context, loop: asyncio.AbstractEventLoop,
                 future: asyncio.Future[Any], token: Any) -> None:
        self.fn = fn
        self.args = args
        self.kwargs = kwargs
        self.context = context
        self.loop = loop
        self.future = future
        self.token = token
        self.finished = False  # set on the loop, when the outcome is back
        self.waiter: asyncio.Future[None] | None = None  # a cancelled caller waits on it


def _finish(work: _Work, result: Any, error: BaseException | None) -> None:
    """On the loop: hand the outcome to the caller (or to a cancelled caller's wait)."""
    work.finished = True
    future = work.future
    if not future.cancelled():
        if error is None:
            future.set_result(result)
        else:
            if isinstance(error, StopIteration):  # a future cannot hold one
                wrapped = RuntimeError("the function raised StopIteration")
                wrapped.__cause__ = error
                error = wrapped
            future.set_exception(error)
    if work.waiter is not None and not work.waiter.done():
        work.waiter.set_result(None)
    work.fn = work.args = work.kwargs = work.context = None  # type: ignore[assignment]


class _Pool:
    """The worker threads and their queue (one for the process; calls name their loop)."""

    def __init__(self, max_threads: int = MAX_THREADS, idle_seconds: float = IDLE_SECONDS
                 ) -> None:
        self.max_threads = max_threads
        self.idle_seconds = idle_seconds
        self._queue: queue.SimpleQueue[_Work] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._threads = 0
        self._idle = 0  # threads waiting for work that no queued call has claimed yet
        self._token_pair: tuple[Any, Any] = (None, None)  # the last loop and its token

    @property
    def threads(self) -> int:
        """How many worker threads there are now."""
        return self._threads

    def _token(self, loop: asyncio.AbstractEventLoop) -> Any:
        """anyio's token for ``loop`` (called on it), which ``anyio.from_thread`` needs."""
        pair = self._token_pair  # one attribute: loops in other threads may replace it
        if pair[0] is not loop:
            token = None
            if _anyio_token is not None:
                try:
                    token = _anyio_token()
                except Exception:  # not a loop anyio knows
                    token = None
            pair = self._token_pair = (loop, token)
        return pair[1]

    def submit(self, work: _Work) -> None:
        """Queue ``work``; start a thread for it when none is idle and there is room."""
        with self._lock:
            if self._idle:
                self._idle -= 1
                start = False
            else:
                start = self._threads < self.max_threads
                if start:
                    self._threads += 1
        self._queue.put(work)
        if start:
            try:
                threading.Thread(target=self._serve, name="appkit worker", daemon=True).start()
            except BaseException:
                with self._lock:
                    self._threads -= 1
                raise

    def _serve(self) -> None:
        get = self._queue.get
        while True:
            try:
                work = get(timeout=self.idle_seconds)
            except queue.Empty:
                with self._lock:
                    if self._idle:  # more idle threads than queued calls: this one ends
                        self._idle -= 1
                        self._threads -= 1
                        return
                continue  # a call claimed this thread and is on its way
            self._run(work)
            work = None  # type: ignore[assignment]
            with self._lock:
                self._idle += 1

    @staticmethod
    def _run(work: _Work) -> None:
        result: Any = None
        error: BaseException | None = None
        if not work.future.cancelled():
            if _anyio_locals is not None and work.token is not None:
                _anyio_locals.current_token = work.token
            try:
                result = work.context.run(work.fn, *work.args, **work.kwargs)
            except BaseException as exc:
                error = exc
        try:
            work.loop.call_soon_threadsafe(_finish, work, result, error)
        except RuntimeError:  # the loop is closed: nobody waits for the outcome
            pass
        finally:
            del work, result, error  # no reference cycle through the traceback


_pool = _Pool()


def _after_fork() -> None:
    """A forked child (a job's worker) has none of the parent's threads: start afresh."""
    global _pool
    _pool = _Pool(_pool.max_threads, _pool.idle_seconds)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)


async def run_sync(fn: Callable[..., _T], /, *args: Any, **kwargs: Any) -> _T:
    """Run ``fn(*args, **kwargs)`` on a worker thread and return (or raise) its outcome.

    The function sees the caller's context variables (a copy, as ``contextvars``
    copies them for a thread). When the caller is cancelled while the function runs, the
    cancellation waits for the function to finish (see the module's docstring).
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[_T] = loop.create_future()
    context = contextvars.copy_context()
    if _sniffio_cvar is not None and _sniffio_cvar.get() is not None:
        context.run(_sniffio_cvar.set, None)  # no async library in the thread
    work = _Work(fn, args, kwargs, context, loop, future, _pool._token(loop))
    _pool.submit(work)
    try:
        return await future
    except asyncio.CancelledError:
        # The function is running (or about to): wait for it, then let the cancellation
        # through. Further cancellations while waiting are held back the same way.
        while not work.finished:
            work.waiter = loop.create_future()
            try:
                await work.waiter
            except asyncio.CancelledError:
                continue
        raise


def nonblocking(fn: _F) -> _F:
    """Mark a plain ``def`` handler (or before-hook, provider, live event handler) that
    never blocks, so it runs on the event loop instead of a worker thread::

        @app.post("/todos")
        @nonblocking
        def add(title: str):
            return item(todos.add(title))      # in memory: nothing to wait for

    Only for code that computes from memory: a handler that reads a file, queries a
    database, calls the network or sleeps would stop every other request while it waits.

    Raises:
        ConfigurationError: ``fn`` is an ``async def`` (it runs on the loop already) or not
            a function.
    """
    target = getattr(fn, "fn", fn)  # a RouteHandler (@nonblocking above @app.get): its fn
    if inspect.iscoroutinefunction(target) or not callable(target):
        raise ConfigurationError(
            f"@nonblocking marks a plain def that never blocks, not "
            f"{getattr(target, '__qualname__', target)!r}: an async def runs on the event "
            "loop already")
    setattr(target, _MARK, True)
    if target is not fn:
        fn.inline = True  # type: ignore[attr-defined]
    return fn


def runs_inline(fn: Callable[..., Any]) -> bool:
    """Whether ``fn`` was marked ``@nonblocking``."""
    return getattr(fn, _MARK, False) is True
