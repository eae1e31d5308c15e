"""Live components: a counter, a list of 1,000 people to search, sort and edit in place, an
expense form checked as you type, and a job whose progress streams in.

Each is a ``Component``: its state stays on the server, the page holds only a token, and
a click runs one of its declared handlers. Over the page's websocket only what changed
comes back (editing one person sends that row). Run it with ``appkit run
examples/components``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import enum
from dataclasses import dataclass
from decimal import Decimal

from appkit import App, UISettings
from appkit.html import (
    A,
    Button,
    Form,
    Input,
    Li,
    Nav,
    P,
    Page,
    Progress,
    Table,
    Tbody,
    Td,
    Th,
    Thead,
    Tr,
    Ul,
)
from appkit.live import Component, FormComponent, handler, state

SORTS = ("name", "email", "id")


@dataclass
class Person:
    id: int | None = None
    name: str = ""
    email: str = ""


class Category(enum.Enum):
    FOOD = "food"
    TRAVEL = "travel"
    OFFICE = "office"


@dataclass
class Expense:
    day: dt.date
    amount: Decimal
    category: Category
    note: str = ""

    def validate(self) -> dict[str, str]:
        return {"amount": "Must be more than 0"} if self.amount <= 0 else {}


def create_app(name: str = "components") -> App:
    """The example app (its database named after ``name``)."""
    app = App(name, title="Components", extensions=[UISettings()])  # the kit's styles

    @app.migration(1)
    def create_people(db):
        db.execute("CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                   "email TEXT NOT NULL)")
        for n in range(1, 1001):
            db.execute("INSERT INTO people (id, name, email) VALUES (?, ?, ?)",
                       (n, f"Person {n:04d}", f"person{n}@example.org"))

    people = app.table_for(Person, name="people")

    class Counter(Component):
        count: int = 0

        @handler
        def add(self, by: int = 1) -> None:
            self.count += by

        def render(self):
            return [P(f"Clicked {self.count} times", id=f"{self.id}-count"),
                    Button("+1", **self.on("add")), Button("-1", **self.on("add", by=-1))]

    class People(Component):
        query: str = state("", bind=True)
        sort: str = "name"
        editing: int | None = None

        @handler
        def search(self) -> None:
            self.editing = None

        @handler
        def order(self, by: str) -> None:
            self.sort = by if by in SORTS else "name"

        @handler
        def edit(self, person: int) -> None:
            self.editing = person

        @handler
        def cancel(self) -> None:
            self.editing = None

        @handler
        def save(self, person: int, name: str, email: str) -> None:
            people.update(Person(person, name.strip() or "?", email.strip()))
            self.editing = None

        def rows(self) -> list[Person]:
            found = people.find(order_by=self.sort)
            text = self.query.strip().lower()
            return [p for p in found if text in p.name.lower() or text in p.email.lower()]

        def row(self, person: Person):
            if person.id == self.editing:
                return Tr(Td(person.id), Td(Form(
                    Input(name="name", value=person.name, aria_label="Name"),
                    Input(name="email", value=person.email, aria_label="Email"),
                    Button("Save"), Button("Cancel", type="button", **self.on("cancel")),
                    **self.on("save", person=person.id)), colspan=3), id=f"p{person.id}")
            return Tr(Td(person.id), Td(person.name), Td(person.email),
                      Td(Button("Edit", **self.on("edit", person=person.id))),
                      id=f"p{person.id}")

        def render(self):
            rows = self.rows()
            return [
                Input(type="search", name="query", value=self.query, placeholder="Search",
                      aria_label="Search", hx_trigger="input changed delay:250ms",
                      **self.on("search")),
                P(f"{len(rows)} people", id=f"{self.id}-found"),
                Table(Thead(Tr(*[Th(Button(column.capitalize(), **self.on("order", by=column)))
                                 for column in ("id", "name", "email")], Th(""))),
                      Tbody([self.row(p) for p in rows], id=f"{self.id}-rows",
                            data_keyed=True)),
            ]

    class NewExpense(FormComponent):
        model = Expense
        submit_label = "Add"
        saved: list = []  # noqa: RUF012 (state: each instance gets its own copy)

        def on_accepted(self, value: Expense) -> None:
            self.saved = [*self.saved, f"{value.day} {value.category.value} {value.amount}"]
            self.clear()

        def render(self):
            return [super().render(), Ul([Li(text) for text in self.saved])]

    class Job(Component):
        done: int = 0
        running: bool = False
        stopped: bool = False

        @handler
        async def start(self, steps: int = 50):
            self.done, self.running, self.stopped = 0, True, False
            yield
            for n in range(1, steps + 1):
                if self.stopped:
                    break
                await asyncio.sleep(0.05)
                self.done = n * 100 // steps
                yield
            self.running = False

        @handler
        def stop(self) -> None:
            self.stopped = True

        def render(self):
            return [Progress(value=self.done, max=100, aria_label="Progress"),
                    P(f"{self.done}%", id=f"{self.id}-pct"),
                    Button("Stop", **self.on("stop")) if self.running else
                    Button("Start", **self.on("start"))]

    def nav():
        return Nav(Ul(*[Li(A(label, href=href)) for href, label in (
            ("/", "Counter"), ("/people", "People"), ("/expense", "Expense"),
            ("/job", "Job"))]))

    @app.get("/")
    def counter():
        return Page("Counter", nav(), Counter.mount())

    @app.get("/people")
    def people_page():
        return Page("People", nav(), People.mount())

    @app.get("/expense")
    def expense():
        return Page("Expense", nav(), NewExpense.mount())

    @app.get("/job")
    def job():
        return Page("Job", nav(), Job.mount())

    return app


app = create_app()
