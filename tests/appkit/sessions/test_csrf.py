"""CSRF: unsafe requests to appkit routes must carry the session's token; together with
the loopback guard's Origin check."""

from __future__ import annotations

import re
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from appkit import App, UploadFile
from appkit.html import P, Page
from appkit.sessions import CSRF_FIELD, CSRF_HEADER, Session, Sessions
from appkit.testing import Client
from shell.guard import TOKEN_PARAM, LoopbackGuard, new_token

JSON = {"Accept": "application/json"}


def csrf_app(**settings: Any) -> tuple[App, list[str]]:
    """An app whose unsafe routes record that they ran."""
    app = App("t", sessions=Sessions(**settings) if settings else None)
    ran: list[str] = []

    @app.get("/")
    def index() -> Any:
        return Page("Home", P("hello"))

    @app.route("/act", methods=["POST", "PUT", "PATCH", "DELETE"])
    def act(request: Any) -> str:
        ran.append(request.method)
        return "done"

    @app.post("/upload")
    async def upload(doc: UploadFile) -> dict[str, Any]:
        ran.append("upload")
        return {"bytes": len(await doc.read())}

    @app.post("/hook", csrf=False)
    def hook() -> str:
        ran.append("hook")
        return "hooked"

    return app, ran


def meta_token(html: str) -> str:
    match = re.search(r'<meta name="csrf-token" content="([^"]+)">', html)
    assert match, html[:500]
    return match.group(1)


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_an_unsafe_request_without_the_token_is_refused_before_the_handler(
        method: str) -> None:
    app, ran = csrf_app()
    with Client(app) as client:
        client.get("/")  # a session with a token exists: the request just did not send it
        answer = client.request(method, "/act", csrf=False, headers=JSON)
        assert answer.status_code == 403
        assert answer.json()["error"].startswith(
            "This request did not carry the page's security token, so the app refused it")
        assert ran == []
        assert client.request(method, "/act").text == "done"
        assert ran == [method]


def test_the_refusal_is_a_page_for_a_browser_and_a_fragment_for_htmx() -> None:
    app, _ = csrf_app()
    with Client(app, csrf=False) as client:
        page = client.post("/act")
        assert page.status_code == 403
        assert "<title>403 Forbidden</title>" in page.text
        assert "Reload the page and try again." in page.text
        fragment = client.post("/act", hx=True)
        assert fragment.status_code == 403
        assert fragment.text.startswith('<div class="appkit-error" role="alert" '
                                        'data-status="403"><p>This request did not carry')


def test_a_wrong_token_is_refused_with_its_own_message() -> None:
    app, ran = csrf_app()
    with Client(app) as client, Client(app) as other:
        theirs = other.csrf_token()
        assert theirs is not None and theirs != client.csrf_token()
        answer = client.post("/act", headers={CSRF_HEADER: theirs, **JSON})
        assert answer.status_code == 403
        assert "is not this session's" in answer.json()["error"]
        answer = client.post("/act", data={CSRF_FIELD: theirs}, headers=JSON, csrf=False)
        assert answer.status_code == 403
    assert ran == []


def test_a_token_with_no_session_is_refused() -> None:
    app, ran = csrf_app()
    with Client(app, csrf=False) as client:
        answer = client.post("/act", headers={CSRF_HEADER: "made-up", **JSON})
        assert answer.status_code == 403
        assert "is not this session's" in answer.json()["error"]
    assert ran == []


def test_the_page_carries_the_token_and_htmx_sends_it_back_as_a_header() -> None:
    app, ran = csrf_app()
    with Client(app, csrf=False) as client:
        page = client.get("/")
        token = meta_token(page.text)
        assert "csrf-token" not in client.get("/", hx=True).text  # fragments: no head
        assert meta_token(client.get("/").text) == token  # one token per session
        answer = client.post("/act", hx=True, headers={CSRF_HEADER: token})
        assert answer.status_code == 200
        assert answer.text == "done"
    assert ran == ["POST"]


def test_a_plain_form_sends_it_as_a_field() -> None:
    app, ran = csrf_app()
    with Client(app, csrf=False) as client:
        token = meta_token(client.get("/").text)
        assert client.post("/act", data={CSRF_FIELD: token, "x": "1"}).text == "done"
        sent = client.post("/upload", data={CSRF_FIELD: token},
                           files={"doc": ("a.txt", b"12345")})
        assert sent.json() == {"bytes": 5}
        refused = client.post("/upload", files={"doc": ("a.txt", b"12345")})
        assert refused.status_code == 403
    assert ran == ["POST", "upload"]


