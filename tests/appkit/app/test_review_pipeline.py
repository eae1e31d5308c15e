"""Review of issue 10 (the core, its extensions and the one pipeline): error handlers,
extension order and exports, lifespan order, a failed migration, the core App alone. A test
marked xfail(strict) exposes a bug."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from starlette.websockets import WebSocketDisconnect

from appkit import App, Forbidden, RowNotFound, Sessions
from appkit.app import App as CoreApp
from appkit.data.errors import MigrationFailed
from appkit.errors import ConfigurationError
from appkit.html import Button, Form, Input, P
from appkit.testing import Client


def add_one(x: int) -> int:
    return x + 1


# ---- error handlers -------------------------------------------------------------------------


def test_an_error_handler_for_413_answers_an_oversized_body() -> None:
    app = App("limits", max_body_size=100)

    @app.error(413)
    def too_big() -> Any:
        return P("Please send a smaller file.")

    @app.post("/up")
    def up(text: str = "") -> Any:
        return P("stored")

    with Client(app) as client:
        declared = client.post("/up", data={"text": "x" * 200})
        streamed = client.post("/up", content=iter([b"text=" + b"x" * 60, b"x" * 60]),
                               headers={"content-type": "application/x-www-form-urlencoded"})
    assert declared.status_code == streamed.status_code == 413
    assert "Please send a smaller file." in declared.text
    assert "Please send a smaller file." in streamed.text


def test_error_handlers_for_405_data_errors_hooks_and_providers() -> None:
    app = App("handlers")

    @app.error(405)
    def wrong_method(request) -> Any:  # type: ignore[no-untyped-def]
        return P(f"no {request.method} here")

    @app.error(RowNotFound)
    def no_row(error, session) -> Any:  # type: ignore[no-untyped-def]
        return P(f"row: {error.message}; session: {type(session).__name__}")

    @app.error(403)
    def refused(error) -> Any:  # type: ignore[no-untyped-def]
        return P(f"refused: {error.message}")

    @app.provide("user")
    def user(request) -> Any:  # type: ignore[no-untyped-def]
        if request.query_params.get("bad") == "provider":
            raise Forbidden("by the provider")
        return "ann"

    @app.before
    def wall(request) -> Any:  # type: ignore[no-untyped-def]
        if request.query_params.get("bad") == "hook":
            raise Forbidden("by the hook")
        return None

    @app.get("/row")
    def row(user) -> Any:  # type: ignore[no-untyped-def]
        raise RowNotFound("row 7 is gone")

    with Client(app) as client:
        posted = client.post("/row")
        assert posted.status_code == 405 and "no POST here" in posted.text
        missing = client.get("/row")
        assert missing.status_code == 404
        assert "row: row 7 is gone; session: Session" in missing.text
        fragment = client.get("/row", hx=True)
        assert fragment.status_code == 404 and "<p>row: row 7" in fragment.text
        assert fragment.text.startswith('<div class="appkit-error"')  # shown by appkit.js
        assert client.head("/row").status_code == 404
        by_provider = client.get("/row?bad=provider")
        assert by_provider.status_code == 403 and "refused: by the provider" in by_provider.text
        by_hook = client.get("/row?bad=hook")
        assert by_hook.status_code == 403 and "refused: by the hook" in by_hook.text


def test_a_websocket_to_an_unknown_path_closes_with_4404() -> None:
    app = App("sockets")
    with Client(app) as client:
        with pytest.raises(WebSocketDisconnect) as closed:
            with client.websocket_connect("/no-such-socket") as socket:
                socket.receive_text()
    assert closed.value.code == 4404


# ---- extensions -----------------------------------------------------------------------------


def test_configuring_sessions_keeps_its_place_in_the_pipeline(
        error_logs: list[logging.LogRecord]) -> None:
    app = App("order", sessions=Sessions(store="sqlite"))

    @app.migration(1)
    def broken(db) -> None:  # type: ignore[no-untyped-def]
        raise RuntimeError("broken migration")

    @app.error(MigrationFailed)
    def explain(error, session) -> Any:  # type: ignore[no-untyped-def]
        return P(f"explained with a {type(session).__name__}")

    @app.get("/")
    def index() -> Any:
        return P("home")

    assert list(App("default").extensions)[0] == "sessions"
    with Client(app) as client:
        page = client.get("/")
    assert page.status_code == 500
    assert "explained with a Session" in page.text
    assert list(app.extensions)[0] == "sessions"


def test_an_export_may_not_hide_behind_an_instance_attribute() -> None:
    class Debugger:
        name = "debugger"
        exports = ("debug",)
        debug = "the debugger's panel"

        def setup(self, app: Any) -> None:
            pass

        def commands(self) -> tuple[()]:
            return ()

    with pytest.raises(ConfigurationError, match="exports 'debug'"):
        App("shadowed", extensions=[Debugger()])


def test_two_extensions_may_not_export_one_name() -> None:
    class First:
        name = "first"
        exports = ("thing",)
        thing = 1

        def setup(self, app: Any) -> None:
            pass

        def commands(self) -> tuple[()]:
            return ()

    class Second(First):
        name = "second"
        thing = 2

    with pytest.raises(ConfigurationError, match="exports 'thing', which the app has"):
        App("twice", extensions=[First(), Second()])


def test_a_session_parameter_on_the_core_app_names_the_missing_extension() -> None:
    core = CoreApp("core")
    with pytest.raises(ConfigurationError, match="(?i)sessions"):
        @core.get("/")
        def index(session) -> Any:  # type: ignore[no-untyped-def]
            return P("hi")


def test_the_core_app_serves_forms_without_a_token_and_the_client_works() -> None:
    core = CoreApp("core")

    @core.get("/")
    def index() -> Any:
        return Form(Input(name="title"), Button("Add"), method="post", action="/add")

    @core.post("/add")
    def add(title: str) -> Any:
        return P(f"added {title}")

    with Client(core) as client:
        page = client.get("/")
        assert page.status_code == 200 and "csrf-token" not in page.text
        assert client.csrf_token() is None
        added = client.post("/add", data={"title": "milk"})
        assert added.status_code == 200 and "added milk" in added.text


# ---- lifespan -------------------------------------------------------------------------------


def test_user_hooks_run_after_the_migrations_and_before_the_scheduler_stops() -> None:
    app = App("lifespan")
    seen: list[Any] = []

    @app.migration(1)
    def create(db) -> None:  # type: ignore[no-untyped-def]
        db["t"].insert({"id": 1, "v": "migrated"}, pk="id")

    app.task()(add_one)

    @app.on_startup
    def read() -> None:
        seen.append(app.db["t"].get(1)["v"])

    @app.on_shutdown
    def enqueue() -> None:
        seen.append(app.jobs.enqueue("add_one", {"x": 1}))

    with Client(app):
        pass
    assert seen == ["migrated", 1]
    assert [run.status.value for run in app.jobs.runs()] == ["queued"]


def test_a_failing_startup_hook_leaves_no_scheduler_running() -> None:
    app = App("failing")
    app.task()(add_one)

    @app.on_startup
    def broken() -> None:
        raise RuntimeError("the user's startup failed")

    try:
        with pytest.raises(RuntimeError, match="the user's startup failed"):
            with Client(app):
                pass
        assert not app.jobs.running
    finally:
        app.jobs.stop()


def test_a_failed_migration_is_explained_on_every_route_and_websocket(
        error_logs: list[logging.LogRecord]) -> None:
    app = App("migfail")

    @app.migration(1)
    def broken(db) -> None:  # type: ignore[no-untyped-def]
        raise RuntimeError("broken migration")

    @app.get("/")
    def index() -> Any:
        return P("home")

    @app.post("/add")
    def add() -> Any:
        return P("added")

    @app.websocket("/feed")
    def feed(text: str) -> Any:
        return P(text)

    with Client(app) as client:
        for answer in (client.get("/"), client.post("/add", hx=True)):
            assert answer.status_code == 500 and "broken" in answer.text
        assert client.get("/nowhere").status_code == 404
        name = app.sessions.cookie_name
        cookie = {"cookie": f"{name}={client.cookies[name]}"}
        with pytest.raises(WebSocketDisconnect) as closed:
            with client.websocket_connect(f"/feed?appkit-csrf={client.csrf_token()}",
                                          headers=cookie) as socket:
                socket.receive_text()
    assert closed.value.code == MigrationFailed.close_code == 1011
    assert any("could not be opened" in r.getMessage() for r in error_logs)


def test_a_failed_migration_does_not_keep_every_refused_request(
        error_logs: list[logging.LogRecord]) -> None:
    app = App("migleak")

    @app.migration(1)
    def broken(db) -> None:  # type: ignore[no-untyped-def]
        raise RuntimeError("broken migration")

    @app.get("/")
    def index() -> Any:
        return P("home")

    def frames(error: BaseException) -> int:
        count, tb = 0, error.__traceback__
        while tb is not None:
            count, tb = count + 1, tb.tb_next
        return count

    with Client(app) as client:
        client.get("/")
        failure = app.extension("data").failure
        after_one = frames(failure)
        for _ in range(20):
            assert client.get("/").status_code == 500
        assert frames(failure) == after_one


def test_an_error_handler_for_not_found_answers_a_missing_page() -> None:
    from appkit import NotFound

    app = App("notfound")

    @app.error(NotFound)
    def not_found(error) -> Any:  # type: ignore[no-untyped-def]
        return P("our own not-found page")

    @app.get("/gone")
    def gone() -> Any:
        raise NotFound("gone")

    with Client(app) as client:
        assert "our own not-found page" in client.get("/gone").text
        assert "our own not-found page" in client.get("/nowhere").text


def test_an_error_handler_may_be_a_partial() -> None:
    import functools

    app = App("partial")

    def page(text: str, error: Any) -> Any:
        return P(text)

    app.error(404)(functools.partial(page, "nothing here"))
    with Client(app) as client:
        assert "nothing here" in client.get("/nowhere").text


def test_rendering_pages_for_new_sessions_does_not_grow_the_hub() -> None:
    app = App("topics")

    @app.get("/")
    def index() -> Any:
        return P("home")

    with Client(app) as client:
        client.get("/")
        before = len(app.hub.topics)
        for _ in range(50):
            client.cookies.clear()  # a new visitor each time
            assert client.get("/").status_code == 200
        assert len(app.hub.topics) <= before + 1


def test_an_error_handlers_answer_reaches_an_htmx_user() -> None:
    app = App("htmxerrors")

    @app.error(404)
    def not_found() -> Any:
        return P("That item was deleted by someone else.")

    with Client(app) as client:
        fragment = client.get("/items/7", hx=True)
    assert fragment.status_code == 404
    assert "That item was deleted by someone else." in fragment.text
    assert "appkit-error" in fragment.text  # what appkit.js looks for to show the body


def test_a_bare_app_error_decorator_is_explained() -> None:
    app = App("bare")

    def not_found() -> Any:
        return P("mine")

    with pytest.raises(ConfigurationError):
        app.error(not_found)  # type: ignore[arg-type]


def test_a_bare_app_provide_decorator_is_explained() -> None:
    app = App("bare")

    def user() -> Any:
        return "ann"

    with pytest.raises(ConfigurationError):
        app.provide(user)  # type: ignore[arg-type]


def test_data_settings_refuse_a_bool_timeout() -> None:
    from appkit import DataSettings

    with pytest.raises(ConfigurationError, match="timeout"):
        DataSettings(timeout=True)


def test_a_settings_class_instead_of_settings_is_explained() -> None:
    from appkit import DataSettings

    with pytest.raises(ConfigurationError, match=r"DataSettings\(\)"):
        App("forgot-the-parentheses", extensions=[DataSettings])  # type: ignore[list-item]
