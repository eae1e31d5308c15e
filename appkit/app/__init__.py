"""``appkit.app``: the core: the App, its routing, parameter binding, responses, the
connection pipeline and the extension protocol. It imports no extension (``appkit.App`` is
this App with the sessions, data, jobs and live extensions)."""

from __future__ import annotations

from appkit.app import htmx as hx
from appkit.app.application import App
from appkit.app.extensions import Command, Extension, ExtensionSettings
from appkit.app.handlers import nonblocking
from appkit.app.htmx import HtmxDetails, HxHeaders
from appkit.app.pipeline import Pipeline, Step
from appkit.app.responses import Redirect, ResponseParts
from appkit.app.routing import RouteHandler, Router
from appkit.app.sse import Event, EventStream
from appkit.app.websockets import Message, Socket, SocketClosed

__all__ = [
    "App",
    "Command",
    "Extension",
    "ExtensionSettings",
    "Pipeline",
    "Step",
    "Event",
    "EventStream",
    "HtmxDetails",
    "HxHeaders",
    "Redirect",
    "ResponseParts",
    "RouteHandler",
    "Router",
    "Message",
    "Socket",
    "SocketClosed",
    "hx",
    "nonblocking",
]
