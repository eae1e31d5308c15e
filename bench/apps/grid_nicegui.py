"""NiceGUI for ``bench/grid.py``: the 100,000 people of ``grid_data.py``, 50 rows a page,
three ways:

- ``/table``: ``ui.table`` given every row (NiceGUI's way in its documentation): Quasar
  pages them in the browser.
- ``/table-server``: ``ui.table`` paged on the server, as appkit's grid is: the page holds
  one page of rows; Quasar's ``request`` event (the pager) reads the next from the same
  SQLite table (``LIMIT``/``OFFSET``, ``count(*)`` for the total).
- ``/aggrid``: ``ui.aggrid`` given every row, AG Grid's own pagination.

Run: ``python bench/apps/grid_nicegui.py PORT`` (``ui.run``, NiceGUI's own uvicorn,
``reload=False``, ``show=False``), as ``bench/apps/live_nicegui.py``. The database is made
in the working folder (a fresh temporary one per run).
"""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path
from typing import Any

from nicegui import events, ui

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from bench.apps import grid_data  # noqa: E402

DB = Path("grid-nicegui.db").resolve()
grid_data.make_db(DB)
COLUMNS = [{"name": c, "label": c.capitalize(), "field": c, "align": "left"}
           for c in grid_data.COLUMNS]


def query(sql: str, args: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
    db = sqlite3.connect(DB)
    db.row_factory = sqlite3.Row
    try:
        return db.execute(sql, args).fetchall()
    finally:
        db.close()


def every_row() -> list[dict[str, Any]]:
    return [dict(r) for r in query("SELECT * FROM person ORDER BY id")]


@ui.page("/")
def index() -> None:
    ui.link("Table", "/table")


@ui.page("/table")
def table_page() -> None:
    ui.table(columns=COLUMNS, rows=every_row(), row_key="id",
             pagination={"rowsPerPage": grid_data.PAGE})


@ui.page("/table-server")
def table_server_page() -> None:
    total = query("SELECT count(*) AS n FROM person")[0]["n"]
    pagination = {"page": 1, "rowsPerPage": grid_data.PAGE, "rowsNumber": total,
                  "sortBy": "id", "descending": False}

    def rows(page: int) -> list[dict[str, Any]]:
        return [dict(r) for r in query("SELECT * FROM person ORDER BY id LIMIT ? OFFSET ?",
                                       (grid_data.PAGE, (page - 1) * grid_data.PAGE))]

    table = ui.table(columns=COLUMNS, rows=rows(1), row_key="id", pagination=pagination)

    def request(event: events.GenericEventArguments) -> None:
        wanted = event.args["pagination"]
        page = int(wanted["page"])
        table.rows = rows(page)
        table.pagination = {**pagination, "page": page}
        table.update()

    table.on("request", request)


@ui.page("/aggrid")
def aggrid_page() -> None:
    ui.aggrid({
        "columnDefs": [{"field": c} for c in grid_data.COLUMNS],
        "rowData": every_row(),
        "pagination": True,
        "paginationPageSize": grid_data.PAGE,
        "paginationPageSizeSelector": False,
    }).style("height: 80vh")


if __name__ in {"__main__", "__mp_main__"}:
    ui.run(host="127.0.0.1", port=int(sys.argv[1]), reload=False, show=False, title="People",
           show_welcome_message=False, uvicorn_logging_level="warning", favicon=None)
