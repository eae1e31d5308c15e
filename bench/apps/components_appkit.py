"""The appkit side of ``bench/components.py``: a list of 1,000 people as a live component,
the same row answered by a plain htmx route, and a counter with a page that is the same
markup without a component.

- ``GET /``: ``People``, a ``Component`` whose ``Tbody`` (``data_keyed=True``) has one
  ``tr`` per person (``id="r<n>"``: the number and the name), and a button ``Change row
  500`` whose event renames person 500 (the name comes from the server, a new one each
  time, always as long). Over the page's socket the reply carries that row only.
- ``POST /rows/{n}``: the floor, a plain htmx route that renames person ``n`` and answers
  its ``tr``, as a hand-written htmx app would.
- ``GET /counter``: ``Counter`` (one number, one button), mounted with ``count=3``;
  ``GET /counter-plain``: the same page and markup (a token of the same length) with no
  component behind it.

The names are the app's data, in memory (a module-level list, as a database would be
shared). Handlers are plain ``def``s, as in examples/components (appkit runs them in the
thread pool). ``components_per_session`` is raised to 10,000 so that the memory benchmark
can keep thousands of counters in one session.
"""

from __future__ import annotations

import itertools
import threading
from typing import Any

from appkit import App, NotFound
from appkit.html import Button, Div, Element, Page, Table, Tbody, Td, Th, Thead, Tr
from appkit.live import Component, LiveSettings, handler

ROWS = 1000
CHANGED = 500

names = [f"Person {n:04d}" for n in range(1, ROWS + 1)]
_renames = itertools.count(1)
_lock = threading.Lock()


def rename(n: int) -> str:
    """Give person ``n`` a new name (``Renamed person 000001``, ``...002``, ...)."""
    if not 1 <= n <= ROWS:
        raise NotFound(f"There is no person {n} (1 to {ROWS})")
    with _lock:
        names[n - 1] = f"Renamed person {next(_renames):06d}"
        return names[n - 1]


def row(n: int) -> Element:
    return Tr(Td(n), Td(names[n - 1]), id=f"r{n}")


class People(Component):
    """The 1,000 people; ``rename`` changes one of them."""

    @handler
    def rename(self, row: int) -> None:
        rename(row)

    def render(self) -> Any:
        return [Button(f"Change row {CHANGED}", **self.on("rename", row=CHANGED)),
                Table(Thead(Tr(Th("#"), Th("Name"))),
                      Tbody([row(n) for n in range(1, ROWS + 1)], id=f"{self.id}-rows",
                            data_keyed=True))]


class Counter(Component):
    """A counter: one number kept on the server, one button that adds one to it."""

    count: int = 0

    @handler
    def add(self) -> None:
        self.count += 1

    def render(self) -> Any:
        return Button(f"Clicked {self.count} times", **self.on("add"))


def create_app(name: str = "bench-components") -> App:
    """The benchmark's appkit app."""
    app = App(name, title="Components",
              extensions=[LiveSettings(components_per_session=10_000)])

    @app.get("/")
    def people() -> Any:
        return Page("People", People.mount())

    @app.post("/rows/{n}")
    def rename_row(n: int) -> Any:
        rename(n)
        return row(n)

    @app.get("/counter")
    def counter() -> Any:
        return Page("Counter", Counter.mount(count=3))

    @app.get("/counter-plain")
    def counter_plain() -> Any:
        return Page("Counter", Div(
            Button("Clicked 3 times", hx_post="/_appkit-component", hx_vals='{"_h":"add"}',
                   hx_sync="this:queue all"),
            id="c-0000000000000000", data_component="Counter",
            data_c="c-0000000000000000.Counter.a1b2c300000000.1796650956."
                   "XYkM4CuMyEj1wkGP3eNBQvU9P3I"))

    return app


app = create_app()
