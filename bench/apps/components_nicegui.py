"""NiceGUI for ``bench/components.py``: the 1,000 people of ``components_appkit.py``, and a
button ``Change row 500`` that renames person 500 (the same names, as long).

- ``/``: links to the two (the benchmark's readiness check loads it).
- ``/table``: a ``ui.table`` (columns ``#`` and ``Name``, all rows shown, no pagination);
  the button sets ``table.rows[499]`` and calls ``table.update()``.
- ``/list``: a ``ul`` with one ``li`` per person (``id="r<n>"``, text ``"<n> <name>"``); the
  button sets that ``li``'s ``text``.

Run: ``python bench/apps/components_nicegui.py PORT`` (``ui.run``, NiceGUI's own uvicorn,
``reload=False``, ``show=False``), as ``bench/apps/live_nicegui.py``.
"""

from __future__ import annotations

import itertools
import sys

from nicegui import ui
from nicegui.elements.mixins.text_element import TextElement

ROWS = 1000
CHANGED = 500
_renames = itertools.count(1)


def new_name() -> str:
    return f"Renamed person {next(_renames):06d}"


@ui.page("/")
def index() -> None:
    ui.link("Table", "/table")
    ui.link("List", "/list")


@ui.page("/table")
def table_page() -> None:
    rows = [{"id": n, "name": f"Person {n:04d}"} for n in range(1, ROWS + 1)]
    table = ui.table(columns=[{"name": "id", "label": "#", "field": "id"},
                              {"name": "name", "label": "Name", "field": "name"}],
                     rows=rows, row_key="id")

    def change() -> None:
        table.rows[CHANGED - 1] = {"id": CHANGED, "name": new_name()}
        table.update()

    ui.button(f"Change row {CHANGED}", on_click=change)


@ui.page("/list")
def list_page() -> None:
    with ui.element("ul"):
        items = [TextElement(tag="li", text=f"{n} Person {n:04d}").props(f"id=r{n}")
                 for n in range(1, ROWS + 1)]

    def change() -> None:
        items[CHANGED - 1].text = f"{CHANGED} {new_name()}"

    ui.button(f"Change row {CHANGED}", on_click=change)


if __name__ in {"__main__", "__mp_main__"}:
    ui.run(host="127.0.0.1", port=int(sys.argv[1]), reload=False, show=False,
           title="People", show_welcome_message=False, uvicorn_logging_level="warning",
           favicon=None)
