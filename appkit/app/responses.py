"""Turning what a handler returns into a response.

- nodes, tuples and lists render as HTML: a whole page (doctype, head with the app's head
  items and the vendored htmx) for a normal request, the fragment alone for an htmx
  request; a returned ``Html`` is sent as it is. Head elements (``Title``, ``Meta``,
  ``Link``, ``Style``, ``Base``) at the top level of the result go into ``<head>``.
- ``str`` is sent as HTML as it is; ``dict`` as JSON; a Starlette ``Response`` untouched;
  ``None`` as an empty 200.
- ``Redirect(url)``: 303 for a normal request, ``HX-Redirect`` for an htmx one.
- ``hx.trigger(...)`` and the other ``HxHeaders`` next to the content set headers.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from appkit.app.htmx import HxHeaders
from appkit.html import HEAD_TAGS, Element, Html, SvgTitle, render

__all__ = ["Redirect", "ResponseParts", "to_response", "is_htmx", "wants_fragment"]

DocumentMaker = Callable[[Request, list[Any], list[Any]], Element]


class Redirect:
    """Send the browser elsewhere: a 303 for a normal request, ``HX-Redirect`` for htmx.

    ``url`` may be a path, a full URL or a route handler (``Redirect(index)``).
    """

    __slots__ = ("url", "status")

    def __init__(self, url: Any, status: int = 303) -> None:
        if status not in (301, 302, 303, 307, 308):
            raise ValueError(f"A redirect status is 301, 302, 303, 307 or 308, not {status}")
        self.url = url
        self.status = status

    def to_response(self, request: Request) -> Response:
        """The response that sends ``request``'s client to the URL."""
        make = getattr(self.url, "__url__", None)
        url = str(make() if make is not None else self.url)
        if is_htmx(request):
            return Response(status_code=200, headers={"HX-Redirect": url})
        return RedirectResponse(url, status_code=self.status)

    def __repr__(self) -> str:
        return f"Redirect({self.url!r}, status={self.status})"


class ResponseParts(Response):
    """The ``response`` handler parameter: set ``status_code``, ``headers`` and cookies
    (``set_cookie``, ``delete_cookie``) here; they are applied to whatever the handler
    returns."""

    def __init__(self) -> None:
        super().__init__(status_code=200)
        self.raw_headers = []
        self.status_code: int | None = None  # type: ignore[assignment]

    def apply(self, response: Response) -> Response:
        if self.status_code is not None:
            response.status_code = self.status_code
        skip = {b"content-length", b"content-type"}
        response.raw_headers.extend(h for h in self.raw_headers if h[0] not in skip)
        return response


def merge_headers(headers: dict[str, str], extra: Mapping[str, str]) -> None:
    """Add ``extra`` to ``headers``; two ``HX-Trigger*`` headers combine their events."""
    for name, value in extra.items():
        if name in headers and name.startswith("HX-Trigger"):
            headers[name] = _merge_triggers(headers[name], value)
        else:
            headers[name] = value


def _merge_triggers(first: str, second: str) -> str:
    def as_dict(value: str) -> dict[str, Any]:
        if value.lstrip().startswith("{"):
            return dict(json.loads(value))
        return {name.strip(): None for name in value.split(",") if name.strip()}

    merged = {**as_dict(first), **as_dict(second)}
    if all(v is None for v in merged.values()):
        return ", ".join(merged)
    return json.dumps(merged)


def is_htmx(request: Request) -> bool:
    """True when the request was made by htmx."""
    return request.headers.get("HX-Request") == "true"


def wants_fragment(request: Request) -> bool:
    """htmx requests get the fragment alone, except boosted ones and history restores,
    which replace the whole page."""
    headers = request.headers
    return (
        headers.get("HX-Request") == "true"
        and headers.get("HX-Boosted") != "true"
        and headers.get("HX-History-Restore-Request") != "true"
    )


def to_response(result: Any, request: Request, make_document: DocumentMaker,
                parts: ResponseParts | None = None,
                background: BackgroundTask | None = None) -> Response:
    """The response for a handler's ``result`` (see the module's docstring)."""
    headers: dict[str, str] = {}
    if type(result) is tuple or type(result) is list:
        content = []
        for item in result:
            if isinstance(item, HxHeaders):
                merge_headers(headers, item)
            else:
                content.append(item)
        if len(content) != len(result):
            result = content[0] if len(content) == 1 else type(result)(content)
    response = _convert(result, request, make_document)
    if headers:
        response.headers.update(headers)
    if parts is not None:
        parts.apply(response)
    if background is not None:
        response.background = background
    return response


def _convert(result: Any, request: Request, make_document: DocumentMaker) -> Response:
    if isinstance(result, Response):
        return result
    if isinstance(result, Redirect):
        return result.to_response(request)
    if result is None:
        return HTMLResponse(b"")
    if isinstance(result, HxHeaders):
        return HTMLResponse(b"", headers=dict(result))
    if isinstance(result, str):
        return HTMLResponse(result)
    if isinstance(result, dict):
        return JSONResponse(result)
    if isinstance(result, Html) or wants_fragment(request):
        return HTMLResponse(render(result))
    head, body = split_head(result)
    return HTMLResponse(render(make_document(request, head, body)))


def split_head(result: Any) -> tuple[list[Any], list[Any]]:
    """Separate the head elements at the top level of ``result`` (and one tuple down, as
    ``Page`` returns a tuple) from the body content."""
    head: list[Any] = []
    body: list[Any] = []
    items: Sequence[Any] = result if isinstance(result, tuple | list) else (result,)
    for item in items:
        if isinstance(item, tuple):
            inner_head, inner_body = split_head(item)
            head.extend(inner_head)
            body.extend(inner_body)
        elif isinstance(item, Element) and item.tag in HEAD_TAGS and not isinstance(item, SvgTitle):
            head.append(item)
        else:
            body.append(item)
    return head, body
