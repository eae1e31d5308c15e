"""appkit.app.routing: the route decorators, routers, mounts and URLs of handlers."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from appkit import App, ConfigurationError, RouteHandler, Router
from appkit.html import Button, render
from appkit.testing import Client
from tests.conftest import run_async

# ---- methods ----------------------------------------------------------------------------------


def test_each_method_decorator_serves_its_method() -> None:
    app = App("t")

    @app.get("/r")
    def read() -> str:
        return "got"

    @app.post("/r")
    def create() -> str:
        return "posted"

    @app.put("/r")
    def replace() -> str:
        return "put"

    @app.patch("/r")
    def change() -> str:
        return "patched"

    @app.delete("/r")
    def remove() -> str:
        return "deleted"

    with Client(app) as client:
        assert client.get("/r").text == "got"
        assert client.post("/r").text == "posted"
        assert client.put("/r").text == "put"
        assert client.patch("/r").text == "patched"
        assert client.delete("/r").text == "deleted"
        head = client.head("/r")
        assert head.status_code == 200


def test_route_with_several_methods() -> None:
    app = App("t")

    @app.route("/both", methods=["get", "POST"])
    def both(request: Request) -> str:
        return f"method={request.method}"

    with Client(app) as client:
        assert client.get("/both").text == "method=GET"
        assert client.post("/both").text == "method=POST"
        assert client.delete("/both").status_code == 405
    assert both.methods == ["GET", "POST"]


def test_405_has_allow_header_and_page() -> None:
    app = App("t")

    @app.get("/only-get")
    def only_get() -> str:
        return "x"

    with Client(app) as client:
        response = client.post("/only-get")
        assert response.status_code == 405
        # Starlette keeps a route's methods in a set: the order varies between runs.
        assert sorted(response.headers["allow"].split(", ")) == ["GET", "HEAD"]
        assert "<h1>Method not allowed</h1>" in response.text
        assert "POST is not allowed at /only-get." in response.text


def test_404_page() -> None:
    app = App("t")

    @app.get("/")
    def index() -> str:
        return "home"

    with Client(app) as client:
        response = client.get("/nowhere")
        assert response.status_code == 404
        assert response.text.startswith("<!doctype html>")
        assert "<title>404 Not found</title>" in response.text
        assert "There is no page at /nowhere." in response.text
        fragment = client.get("/nowhere", hx=True)
        assert fragment.status_code == 404
        assert fragment.text == ('<div class="appkit-error" role="alert" data-status="404">'
                                 "<p>There is no page at /nowhere.</p></div>")


def test_stacked_decorators_serve_both_methods() -> None:
    app = App("t")

    @app.post("/form")
    @app.get("/form")
    def form(request: Request) -> str:
        return request.method

    with Client(app) as client:
        assert client.get("/form").text == "GET"
        assert client.post("/form").text == "POST"
    assert isinstance(form, RouteHandler)
    assert form.methods == ["POST"]


# ---- routers and mounts -----------------------------------------------------------------------


def test_router_prefix_and_routes_added_after_include() -> None:
    app = App("t")
    router = Router("/todos")

    @router.get("/")
    def list_todos() -> str:
        return "list"

    app.include(router)

    @router.get("/{id:int}")
    def show_todo(id: int) -> str:
        return f"todo {id}"

    with Client(app) as client:
        assert client.get("/todos/").text == "list"
        assert client.get("/todos/3").text == "todo 3"
        assert client.get("/3").status_code == 404
    assert list_todos.url() == "/todos/"
    assert show_todo.url(id=3) == "/todos/3"


def test_router_name_prefix() -> None:
    app = App("t")
    admin = Router("/admin", name="admin")

    @admin.get("/users")
    def users() -> str:
        return "users"

    app.include(admin)
    assert users.name == "admin.users"
    assert app.url_for("admin.users") == "/admin/users"
    with pytest.raises(ConfigurationError, match="No route is named 'users'"):
        app.url_for("users")


def test_app_cannot_include_itself() -> None:
    app = App("t")
    with pytest.raises(ConfigurationError, match="cannot include itself"):
        app.include(app)


def test_mount_plain_starlette_app() -> None:
    def ping(request: Request) -> PlainTextResponse:
        return PlainTextResponse(f"pong from {request.url.path}")

    api = Starlette(routes=[Route("/ping", ping)])
    app = App("t")
    app.mount("/api", api, name="api")

    @app.get("/")
    def index() -> str:
        return "home"

    with Client(app) as client:
        response = client.get("/api/ping")
        assert response.status_code == 200
        assert response.text == "pong from /api/ping"
        assert client.get("/").text == "home"
    assert app.url_for("api", path="/ping") == "/api/ping"


@pytest.mark.parametrize("path", ["api", "/api/", ""])
def test_bad_mount_path(path: str) -> None:
    app = App("t")
    with pytest.raises(ConfigurationError, match="Mount path"):
        app.mount(path, Starlette())


# ---- URLs -------------------------------------------------------------------------------------


def test_url_for_by_the_functions_name() -> None:
    """A route added with ``@app.get`` is named after its function (the Router docstring:
    the name prefix "defaults to none"), so ``app.url_for("show")`` finds it."""
    app = App("shop")

    @app.get("/items/{id:int}")
    def show(id: int) -> str:
        return str(id)

    assert show.name == "show"
    assert app.url_for("show", id=4) == "/items/4"


def test_url_for_path_and_query_params() -> None:
    app = App("t")

    @app.get("/items/{id:int}")
    def show(id: int) -> str:
        return str(id)

    name = show.name
    assert app.url_for(name, id=7) == "/items/7"
    assert app.url_for(name, id=7, tab="notes") == "/items/7?tab=notes"
    assert app.url_for(name, id=7, tag=["a", "b"]) == "/items/7?tag=a&tag=b"
    assert app.url_for(name, id=7, gone=None, q="x") == "/items/7?q=x"
    assert app.url_for(name, id=7, on=True, off=False) == "/items/7?on=true&off=false"
    assert app.url_for(name, id=7, day=dt.date(2024, 2, 29)) == "/items/7?day=2024-02-29"
    assert app.url_for(name, id=7, q="a b&c") == "/items/7?q=a+b%26c"


def test_url_for_missing_path_param_and_unknown_name() -> None:
    app = App("t")

    @app.get("/items/{id:int}")
    def show(id: int) -> str:
        return str(id)

    with pytest.raises(ValueError, match="needs id: pass id=..."):
        app.url_for(show.name)
    with pytest.raises(ConfigurationError, match="No route is named 'nope'"):
        app.url_for("nope")


def test_url_for_path_param_called_name() -> None:
    """``name`` is a common path parameter (``/users/{name}``); it must not clash with
    ``url_for``'s own first argument."""
    app = App("t")

    @app.get("/users/{name}")
    def user(name: str) -> str:
        return name

    assert user.url(name="ada") == "/users/ada"
    assert app.url_for(user.name, name="ada") == "/users/ada"


