"""A todo list: add, toggle, edit inline and delete through htmx, with a live "N left"
counter updated out of band, validation errors shown next to the field, and a toast when an
item is deleted.

The items are kept in the app's database (``app.db``, in the user's data folder), so they
survive a restart; the table comes from migration 1. Run it with ``appkit run examples/todo``.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass
from typing import Protocol

from appkit import App, NotFound, RowNotFound, Session, hx, toast
from appkit.html import Button, Field, Form, Input, Li, Link, P, Page, Span, Ul, oob

MAX_TITLE = 200


@dataclass
class Todo:
    id: int | None = None
    title: str = ""
    done: bool = False


class Todos(Protocol):
    """Where the items are kept."""

    def add(self, title: str) -> Todo: ...
    def get(self, todo_id: int) -> Todo: ...
    def save(self, todo: Todo) -> None: ...
    def delete(self, todo_id: int) -> Todo: ...
    def all(self) -> list[Todo]: ...
    def left(self) -> int: ...


class TodoTable:
    """The items in the app's database: a row of the ``todos`` table each."""

    def __init__(self, app: App) -> None:
        self._table = app.table_for(Todo, name="todos")

    def add(self, title: str) -> Todo:
        return self._table.insert(Todo(title=title))

    def get(self, todo_id: int) -> Todo:
        try:
            return self._table.get(todo_id)
        except RowNotFound:
            raise NotFound(f"There is no todo number {todo_id}.") from None

    def save(self, todo: Todo) -> None:
        self._table.update(todo)

    def delete(self, todo_id: int) -> Todo:
        todo = self.get(todo_id)
        self._table.delete(todo_id)
        return todo

    def all(self) -> list[Todo]:
        return self._table.find(order_by="id")

    def left(self) -> int:
        return self._table.count(done=False)


class TodoStore:
    """The items in memory (the benchmarks' peers use it, so they do the same work);
    handlers run in a thread pool, hence the lock."""

    def __init__(self) -> None:
        self._items: dict[int, Todo] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def add(self, title: str) -> Todo:
        with self._lock:
            todo = Todo(next(self._ids), title)
            self._items[todo.id] = todo
            return todo

    def get(self, todo_id: int) -> Todo:
        with self._lock:
            try:
                return self._items[todo_id]
            except KeyError:
                raise NotFound(f"There is no todo number {todo_id}.") from None

    def save(self, todo: Todo) -> None:
        """Nothing to do: the items are the objects handed out."""

    def delete(self, todo_id: int) -> Todo:
        with self._lock:
            todo = self._items.pop(todo_id, None)
            if todo is None:
                raise NotFound(f"There is no todo number {todo_id}.")
            return todo

    def all(self) -> list[Todo]:
        with self._lock:
            return list(self._items.values())

    def left(self) -> int:
        with self._lock:
            return sum(not t.done for t in self._items.values())


def check_title(title: str) -> tuple[str, str | None]:
    """The cleaned title and the error to show, if any."""
    title = title.strip()
    if not title:
        return title, "Write what needs doing."
    if len(title) > MAX_TITLE:
        return title, f"Keep it under {MAX_TITLE} characters ({len(title)} now)."
    return title, None


def create_app(name: str = "todo", todos: Todos | None = None) -> App:
    """The todo app. Its items are kept in its database (named after ``name``), unless
    ``todos`` says where else."""
    app = App(name, title="Todo")
    if todos is None:
        todos = TodoTable(app)

        @app.migration(1)
        def create_todos(db):
            # AUTOINCREMENT: a deleted item's number is never given to a new one.
            db.execute("CREATE TABLE todos (id INTEGER PRIMARY KEY AUTOINCREMENT, "
                       "title TEXT NOT NULL, done INTEGER NOT NULL DEFAULT 0)")
    app.head.append(Link(rel="stylesheet", href=app.static_url("todo.css")))

    def counter():
        return Span(f"{todos.left()} left", id="todo-count")

    def new_form(value: str = "", error: str | None = None):
        return Form(
            Field("New todo", "title", value=value, error=error,
                  placeholder="What needs doing?", autocomplete="off", autofocus=True),
            Button("Add"),
            id="new-todo", hx_post=add, hx_target="#todo-list", hx_swap="beforeend",
        )

    def item(todo: Todo):
        target = f"#todo-{todo.id}"
        return Li(
            Input(type="checkbox", checked=todo.done, aria_label=f"Done: {todo.title}",
                  hx_post=toggle.url(todo_id=todo.id), hx_target=target, hx_swap="outerHTML"),
            Span(todo.title, cls="title"),
            Button("Edit", cls="secondary outline", hx_get=edit.url(todo_id=todo.id),
                   hx_target=target, hx_swap="outerHTML"),
            Button("Delete", cls="contrast outline", hx_delete=delete.url(todo_id=todo.id),
                   hx_target=target, hx_swap="outerHTML"),
            id=f"todo-{todo.id}", cls={"done": todo.done},
        )

    def edit_form(todo: Todo, value: str | None = None, error: str | None = None):
        return Li(
            Form(
                Field("Title", "title", value=todo.title if value is None else value,
                      error=error, id=f"edit-{todo.id}", autocomplete="off"),
                Button("Save"),
                Button("Cancel", type="button", cls="secondary",
                       hx_get=show.url(todo_id=todo.id), hx_target=f"#todo-{todo.id}",
                       hx_swap="outerHTML"),
                hx_put=update.url(todo_id=todo.id), hx_target=f"#todo-{todo.id}",
                hx_swap="outerHTML",
            ),
            id=f"todo-{todo.id}",
        )

    @app.get("/")
    def index():
        return Page(
            "Todo",
            new_form(),
            Ul(*[item(t) for t in todos.all()], id="todo-list"),
            P(counter()),
        )

    @app.post("/todos")
    def add(title: str = ""):
        title, error = check_title(title)
        if error:
            # Answer the form with its error in place of the form, not in the list.
            return new_form(title, error), hx.retarget("#new-todo"), hx.reswap("outerHTML")
        todo = todos.add(title)
        return item(todo), oob(counter()), oob(new_form(), "outerHTML")

    @app.get("/todos/{todo_id:int}")
    def show(todo_id: int):
        return item(todos.get(todo_id))

    @app.post("/todos/{todo_id:int}/toggle")
    def toggle(todo_id: int):
        todo = todos.get(todo_id)
        todo.done = not todo.done
        todos.save(todo)
        return item(todo), oob(counter())

    @app.get("/todos/{todo_id:int}/edit")
    def edit(todo_id: int):
        return edit_form(todos.get(todo_id))

    @app.put("/todos/{todo_id:int}")
    def update(todo_id: int, title: str = ""):
        todo = todos.get(todo_id)
        title, error = check_title(title)
        if error:
            return edit_form(todo, title, error)
        todo.title = title
        todos.save(todo)
        return item(todo)

    @app.delete("/todos/{todo_id:int}")
    def delete(todo_id: int, session: Session):
        todo = todos.delete(todo_id)
        toast(session, f"Deleted \u201c{todo.title}\u201d.", "success")
        return oob(counter())

    return app


app = create_app()
