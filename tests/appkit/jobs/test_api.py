"""appkit.jobs's public names resolve and are documented (like tests/appkit/test_public_api
does for the other packages)."""

from __future__ import annotations

import inspect

import pytest

import appkit.errors
import appkit.jobs
import appkit.jobs.errors

JOBS_ERRORS = ["JobsError", "UnknownTask", "InvalidInputs", "RunNotFound"]


@pytest.mark.parametrize("name", appkit.jobs.__all__)
def test_public_name_resolves_and_is_documented(name: str) -> None:
    assert inspect.getdoc(getattr(appkit.jobs, name)), f"appkit.jobs.{name} has no docstring"


def test_star_import_gives_exactly_all() -> None:
    namespace: dict[str, object] = {}
    exec("from appkit.jobs import *", namespace)  # noqa: S102
    namespace.pop("__builtins__", None)
    assert sorted(namespace) == sorted(appkit.jobs.__all__)
    assert inspect.getdoc(appkit.jobs)


@pytest.mark.parametrize("name", JOBS_ERRORS)
def test_the_errors_are_appkit_errors(name: str) -> None:
    assert name in appkit.jobs.errors.__all__ and name in appkit.__all__
    error = getattr(appkit.jobs.errors, name)
    assert getattr(appkit, name) is error
    assert issubclass(error, appkit.jobs.errors.JobsError)
    assert issubclass(error, appkit.errors.AppkitError) and inspect.getdoc(error)
    if name == "RunNotFound":
        assert issubclass(error, appkit.errors.NotFound) and error.status == 404
