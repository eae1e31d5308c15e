"""The todo app on bare Starlette: async endpoints that build the HTML with f-strings.

The bare-minimum baseline for ``bench/requests.py``: the same routes and the same HTML as
``examples/todo/app.py`` (byte for byte, except that ``html.escape`` also escapes ``'``),
with no parameter binding, no element tree and no full-page/fragment logic. The handlers
are ``async def`` so nothing goes through the thread pool.
"""

from __future__ import annotations

from html import escape

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from bench.apps.common import (
    APP_STYLESHEET,
    APPKIT_STATIC,
    SCRIPTS,
    STYLESHEETS,
    TODO_STATIC,
    NotFoundError,
    Todo,
    TodoStore,
    check_title,
)

_HEAD = (
    '<meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">'
    + "".join(f'<link rel="stylesheet" href="{escape(u)}">' for u in STYLESHEETS)
    + "".join(f'<script src="{escape(u)}" defer></script>' for u in SCRIPTS)
    + f'<link rel="stylesheet" href="{escape(APP_STYLESHEET)}">'
)


def _fragment(request: Request) -> bool:
    h = request.headers
    return (h.get("hx-request") == "true" and h.get("hx-boosted") != "true"
            and h.get("hx-history-restore-request") != "true")


def _page(title: str, body: str) -> str:
    t = escape(title)
    return (f'<!doctype html><html lang="en"><head>{_HEAD}<title>{t}</title></head><body>'
            f'<main class="container"><h1>{t}</h1>{body}</main></body></html>')


def _respond(request: Request, html: str) -> HTMLResponse:
    return HTMLResponse(html if _fragment(request) else _page("Todo", html))


def create_app() -> Starlette:
    """A todo app with an empty list of its own."""
    todos = TodoStore()

    def counter(oob: bool = False) -> str:
        extra = ' hx-swap-oob="true"' if oob else ""
        return f'<span id="todo-count"{extra}>{todos.left()} left</span>'

    def field(label: str, ident: str, value: str, error: str | None, extra: str) -> str:
        if error:
            extra += f' aria-invalid="true" aria-describedby="{ident}-error"'
            message = (f'<small id="{ident}-error" class="error" role="alert">'
                       f"{escape(error)}</small>")
        else:
            message = f'<small id="{ident}-error" class="help"></small>'
        return (f'<div class="field"><label for="{ident}">{escape(label)}</label>'
                f'<input type="text" value="{escape(value)}" id="{ident}" name="title"{extra}>'
                f"{message}</div>")

    def new_form(value: str = "", error: str | None = None, oob: bool = False) -> str:
        extra = ' hx-swap-oob="outerHTML"' if oob else ""
        return (f'<form id="new-todo" hx-post="/todos" hx-target="#todo-list" '
                f'hx-swap="beforeend"{extra}>'
                + field("New todo", "title", value, error,
                        ' placeholder="What needs doing?" autocomplete="off" autofocus')
                + "<button>Add</button></form>")

    def item(todo: Todo) -> str:
        i = todo.id
        title = escape(todo.title)
        cls = ' class="done"' if todo.done else ""
        checked = " checked" if todo.done else ""
        return (f'<li id="todo-{i}"{cls}><input type="checkbox"{checked} '
                f'aria-label="Done: {title}" hx-post="/todos/{i}/toggle" '
                f'hx-target="#todo-{i}" hx-swap="outerHTML"><span class="title">{title}</span>'
                f'<button class="secondary outline" hx-get="/todos/{i}/edit" '
                f'hx-target="#todo-{i}" hx-swap="outerHTML">Edit</button>'
                f'<button class="contrast outline" hx-delete="/todos/{i}" '
                f'hx-target="#todo-{i}" hx-swap="outerHTML">Delete</button></li>')

    def edit_form(todo: Todo, value: str | None = None, error: str | None = None) -> str:
        i = todo.id
        return (f'<li id="todo-{i}"><form hx-put="/todos/{i}" hx-target="#todo-{i}" '
                f'hx-swap="outerHTML">'
                + field("Title", f"edit-{i}", todo.title if value is None else value, error,
                        ' autocomplete="off"')
                + f'<button>Save</button><button type="button" class="secondary" '
                f'hx-get="/todos/{i}" hx-target="#todo-{i}" hx-swap="outerHTML">Cancel</button>'
                "</form></li>")

    def lookup(request: Request) -> Todo:
        return todos.get(request.path_params["todo_id"])

    async def index(request: Request) -> Response:
        items = "".join(item(t) for t in todos.all())
        return HTMLResponse(_page("Todo", f'{new_form()}<ul id="todo-list">{items}</ul>'
                                          f"<p>{counter()}</p>"))

    async def add(request: Request) -> Response:
        form = await request.form()
        title, error = check_title(str(form.get("title", "")))
        if error:
            return HTMLResponse(new_form(title, error),
                                headers={"HX-Retarget": "#new-todo", "HX-Reswap": "outerHTML"})
        todo = todos.add(title)
        return _respond(request, item(todo) + counter(oob=True) + new_form(oob=True))

    async def show(request: Request) -> Response:
        return _respond(request, item(lookup(request)))

    async def toggle(request: Request) -> Response:
        todo = todos.toggle(request.path_params["todo_id"])
        return _respond(request, item(todo) + counter(oob=True))

    async def edit(request: Request) -> Response:
        return _respond(request, edit_form(lookup(request)))

    async def update(request: Request) -> Response:
        todo = lookup(request)
        form = await request.form()
        title, error = check_title(str(form.get("title", "")))
        if error:
            return _respond(request, edit_form(todo, title, error))
        todo.title = title
        return _respond(request, item(todo))

    async def delete(request: Request) -> Response:
        todos.delete(request.path_params["todo_id"])
        return _respond(request, counter(oob=True))

    async def not_found(request: Request, exc: Exception) -> Response:
        return HTMLResponse(escape(str(exc)), status_code=404)

    return Starlette(
        routes=[
            Mount("/_appkit", app=StaticFiles(directory=APPKIT_STATIC), name="appkit-static"),
            Mount("/static", app=StaticFiles(directory=TODO_STATIC), name="static"),
            Route("/", index, methods=["GET"]),
            Route("/todos", add, methods=["POST"]),
            Route("/todos/{todo_id:int}", show, methods=["GET"]),
            Route("/todos/{todo_id:int}/toggle", toggle, methods=["POST"]),
            Route("/todos/{todo_id:int}/edit", edit, methods=["GET"]),
            Route("/todos/{todo_id:int}", update, methods=["PUT"]),
            Route("/todos/{todo_id:int}", delete, methods=["DELETE"]),
        ],
        exception_handlers={NotFoundError: not_found},
    )


app = create_app()
