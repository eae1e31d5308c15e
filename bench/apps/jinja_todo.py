"""The todo app on Starlette with Jinja2 templates: the stack an author would otherwise pick.

A peer for ``bench/requests.py``: the same routes and the same HTML as
``examples/todo/app.py`` (the templates are in ``bench/apps/templates/todo/``), rendered
with Starlette's ``Jinja2Templates`` (autoescaping on, as Starlette sets it up; ``trim_blocks``
and ``lstrip_blocks`` so the templates can be laid out on lines) and ``TemplateResponse``.
Async endpoints, no sessions and no CSRF check (Starlette has neither by default), the same
in-memory store as the other apps.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from bench.apps.common import (
    APP_STYLESHEET,
    APPKIT_STATIC,
    SCRIPTS,
    STYLESHEETS,
    TODO_STATIC,
    NotFoundError,
    TodoStore,
    check_title,
)

_TEMPLATES = Path(__file__).resolve().parent / "templates"
_PAGE = {"title": "Todo", "stylesheets": STYLESHEETS, "scripts": SCRIPTS,
         "app_stylesheet": APP_STYLESHEET}


def _fragment(request: Request) -> bool:
    h = request.headers
    return (h.get("hx-request") == "true" and h.get("hx-boosted") != "true"
            and h.get("hx-history-restore-request") != "true")


def create_app() -> Starlette:
    """A todo app with an empty list of its own."""
    todos = TodoStore()
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(_TEMPLATES),
                             autoescape=jinja2.select_autoescape(), trim_blocks=True,
                             lstrip_blocks=True)
    templates = Jinja2Templates(env=env)

    def respond(request: Request, name: str, **context: Any) -> Response:
        """The fragment for htmx, else the whole page around it."""
        if _fragment(request):
            return templates.TemplateResponse(request, f"todo/{name}", context)
        return templates.TemplateResponse(request, "todo/page.html",
                                          {**_PAGE, **context, "inner": f"todo/{name}"})

    async def index(request: Request) -> Response:
        return templates.TemplateResponse(
            request, "todo/page.html", {**_PAGE, "todos": todos.all(), "left": todos.left()})

    async def add(request: Request) -> Response:
        form = await request.form()
        title, error = check_title(str(form.get("title", "")))
        if error:
            return templates.TemplateResponse(
                request, "todo/add_error.html", {"title": title, "error": error},
                headers={"HX-Retarget": "#new-todo", "HX-Reswap": "outerHTML"})
        todo = todos.add(title)
        return respond(request, "add.html", todo=todo, left=todos.left())

    async def show(request: Request) -> Response:
        return respond(request, "item.html", todo=todos.get(request.path_params["todo_id"]))

    async def toggle(request: Request) -> Response:
        todo = todos.toggle(request.path_params["todo_id"])
        return respond(request, "toggled.html", todo=todo, left=todos.left())

    async def edit(request: Request) -> Response:
        return respond(request, "edit.html", todo=todos.get(request.path_params["todo_id"]),
                       value=None, error=None)

    async def update(request: Request) -> Response:
        todo = todos.get(request.path_params["todo_id"])
        form = await request.form()
        title, error = check_title(str(form.get("title", "")))
        if error:
            return respond(request, "edit.html", todo=todo, value=title, error=error)
        todo.title = title
        return respond(request, "item.html", todo=todo)

    async def delete(request: Request) -> Response:
        todos.delete(request.path_params["todo_id"])
        return respond(request, "deleted.html", left=todos.left())

    async def not_found(request: Request, exc: Exception) -> Response:
        return HTMLResponse(jinja2.utils.markupsafe.escape(str(exc)), status_code=404)

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
