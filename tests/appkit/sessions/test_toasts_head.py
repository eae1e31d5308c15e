"""A HEAD request does not use up the toasts queued in the session: the next GET (or htmx
answer) still shows them."""

from __future__ import annotations

from appkit.testing import Client
from tests.appkit.sessions.test_toasts import toast_app, toasts_in


def test_a_head_request_leaves_the_toast_for_the_next_page() -> None:
    with Client(toast_app()) as client:
        assert client.post("/save-and-go", follow_redirects=False).status_code == 303
        head = client.head("/")
        assert head.status_code == 200 and head.text == ""
        page = client.get("/")
        assert toasts_in(page.text) == [("success", "Saved, now home.")]


def test_an_htmx_head_request_leaves_the_toast_for_the_next_answer() -> None:
    with Client(toast_app()) as client:
        assert client.post("/save-and-go", follow_redirects=False).status_code == 303
        assert client.head("/", hx=True).status_code == 200
        page = client.get("/")
        assert toasts_in(page.text) == [("success", "Saved, now home.")]
