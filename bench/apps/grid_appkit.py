"""appkit for ``bench/grid.py``: ``DataGrid`` over the 100,000 people of ``grid_data.py`` in
the app's SQLite table (written by its migration), 50 rows a page, with the kit's shell.

Served by uvicorn (``bench/live.py``'s ``Server``), in private per-user folders, so each run
starts from a fresh database.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from appkit import App
from appkit.html import Page
from appkit.ui import Column, DataGrid, UISettings
from bench.apps import grid_data

app = App("grid-bench", extensions=[UISettings()])


@dataclass
class Person:
    id: int | None = None
    name: str = ""
    email: str = ""
    born: dt.date | None = None
    salary: float = 0.0


@app.migration(1)
def create(db: Any) -> None:
    db.execute(grid_data.CREATE)
    for index in grid_data.INDEXES:
        db.execute(index)
    grid_data.fill(db.conn)


people = app.table_for(Person)


class People(DataGrid):
    table = people
    columns = ("id", "name", "email", Column("born", format="date"),
               Column("salary", format="money"))
    page_size = grid_data.PAGE
    deletable = False


@app.get("/")
def index() -> Any:
    return Page("People", People.mount(), heading=False, cls="container-fluid")
