"""``appkit.app``: the App, its routing, parameter binding and responses."""

from __future__ import annotations

from appkit.app import htmx as hx
from appkit.app.application import App
from appkit.app.htmx import HtmxDetails, HxHeaders
from appkit.app.responses import Redirect, ResponseParts
from appkit.app.routing import RouteHandler, Router
from appkit.app.sse import Event, EventStream

__all__ = [
    "App",
    "Event",
    "EventStream",
    "HtmxDetails",
    "HxHeaders",
    "Redirect",
    "ResponseParts",
    "RouteHandler",
    "Router",
    "hx",
]
