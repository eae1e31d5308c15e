"""Sessions in a real Chromium: htmx requests carry the CSRF token from the page's meta tag
(appkit.js), plain form posts carry it as a field, and toasts appear, can be dismissed and
hide themselves."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, Request, expect

from appkit import App, Redirect
from appkit.html import Button, Div, Field, Form, P, Span
from appkit.html import Page as HtmlPage
from appkit.sessions import CSRF_FIELD, CSRF_HEADER, Session, toast

pytestmark = pytest.mark.browser


def sessions_app() -> App:
    app = App("sessions-browser")

    @app.get("/")
    def index(session: Session) -> Any:
        return HtmlPage(
            "Sessions",
            P(f"Hello, {session.get('name', 'stranger')}", id="greeting"),
            Button("Save", hx_post=save, hx_target="#out"),
            Button("Break", hx_post=fail, hx_target="#out"),
            Div(Span("nothing yet"), id="out"),
            Form(Field("Name", "name"), Button("Send"), method="post", action="/name"),
        )

    @app.post("/save")
    def save(session: Session) -> Any:
        session["saves"] = session.get("saves", 0) + 1
        toast(session, f"Saved {session['saves']} time(s).", "success")
        return Span(f"saved {session['saves']}")

    @app.post("/fail")
    def fail(session: Session) -> Any:
        toast(session, "That did not work.", "error")
        return Span("failed")

    @app.post("/name")
    def set_name(name: str, session: Session) -> Redirect:
        session["name"] = name
        toast(session, f"Name set to {name}.", "info")
        return Redirect("/")

    return app


def test_htmx_post_sends_the_token_and_shows_a_dismissible_toast(
        live_server: Callable[[Any], str], page: Page) -> None:
    sent: list[Request] = []
    page.on("request", lambda r: sent.append(r) if r.method == "POST" else None)
    page.goto(live_server(sessions_app()))
    token = page.locator('meta[name="csrf-token"]').get_attribute("content")
    assert token

    page.get_by_role("button", name="Save").click()
    expect(page.locator("#out")).to_have_text("saved 1")
    assert sent[-1].headers.get(CSRF_HEADER.lower()) == token

    toasts = page.locator("#appkit-toasts .appkit-toast")
    expect(toasts).to_have_count(1)
    expect(toasts.first).to_have_attribute("role", "status")
    expect(toasts.first).to_contain_text("Saved 1 time(s).")
    expect(toasts.first).to_be_visible()
    # Distinct from an error toast: another colour.
    success_colour = toasts.first.evaluate("e => getComputedStyle(e).backgroundColor")

    page.get_by_role("button", name="Break").click()
    expect(toasts).to_have_count(2)
    error = toasts.nth(1)
    expect(error).to_have_attribute("role", "alert")
    assert error.evaluate("e => getComputedStyle(e).backgroundColor") != success_colour

    toasts.first.get_by_role("button", name="Dismiss").click()
    expect(toasts).to_have_count(1)
    expect(toasts.first).to_contain_text("That did not work.")
    toasts.first.get_by_role("button", name="Dismiss").click()
    expect(toasts).to_have_count(0)

    # Shown once: the next request brings no old toast back.
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#out")).to_have_text("saved 2")
    expect(toasts).to_have_count(1)
    expect(toasts.first).to_contain_text("Saved 2 time(s).")


def test_a_request_without_the_token_is_refused_in_the_browser(
        live_server: Callable[[Any], str], page: Page) -> None:
    page.goto(live_server(sessions_app()))
    status = page.evaluate("fetch('/save', {method: 'POST'}).then(r => r.status)")
    assert status == 403
    ok = page.evaluate(
        "fetch('/save', {method: 'POST', headers: {'X-CSRF-Token': appkit.csrfToken()}})"
        ".then(r => r.status)")
    assert ok == 200


def test_a_plain_form_post_carries_the_token_and_the_next_page_shows_the_toast(
        live_server: Callable[[Any], str], page: Page) -> None:
    posted: list[Request] = []
    page.on("request", lambda r: posted.append(r) if r.method == "POST" else None)
    page.goto(live_server(sessions_app()))
    token = page.locator('meta[name="csrf-token"]').get_attribute("content")

    page.get_by_label("Name").fill("Ann")
    with page.expect_navigation():
        page.get_by_role("button", name="Send").click()

    expect(page.locator("#greeting")).to_have_text("Hello, Ann")
    assert f"{CSRF_FIELD}={token}" in (posted[-1].post_data or "")
    assert CSRF_HEADER.lower() not in posted[-1].headers  # the field alone did it
    toast_box = page.locator("#appkit-toasts .appkit-toast")
    expect(toast_box).to_have_count(1)
    expect(toast_box).to_contain_text("Name set to Ann.")
    page.reload()
    expect(page.locator("#appkit-toasts .appkit-toast")).to_have_count(0)


def test_toasts_hide_themselves_errors_later(
        live_server: Callable[[Any], str], page: Page) -> None:
    page.clock.install()
    page.goto(live_server(sessions_app()))
    toasts = page.locator("#appkit-toasts .appkit-toast")
    page.get_by_role("button", name="Save").click()
    expect(toasts).to_have_count(1)
    page.get_by_role("button", name="Break").click()
    expect(toasts).to_have_count(2)
    page.mouse.move(0, 0)  # the pointer is not resting on a toast

    page.clock.run_for(6_000)
    expect(toasts).to_have_count(1)
    expect(toasts.first).to_contain_text("That did not work.")
    page.clock.run_for(10_000)
    expect(toasts).to_have_count(0)
