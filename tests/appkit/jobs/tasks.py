"""The task functions of the scheduler's tests. Worker processes import this module, so it
imports little: the standard library and ``appkit.jobs.progress``.

``register_all(jobs)`` registers every one of them, with the options the tests rely on.
"""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from appkit.jobs import Jobs, progress


def add(a: int, b: int = 0) -> int:
    """Return a + b."""
    return a + b


async def add_later(a: int, b: int) -> int:
    """An async task."""
    await asyncio.sleep(0)
    return a + b


def echo(**inputs: Any) -> dict[str, Any]:
    """Return the inputs."""
    return inputs


def talk(text: str) -> str:
    """Write to stdout, stderr, a child process's stdout and the log."""
    print(f"out: {text}")
    print(f"err: {text}", file=sys.stderr)
    subprocess.run([sys.executable, "-c", f"print('child: {text}')"], check=True)
    logging.getLogger("tests.jobs").info("logged: %s", text)
    return text.upper()


def fail(n: int) -> None:
    """Raise ValueError."""
    raise ValueError(f"bad input {n}")


def returns_a_set() -> Any:
    """Return something JSON cannot hold."""
    return {1, 2}


def die(code: int = 3) -> None:
    """End the worker process without recording a result."""
    os._exit(code)


def gate(path: str) -> str:
    """Say something, report progress, wait for ``path`` to exist (at most 30 s), say more."""
    print("first line", flush=True)
    progress(0.5, "half way")
    _wait_for(path, 30)
    print("second line")
    progress(0.75, "nearly")
    return "opened"


def flaky(marker: str) -> str:
    """Fail on the first attempt (it creates ``marker``), succeed on the next."""
    mark = Path(marker)
    if not mark.exists():
        mark.write_text("failed once", encoding="utf-8")
        raise RuntimeError("the first attempt fails")
    return "second attempt"


def hold(path: str, seconds: float = 60.0) -> str:
    """Print this process's pid, then wait for ``path`` to exist (at most ``seconds``)."""
    print(f"pid {os.getpid()}", flush=True)
    _wait_for(path, seconds)
    return "released"


def with_child(seconds: float) -> None:
    """Start a child process, print both pids, sleep."""
    child = subprocess.Popen([sys.executable, "-c", f"import time; time.sleep({seconds})"])
    print(f"pid {os.getpid()} child {child.pid}", flush=True)
    time.sleep(seconds)
    child.wait()


def interval(path: str, seconds: float) -> None:
    """Append "start end" of a sleep of ``seconds`` to ``path``."""
    start = time.time()
    time.sleep(seconds)
    _append(path, f"{start} {time.time()}\n")


def mark(path: str, token: str) -> int:
    """Append ``token`` to ``path``; return the parent's pid (the scheduler's fork server,
    or the scheduler itself)."""
    _append(path, f"{token}\n")
    return os.getppid()


def tick(path: str) -> float:
    """Append the time to ``path``."""
    now = time.time()
    _append(path, f"{now}\n")
    return now


def crashy(path: str, n: int, seconds: float) -> int:
    """Record the start and the end of run ``n`` in ``path``; fail when n % 10 == 0."""
    _append(path, f"start {n}\n")
    time.sleep(seconds)
    if n % 10 == 0:
        raise ValueError(f"run {n} fails on purpose")
    _append(path, f"end {n}\n")
    return n * 2


def pid() -> int:
    """Return the worker's pid."""
    return os.getpid()


_HELD: list[bytes] = []  # what ``hog`` keeps: it stays in a pooled worker


def hog(megabytes: int) -> int:
    """Keep ``megabytes`` MB of memory in this process (a leak); return the worker's pid."""
    _HELD.append(b"x" * (megabytes * 1_000_000))
    return os.getpid()


def rss() -> int:
    """The worker's resident memory in bytes."""
    from appkit.jobs._serving import resident_memory

    return resident_memory()


def _append(path: str, text: str) -> None:
    # One write with O_APPEND: lines of concurrent processes never interleave.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def _wait_for(path: str, seconds: float) -> None:
    until = time.monotonic() + seconds
    while not os.path.exists(path):
        if time.monotonic() > until:
            raise TimeoutError(f"{path} did not appear")
        time.sleep(0.01)


def register_all(jobs: Jobs) -> None:
    """Register the tasks above (some twice, with other options)."""
    for fn in (add, add_later, echo, talk, fail, returns_a_set, die, gate, hold, with_child,
               interval, mark, tick, crashy, pid, hog, rss):
        jobs.register(fn.__name__, fn)
    jobs.register("flaky", flaky, retries=1)
    jobs.register("die_retried", die, retries=1)
    jobs.register("hold_retried", hold, retries=1)
    jobs.register("slow_child", with_child, timeout=1.0)
