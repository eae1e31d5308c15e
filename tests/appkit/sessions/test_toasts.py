"""Toasts: queued in the session, shown once on the next full page or htmx answer."""

from __future__ import annotations

import re
from typing import Any

import pytest

from appkit import App, BadRequest, Redirect
from appkit.html import Li, P, Page
from appkit.sessions import TOAST_KINDS, Session, Sessions, toast
from appkit.testing import Client


def toast_app(**settings: Any) -> App:
    app = App("t", sessions=Sessions(**settings) if settings else None)

    @app.get("/")
    def index() -> Any:
        return Page("Home", P("home"))

    @app.post("/save")
    def save(session: Session, kind: str = "success", text: str = "Saved.") -> Any:
        toast(session, text, kind)
        return Li("item")

    @app.post("/save-and-go")
    def save_and_go(session: Session) -> Redirect:
        toast(session, "Saved, now home.", "success")
        return Redirect("/")

    @app.post("/fail")
    def fail(session: Session) -> Any:
        toast(session, "Queued before the error.", "info")
        raise BadRequest("Nope.")

    @app.post("/json")
    def as_json(session: Session) -> dict[str, bool]:
        toast(session, "Not for JSON.", "info")
        return {"ok": True}

    return app


def toasts_in(html: str) -> list[tuple[str, str]]:
    """(kind, message) of each toast in ``html``."""
    return re.findall(r'<div class="appkit-toast appkit-toast-(\w+)".*?'
                      r'<span class="appkit-toast-message">(.*?)</span>', html)


def test_a_toast_shows_once_on_the_next_full_page() -> None:
    with Client(toast_app()) as client:
        page = client.post("/save-and-go")  # 303, then the page
        assert page.url.path == "/"
        assert toasts_in(page.text) == [("success", "Saved, now home.")]
        assert '<div id="appkit-toasts" class="appkit-toasts">' in page.text
        assert page.text.endswith("</div></div></body></html>")
        again = client.get("/")
        assert toasts_in(again.text) == []
        assert "appkit-toasts" not in again.text  # the body is the page's own when none


def test_a_toast_shows_once_on_the_next_htmx_answer_out_of_band() -> None:
    with Client(toast_app()) as client:
        answer = client.post("/save", hx=True)
        assert answer.text.startswith("<li>item</li>")
        assert '<div id="appkit-toasts" class="appkit-toasts" hx-swap-oob="beforeend">' \
            in answer.text
        assert toasts_in(answer.text) == [("success", "Saved.")]
        assert answer.headers["content-length"] == str(len(answer.content))
        assert toasts_in(client.get("/").text) == []
        second = client.post("/save", data={"kind": "warning", "text": "Careful."}, hx=True)
        assert toasts_in(second.text) == [("warning", "Careful.")]
        assert client.get("/", hx=True).text == "<title>Home</title>" \
            '<main class="container"><h1>Home</h1><p>home</p></main>'


def test_toasts_keep_their_order_and_wait_for_an_answer_that_can_show_them() -> None:
    with Client(toast_app()) as client:
        client.post("/save", data={"text": "one"})  # a full-page answer: shown there
        assert toasts_in(client.get("/").text) == []
        # An htmx redirect leaves the page: the toast waits for the next one.
        redirect = client.post("/save-and-go", hx=True)
        assert redirect.headers["hx-redirect"] == "/"
        assert toasts_in(redirect.text) == []
        # Error answers are not swapped by htmx, JSON cannot carry them.
        failed = client.post("/fail", hx=True)
        assert failed.status_code == 400 and toasts_in(failed.text) == []
        assert client.post("/json", hx=True).json() == {"ok": True}
        assert toasts_in(client.get("/").text) == [
            ("success", "Saved, now home."), ("info", "Queued before the error."),
            ("info", "Not for JSON.")]


def test_the_four_kinds_look_distinct_and_errors_are_alerts() -> None:
    assert TOAST_KINDS == ("info", "success", "warning", "error")
    app = toast_app()

    @app.post("/all")
    def every_kind(session: Session) -> Redirect:
        for kind in TOAST_KINDS:
            toast(session, kind, kind)
        return Redirect("/")

    with Client(app) as client:
        html = client.post("/all").text
    found = re.findall(r'<div class="appkit-toast appkit-toast-(\w+)" role="(\w+)" '
                       r'data-kind="\w+"><span class="appkit-toast-icon" aria-hidden="true">'
                       r'(.)</span><span class="appkit-visually-hidden">(\w+): </span>', html)
    assert [(k, r) for k, r, _, _ in found] == [
        ("info", "status"), ("success", "status"), ("warning", "status"), ("error", "alert")]
    assert len({icon for _, _, icon, _ in found}) == 4
    assert len({label for _, _, _, label in found}) == 4
    assert html.count('<button type="button" class="appkit-toast-close" '
                      'aria-label="Dismiss">') == 4


def test_a_message_is_text_escaped() -> None:
    with Client(toast_app()) as client:
        answer = client.post("/save", data={"text": "<script>alert(1)</script>"}, hx=True)
        assert "<script>alert" not in answer.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in answer.text


def test_a_bad_kind_or_message_is_refused() -> None:
    session = Session()
    with pytest.raises(ValueError, match="Unknown toast kind 'danger': use one of info, "
                                         "success, warning, error"):
        toast(session, "x", "danger")
    with pytest.raises(TypeError, match="text, not int"):
        toast(session, 3)  # type: ignore[arg-type]
    assert not session.modified


def test_toasts_with_the_server_side_store() -> None:
    with Client(toast_app(store="sqlite")) as client:
        client.post("/save-and-go", follow_redirects=False)
        assert toasts_in(client.get("/").text) == [("success", "Saved, now home.")]
        assert toasts_in(client.get("/").text) == []
