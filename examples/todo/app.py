"""A todo list: add, toggle, edit inline and delete through htmx, with a live "N left"
counter updated out of band, validation errors shown next to the field, and a toast when an
item is deleted.

It looks like a desktop tool with the UI kit (``UISettings``, docs/ui.md): the app shell
(tool bar, content across the window, the counter in the status bar), compact buttons with
icons, light and dark themes, and a delete that asks first in the page's own dialog (the
kit draws ``hx_confirm``'s question in the page, never the browser's box).

The items are kept in the app's database (``app.db``, in the user's data folder), so they
survive a restart; the table comes from migration 1. A toggle or a rename changes the row
with ``todos.modify``, which reads and writes it in one transaction: two clicks at the same
moment (two windows, a double click) toggle twice instead of losing one. Run it with
``appkit run examples/todo``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from appkit import App, Session, hx, toast
from appkit.html import Button, Field, Form, Input, Li, Link, Span, Ul, oob
from appkit.ui import Card, Shell, ToolButton, UISettings

MAX_TITLE = 200


@dataclass
class Todo:
    id: int | None = None
    title: str = ""
    done: bool = False


def check_title(title: str) -> tuple[str, str | None]:
    """The cleaned title and the error to show, if any."""
    title = title.strip()
    if not title:
        return title, "Write what needs doing."
    if len(title) > MAX_TITLE:
        return title, f"Keep it under {MAX_TITLE} characters ({len(title)} now)."
    return title, None


def create_app(name: str = "todo") -> App:
    """The todo app; its items are kept in its database (named after ``name``)."""
    app = App(name, title="Todo", extensions=[UISettings()])

    @app.migration(1)
    def create_todos(db):
        # AUTOINCREMENT: a deleted item's number is never given to a new one.
        db.execute("CREATE TABLE todos (id INTEGER PRIMARY KEY AUTOINCREMENT, "
                   "title TEXT NOT NULL, done INTEGER NOT NULL DEFAULT 0)")

    # get, modify and delete raise RowNotFound for an unknown id: the answer is a 404.
    todos = app.table_for(Todo, name="todos")
    app.head.append(Link(rel="stylesheet", href=app.static_url("todo.css")))

    def counter():
        return Span(f"{todos.count(done=False)} left", id="todo-count")

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
            ToolButton("Edit", icon="pencil", hx_get=edit.url(todo_id=todo.id),
                       hx_target=target, hx_swap="outerHTML"),
            # Asked first, in the page's own dialog (titled "Delete a todo").
            ToolButton("Delete", icon="trash-2", hx_delete=delete.url(todo_id=todo.id),
                       hx_target=target, hx_swap="outerHTML",
                       hx_confirm=f"Delete \u201c{todo.title}\u201d?",
                       data_confirm_title="Delete a todo"),
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
        return Shell(
            Card(new_form(), Ul(*[item(t) for t in todos.find(order_by="id")], id="todo-list")),
            title="Todo",
            status=[counter()],
        )

    @app.post("/todos")
    def add(title: str = ""):
        title, error = check_title(title)
        if error:
            # Answer the form with its error in place of the form, not in the list.
            return new_form(title, error), hx.retarget("#new-todo"), hx.reswap("outerHTML")
        todo = todos.insert(Todo(title=title))
        return item(todo), oob(counter()), oob(new_form(), "outerHTML")

    @app.get("/todos/{todo_id:int}")
    def show(todo_id: int):
        return item(todos.get(todo_id))

    @app.post("/todos/{todo_id:int}/toggle")
    def toggle(todo_id: int):
        todo = todos.modify(todo_id, lambda t: replace(t, done=not t.done))
        return item(todo), oob(counter())

    @app.get("/todos/{todo_id:int}/edit")
    def edit(todo_id: int):
        return edit_form(todos.get(todo_id))

    @app.put("/todos/{todo_id:int}")
    def update(todo_id: int, title: str = ""):
        title, error = check_title(title)
        if error:
            return edit_form(todos.get(todo_id), title, error)
        # Only the title: a toggle from another window meanwhile is kept.
        return item(todos.modify(todo_id, lambda t: replace(t, title=title)))

    @app.delete("/todos/{todo_id:int}")
    def delete(todo_id: int, session: Session):
        todo = todos.get(todo_id)
        todos.delete(todo_id)
        toast(session, f"Deleted \u201c{todo.title}\u201d.", "success")
        return oob(counter())

    return app


app = create_app()