def test_the_client_sends_the_token_like_a_page_would() -> None:
    app, ran = csrf_app()
    with Client(app) as client:
        assert client.post("/act").text == "done"  # no page fetched first
        token = client.csrf_token()
        assert token == meta_token(client.get("/").text)
        assert client.post("/act", csrf=False).status_code == 403
    with Client(app, csrf=False) as client:
        assert client.post("/act").status_code == 403
        assert client.post("/act", csrf=True).text == "done"
    assert ran == ["POST", "POST"]


def test_safe_methods_need_no_token() -> None:
    app, _ = csrf_app()
    with Client(app, csrf=False) as client:
        assert client.get("/").status_code == 200
        assert client.head("/").status_code == 200
        assert client.options("/").status_code in (200, 405)


def test_a_request_with_an_authorization_header_is_exempt() -> None:
    app, ran = csrf_app()
    with Client(app, csrf=False) as client:
        answer = client.post("/act", headers={"Authorization": "Bearer anything"})
        assert answer.text == "done"
    assert ran == ["POST"]


def test_a_route_marked_csrf_false_is_exempt() -> None:
    app, ran = csrf_app()
    with Client(app, csrf=False) as client:
        assert client.post("/hook").text == "hooked"
        assert client.post("/act").status_code == 403
    assert ran == ["hook"]


def test_csrf_can_be_turned_off_for_the_app() -> None:
    app, ran = csrf_app(csrf=False)
    with Client(app, csrf=False) as client:
        assert 'name="csrf-token"' not in client.get("/").text
        assert client.post("/act").text == "done"
    assert ran == ["POST"]


def test_a_mounted_app_is_not_checked() -> None:
    app, _ = csrf_app()
    app.mount("/api", Starlette(routes=[
        Route("/ping", lambda r: PlainTextResponse("pong"), methods=["POST"])]))
    with Client(app, csrf=False) as client:
        assert client.post("/api/ping").text == "pong"


def test_the_check_runs_before_the_body_is_bound() -> None:
    """A forged request gets 403, not a 400 about its fields."""
    app = App("t")

    @app.post("/add")
    def add(count: int) -> str:
        return str(count)

    with Client(app, csrf=False) as client:
        answer = client.post("/add", data={"count": "many"}, headers=JSON)
        assert answer.status_code == 403


# ---- with the loopback guard ------------------------------------------------------------


PORT = 8765
BASE = f"http://127.0.0.1:{PORT}"


def test_the_guard_and_the_token_both_apply() -> None:
    app, ran = csrf_app()
    launch = new_token()
    guarded = LoopbackGuard(app, launch)
    with Client(guarded, base_url=BASE, csrf=False) as client:
        signed_in = client.get(f"/?{TOKEN_PARAM}={launch}")
        assert signed_in.status_code == 200
        token = meta_token(signed_in.text)

        # The right Origin and the launch cookie, but no CSRF token: appkit refuses.
        answer = client.post("/act", headers={"Origin": BASE, **JSON})
        assert answer.status_code == 403
        assert "security token" in answer.json()["error"]
        # Another site's Origin with the right CSRF token: the guard refuses.
        answer = client.post("/act", headers={"Origin": "http://evil.example",
                                              CSRF_HEADER: token})
        assert answer.status_code == 403
        assert "Cross-site request refused" in answer.text
        assert ran == []
        # Both right: through.
        answer = client.post("/act", headers={"Origin": BASE, CSRF_HEADER: token})
        assert answer.text == "done"
    # A tool with the launch token as a bearer token (no cookies) needs no CSRF token.
    with Client(guarded, base_url=BASE, csrf=False) as tool:
        answer = tool.post("/act", headers={"Authorization": f"Bearer {launch}"})
        assert answer.text == "done"
        assert not tool.cookies
    assert ran == ["POST", "POST"]


def test_the_client_finds_the_app_inside_the_guard() -> None:
    app, ran = csrf_app()
    launch = new_token()
    with Client(LoopbackGuard(app, launch), base_url=BASE) as client:
        client.get(f"/?{TOKEN_PARAM}={launch}")
        assert client.post("/act", headers={"Origin": BASE}).text == "done"
    assert ran == ["POST"]


def test_the_token_is_the_sessions() -> None:
    app = App("t")

    @app.get("/token")
    def token(session: Session) -> dict[str, str]:
        return {"token": session.csrf_token}

    with Client(app) as client:
        assert client.get("/token").json()["token"] == client.csrf_token()


def test_the_client_adds_the_session_cookie_to_a_request_given_its_own_cookies() -> None:
    app = App("t")

    @app.post("/echo")
    def echo(flavour: str, session: Session) -> dict[str, Any]:
        return {"flavour": flavour, "session": dict(session)}

    @app.post("/remember")
    def remember(session: Session) -> None:
        session["me"] = "ann"

    with Client(app) as client:
        client.post("/remember")
        answer = client.post("/echo", headers={"Cookie": "flavour=mint"})
        assert answer.json() == {"flavour": "mint", "session": {"me": "ann"}}
