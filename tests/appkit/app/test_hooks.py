"""Before-hooks (login walls) and app-provided parameters (the user object)."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from appkit import App, ConfigurationError, Forbidden, Redirect, Request, ResponseParts
from appkit.html import P
from appkit.sessions import Session
from appkit.testing import Client

JSON = {"Accept": "application/json"}


@dataclass
class User:
    name: str
    admin: bool = False


USERS = {"ann": User("ann", admin=True), "bo": User("bo")}


def walled_app() -> tuple[App, list[str]]:
    """A login wall: every route but the login ones needs a signed-in user."""
    app = App("t")
    ran: list[str] = []

    @app.before(skip=["login_form", "login"])
    def login_wall(session: Session) -> Any:
        ran.append("wall")
        if "user" not in session:
            return Redirect("/login")
        return None

    @app.provide("user")
    def current_user(session: Session) -> User:
        ran.append("provide")
        return USERS[session["user"]]

    @app.get("/login")
    def login_form() -> Any:
        return P("Who are you?")

    @app.post("/login")
    def login(name: str, session: Session) -> Redirect:
        session["user"] = name
        return Redirect("/")

    @app.get("/")
    def index(user: Any) -> Any:
        ran.append("index")
        return P(f"Hello, {user.name}")

    @app.post("/logout")
    def logout(session: Session) -> Redirect:
        session.clear()
        return Redirect("/login")

    return app, ran


def test_the_login_wall_answers_instead_of_the_handler() -> None:
    app, ran = walled_app()
    with Client(app) as client:
        answer = client.get("/", follow_redirects=False)
        assert answer.status_code == 303
        assert answer.headers["location"] == "/login"
        assert ran == ["wall"]  # the handler did not run
        assert client.get("/", hx=True).headers["hx-redirect"] == "/login"
        # The skipped routes run without the hook.
        ran.clear()
        assert "Who are you?" in client.get("/login").text
        assert ran == []
        page = client.post("/login", data={"name": "ann"})
        assert page.url.path == "/"
        assert "Hello, ann" in page.text
        assert ran == ["wall", "provide", "index"]
        client.post("/logout")
        assert client.get("/", follow_redirects=False).headers["location"] == "/login"


def test_a_provided_value_is_made_once_per_request_for_hooks_and_handler() -> None:
    app = App("t")
    made: list[int] = []

    @app.provide("user")
    def current_user(request: Request) -> User:
        made.append(1)
        return USERS[request.query_params.get("as", "bo")]

    @app.before
    def admins_only_below_admin(request: Request, user: Any) -> Any:
        if request.url.path.startswith("/admin") and not user.admin:
            raise Forbidden(f"{user.name} is not an administrator.")
        return None

    @app.get("/admin/report")
    def report(user: Any) -> dict[str, str]:
        return {"for": user.name}

    with Client(app) as client:
        assert client.get("/admin/report?as=ann").json() == {"for": "ann"}
        assert len(made) == 1
        refused = client.get("/admin/report?as=bo", headers=JSON)
        assert refused.status_code == 403
        assert refused.json()["error"] == "bo is not an administrator."


def test_a_hook_can_hand_over_a_value_through_request_state() -> None:
    app = App("t")
    app.provide("user", lambda request: request.state.user)

    @app.before
    async def load_user(request: Request) -> None:
        request.state.user = USERS["ann"]

    @app.get("/")
    def index(user: Any) -> dict[str, str]:
        return {"name": user.name}

    with Client(app) as client:
        assert client.get("/").json() == {"name": "ann"}


def test_a_provider_can_be_selected_by_annotation_and_be_async() -> None:
    app = App("t")

    async def current_user(session: Session) -> User:
        await asyncio.sleep(0)
        return USERS[session.get("user", "bo")]

    app.provide("user", current_user, annotation=User)

    @app.get("/")
    def index(me: User, user: User | None = None) -> dict[str, Any]:
        return {"me": me.name, "same": me is user}

    with Client(app) as client:
        assert client.get("/").json() == {"me": "bo", "same": True}


def test_skip_takes_names_handlers_and_path_prefixes() -> None:
    app = App("t")
    hooked: list[str] = []

    @app.get("/health")
    def health() -> str:
        return "ok"

    @app.before(skip=["/public", health, "about"])
    def record(request: Request) -> None:
        hooked.append(request.url.path)

    for path, name in (("/public", "pub"), ("/public/{page}", "pub_page"),
                       ("/publicity", "publicity"), ("/about", "about"), ("/", "home")):
        app.get(path, name=name)(lambda: "x")

    with Client(app) as client:
        for path in ("/public", "/public/a", "/publicity", "/about", "/", "/health"):
            assert client.get(path).status_code == 200
        assert client.get("/_appkit/appkit.js").status_code == 200  # not a route: no hook
    assert hooked == ["/publicity", "/"]


def test_hooks_run_in_order_and_the_first_answer_wins() -> None:
    app = App("t")
    order: list[str] = []

    @app.before
    def first(response: ResponseParts) -> None:
        order.append("first")
        response.headers["X-Seen-By"] = "first"

    @app.before
    async def second(request: Request) -> Any:
        order.append("second")
        if request.query_params.get("stop"):
            return P("stopped by the hook")
        return None

    @app.before
    def third() -> None:
        order.append("third")

    @app.get("/")
    def index() -> str:
        order.append("handler")
        return "handled"

    with Client(app) as client:
        answer = client.get("/?stop=1", hx=True)
        assert answer.text == "<p>stopped by the hook</p>"
        assert answer.headers["x-seen-by"] == "first"
        assert order == ["first", "second"]
        order.clear()
        assert client.get("/").text == "handled"
        assert order == ["first", "second", "third", "handler"]


def test_a_plain_hook_runs_in_the_thread_pool_and_an_async_one_on_the_loop() -> None:
    app = App("t")
    threads: dict[str, str] = {}

    @app.before
    def plain() -> None:
        threads["plain"] = threading.current_thread().name

    @app.before
    async def coroutine() -> None:
        threads["async"] = threading.current_thread().name

    app.get("/")(lambda: "x")
    with Client(app) as client:
        client.get("/")
    assert threads["plain"] != threads["async"]


def test_the_csrf_check_comes_before_the_hooks() -> None:
    app, ran = walled_app()
    with Client(app, csrf=False) as client:
        assert client.post("/logout").status_code == 403
    assert ran == []


def test_a_hook_that_takes_a_value_from_the_request_is_refused() -> None:
    app = App("t")
    with pytest.raises(ConfigurationError, match=r"before-hook .*takes 'token', which is "
                                                 r"not a special parameter .*app\.provide"):
        @app.before
        def check(token: str) -> None: ...


def test_a_skipped_name_that_names_no_route_is_an_error() -> None:
    app = App("t")

    @app.before(skip=["logn"])
    def wall() -> None: ...

    @app.get("/login")
    def login() -> str:
        return "x"

    with pytest.raises(ConfigurationError, match=r"skips 'logn', but no route has that "
                                                 r"name \(known routes: login\)"):
        with Client(app):
            pass


def test_provide_refuses_taken_names_and_late_calls() -> None:
    app = App("t")

    @app.get("/")
    def index(user: str = "") -> str:
        return user

    with pytest.raises(ConfigurationError, match=r"Route 'index' \(/\) was defined before "
                                                 r"app.provide\('user'\)"):
        app.provide("user", lambda request: None)
    with pytest.raises(ConfigurationError, match="'session' is already a special parameter"):
        app.provide("session", lambda request: None)
    with pytest.raises(ConfigurationError, match="identifier"):
        app.provide("the user", lambda request: None)


def test_session_annotated_with_another_type_still_reads_a_value() -> None:
    app = App("t")

    @app.get("/")
    def index(session: str) -> dict[str, str]:
        return {"session": session}

    with Client(app) as client:
        assert client.get("/?session=abc").json() == {"session": "abc"}


def test_app_paths_are_the_users_folders_made_on_first_use(tmp_path: Path,
                                                          monkeypatch: Any) -> None:
    import os

    monkeypatch.chdir(tmp_path)
    app = App("paths-test")
    config = Path(os.environ["XDG_CONFIG_HOME"]) / "paths-test"
    assert not config.exists()
    assert app.paths is app.paths
    assert app.paths.config == config and config.is_dir()
    assert app.paths.data == Path(os.environ["XDG_DATA_HOME"]) / "paths-test"
    assert list(tmp_path.iterdir()) == []
