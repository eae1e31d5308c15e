"""``appkit.live``: pages kept in sync with the server over one websocket per page.

    from appkit.live import append

    @app.get("/")
    def index():
        return Page("Chat", Ul(*items, id="messages"), app.hub.subscribe("chat"),
                    Form(Input(name="text"), data_live_send=send))

    @app.websocket("/chat")
    def send(text: str):
        app.hub.publish("chat", append("messages", Li(text, id=f"m{n}")))

- ``Hub`` (``app.hub``): publish elements to a topic, or to every page of a user;
  ``hub.subscribe(name)`` puts a topic on a page.
- ``append``, ``prepend``, ``replace``, ``remove``: what to do with an element of the page.
- ``LiveSettings``: the bounds and timings (history, queue, heartbeat, grace).
- ``View`` (``app.view``): a page whose code runs on the server and awaits the user;
  ``ViewClosed`` is raised into it when it is closed (see docs/views.md).
- ``Broker``: the Protocol the hub's pub/sub goes through (``LocalBroker`` by default).

See docs/live.md for what the protocol guarantees and its bounds.
"""

from __future__ import annotations

from typing import Any

from appkit.html import Div, Element, oob
from appkit.live.component_store import MemoryStore, StateStore
from appkit.live.components import Component, ComponentGone, handler, state
from appkit.live.extension import LiveExtension
from appkit.live.form_component import FormComponent
from appkit.live.hub import Broker, Hub, LocalBroker, Topic
from appkit.live.settings import LiveSettings
from appkit.live.views import View, ViewClosed

__all__ = [
    "Broker",
    "Component",
    "ComponentGone",
    "FormComponent",
    "MemoryStore",
    "StateStore",
    "handler",
    "state",
    "Hub",
    "LiveExtension",
    "LiveSettings",
    "LocalBroker",
    "Topic",
    "View",
    "ViewClosed",
    "append",
    "prepend",
    "remove",
    "replace",
]


def append(target: str, *children: Any) -> Element:
    """Add ``children`` at the end of the element ``target`` of the page (a child whose id
    the page has already is updated instead: never doubled)."""
    return oob(Div(*children), f"beforeend:#{target}")


def prepend(target: str, *children: Any) -> Element:
    """Add ``children`` at the start of the element ``target`` of the page."""
    return oob(Div(*children), f"afterbegin:#{target}")


def replace(element: Element) -> Element:
    """Morph the page's element with ``element``'s id into ``element`` (keeping focus,
    selection and what the user is typing)."""
    return oob(element, True)


def remove(target: str) -> Element:
    """Remove the element ``target`` from the page."""
    return oob(Div(), f"delete:#{target}")
