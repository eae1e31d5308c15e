"""The job scheduler's errors."""

from __future__ import annotations

from appkit.errors import AppkitError, NotFound

__all__ = ["JobsError", "UnknownTask", "InvalidInputs", "RunNotFound"]


class JobsError(AppkitError):
    """The job scheduler could not do what was asked: a task that cannot be registered,
    an unusable scheduler database, a run that cannot be queued."""


class UnknownTask(JobsError):
    """No task of that name is registered; the message lists the ones that are."""


class InvalidInputs(JobsError):
    """A run's inputs cannot be stored or do not fit the task: not JSON (the message names
    the offending value), or not the keyword arguments the task's function takes."""


class RunNotFound(JobsError, NotFound):
    """No run has that id (perhaps it was purged); inside a handler it becomes a 404 page."""

    title = "Not found"