def test_url_path_params_are_escaped_and_round_trip() -> None:
    app = App("t")

    @app.get("/tags/{tag}")
    def tag(tag: str) -> dict[str, Any]:
        return {"tag": tag}

    url = tag.url(tag="50% off?")
    with Client(app) as client:
        assert client.get(url).json() == {"tag": "50% off?"}


def test_handler_url_with_query() -> None:
    app = App("t")

    @app.get("/search")
    def search(q: str = "", page: int = 1) -> str:
        return f"{q}:{page}"

    assert search.url() == "/search"
    assert search.url(q="milk", page=2) == "/search?q=milk&page=2"
    with Client(app) as client:
        assert client.get(search.url(q="milk", page=2)).text == "milk:2"


def test_handler_renders_as_its_url_in_attributes() -> None:
    app = App("t")
    router = Router("/todos")

    @router.post("/{id:int}/done")
    def done(id: int) -> str:
        return "ok"

    @app.post("/save")
    def save() -> str:
        return "saved"

    app.include(router)
    assert render(Button("Save", hx_post=save)) == '<button hx-post="/save">Save</button>'
    with pytest.raises(ValueError, match="needs id"):
        render(Button("Done", hx_post=done))
    assert render(Button("Done", hx_post=done.url(id=5))) == (
        '<button hx-post="/todos/5/done">Done</button>')


