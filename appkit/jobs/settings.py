"""``JobsSettings``: how a scheduler runs. A module of its own, light to import: ``import
appkit`` names it without loading the scheduler."""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

from appkit.errors import ConfigurationError
from appkit.jobs.tasks import seconds

if TYPE_CHECKING:
    from appkit.jobs.extension import JobsExtension

__all__ = ["JobsSettings", "WORKER_KINDS"]

#: How worker processes may start (``JobsSettings.workers``).
WORKER_KINDS = ("auto", "forkserver", "spawn")


@dataclass(frozen=True)
class JobsSettings:
    """How a scheduler runs (change them with ``jobs.configure(...)`` before it starts).

    Attributes:
        max_concurrent_runs: how many runs this scheduler process runs at once (each in a
            process of its own); the others wait in the queue. Several scheduler processes
            on one database each run up to this many.
        poll_interval: seconds between two looks at the database when nothing woke the
            scheduler (a fallback: queuing, cancelling and finishing wake it at once).
        stop_timeout: seconds ``stop()`` lets running runs finish before killing them.
        workers: how worker processes start: ``"auto"`` (``forkserver`` on Linux, else
            ``spawn``), ``"forkserver"`` (a helper process forks one per run: fast) or
            ``"spawn"`` (a fresh interpreter per run).
        worker_max_runs: how many runs one worker process runs, one after another, before
            a new one takes its place: 1 (the default) is a fresh process for every run;
            more (or None, no limit) is a pool of workers for many short runs, which
            start faster but share what a run leaves in its process.
        worker_max_memory_mb: with ``worker_max_runs`` other than 1, a worker whose
            resident memory is above this many megabytes after a run is replaced (not on
            Windows); None for no bound.
    """

    max_concurrent_runs: int = 2
    poll_interval: float = 2.0
    stop_timeout: float = 2.0
    workers: str = "auto"
    worker_max_runs: int | None = 1
    worker_max_memory_mb: float | None = None

    def __post_init__(self) -> None:
        runs = self.max_concurrent_runs
        if isinstance(runs, bool) or not isinstance(runs, int) or runs < 1:
            raise ConfigurationError(
                f"max_concurrent_runs must be a whole number, 1 or more, not {runs!r}")
        seconds(self.poll_interval, "poll_interval")
        if not isinstance(self.stop_timeout, int | float) or self.stop_timeout < 0:
            raise ConfigurationError(
                f"stop_timeout must be 0 or more seconds, not {self.stop_timeout!r}")
        if self.workers not in WORKER_KINDS:
            raise ConfigurationError(
                f"workers must be one of {', '.join(WORKER_KINDS)}, not {self.workers!r}")
        most = self.worker_max_runs
        if most is not None and (isinstance(most, bool) or not isinstance(most, int)
                                 or most < 1):
            raise ConfigurationError(
                f"worker_max_runs must be a whole number, 1 or more (1: a fresh process for "
                f"every run), or None for no limit, not {most!r}")
        memory = self.worker_max_memory_mb
        if memory is not None:
            if isinstance(memory, bool) or not isinstance(memory, int | float) or not (
                    math.isfinite(memory) and memory > 0):
                raise ConfigurationError(
                    f"worker_max_memory_mb must be a positive number of megabytes, or None, "
                    f"not {memory!r}")
            if most == 1:
                raise ConfigurationError(
                    f"worker_max_memory_mb={memory!r} bounds pooled workers, but "
                    "worker_max_runs is 1 (a fresh process for every run). Set "
                    "worker_max_runs too (e.g. 100, or None for no limit)")
            if sys.platform == "win32":  # pragma: no cover - Windows only
                raise ConfigurationError(
                    "worker_max_memory_mb is not available on Windows; bound the pooled "
                    "workers with worker_max_runs")


    def extension(self) -> JobsExtension:
        """The jobs extension (``app.jobs``) with these settings."""
        from appkit.jobs.extension import JobsExtension

        return JobsExtension(self)
