"""The todo app on FastHTML, as close to ``examples/todo/app.py`` as FastHTML allows.

Same routes, same store, same page structure (form, list, counter) and the same htmx POST
answer (the new ``li``, the counter out of band, a fresh form out of band). Handlers are
plain ``def`` functions, which FastHTML runs in the thread pool, as appkit does for the
example's handlers.

Set up for a fair comparison:

- ``FastHTML(...)`` rather than ``fast_app()``: no live reload (``fast_app`` only adds it with
  ``live=True``) and no catch-all static-file route in front of the app's routes.
- ``sess_cls=None``: no session middleware (appkit has none). ``secret_key`` is given so
  FastHTML does not write a ``.sesskey`` file.
- ``default_hdrs=False`` and our own ``hdrs``: the head appkit's page has (charset, viewport,
  the same stylesheets and deferred scripts, htmx included) served from this app, instead of
  FastHTML's defaults, which load htmx, fasthtml.js, surreal and css-scope-inline from CDNs.
  wrk never fetches assets, so this only changes the size of the page.
- ``canonical=False``: no ``<link rel="canonical">`` (appkit writes none).

- ``fh_cfg.indent = False``: no indentation in the responses (FastHTML indents by default,
  which adds whitespace and work), and ``fh_cfg.auto_name = False``: an element with an
  ``id`` gets no matching ``name``. ``enctype=None`` drops the ``enctype`` FastHTML's ``Form``
  adds by default.

What still differs in the HTML: attributes come out in FastHTML's order (``hx-*`` before
``id`` and ``class``), and FastHTML adds a ``Vary`` header.
"""

from __future__ import annotations

from fasthtml.common import (
    H1,
    Button,
    Div,
    FastHTML,
    HtmxResponseHeaders,
    Input,
    Label,
    Li,
    Link,
    Main,
    Meta,
    P,
    Script,
    Small,
    Span,
    Title,
    Ul,
    fh_cfg,
)
from fasthtml.common import Form as _Form
from starlette.responses import HTMLResponse
from starlette.routing import Mount
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

# Render without indentation (FastHTML indents by default) and without giving elements that
# have an id a matching name (FastHTML's auto_name), so the HTML is appkit's.
fh_cfg.indent = False
fh_cfg.auto_name = False


def Form(*c, **kw):  # noqa: N802
    return _Form(*c, enctype=None, **kw)


def Field(label: str, ident: str, value: str, error: str | None, **attrs):  # noqa: N802
    """appkit's ``Field`` for a text input: label, input, and the slot for its error."""
    if error:
        attrs.update(aria_invalid="true", aria_describedby=f"{ident}-error")
        message = Small(error, id=f"{ident}-error", cls="error", role="alert")
    else:
        message = Small(id=f"{ident}-error", cls="help")
    return Div(Label(label, fr=ident),
               Input(type="text", value=value, id=ident, name="title", **attrs),
               message, cls="field")


def create_app() -> FastHTML:
    """A todo app with an empty list of its own."""
    todos = TodoStore()
    hdrs = [
        Meta(charset="utf-8"),
        Meta(name="viewport", content="width=device-width, initial-scale=1"),
        *[Link(rel="stylesheet", href=u) for u in STYLESHEETS],
        *[Script(src=u, defer=True) for u in SCRIPTS],
        Link(rel="stylesheet", href=APP_STYLESHEET),
    ]
    app = FastHTML(
        routes=[
            Mount("/_appkit", app=StaticFiles(directory=APPKIT_STATIC), name="appkit-static"),
            Mount("/static", app=StaticFiles(directory=TODO_STATIC), name="static"),
        ],
        title="Todo", hdrs=hdrs, default_hdrs=False, sess_cls=None, secret_key="bench",
        canonical=False, htmlkw={"lang": "en"},
        exception_handlers={NotFoundError: lambda req, exc: HTMLResponse(str(exc), 404)},
    )

    def counter():
        return Span(f"{todos.left()} left", id="todo-count")

    def new_form(value: str = "", error: str | None = None, **kw):
        return Form(
            Field("New todo", "title", value, error,
                  placeholder="What needs doing?", autocomplete="off", autofocus=True),
            Button("Add"),
            id="new-todo", hx_post="/todos", hx_target="#todo-list", hx_swap="beforeend", **kw,
        )

    def item(todo: Todo):
        target = f"#todo-{todo.id}"
        return Li(
            Input(type="checkbox", checked=todo.done, aria_label=f"Done: {todo.title}",
                  hx_post=f"/todos/{todo.id}/toggle", hx_target=target, hx_swap="outerHTML"),
            Span(todo.title, cls="title"),
            Button("Edit", cls="secondary outline", hx_get=f"/todos/{todo.id}/edit",
                   hx_target=target, hx_swap="outerHTML"),
            Button("Delete", cls="contrast outline", hx_delete=f"/todos/{todo.id}",
                   hx_target=target, hx_swap="outerHTML"),
            id=f"todo-{todo.id}", cls="done" if todo.done else None,
        )

    def edit_form(todo: Todo, value: str | None = None, error: str | None = None):
        return Li(
            Form(
                Field("Title", f"edit-{todo.id}", todo.title if value is None else value,
                      error, autocomplete="off"),
                Button("Save"),
                Button("Cancel", type="button", cls="secondary",
                       hx_get=f"/todos/{todo.id}", hx_target=f"#todo-{todo.id}",
                       hx_swap="outerHTML"),
                hx_put=f"/todos/{todo.id}", hx_target=f"#todo-{todo.id}", hx_swap="outerHTML",
            ),
            id=f"todo-{todo.id}",
        )

    @app.get("/")
    def index():
        return (
            Title("Todo"),
            Main(H1("Todo"), new_form(), Ul(*[item(t) for t in todos.all()], id="todo-list"),
                 P(counter()), cls="container"),
        )

    @app.post("/todos")
    def add(title: str = ""):
        title, error = check_title(title)
        if error:
            return new_form(title, error), HtmxResponseHeaders(retarget="#new-todo",
                                                               reswap="outerHTML")
        todo = todos.add(title)
        return item(todo), counter()(hx_swap_oob="true"), new_form(hx_swap_oob="outerHTML")

    @app.get("/todos/{todo_id}")
    def show(todo_id: int):
        return item(todos.get(todo_id))

    @app.post("/todos/{todo_id}/toggle")
    def toggle(todo_id: int):
        todo = todos.toggle(todo_id)
        return item(todo), counter()(hx_swap_oob="true")

    @app.get("/todos/{todo_id}/edit")
    def edit(todo_id: int):
        return edit_form(todos.get(todo_id))

    @app.put("/todos/{todo_id}")
    def update(todo_id: int, title: str = ""):
        todo = todos.get(todo_id)
        title, error = check_title(title)
        if error:
            return edit_form(todo, title, error)
        todo.title = title
        return item(todo)

    @app.delete("/todos/{todo_id}")
    def delete(todo_id: int):
        todos.delete(todo_id)
        return counter()(hx_swap_oob="true")

    return app


app = create_app()