def test_url_before_include_is_configuration_error() -> None:
    router = Router("/r")

    @router.get("/x")
    def x() -> str:
        return "x"

    with pytest.raises(ConfigurationError, match=r"not part of an app yet.*app\.include"):
        x.url()


def test_duplicate_route_name_is_configuration_error() -> None:
    app = App("t")

    @app.get("/a", name="thing")
    def a() -> str:
        return "a"

    with pytest.raises(ConfigurationError, match="already used by GET /a"):
        @app.get("/b", name="thing")
        def b() -> str:
            return "b"


def test_duplicate_name_across_routers_fails_at_include() -> None:
    app = App("t")
    first, second = Router("/first"), Router("/second")

    @first.get("/")
    def index() -> str:
        return "first"

    @second.get("/", name="index")
    def second_index() -> str:
        return "second"

    app.include(first)
    with pytest.raises(ConfigurationError,
                       match="Route name 'index' is already used by GET /first/"):
        app.include(second)


# ---- bad configuration ------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["admin", "/admin/", "/"])
def test_bad_router_prefix(prefix: str) -> None:
    with pytest.raises(ConfigurationError, match="Router prefix"):
        Router(prefix)


def test_bad_route_path() -> None:
    app = App("t")
    with pytest.raises(ConfigurationError, match="must start with '/'"):
        app.get("items")


def test_bad_method() -> None:
    app = App("t")
    with pytest.raises(ConfigurationError, match="Unknown HTTP method 'FETCH'"):
        app.route("/x", methods=["FETCH"])


def test_bad_convertor() -> None:
    app = App("t")
    with pytest.raises(ConfigurationError, match="Unknown path convertor 'number'"):
        app.get("/items/{id:number}")


def test_bad_app_options() -> None:
    with pytest.raises(ConfigurationError, match="needs a name"):
        App("  ")
    with pytest.raises(ConfigurationError, match="max_body_size must be positive"):
        App("t", max_body_size=0)


# ---- handlers ---------------------------------------------------------------------------------


def test_handler_is_still_callable_directly() -> None:
    app = App("t")

    @app.get("/add")
    def add(a: int, b: int = 1) -> int:
        return a + b

    @app.get("/aadd")
    async def aadd(a: int) -> int:
        return a * 2

    assert isinstance(add, RouteHandler)
    assert add(2, b=3) == 5
    assert add.__name__ == "add"
    assert add.is_async is False
    assert aadd.is_async is True

    assert run_async(aadd(4)) == 8


def test_async_and_sync_handlers_both_work() -> None:
    app = App("t")

    @app.get("/a")
    async def a(x: int) -> dict[str, Any]:
        return {"a": x}

    @app.get("/s")
    def s(x: int) -> dict[str, Any]:
        return {"s": x}

    with Client(app) as client:
        assert client.get("/a?x=1").json() == {"a": 1}
        assert client.get("/s?x=2").json() == {"s": 2}


def test_sync_handler_runs_off_the_event_loop_thread() -> None:
    app = App("t")
    idents: dict[str, int] = {}

    @app.get("/a")
    async def on_loop() -> str:
        idents["async"] = threading.get_ident()
        return "a"

    @app.get("/s")
    def off_loop() -> str:
        idents["sync"] = threading.get_ident()
        return "s"

    with Client(app) as client:
        assert client.get("/a").text == "a"
        assert client.get("/s").text == "s"
    assert set(idents) == {"async", "sync"}
    assert idents["async"] != idents["sync"]
