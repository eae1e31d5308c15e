"""Bare Starlette for ``bench/components.py``: ``POST /rows/{n}`` renames person ``n`` and
answers its row as an f-string (the same ``tr`` as ``components_appkit.py``'s routes)."""

from __future__ import annotations

import itertools
from html import escape

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

ROWS = 1000
names = [f"Person {n:04d}" for n in range(1, ROWS + 1)]
_renames = itertools.count(1)


async def rename_row(request: Request) -> Response:
    """Rename person ``n`` (its form read, as a route with fields would) and answer its row."""
    await request.form()
    n = int(request.path_params["n"])
    if not 1 <= n <= ROWS:
        return HTMLResponse(f"There is no person {n}", status_code=404)
    names[n - 1] = f"Renamed person {next(_renames):06d}"
    return HTMLResponse(f'<tr id="r{n}"><td>{n}</td><td>{escape(names[n - 1])}</td></tr>')


app = Starlette(routes=[Route("/rows/{n:int}", rename_row, methods=["POST"])])
