"""appkit: hypermedia desktop apps in Python.

Write the app with ``App`` and ``appkit.html``; run it with ``appkit run``; ship it as one
file with ``appkit build``.
"""

from __future__ import annotations

from starlette.datastructures import UploadFile
from starlette.requests import Request

from appkit.app import (
    App,
    Event,
    EventStream,
    HtmxDetails,
    HxHeaders,
    Redirect,
    ResponseParts,
    RouteHandler,
    Router,
    hx,
)
from appkit.errors import (
    AppkitError,
    AppLoadError,
    BadRequest,
    ConfigurationError,
    Forbidden,
    HTTPError,
    NotFound,
    PayloadTooLarge,
    WindowUnavailable,
)

__version__ = "0.1.0"

__all__ = [
    "App",
    "AppLoadError",
    "AppkitError",
    "BadRequest",
    "ConfigurationError",
    "Event",
    "EventStream",
    "Forbidden",
    "HTTPError",
    "HtmxDetails",
    "HxHeaders",
    "NotFound",
    "PayloadTooLarge",
    "Redirect",
    "Request",
    "ResponseParts",
    "RouteHandler",
    "Router",
    "UploadFile",
    "WindowUnavailable",
    "hx",
]
