"""Every example (todo, jobs and its dashboard, expenses, components, chat, ui) in a real
Chromium at 1024x768 and 1920x1080, light and dark: no element sticks out of its container
(measured in the page with getBoundingClientRect and scrollWidth: tests/e2e/test_ui_browser's
OVERFLOWS), with data on the pages and with their dialogs open. A screenshot of each page is
saved for review in $APPKIT_SCREENSHOTS, else test-output/examples/ (not committed)."""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from appkit import App
from appkit.loader import load_app
from tests.e2e.test_ui_browser import OVERFLOWS

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
SHOTS = Path(os.environ.get("APPKIT_SCREENSHOTS") or ROOT / "test-output" / "examples")
SIZES = [(1024, 768), (1920, 1080)]
THEMES = ["light", "dark"]
LONG = ("Ask the north-eastern regional office for the quarterly figures of every product "
        "line, including the ones discontinued last spring")
UNBROKEN = "supercalifragilisticexpialidocious" * 4


def _folder_example(name: str) -> Iterator[tuple[App, Any]]:
    """An example whose app is made at import (``appkit run examples/<name>``): the app
    and its module, removed from ``sys.modules`` afterwards."""
    app = load_app(str(EXAMPLES / name))
    assert isinstance(app, App)
    module = next(m for m in list(sys.modules.values())
                  if getattr(m, "__file__", None) == str(EXAMPLES / name / "app.py"))
    try:
        yield app, module
    finally:
        for key, found in list(sys.modules.items()):
            if getattr(found, "__file__", None) == str(EXAMPLES / name / "app.py"):
                del sys.modules[key]
        if str(EXAMPLES / name) in sys.path:
            sys.path.remove(str(EXAMPLES / name))


def _open(page: Page, url: str) -> None:
    page.goto(url)
    page.wait_for_function("window.htmx !== undefined && document.readyState === 'complete'")
    # Charts draw once their script ran; a canvas of width 0 would hide an overflow.
    page.wait_for_function("[...document.querySelectorAll('[data-chart]')].every("
                           "(c) => c.querySelector('canvas'))")


def _check(page: Page, name: str, theme: str, size: tuple[int, int],
           found: list[str]) -> None:
    """Measure the page as it is now, and save its screenshot. An open dropdown menu is a
    popup: it is meant to stand out of its button's box, and must fit in the window."""
    bad = page.evaluate(OVERFLOWS)
    for menu in page.locator(".appkit-menu:not([hidden])").all():
        box = menu.bounding_box()
        assert box is not None
        if box["x"] < 0 or box["y"] < 0 or box["x"] + box["width"] > size[0] or \
                box["y"] + box["height"] > size[1]:
            bad.append(f"an open menu is outside the window: {box}")
        bad = [line for line in bad if not (line.startswith("div.appkit-dropdown's content")
               or line.startswith("div.appkit-menu") and "of div.appkit-dropdown" in line)]
    found += [f"{name} ({theme}, {size[0]}x{size[1]}): {line}" for line in bad]
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-{theme}-{size[0]}x{size[1]}.png"))


def _each_theme(page: Page, size: tuple[int, int]) -> Iterator[str]:
    page.set_viewport_size({"width": size[0], "height": size[1]})
    for theme in THEMES:
        page.emulate_media(color_scheme=theme)
        yield theme


def _pages(page: Page, url: str, paths: dict[str, str], size: tuple[int, int]) -> list[str]:
    found: list[str] = []
    for theme in _each_theme(page, size):
        for name, path in paths.items():
            _open(page, url + path)
            _check(page, name, theme, size, found)
    return found


SIZE_IDS = [f"{w}x{h}" for w, h in SIZES]


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_todo_fits(live_server: Callable[[Any], str], page: Page,
                   size: tuple[int, int]) -> None:
    from examples.todo.app import Todo, create_app

    app = create_app("todo-overflow")
    url = live_server(app)
    todos = app.table_for(Todo, name="todos")
    for title, done in [("Buy milk", True), (LONG, False), (UNBROKEN, False)]:
        todos.insert(Todo(title=title, done=done))
    found = _pages(page, url, {"todo": ""}, size)
    for theme in _each_theme(page, size):
        _open(page, url)
        page.locator("#todo-list > li").nth(1).get_by_role("button", name="Edit").click()
        expect(page.get_by_label("Title")).to_be_visible()
        page.locator("#todo-list > li").nth(2).get_by_role("button", name="Delete").click()
        expect(page.locator("dialog.appkit-confirm")).to_be_visible()
        _check(page, "todo-confirm", theme, size, found)
    assert found == [], "\n".join(found)


@pytest.fixture
def jobs_example() -> Iterator[tuple[App, Any]]:
    yield from _folder_example("jobs")


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_jobs_and_its_dashboard_fit(live_server: Callable[[Any], str], page: Page,
                                    jobs_example: tuple[App, Any],
                                    size: tuple[int, int]) -> None:
    app, _ = jobs_example
    url = live_server(app)
    report = app.jobs.wait(app.jobs.enqueue("import_sales", {"delay": 0}), timeout=60)
    failed = app.jobs.wait(app.jobs.enqueue("export_to_accounting"), timeout=60)
    found = _pages(page, url, {"jobs-home": "", "jobs-dashboard": "jobs",
                               "jobs-run": f"jobs/runs/{report.id}",
                               "jobs-failed-run": f"jobs/runs/{failed.id}"}, size)
    for theme in _each_theme(page, size):
        _open(page, url)
        page.get_by_role("button", name="Tasks").click()
        expect(page.get_by_role("menu")).to_be_visible()
        _check(page, "jobs-menu", theme, size, found)
    assert found == [], "\n".join(found)


