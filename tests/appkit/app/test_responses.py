"""appkit.app.responses and appkit.app.htmx: what a handler returns becomes a response."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from starlette.responses import PlainTextResponse, Response

from appkit import App, Redirect, ResponseParts, hx
from appkit.html import Div, Html, Li, Link, Meta, P, Page, Safe, Style, Title
from appkit.testing import Client


def head_of(html: str) -> str:
    match = re.search(r"<head>(.*)</head>", html, re.S)
    assert match, html
    return match.group(1)


def body_of(html: str) -> str:
    match = re.search(r"<body>(.*)</body>", html, re.S)
    assert match, html
    return match.group(1)


# ---- full pages and fragments -----------------------------------------------------------------


def test_normal_request_gets_full_page() -> None:
    app = App("notes", head=[Meta(name="description", content="my notes app")])

    @app.get("/")
    def index() -> Any:
        return P("hello")

    with Client(app) as client:
        response = client.get("/")
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/html; charset=utf-8"
        html = response.text
        assert html.startswith('<!doctype html><html lang="en"><head>')
        head = head_of(html)
        assert "<title>notes</title>" in head
        assert re.search(r'<script src="/_appkit/vendor/htmx\.min\.js\?v=[0-9a-f]{12}" defer>',
                         head)
        assert re.search(
            r'<link rel="stylesheet" href="/_appkit/vendor/pico\.min\.css\?v=[0-9a-f]{12}">',
            head)
        assert '<meta name="description" content="my notes app">' in head
        assert body_of(html) == "<p>hello</p>"


def test_app_title_and_lang() -> None:
    app = App("notes", title="My Notes", lang="fr")

    @app.get("/")
    def index() -> Any:
        return P("x")

    with Client(app) as client:
        html = client.get("/").text
        assert html.startswith('<!doctype html><html lang="fr">')
        assert "<title>My Notes</title>" in html
        assert "<title>notes</title>" not in html


def test_vendored_assets_are_served() -> None:
    app = App("t")

    @app.get("/")
    def index() -> Any:
        return P("x")

    with Client(app) as client:
        html = client.get("/").text
        src = re.search(r'src="(/_appkit/vendor/htmx\.min\.js\?v=[0-9a-f]+)"', html)
        assert src
        script = client.get(src.group(1))
        assert script.status_code == 200
        assert "htmx" in script.text


def test_stylesheet_false_leaves_out_pico() -> None:
    app = App("t", stylesheet=False)

    @app.get("/")
    def index() -> Any:
        return P("x")

    with Client(app) as client:
        html = client.get("/").text
        assert "pico" not in html
        assert "/_appkit/appkit.css?v=" in html
        assert "/_appkit/vendor/htmx.min.js?v=" in html


def test_htmx_request_gets_fragment_only() -> None:
    app = App("t")

    @app.get("/")
    def index() -> Any:
        return Page("Home", P("hi"))

    with Client(app) as client:
        response = client.get("/", hx=True)
        assert response.status_code == 200
        assert response.text == (
            '<title>Home</title><main class="container"><h1>Home</h1><p>hi</p></main>')


def test_boosted_and_history_restore_requests_get_full_page() -> None:
    app = App("t")

    @app.get("/")
    def index() -> Any:
        return P("hi")

    with Client(app) as client:
        boosted = client.get("/", hx=True, headers={"HX-Boosted": "true"})
        assert boosted.text.startswith("<!doctype html>")
        assert body_of(boosted.text) == "<p>hi</p>"
        restore = client.get("/", hx=True, headers={"HX-History-Restore-Request": "true"})
        assert restore.text.startswith("<!doctype html>")


def test_returned_html_element_is_sent_as_is() -> None:
    app = App("t")

    @app.get("/")
    def index() -> Any:
        return Html(P("own document"), lang="de")

    with Client(app) as client:
        text = client.get("/").text
        assert text == '<!doctype html><html lang="de"><p>own document</p></html>'


def test_head_elements_are_hoisted() -> None:
    app = App("t")

    @app.get("/")
    def index() -> Any:
        return (Title("Custom"), Meta(name="robots", content="none"),
                Link(rel="icon", href="/i.png"), Style("p{color:red}"), P("body"))

    with Client(app) as client:
        html = client.get("/").text
        head, body = head_of(html), body_of(html)
        assert "<title>Custom</title>" in head
        assert "<title>t</title>" not in html
        assert html.count("<title>") == 1
        assert '<meta name="robots" content="none">' in head
        assert '<link rel="icon" href="/i.png">' in head
        assert "<style>p{color:red}</style>" in head
        assert body == "<p>body</p>"


def test_page_tuple_inside_a_tuple_is_hoisted() -> None:
    app = App("t")

    @app.get("/")
    def index() -> Any:
        return Page("Inbox", P("3 new"), Meta(name="x", content="y")), P("footer")

    with Client(app) as client:
        html = client.get("/").text
        head, body = head_of(html), body_of(html)
        assert "<title>Inbox</title>" in head
        assert "<title>t</title>" not in html
        assert body == ('<main class="container"><h1>Inbox</h1><p>3 new</p>'
                        '<meta name="x" content="y"></main><p>footer</p>')


def test_str_is_sent_as_is() -> None:
    app = App("t")

    @app.get("/")
    def index() -> str:
        return "<b>raw & bold</b>"

    with Client(app) as client:
        response = client.get("/")
        assert response.text == "<b>raw & bold</b>"
        assert response.headers["content-type"] == "text/html; charset=utf-8"


def test_dict_is_json() -> None:
    app = App("t")

    @app.get("/")
    def index() -> dict[str, Any]:
        return {"a": 1, "b": [True, None]}

    with Client(app) as client:
        response = client.get("/", hx=True)
        assert response.headers["content-type"] == "application/json"
        assert response.json() == {"a": 1, "b": [True, None]}


def test_starlette_response_passes_through() -> None:
    app = App("t")

    @app.get("/")
    def index() -> Response:
        return PlainTextResponse("teapot", status_code=418, headers={"X-Own": "1"})

    with Client(app) as client:
        response = client.get("/")
        assert response.status_code == 418
        assert response.text == "teapot"
        assert response.headers["content-type"] == "text/plain; charset=utf-8"
        assert response.headers["x-own"] == "1"


def test_none_is_empty_200() -> None:
    app = App("t")

    @app.post("/")
    def index() -> None:
        return None

    with Client(app) as client:
        response = client.post("/")
        assert response.status_code == 200
        assert response.content == b""


def test_list_of_nodes() -> None:
    app = App("t")

    @app.get("/")
    def index() -> Any:
        return [Li("a"), Li("b"), "c & d", Safe("<hr>")]

    with Client(app) as client:
        assert client.get("/", hx=True).text == "<li>a</li><li>b</li>c &amp; d<hr>"
        assert body_of(client.get("/").text) == "<li>a</li><li>b</li>c &amp; d<hr>"


# ---- redirects --------------------------------------------------------------------------------


def test_redirect_normal_and_htmx() -> None:
    app = App("t")

    @app.post("/save")
    def save() -> Redirect:
        return Redirect("/done")

    with Client(app) as client:
        normal = client.post("/save", follow_redirects=False)
        assert normal.status_code == 303
        assert normal.headers["location"] == "/done"
        htmx = client.post("/save", hx=True, follow_redirects=False)
        assert htmx.status_code == 200
        assert htmx.headers["hx-redirect"] == "/done"
        assert "location" not in htmx.headers


def test_redirect_to_handler_and_other_status() -> None:
    app = App("t")

    @app.get("/items/{id:int}")
    def show(id: int) -> str:
        return f"item {id}"

    @app.get("/home")
    def home() -> str:
        return "home"

    @app.get("/old")
    def old() -> Redirect:
        return Redirect(home, status=301)

    with Client(app) as client:
        response = client.get("/old", follow_redirects=False)
        assert response.status_code == 301
        assert response.headers["location"] == "/home"
        assert client.get("/old").text == "home"
    assert Redirect(show.url(id=2)).url == "/items/2"


@pytest.mark.parametrize("status", [200, 304, 404])
def test_redirect_bad_status(status: int) -> None:
    with pytest.raises(ValueError, match=f"not {status}"):
        Redirect("/x", status=status)


# ---- htmx response headers --------------------------------------------------------------------


def test_hx_trigger_variants() -> None:
    assert dict(hx.trigger("saved")) == {"HX-Trigger": "saved"}
    assert dict(hx.trigger("saved", {"id": 3})) == {"HX-Trigger": '{"saved": {"id": 3}}'}
    assert dict(hx.trigger({"a": 1, "b": None})) == {"HX-Trigger": '{"a": 1, "b": null}'}
    assert dict(hx.trigger("x", after="settle")) == {"HX-Trigger-After-Settle": "x"}
    assert dict(hx.trigger("x", after="swap")) == {"HX-Trigger-After-Swap": "x"}
    with pytest.raises(ValueError, match='after must be "settle" or "swap"'):
        hx.trigger("x", after="later")


def test_hx_trigger_sent_with_content() -> None:
    app = App("t")

    @app.post("/save")
    def save() -> Any:
        return P("saved"), hx.trigger("saved", {"id": 3})

    with Client(app) as client:
        response = client.post("/save", hx=True)
        assert response.text == "<p>saved</p>"
        assert json.loads(response.headers["hx-trigger"]) == {"saved": {"id": 3}}


def test_hx_headers_alone_and_several_in_one_tuple() -> None:
    app = App("t")

    @app.get("/page/{n:int}")
    def page(n: int) -> str:
        return str(n)

    @app.post("/many")
    def many() -> Any:
        return (Div("x", id="x"), hx.retarget("#list"), hx.reswap("beforeend"),
                hx.reselect(".row"), hx.push_url(page.url(n=2)), hx.trigger("a", after="swap"))

    @app.post("/only")
    def only() -> Any:
        return hx.refresh()

    with Client(app) as client:
        response = client.post("/many", hx=True)
        assert response.text == '<div id="x">x</div>'
        assert response.headers["hx-retarget"] == "#list"
        assert response.headers["hx-reswap"] == "beforeend"
        assert response.headers["hx-reselect"] == ".row"
        assert response.headers["hx-push-url"] == "/page/2"
        assert response.headers["hx-trigger-after-swap"] == "a"
        only_response = client.post("/only", hx=True)
        assert only_response.status_code == 200
        assert only_response.content == b""
        assert only_response.headers["hx-refresh"] == "true"


def test_push_url_of_a_handler() -> None:
    app = App("t")

    @app.get("/list")
    def items() -> str:
        return "list"

    @app.post("/add")
    def add() -> Any:
        return P("added"), hx.push_url(items), hx.replace_url(items.url(page=2))

    with Client(app) as client:
        response = client.post("/add", hx=True)
        assert response.headers["hx-push-url"] == "/list"
        assert response.headers["hx-replace-url"] == "/list?page=2"


def test_hx_location() -> None:
    assert dict(hx.location("/inbox")) == {"HX-Location": "/inbox"}
    with_options = hx.location("/inbox", target="#main", swap="innerHTML")
    assert json.loads(with_options["HX-Location"]) == {
        "path": "/inbox", "target": "#main", "swap": "innerHTML"}


def test_response_parameter_combines_with_content_and_hx_headers() -> None:
    app = App("t")

    @app.post("/make")
    def make(response: ResponseParts) -> Any:
        response.status_code = 201
        response.headers["X-Thing"] = "made"
        response.set_cookie("flash", "created")
        return Li("new"), hx.trigger("made")

    with Client(app) as client:
        result = client.post("/make", hx=True)
        assert result.status_code == 201
        assert result.text == "<li>new</li>"
        assert result.headers["x-thing"] == "made"
        assert result.headers["hx-trigger"] == "made"
        assert "flash=created" in result.headers["set-cookie"]
        assert result.headers["content-length"] == str(len("<li>new</li>"))
        page = client.post("/make")
        assert page.status_code == 201
        assert body_of(page.text) == "<li>new</li>"


def test_response_parameter_with_redirect() -> None:
    app = App("t")

    @app.post("/login")
    def login(response: ResponseParts) -> Redirect:
        response.set_cookie("session", "s1")
        return Redirect("/home")

    with Client(app) as client:
        result = client.post("/login", follow_redirects=False)
        assert result.status_code == 303
        assert result.headers["location"] == "/home"
        assert "session=s1" in result.headers["set-cookie"]



def test_hx_headers_in_a_returned_list_are_headers_not_text() -> None:
    """Lists render like tuples, so HxHeaders next to the content in a list must set the
    header too, not render the header's name into the page."""
    app = App("t")

    @app.post("/rows")
    def rows() -> Any:
        return [Li("a"), hx.trigger("added")]

    with Client(app) as client:
        response = client.post("/rows", hx=True)
        assert "HX-Trigger" not in response.text
        assert response.text == "<li>a</li>"
        assert response.headers.get("hx-trigger") == "added"
