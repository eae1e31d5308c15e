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
    DatabaseTooNew,
    DataError,
    Forbidden,
    HTTPError,
    InvalidInputs,
    JobsError,
    MigrationFailed,
    NotFound,
    PayloadTooLarge,
    RestoreRefused,
    RowNotFound,
    RunNotFound,
    UnknownTask,
    WindowUnavailable,
)
from appkit.sessions import Session, Sessions, toast

__version__ = "0.1.0"

__all__ = [
    "App",
    "AppLoadError",
    "AppkitError",
    "BadRequest",
    "ConfigurationError",
    "DataError",
    "DatabaseTooNew",
    "Event",
    "EventStream",
    "Forbidden",
    "HTTPError",
    "HtmxDetails",
    "InvalidInputs",
    "JobsError",
    "MigrationFailed",
    "HxHeaders",
    "NotFound",
    "PayloadTooLarge",
    "Redirect",
    "Request",
    "RestoreRefused",
    "ResponseParts",
    "RouteHandler",
    "Router",
    "RowNotFound",
    "RunNotFound",
    "Session",
    "Sessions",
    "UnknownTask",
    "UploadFile",
    "WindowUnavailable",
    "hx",
    "toast",
]
