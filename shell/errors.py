"""The shell's errors: one base class, ``ShellError``, and a subclass per part."""

from __future__ import annotations

__all__ = ["BackendUnavailable", "NativeUnavailable", "ServerError", "ShellError"]


class ShellError(Exception):
    """The app could not be shown: the server did not start, or the backend asked for
    cannot run. ``usage`` is True when the fix is on the caller's side (a backend to
    install or choose), False when the app itself failed."""

    def __init__(self, message: str = "", *, usage: bool = False) -> None:
        super().__init__(message)
        self.usage = usage


class BackendUnavailable(ShellError):
    """A backend cannot run here; the message says why and what to install."""

    def __init__(self, message: str = "") -> None:
        super().__init__(message, usage=True)


class ServerError(ShellError):
    """The server could not start, or stopped on its own."""


class NativeUnavailable(ShellError):
    """The feature needs a native window and there is none (browser or headless mode, or
    the window is gone)."""
