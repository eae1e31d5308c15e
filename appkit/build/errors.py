"""The error ``appkit build`` raises."""

from __future__ import annotations

from appkit.errors import AppkitError

__all__ = ["BuildError"]


class BuildError(AppkitError):
    """The build cannot go on; the message says what to fix. ``usage`` is True when the
    input is at fault (a missing tool or file, a bad option: exit code 2), False when the
    build itself failed (PyInstaller, the self-test: exit code 1)."""

    def __init__(self, message: str, *, usage: bool = True) -> None:
        super().__init__(message)
        self.usage = usage
