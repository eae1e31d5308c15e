"""Error answers in the form the client can use: a page for a browser, a fragment for
htmx (which appkit's script shows as a notice), JSON for a JSON client."""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from appkit.app.responses import is_htmx
from appkit.html import H1, A, Div, Element, P, Pre, Title, render

__all__ = ["error_response"]

DocumentMaker = Callable[[Request, list[Any], list[Any]], Element]


def error_response(request: Request, status: int, title: str, message: str,
                   make_document: DocumentMaker, *, exc: BaseException | None = None,
                   debug: bool = False, headers: dict[str, str] | None = None) -> Response:
    """The response for an error; the traceback of ``exc`` is shown only when ``debug``."""
    trace = "".join(traceback.format_exception(exc)) if (debug and exc is not None) else None
    accept = request.headers.get("accept", "")
    if "application/json" in accept and "text/html" not in accept:
        body: dict[str, Any] = {"error": message, "status": status}
        if trace:
            body["traceback"] = trace
        return JSONResponse(body, status_code=status, headers=headers)
    detail = Pre(trace, cls="appkit-traceback") if trace else None
    if is_htmx(request):
        fragment = Div(P(message), detail, cls="appkit-error", role="alert",
                       data_status=status)
        return HTMLResponse(render(fragment), status_code=status, headers=headers)
    page = make_document(
        request,
        [Title(f"{status} {title}")],
        [Div(H1(title), P(message), detail,
             P(A("Back to the start page", href=request.scope.get("root_path", "") + "/")),
             cls="container appkit-error-page")],
    )
    return HTMLResponse(render(page), status_code=status, headers=headers)