@pytest.fixture
def expenses_example() -> Iterator[tuple[App, Any]]:
    yield from _folder_example("expenses")


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_expenses_fits(live_server: Callable[[Any], str], page: Page,
                       expenses_example: tuple[App, Any], size: tuple[int, int]) -> None:
    app, module = expenses_example
    url = live_server(app)
    run = app.jobs.wait(app.jobs.enqueue("import_expenses", {
        "path": str(module.SAMPLE), "delay": 0}), timeout=60)
    assert run.output["imported"] == 60, run.output
    module.expenses.insert(module.Expense(day=dt.date(2024, 5, 31), category="Office",
                                          amount=123456.78, note=LONG))
    module.expenses.insert(module.Expense(day=dt.date(2024, 5, 31), category="Other",
                                          amount=1.0, note=UNBROKEN))
    found = _pages(page, url, {"expenses": "", "expenses-by-category": "by-category"}, size)
    for theme in _each_theme(page, size):
        _open(page, url)
        page.get_by_role("button", name="New expense").click()
        dialog = page.get_by_role("dialog", name="New expense")
        dialog.get_by_role("button", name="Add").click()      # empty: errors by the fields
        expect(dialog.locator(".error").first).to_be_visible()
        _check(page, "expenses-new", theme, size, found)
        page.keyboard.press("Escape")
        page.get_by_role("button", name="Import CSV…").click()  # a browser: the upload
        expect(page.get_by_label("CSV file")).to_be_visible()
        _check(page, "expenses-upload", theme, size, found)
    assert found == [], "\n".join(found)


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_components_fits(live_server: Callable[[Any], str], page: Page,
                         size: tuple[int, int]) -> None:
    from examples.components.app import create_app

    url = live_server(create_app("components-overflow"))
    found = _pages(page, url, {"components-counter": "", "components-people": "people",
                               "components-expense": "expense", "components-job": "job"},
                   size)
    assert found == [], "\n".join(found)


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_chat_fits(live_server: Callable[[Any], str], page: Page,
                   size: tuple[int, int]) -> None:
    from examples.chat.app import create_app

    url = live_server(create_app("chat-overflow"))
    _open(page, url)
    for text in ("Hello!", LONG, UNBROKEN):
        page.get_by_label("Message").fill(text)
        page.get_by_label("Message").press("Enter")
        expect(page.locator("#messages li").last).to_have_text(text)
    found = _pages(page, url, {"chat": ""}, size)
    assert found == [], "\n".join(found)


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_the_ui_tour_fits(live_server: Callable[[Any], str], page: Page,
                          size: tuple[int, int]) -> None:
    from examples.ui.app import app

    url = live_server(app)
    found = _pages(page, url, {"ui-overview": "", "ui-items": "items",
                               "ui-settings": "settings"}, size)
    assert found == [], "\n".join(found)


def test_the_checker_and_the_screenshots_see_the_page(live_server: Callable[[Any], str],
                                                      page: Page) -> None:
    """The measure finds an element wider than its card in an example's shell, and the
    screenshots differ by theme (the dark one is dark)."""
    from PIL import Image, ImageStat

    from examples.todo.app import Todo, create_app

    app = create_app("todo-overflow-check")
    url = live_server(app)
    app.table_for(Todo, name="todos").insert(Todo(title="one"))
    size = (1024, 768)
    brightness = {}
    for theme in _each_theme(page, size):
        _open(page, url)
        found: list[str] = []
        _check(page, "check", theme, size, found)
        assert found == [], "\n".join(found)
        with Image.open(SHOTS / f"check-{theme}-1024x768.png") as shot:
            brightness[theme] = ImageStat.Stat(shot.convert("L")).mean[0]
    assert brightness["light"] > 200 > 60 > brightness["dark"], brightness
    page.evaluate("document.querySelector('#todo-list .title').style.whiteSpace = 'nowrap';"
                  "document.querySelector('#todo-list .title').textContent = 'x'.repeat(900)")
    wide = page.evaluate(OVERFLOWS)
    assert any("span.title" in line for line in wide), wide


def test_the_kits_grid_of_cards_has_columns(live_server: Callable[[Any], str], page: Page,
                                            jobs_example: tuple[App, Any]) -> None:
    """``Grid(Card, Card)`` puts the cards side by side when they fit (the data grid's
    class once took the layout grid's name, and its rule stacked every Grid in a column)."""
    app, _ = jobs_example
    page.set_viewport_size({"width": 1024, "height": 768})
    _open(page, live_server(app))
    first = page.locator(".appkit-card", has_text="Sales of May").bounding_box()
    second = page.locator(".appkit-card", has_text="More tasks to try").bounding_box()
    assert first and second
    assert first["y"] == second["y"] and first["x"] + first["width"] < second["x"], (first,
                                                                                    second)
