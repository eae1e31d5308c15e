"""examples/components in a real Chromium: the counter, the 1,000 people (search, sort, edit
in place: one row on the wire), the expense form checked as you type, the streaming job."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.examples.test_hello import load_example

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "components" / "app.py"
pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def example() -> Iterator[ModuleType]:
    module = load_example(EXAMPLE, "_example_components_under_test")
    yield module
    sys.modules.pop("_example_components_under_test", None)


@pytest.fixture
def url(example: ModuleType, live_server: Callable[[Any], str]) -> str:
    return live_server(example.create_app("components-test"))


def _live(page: Any) -> None:
    expect(page.locator("html")).to_have_attribute("data-live", "live", timeout=10_000)


def _frames(page: Any) -> list[int]:
    """The sizes of the websocket frames the page receives from now on."""
    sizes: list[int] = []
    page.on("websocket", lambda ws: ws.on(
        "framereceived", lambda payload: sizes.append(len(payload))))
    return sizes


def test_the_counter(url: str, page: Any) -> None:
    page.goto(url)
    _live(page)
    page.get_by_role("button", name="+1").click()
    page.get_by_role("button", name="+1").click()
    page.get_by_role("button", name="-1").click()
    expect(page.get_by_text("Clicked 1 times")).to_be_visible()


def test_people_search_sort_and_edit_one_row(url: str, page: Any) -> None:
    sizes = _frames(page)
    page.goto(url + "people")
    _live(page)
    expect(page.locator("tbody tr")).to_have_count(1000)
    row = page.locator("#p500")
    row.get_by_role("button", name="Edit").click()
    row.get_by_label("Name").fill("Zed Zedson")
    before = len(sizes)
    row.get_by_role("button", name="Save").click()
    expect(page.locator("tbody tr").last).to_contain_text("Zed Zedson")   # sorted by name
    expect(page.locator("tbody tr")).to_have_count(1000)
    page.wait_for_timeout(300)
    assert max(sizes[before:]) < 1000                  # the row moved, not the list resent
    page.get_by_label("Search").fill("zedson")
    expect(page.locator("tbody tr")).to_have_count(1)
    page.get_by_label("Search").fill("")
    expect(page.locator("tbody tr")).to_have_count(1000)
    page.get_by_role("button", name="Email").click()
    expect(page.locator("tbody tr").first).to_contain_text("person1000@example.org")


def test_the_expense_form_checks_as_you_type(url: str, page: Any) -> None:
    page.goto(url + "expense")
    _live(page)
    amount = page.get_by_label("Amount")
    amount.fill("-5")
    amount.press("Tab")
    page.get_by_label("Day").fill("2024-03-04")
    page.get_by_label("Day").press("Tab")
    expect(page.locator("#day-error")).to_have_text("")
    page.get_by_role("button", name="Add").click()
    expect(page.locator("#amount-error")).to_have_text("Must be more than 0")
    expect(page.get_by_label("Amount")).to_have_value("-5")            # kept as typed
    page.get_by_label("Amount").fill("12.50")
    page.get_by_role("button", name="Add").click()
    expect(page.get_by_text("2024-03-04 food 12.50")).to_be_visible()
    expect(page.get_by_label("Amount")).to_have_value("")


def test_the_job_streams_its_progress_and_stops(url: str, page: Any) -> None:
    page.goto(url + "job")
    _live(page)
    page.get_by_role("button", name="Start").click()
    page.get_by_role("button", name="Stop").click()     # shown while it runs
    expect(page.get_by_role("button", name="Start")).to_be_visible()
    shown = page.locator("progress").get_attribute("value")
    assert shown is not None and 0 < int(shown) < 100
