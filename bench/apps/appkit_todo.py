"""``examples/todo/app.py`` with its items in memory, for ``bench/requests.py``.

A copy of the example: the only changes are the store (``TodoStore``, in memory, as the
peers keep theirs, whose ``add``, ``get``, ``toggle``, ``delete``, ``all`` and ``left`` stand
in for the ``todos`` table in ``app.db``), the static folder pointing at the example's, and
this docstring. The handlers are plain ``def`` functions, as in the
example, which appkit runs on its worker threads (``appkit_todo_inline.py``: the same marked
``@nonblocking``).
"""

from __future__ import annotations

from pathlib import Path

from appkit import App, Session, hx, toast
from appkit.app import nonblocking
from appkit.html import Button, Field, Form, Input, Li, Link, P, Page, Span, Ul, oob
from bench.apps.common import Todo, TodoStore, check_title

_STATIC = Path(__file__).resolve().parents[2] / "examples" / "todo" / "static"


def create_app(inline: bool = False, toasts: bool = True) -> App:
    """A todo app with an empty list of its own, in memory; ``inline``: its handlers marked
    ``@nonblocking`` (they only touch memory), so they run on the event loop; ``toasts``:
    a delete says so in a toast (the example's; the session is read and saved)."""
    app = App("todo", title="Todo", static_dir=_STATIC)
    todos = TodoStore()
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
        todo = todos.toggle(todo_id)
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
        return item(todo)

    @app.delete("/todos/{todo_id:int}")
    def delete(todo_id: int, session: Session):
        todo = todos.delete(todo_id)
        if toasts:
            toast(session, f"Deleted \u201c{todo.title}\u201d.", "success")
        return oob(counter())

    if inline:
        for handler in (index, add, show, toggle, edit, update, delete):
            nonblocking(handler)
    return app


app = create_app()
