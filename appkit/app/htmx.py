"""htmx on the server: what a request says about itself (``HX-*`` request headers) and the
response headers that steer htmx (``hx.trigger``, ``hx.retarget``...).

Return the header helpers next to the content: ``return Div(...), hx.trigger("saved")``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import unquote

from starlette.requests import HTTPConnection

__all__ = [
    "HtmxDetails",
    "HxHeaders",
    "trigger",
    "retarget",
    "reswap",
    "reselect",
    "push_url",
    "replace_url",
    "refresh",
    "location",
]


class HtmxDetails:
    """The ``HX-*`` headers of a request; falsy when the request did not come from htmx.

    Take it as a handler parameter named ``htmx``::

        @app.get("/items")
        def items(htmx: HtmxDetails):
            return rows() if htmx else Page("Items", rows())
    """

    __slots__ = ("_headers",)

    def __init__(self, conn: HTTPConnection) -> None:
        self._headers = conn.headers

    def _get(self, name: str) -> str | None:
        value = self._headers.get(name)
        if value is not None and self._headers.get(name + "-URI-AutoEncoded") == "true":
            value = unquote(value)
        return value

    def __bool__(self) -> bool:
        return self._headers.get("HX-Request") == "true"

    @property
    def boosted(self) -> bool:
        """True for a request made by an ``hx-boost`` link or form."""
        return self._headers.get("HX-Boosted") == "true"

    @property
    def current_url(self) -> str | None:
        """The URL the browser showed when it made the request."""
        return self._get("HX-Current-URL")

    @property
    def history_restore_request(self) -> bool:
        """True when htmx asks for a page to restore history after a cache miss."""
        return self._headers.get("HX-History-Restore-Request") == "true"

    @property
    def prompt(self) -> str | None:
        """The user's answer to ``hx-prompt``."""
        return self._get("HX-Prompt")

    @property
    def target(self) -> str | None:
        """The id of the target element."""
        return self._get("HX-Target")

    @property
    def trigger(self) -> str | None:
        """The id of the element that triggered the request."""
        return self._get("HX-Trigger")

    @property
    def trigger_name(self) -> str | None:
        """The name of the element that triggered the request."""
        return self._get("HX-Trigger-Name")

    def __repr__(self) -> str:
        return f"<HtmxDetails request={bool(self)} target={self.target!r}>"


class HxHeaders(Mapping[str, str]):
    """Response headers for htmx; returned next to the content, they are set on the response.

    Several combine: ``return Div(...), hx.trigger("saved"), hx.push_url("/items/3")``.
    """

    __slots__ = ("_headers",)

    def __init__(self, headers: dict[str, str]) -> None:
        self._headers = headers

    def __getitem__(self, key: str) -> str:
        return self._headers[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._headers)

    def __len__(self) -> int:
        return len(self._headers)

    def __repr__(self) -> str:
        return f"HxHeaders({self._headers!r})"


_TRIGGER_HEADERS = {
    None: "HX-Trigger",
    "receive": "HX-Trigger",
    "settle": "HX-Trigger-After-Settle",
    "swap": "HX-Trigger-After-Swap",
}


def trigger(event: str | Mapping[str, Any], detail: Any = None, *, after: str | None = None
            ) -> HxHeaders:
    """Trigger client-side events: ``trigger("saved")``, ``trigger("saved", {"id": 3})``,
    ``trigger({"a": 1, "b": None})``. ``after`` is ``"settle"`` or ``"swap"`` to fire then.
    """
    if after not in _TRIGGER_HEADERS:
        raise ValueError(f'after must be "settle" or "swap", not {after!r}')
    if isinstance(event, Mapping):
        value = json.dumps(dict(event))
    elif detail is not None:
        value = json.dumps({event: detail})
    else:
        value = event
    return HxHeaders({_TRIGGER_HEADERS[after]: value})


def retarget(selector: str) -> HxHeaders:
    """Swap the response into ``selector`` instead of the element's own target."""
    return HxHeaders({"HX-Retarget": selector})


def reswap(swap: str) -> HxHeaders:
    """Override how the response is swapped (``"outerHTML"``, ``"beforeend"``...)."""
    return HxHeaders({"HX-Reswap": swap})


def reselect(selector: str) -> HxHeaders:
    """Swap only the part of the response that matches ``selector``."""
    return HxHeaders({"HX-Reselect": selector})


def push_url(url: Any) -> HxHeaders:
    """Push ``url`` (or a route handler's URL) into the browser's history."""
    return HxHeaders({"HX-Push-Url": _url(url)})


def replace_url(url: Any) -> HxHeaders:
    """Replace the current URL in the browser's location bar."""
    return HxHeaders({"HX-Replace-Url": _url(url)})


def refresh() -> HxHeaders:
    """Make the browser reload the whole page."""
    return HxHeaders({"HX-Refresh": "true"})


def location(url: Any, **options: Any) -> HxHeaders:
    """Navigate with an htmx request, without a full reload (``HX-Location``); ``options``
    are htmx's (``target``, ``swap``, ``select``, ``values``...)."""
    if not options:
        return HxHeaders({"HX-Location": _url(url)})
    return HxHeaders({"HX-Location": json.dumps({"path": _url(url), **options})})


def _url(url: Any) -> str:
    make = getattr(url, "__url__", None)
    return str(make() if make is not None else url)
