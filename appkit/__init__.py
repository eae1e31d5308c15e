"""appkit: hypermedia desktop apps in Python.

Write the app with ``App`` and ``appkit.html``; run it with ``appkit run``; ship it as one
file with ``appkit build``.
"""

from __future__ import annotations

from starlette.datastructures import UploadFile
from starlette.requests import Request

from appkit.app import (
    Event,
    EventStream,
    HtmxDetails,
    HxHeaders,
    Redirect,
    ResponseParts,
    RouteHandler,
    Router,
    Socket,
    hx,
)
from appkit.app.forms import FormModel, Submitted, form_for
from appkit.data.errors import (
    DatabaseTooNew,
    DataError,
    MigrationFailed,
    RestoreRefused,
    RowNotFound,
)
from appkit.data.extension import DataSettings
from appkit.errors import (
    AppkitError,
    AppLoadError,
    BadRequest,
    ConfigurationError,
    Forbidden,
    HTTPError,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    WindowUnavailable,
)
from appkit.jobs.errors import InvalidInputs, JobsError, RunNotFound, UnknownTask
from appkit.jobs.settings import JobsSettings
from appkit.live.settings import LiveSettings
from appkit.sessions import Session, Sessions, toast
from appkit.standard import App
from appkit.ui.settings import UISettings

__version__ = "0.1.0"

__all__ = [
    "App",
    "AppLoadError",
    "AppkitError",
    "BadRequest",
    "ConfigurationError",
    "DataError",
    "DataSettings",
    "DatabaseTooNew",
    "Event",
    "EventStream",
    "Forbidden",
    "HTTPError",
    "HtmxDetails",
    "InvalidInputs",
    "JobsError",
    "JobsSettings",
    "FormModel",
    "LiveSettings",
    "Submitted",
    "UISettings",
    "form_for",
    "MethodNotAllowed",
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
    "Socket",
    "UnknownTask",
    "UploadFile",
    "WindowUnavailable",
    "hx",
    "toast",
]
