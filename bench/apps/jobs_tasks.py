"""The trivial task of ``bench/jobs.py``, in a module every scheduler's workers can import.

``stamp(path)`` appends the time it started (``time.time()``, as ``repr`` of a float) to
``path`` and returns it. The benchmark measures enqueue-to-start latency from that line, the
same way for all three schedulers, and checks that every run ran exactly once by counting
the lines. ``huey_for(filename)`` makes the ``SqliteHuey`` with ``stamp`` registered, the
same way in the producer and in the consumer.
"""

from __future__ import annotations

import time
from typing import Any

__all__ = ["stamp", "huey_for", "HUEY_TASK"]

#: The name ``stamp`` is registered under in huey.
HUEY_TASK = "stamp"


def stamp(path: str) -> float:
    """Append the time it started to ``path``; return that time."""
    now = time.time()
    with open(path, "a", encoding="utf-8") as file:
        file.write(f"{now!r}\n")
    return now


def huey_for(filename: str) -> tuple[Any, Any]:
    """A ``SqliteHuey`` on ``filename`` with ``stamp`` registered; returns it and the task
    (calling the task enqueues a run)."""
    from huey import SqliteHuey

    huey = SqliteHuey(name="bench", filename=filename)
    task = huey.task(name=HUEY_TASK)(stamp)
    return huey, task
