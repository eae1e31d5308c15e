"""appkit's exceptions: one base class, a subclass per subsystem.

HTTP-facing errors carry their status and their websocket close code as class attributes;
raised inside a handler they become an error page (or an htmx fragment, or JSON for a JSON
client) with that status, or close a websocket with that code. The data and jobs errors
live in their packages (``appkit.data.errors``, ``appkit.jobs.errors``); ``appkit`` exports
them all.
"""

from __future__ import annotations

__all__ = [
    "AppkitError",
    "ConfigurationError",
    "AppLoadError",
    "HTTPError",
    "BadRequest",
    "Forbidden",
    "NotFound",
    "MethodNotAllowed",
    "PayloadTooLarge",
    "WindowUnavailable",
]


class AppkitError(Exception):
    """The base of every error appkit raises on purpose."""


class ConfigurationError(AppkitError):
    """The app is set up wrongly (a bad route, handler signature or option); raised when
    the app is defined, not when a request arrives."""


class AppLoadError(AppkitError):
    """An app could not be loaded from a path or ``module:attr`` (the CLI's input)."""


class WindowUnavailable(AppkitError):
    """A native feature (a dialog, the window's title...) was asked for, and the app has no
    native window: it runs in the browser, headless, or under a test client."""


class HTTPError(AppkitError):
    """An error answered to the client with ``status`` and a message it can show; on a
    websocket, the connection closes with ``close_code`` and the message as the reason."""

    status: int = 500
    #: The websocket close code: 1011 (internal error) unless a subclass says otherwise.
    close_code: int = 1011
    title: str = "Server error"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.title)
        self.message = message or self.title


class BadRequest(HTTPError):
    """The request's input is missing or malformed (400)."""

    status = 400
    close_code = 1007  # invalid frame payload data
    title = "Bad request"


class Forbidden(HTTPError):
    """The request is not allowed (403)."""

    status = 403
    close_code = 1008  # policy violation
    title = "Forbidden"


class NotFound(HTTPError):
    """There is nothing at this address (404)."""

    status = 404
    close_code = 4404  # the application range (4000-4999): 4000 + the HTTP status
    title = "Not found"


class MethodNotAllowed(HTTPError):
    """The address does not take this method (405)."""

    status = 405
    close_code = 4405
    title = "Method not allowed"


class PayloadTooLarge(HTTPError):
    """The request body is larger than the app accepts (413)."""

    status = 413
    close_code = 1009  # message too big
    title = "Request too large"
