"""A data grid's CSV export: ``GET /_appkit-grid/<grid name>.csv?q=&sort=&desc=&<filters>``,
every row of the grid's search and filters in its sort, streamed in batches; and its
script on the app's pages (``grid.js``: a row's checkbox, Edit and Delete send their
events from there)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from starlette.requests import Request
from starlette.responses import StreamingResponse

from appkit.app.pipeline import current_connection
from appkit.errors import BadRequest, Forbidden, NotFound
from appkit.html import Element, Script
from appkit.live.components import COMPONENTS_KEY
from appkit.ui._assets import asset_url, install_head
from appkit.ui.grid_sources import GRIDS, Column, batches, money, value_of

__all__ = ["EXPORT_ROUTE", "assets", "bring_script", "install", "install_export"]

#: Where a grid's rows are exported as CSV (``/_appkit-grid/<grid name>.csv``).
EXPORT_ROUTE = "/_appkit-grid"


def assets(app: Any) -> list[Element]:
    """The script of the grids' rows (a row's checkbox, Edit and Delete send from there)."""
    return [Script(src=asset_url(app, "ui/grid.js"), defer=True)]


def install(app: Any) -> None:
    """Give every full page of ``app`` the grids' script and add their CSV export route
    (once each). ``UISettings`` does it."""
    install_head(app, "grid", assets)
    install_export(app)


def bring_script() -> None:
    """Put grid.js on the pages of the app being served (once), when it has neither the
    kit nor ``install(app)``: a grid works in any app with the live layer."""
    conn = current_connection()
    components = conn.scope.get(COMPONENTS_KEY) if conn is not None else None
    if components is not None:
        install_head(components.app, "grid", assets)


def install_export(app: Any) -> None:
    """Add the grids' CSV export route to ``app`` (once). It serves the grids whose rows
    are ``app``'s (its table, its query; a list given no app), to a user their
    ``permissions`` allow."""
    if getattr(app, "_appkit_grid_export", False):
        return
    app._appkit_grid_export = True

    async def export(request: Request, grid: str) -> StreamingResponse:
        cls = next((g for g in reversed(GRIDS.get(grid, ())) if g._source.owned_by(app)),
                   None)
        if cls is None:
            raise NotFound(f"This app has no grid called {grid[:60]!r}")
        if cls.permissions:
            components = request.scope.get(COMPONENTS_KEY)
            if components is None:
                raise Forbidden(f"You may not export {cls.name}")
            await components.check_permissions(cls, request)
        return _export(cls, request)

    app.get(EXPORT_ROUTE + "/{grid}.csv", name="appkit-grid-export")(export)


def _export(cls: Any, request: Request) -> StreamingResponse:
    params = request.query_params
    known = ("q", "sort", "desc", *cls.filters)
    unknown = sorted(set(params) - set(known))
    if unknown:
        raise BadRequest(f"The export takes {', '.join(known)}, not "
                         f"{', '.join(unknown)[:80]}")
    query = params.get("q", "")
    if any(len(params.get(name, "")) > 1000 for name in ("q", *cls.filters)):
        raise BadRequest("The search and each filter are at most 1,000 characters")
    desc = params.get("desc", "") not in ("", "0")
    sort = params.get("sort", "")
    filters = {name: params.get(name, "") for name in cls.filters}
    cls.order_by(sort, desc)   # a 400 now for a sort the grid does not have
    columns = cls.ready()

    def lines() -> Iterator[str]:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([c.heading for c in columns])
        for batch in batches(cls, query, filters, sort, desc):
            for row in batch:
                writer.writerow([_cell(c, value_of(row, c.name)) for c in columns])
            yield out.getvalue()
            out.seek(0)
            out.truncate()

    return StreamingResponse(lines(), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{cls.name}.csv"'})


def _cell(column: Column, value: Any) -> str:
    text = "" if value is None else (
        money(value).replace(",", "") if column.format == "money" else
        column.show(value) if column.format in ("date", "datetime") or callable(column.format)
        else str(value))
    # A cell a spreadsheet would run as a formula is written as text.
    return "'" + text if text[:1] in ("=", "+", "-", "@") and not _number(text) else text


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
