"""Autocomplete, tags and score in real Chromium, under the guard's policy without
'unsafe-eval' (no inline script, no eval): each used from the keyboard alone, the
suggestions fetched from the server after a pause in typing, the form posted and read."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, Request, expect

from appkit import App, Submitted, form_for
from appkit.html import Div
from appkit.html import Page as HtmlPage
from appkit.live import FormComponent
from appkit.ui import Autocomplete, Dialog, DialogButton, Score, Tags, UISettings
from tests.e2e.csp import StrictCSP

pytestmark = pytest.mark.browser

CITIES = ["Paris", "Porto", "Prague", "Rome", "Oslo", "Napoli"]


@dataclass
class Trip:
    city: Annotated[str, Autocomplete(CITIES, delay=300)]
    tags: Annotated[list[str], Tags(max_count=4)] = field(default_factory=list)
    rating: Annotated[int | None, Score(max=5)] = None
    colours: Annotated[list[str], Tags(suggest=Autocomplete(["red", "green", "blue"]))] = (
        field(default_factory=list))


class LiveTrip(FormComponent):
    model = Trip


def fields_app(saved: list[Trip]) -> App:
    app = App("fields-browser", extensions=[UISettings()])

    @app.get("/")
    def index() -> Any:
        return HtmlPage("Trip", form_for(Trip).render(action="/trip"), Div(id="after"))

    @app.post("/trip")
    def save(form: Submitted[Trip]) -> Any:
        if not form.accepted:
            return form.render(action="/trip")
        saved.append(form.value)
        return Div(f"Saved {form.value.city}", id="saved")

    @app.get("/dialog")
    def in_a_dialog() -> Any:
        return HtmlPage("Dialog", DialogButton("New trip", dialog="trip"),
                        Dialog("New trip", form_for(Trip).render(action="/trip"), id="trip"))

    @app.get("/live")
    def live() -> Any:
        return HtmlPage("Live trip", LiveTrip.mount())

    return app


def watch(page: Page) -> tuple[list[str], list[str]]:
    problems: list[str] = []
    suggests: list[str] = []
    # A form with errors is answered 422 (and shown): the console notes it, no problem.
    page.on("console", lambda m: problems.append(m.text)
            if m.type == "error" and "status of 422" not in m.text else None)
    page.on("pageerror", lambda e: problems.append(str(e)))

    def request(r: Request) -> None:
        if "/_appkit-ui/suggest/" in r.url:
            suggests.append(r.url)

    page.on("request", request)
    return problems, suggests


def test_the_autocomplete_from_the_keyboard(live_server: Callable[[Any], str],
                                            page: Page) -> None:
    saved: list[Trip] = []
    problems, suggests = watch(page)
    page.goto(live_server(StrictCSP(fields_app(saved))))
    city = page.locator("#city")
    listbox = page.locator("#city-listbox")
    city.focus()
    page.keyboard.type("po", delay=20)                       # faster than the pause
    expect(listbox).to_be_visible()
    expect(listbox.get_by_role("option")).to_have_count(2)   # Porto, then Napoli
    assert len(suggests) == 1 and suggests[0].endswith("city=po")   # one request: debounced
    expect(city).to_have_attribute("aria-expanded", "true")

    page.keyboard.press("ArrowDown")
    first = listbox.get_by_role("option").nth(0)
    expect(first).to_have_attribute("aria-selected", "true")
    expect(city).to_have_attribute("aria-activedescendant", "city-listbox-0")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")                          # round to the first again
    expect(city).to_have_attribute("aria-activedescendant", "city-listbox-0")
    page.keyboard.press("ArrowUp")
    expect(city).to_have_attribute("aria-activedescendant", "city-listbox-1")
    page.keyboard.press("Enter")                              # picks; does not submit
    expect(city).to_have_value("Napoli")
    expect(listbox).to_be_hidden()
    expect(city).to_have_attribute("aria-expanded", "false")
    expect(city).not_to_have_attribute("aria-activedescendant", "city-listbox-1")
    assert saved == [] and city.evaluate("e => e === document.activeElement")

    # Escape closes the list and keeps what was typed; Down asks again.
    city.fill("")
    page.keyboard.type("o")
    expect(listbox.get_by_role("option")).to_have_text(["Oslo", "Porto", "Rome", "Napoli"])
    page.keyboard.press("Escape")
    expect(listbox).to_be_hidden()
    expect(city).to_have_value("o")
    page.keyboard.press("ArrowDown")
    expect(listbox).to_be_visible()
    expect(city).to_have_attribute("aria-activedescendant", "city-listbox-0")

    # The mouse picks too.
    listbox.get_by_text("Porto").click()
    expect(city).to_have_value("Porto")
    expect(listbox).to_be_hidden()
    page.keyboard.press("Enter")                              # the list is shut: submits
    expect(page.locator("#saved")).to_have_text("Saved Porto")
    assert saved == [Trip(city="Porto")]
    assert problems == []


def test_a_value_not_offered_is_refused_by_its_field(live_server: Callable[[Any], str],
                                                     page: Page) -> None:
    saved: list[Trip] = []
    problems, _ = watch(page)
    page.goto(live_server(StrictCSP(fields_app(saved))))
    page.locator("#city").fill("Atlantis")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#city-error")).to_have_text(
        "'Atlantis' is not one of the choices: pick one of the suggestions")
    expect(page.locator("#city")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#city")).to_have_value("Atlantis")
    assert saved == [] and problems == []


def test_tags_from_the_keyboard(live_server: Callable[[Any], str], page: Page) -> None:
    saved: list[Trip] = []
    problems, _ = watch(page)
    page.goto(live_server(StrictCSP(fields_app(saved))))
    page.locator("#city").fill("Rome")
    page.keyboard.press("Tab")
    tags = page.locator("#tags")
    expect(tags).to_be_focused()
    chips = page.locator("[data-appkit-tags]").first.locator(".appkit-tag-text")
    status = page.locator(".appkit-tags-status").first

    page.keyboard.type("work")
    page.keyboard.press("Enter")                              # adds; does not submit
    page.keyboard.type("home,beach, ")
    expect(chips).to_have_text(["work", "home", "beach"])
    expect(tags).to_have_value(" ")
    expect(status).to_have_text("Added beach, 3 tags.")
    page.keyboard.press("Backspace")                          # the space
    page.keyboard.type("WORK,")
    expect(status).to_have_text("WORK is there already.")
    expect(chips).to_have_count(3)
    page.keyboard.press("Backspace")                          # the typed text goes...
    page.keyboard.press("Backspace")
    page.keyboard.press("Backspace")
    page.keyboard.press("Backspace")
    expect(tags).to_have_value("")
    page.keyboard.press("Backspace")                          # ...then the last tag
    expect(chips).to_have_text(["work", "home"])
    expect(status).to_have_text("Removed beach, 2 tags.")

    # A tag's own button removes it, from the keyboard too.
    page.keyboard.press("Shift+Tab")
    expect(page.get_by_role("button", name="Remove home")).to_be_focused()
    page.keyboard.press("Enter")
    expect(chips).to_have_text(["work"])
    expect(tags).to_be_focused()

    # Up to max_count, then the page says so.
    page.keyboard.type("a,b,c,d,")
    expect(chips).to_have_text(["work", "a", "b", "c"])
    expect(status).to_have_text("At most 4 tags: remove one first.")
    expect(tags).to_have_value("d")                           # kept, not lost
    page.keyboard.press("Backspace")
    page.keyboard.press("Backspace")
    expect(chips).to_have_text(["work", "a", "b"])
    page.keyboard.type("pending")                             # typed but not added: sent
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#saved")).to_have_text("Saved Rome")
    assert saved == [Trip(city="Rome", tags=["work", "a", "b", "pending"])]
    assert problems == []


def test_tags_with_suggestions(live_server: Callable[[Any], str], page: Page) -> None:
    saved: list[Trip] = []
    problems, _ = watch(page)
    page.goto(live_server(StrictCSP(fields_app(saved))))
    page.locator("#city").fill("Oslo")
    colours = page.locator("#colours")
    colours.focus()
    page.keyboard.type("re")
    listbox = page.locator("#colours-listbox")
    expect(listbox.get_by_role("option")).to_have_text(["red", "green"])
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")                              # "green" becomes a tag
    chips = page.locator("#colours").locator("xpath=..").locator(".appkit-tag-text")
    expect(chips).to_have_text(["green"])
    expect(colours).to_have_value("")
    expect(listbox).to_be_hidden()
    page.keyboard.type("purple")
    page.keyboard.press("Enter")                              # not offered: the server says
    expect(chips).to_have_text(["green", "purple"])
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#colours-error")).to_have_text(
        "'purple' is not one of the tags to choose from")
    assert saved == [] and problems == []


def test_the_score_is_a_radio_group(live_server: Callable[[Any], str], page: Page) -> None:
    saved: list[Trip] = []
    problems, _ = watch(page)
    page.goto(live_server(StrictCSP(fields_app(saved))))
    page.locator("#city").fill("Paris")
    none = page.locator("#rating-none")
    none.focus()                                              # Tab lands on the checked one
    expect(page.get_by_role("radiogroup", name="Rating")).to_be_visible()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    expect(page.locator("#rating-3")).to_be_checked()
    expect(page.get_by_role("radio", name="3 of 5")).to_be_focused()

    def filled() -> list[bool]:
        return [page.locator(f"label[for=rating-{n}] svg").evaluate(
            "e => getComputedStyle(e).fill !== 'none'") for n in range(1, 6)]

    page.mouse.move(0, 0)
    assert filled() == [True, True, True, False, False]
    page.keyboard.press("ArrowLeft")
    expect(page.locator("#rating-2")).to_be_checked()
    page.locator("label[for=rating-5]").click()               # a click picks
    expect(page.locator("#rating-5")).to_be_checked()
    page.mouse.move(0, 0)
    assert filled() == [True] * 5
    page.locator("label[for=rating-4]").click()
    page.mouse.move(0, 0)
    assert filled() == [True, True, True, True, False]
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#saved")).to_have_text("Saved Paris")
    assert saved == [Trip(city="Paris", rating=4)]
    assert problems == []


def test_a_live_form_checks_them_as_they_change(live_server: Callable[[Any], str],
                                                page: Page) -> None:
    problems, suggests = watch(page)
    page.goto(live_server(StrictCSP(fields_app([]))) + "live")
    tags = page.locator("#tags")
    tags.focus()
    page.keyboard.type("a,b,c,d,")
    expect(page.locator("[data-appkit-tags]").first.locator(".appkit-tag-text")).to_have_text(
        ["a", "b", "c", "d"])
    page.locator("#city").fill("Nowhere")
    expect(page.locator("#city-listbox")).to_be_hidden()
    page.wait_for_timeout(600)                                # past the pause: it asked
    # The suggestions are asked for with the typed text, not the form around it (the
    # live form's own values, inherited by htmx, come along).
    assert len(suggests) == 1
    sent = parse_qs(urlsplit(suggests[0]).query)
    assert sent["city"] == ["Nowhere"] and set(sent) <= {"city", "_h", "touched"}
    page.locator("#city").blur()                              # "change": a live check
    expect(page.locator("#city-error")).to_have_text(
        "'Nowhere' is not one of the choices: pick one of the suggestions")
    # The tags were checked as they changed (touched), and stay as they were.
    expect(page.locator("[data-appkit-tags]").first.locator(".appkit-tag-text")).to_have_text(
        ["a", "b", "c", "d"])
    expect(page.locator("#tags-error")).to_have_text("")
    page.locator("#rating-5").focus()
    page.keyboard.press("Space")
    page.locator("label[for=rating-2]").click()
    expect(page.locator("#rating-2")).to_be_checked()
    assert problems == []


def test_escape_closes_the_list_before_the_dialog(live_server: Callable[[Any], str],
                                                   page: Page) -> None:
    problems, _ = watch(page)
    page.goto(live_server(StrictCSP(fields_app([]))) + "dialog")
    page.get_by_role("button", name="New trip").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    page.locator("#city").focus()
    page.keyboard.type("p")
    expect(page.locator("#city-listbox")).to_be_visible()
    page.keyboard.press("Escape")                             # the list closes...
    expect(page.locator("#city-listbox")).to_be_hidden()
    expect(dialog).to_be_visible()                            # ...not the dialog
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert problems == []


CUSTOMERS = {1: "Acme", 2: "Globex", 14: "Acme Labs"}


@dataclass
class Order:
    customer: Annotated[int, Autocomplete(list(CUSTOMERS.items()), delay=100)]


class LiveOrder(FormComponent):
    model = Order


def orders_app(saved: list[Order]) -> App:
    app = App("pairs-browser", extensions=[UISettings()])

    @app.get("/")
    def index() -> Any:
        return HtmlPage("Order", form_for(Order).render(Order(customer=2), action="/order"),
                        Div(id="after"))

    @app.post("/order")
    def save(form: Submitted[Order]) -> Any:
        if not form.accepted:
            return form.render(action="/order")
        saved.append(form.value)
        return Div(f"Saved {form.value.customer!r}", id="saved")

    @app.get("/live")
    def live() -> Any:
        return HtmlPage("Live order", LiveOrder.mount())

    return app


def test_values_and_labels_the_user_sees_labels_the_form_posts_the_value(
        live_server: Callable[[Any], str], page: Page) -> None:
    saved: list[Order] = []
    problems, suggests = watch(page)
    page.goto(live_server(StrictCSP(orders_app(saved))))
    customer = page.locator("#customer")
    expect(customer).to_have_value("Globex")                 # the stored value's label
    customer.fill("")
    customer.focus()
    page.keyboard.type("acm", delay=20)
    options = page.locator("#customer-listbox").get_by_role("option")
    expect(options).to_have_text(["Acme", "Acme Labs"])      # labels, searched by label
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(customer).to_have_value("Acme Labs")              # the label shown
    hidden = page.locator("input[type=hidden][name=customer]")
    expect(hidden).to_have_value("14")                       # the value sent
    page.keyboard.press("Enter")
    expect(page.locator("#saved")).to_have_text("Saved 14")
    assert saved == [Order(customer=14)] and any(u.endswith("customer=acm") for u in suggests)

    # A text that is no choice's label: the field says so, nothing is saved.
    page.goto(live_server(StrictCSP(orders_app(saved))))
    customer = page.locator("#customer")
    customer.fill("Acme Corp")
    page.keyboard.press("Escape")
    customer.press("Enter")
    expect(page.locator("#customer-error")).to_contain_text("is not one of the choices")
    assert saved == [Order(customer=14)]
    assert problems == []


def test_values_and_labels_in_a_live_form(live_server: Callable[[Any], str],
                                          page: Page) -> None:
    problems, _ = watch(page)
    page.goto(live_server(StrictCSP(orders_app([]))) + "live")
    customer = page.locator("#customer")
    customer.focus()
    page.keyboard.type("glo", delay=20)
    expect(page.locator("#customer-listbox").get_by_role("option")).to_have_text(["Globex"])
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(customer).to_have_value("Globex")
    expect(page.locator("input[type=hidden][name=customer]")).to_have_value("2")
    page.keyboard.press("Tab")
    expect(page.locator("#customer-error")).not_to_have_class("error")
    assert problems == []
