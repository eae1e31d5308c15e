"""The shell's errors share one base, so a caller catches them all with ``ShellError``."""

from __future__ import annotations

import pytest

import shell
from shell.errors import BackendUnavailable, NativeUnavailable, ServerError, ShellError


@pytest.mark.parametrize("error", [BackendUnavailable, NativeUnavailable, ServerError])
def test_every_shell_error_is_a_shell_error(error: type[Exception]) -> None:
    assert issubclass(error, ShellError) and error.__doc__
    assert shell.ShellError is ShellError


def test_a_missing_backend_is_the_callers_to_fix() -> None:
    assert BackendUnavailable("install WebKitGTK").usage is True
    assert ServerError("port taken").usage is False
