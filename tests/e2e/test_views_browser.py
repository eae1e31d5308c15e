"""examples/wizard and examples/monitor in a real Chromium: the wizard's file goes with its
form (multipart over HTTP while the socket carries the rest), a file it cannot read or one
over the limit is refused on the same step; a cut mid-wizard resumes at the same step with
what the user typed and runs nothing again; without the socket it goes on over plain HTTP;
closing every window ends the wizard (``ViewClosed``, its defers) but not the monitor, a
daemon, whose task goes on; two windows of one user share the monitor, another user gets
their own."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from appkit import App
from appkit.loader import load_app
from appkit.testing.proxy import CuttableProxy
from tests.browser import LOOPBACK_HOSTS

pytestmark = pytest.mark.browser
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _load(name: str) -> App:
    app = load_app(str(EXAMPLES / name))
    assert isinstance(app, App)
    return app


def _unload(name: str) -> None:
    for key, module in list(sys.modules.items()):
        if getattr(module, "__file__", None) == str(EXAMPLES / name / "app.py"):
            del sys.modules[key]
    if str(EXAMPLES / name) in sys.path:
        sys.path.remove(str(EXAMPLES / name))


@pytest.fixture
def wizard() -> Iterator[App]:
    yield _load("wizard")
    _unload("wizard")


@pytest.fixture
def monitor() -> Iterator[App]:
    yield _load("monitor")
    _unload("monitor")


@pytest.fixture
def steps(caplog: pytest.LogCaptureFixture) -> Callable[[], list[str]]:
    """What the wizard logged: the steps it ran and how it closed, in order."""
    caplog.set_level(logging.INFO, logger="wizard")
    return lambda: [r.getMessage() for r in caplog.records if r.name == "wizard"]


@pytest.fixture
def contexts(browser: Any) -> Iterator[Callable[[], Any]]:
    """``new()``: a browser context of its own (another user), loopback only."""
    made: list[Any] = []
    blocked: list[str] = []

    def guard(route: Any) -> None:
        from urllib.parse import urlsplit

        if (urlsplit(route.request.url).hostname or "") in LOOPBACK_HOSTS:
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    def new() -> Any:
        context = browser.new_context()
        context.route("**/*", guard)
        made.append(context)
        return context

    yield new
    for context in made:
        context.close()
    assert not blocked, blocked


def _open(context: Any, url: str) -> Page:
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(url)
    expect(page.locator("html")).to_have_attribute("data-live", "live")
    return page


def _upload(page: Page, tmp_path: Path) -> None:
    sample = tmp_path / "sales.csv"
    sample.write_text("date,units\n2024-05-01,3\n2024-05-02,4\n2024-05-03\n", encoding="utf-8")
    page.set_input_files("input[type=file]", str(sample))
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="2. Options")).to_be_visible()
    expect(page.get_by_text("sales.csv begins with:")).to_be_visible()


def _wait(check: Callable[[], bool], within: float = 20.0) -> bool:
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def test_a_cut_mid_wizard_resumes_at_the_same_step_with_what_was_typed(
        live_server: Callable[[Any], str], contexts: Callable[[], Any], wizard: App,
        steps: Callable[[], list[str]], tmp_path: Path) -> None:
    url = live_server(wizard)
    port = int(url.rstrip("/").rsplit(":", 1)[1])
    with CuttableProxy(port) as proxy:
        page = _open(contexts(), f"http://127.0.0.1:{proxy.port}/")
        _upload(page, tmp_path)
        shown = page.locator("[data-view]").get_attribute("data-view")
        page.get_by_label("Label").fill("May sales")
        page.get_by_label("Delimiter").select_option("Semicolon")
        proxy.cut()
        expect(page.locator("html")).to_have_attribute("data-live", "offline")
        time.sleep(5)
        proxy.restore()
        expect(page.locator("html")).to_have_attribute("data-live", "live", timeout=20_000)
        expect(page.get_by_role("heading", name="2. Options")).to_be_visible()
        expect(page.get_by_label("Label")).to_have_value("May sales")    # what was typed
        assert page.locator("[data-view]").get_attribute("data-view") == shown
        assert len(wizard.views) == 1                                  # type: ignore[attr-defined]
        page.get_by_label("Delimiter").select_option("Comma")
        page.get_by_role("button", name="Continue").click()
        expect(page.get_by_role("heading", name="Imported May sales")).to_be_visible(
            timeout=20_000)
        expect(page.locator("#rows")).to_have_text("2")
        expect(page.locator("#skipped")).to_have_text("1")
        assert steps() == ["step 1: the file", "step 2: the options", "step 3: the import",
                           "step 4: the result"]                       # each once
        page.get_by_role("button", name="Import another file").click()
        expect(page.get_by_role("heading", name="1. Choose a CSV file")).to_be_visible()


def test_closing_every_window_ends_the_wizard_but_not_the_daemon(
        live_server: Callable[[Any], str], contexts: Callable[[], Any], wizard: App,
        monitor: App, steps: Callable[[], list[str]], tmp_path: Path) -> None:
    wizard_url, monitor_url = live_server(wizard), live_server(monitor)
    context = contexts()
    counter = _open(context, monitor_url)
    for n in (1, 2):
        counter.get_by_role("button", name="+1").click()
        expect(counter.locator("#count")).to_have_text(f"Count: {n}")
    counter.get_by_role("button", name="Run the task").click()
    expect(counter.locator("#progress")).to_be_visible()
    page = _open(context, wizard_url)
    _upload(page, tmp_path)
    uploads = wizard.paths.data / "uploads"
    assert len(list(uploads.iterdir())) == 1
    first = page.locator("[data-view]").get_attribute("data-view")
    page.close(run_before_unload=True)
    counter.close(run_before_unload=True)
    # The wizard's window is gone: ViewClosed was raised at its await, its defer deleted
    # the uploaded file (left_grace, then the sweeper).
    assert _wait(lambda: "closed (page_closed)" in steps()), steps()
    assert _wait(lambda: not list(uploads.iterdir()))
    assert len(wizard.views) == 0                                    # type: ignore[attr-defined]
    again = _open(context, monitor_url)                              # the daemon worked on
    expect(again.locator("#result")).to_have_text("The task done after 50 steps",
                                                  timeout=20_000)
    again.get_by_role("button", name="Back").click()
    expect(again.locator("#count")).to_have_text("Count: 2")         # and kept its count
    page = _open(context, wizard_url)
    expect(page.get_by_role("heading", name="1. Choose a CSV file")).to_be_visible()
    assert page.locator("[data-view]").get_attribute("data-view") != first
    assert steps().count("step 2: the options") == 1


def test_two_windows_of_one_user_share_the_daemon_and_another_user_has_their_own(
        live_server: Callable[[Any], str], contexts: Callable[[], Any], monitor: App) -> None:
    url = live_server(monitor)
    mine = contexts()
    first, second = _open(mine, url), _open(mine, url)
    first.get_by_role("button", name="+1").click()
    expect(second.locator("#count")).to_have_text("Count: 1")
    second.get_by_role("button", name="Edit the note").click()
    second.get_by_label("Text").fill("seen in both windows")
    second.get_by_role("button", name="Save").click()
    expect(first.locator("#note")).to_have_text("seen in both windows")

    theirs = _open(contexts(), url)
    expect(theirs.locator("#count")).to_have_text("Count: 0")        # their own
    expect(theirs.locator("#note")).to_have_text("(no note)")
    theirs.get_by_role("button", name="+1").click()
    expect(theirs.locator("#count")).to_have_text("Count: 1")

    first.get_by_role("button", name="Run the task").click()
    expect(second.locator("#progress")).to_be_visible()
    expect(theirs.locator("#progress")).to_have_count(0)
    second.get_by_role("button", name="Stop").click()
    expect(first.locator("#result")).to_contain_text("The task stopped after")
    first.get_by_role("button", name="Back").click()
    expect(second.locator("#count")).to_have_text("Count: 1")
    expect(theirs.locator("#count")).to_have_text("Count: 1")


def test_without_the_socket_the_wizard_goes_on_over_plain_http(
        live_server: Callable[[Any], str], contexts: Callable[[], Any], wizard: App,
        steps: Callable[[], list[str]], tmp_path: Path) -> None:
    page = _open(contexts(), live_server(wizard))
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url.split("/")[-1]) if r.method == "POST"
            else None)
    page.evaluate("window.appkitLive.state.stopped = true; window.appkitLive.state.ws.close()")
    expect(page.locator("html")).not_to_have_attribute("data-live", "live")
    _upload(page, tmp_path)                   # the file and the form, both over HTTP
    example = next(m for m in list(sys.modules.values()) if getattr(m, "app", None) is wizard)
    example.ROW_DELAY = 0.5                   # the import is still at work when it answers
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="3. Importing")).to_be_visible()
    assert posts == ["_appkit-view", "_appkit-view"]
    assert steps() == ["step 1: the file", "step 2: the options", "step 3: the import"]


def test_the_wizard_takes_a_csv_file_with_its_form_and_refuses_one_it_cannot_read(
        live_server: Callable[[Any], str], contexts: Callable[[], Any], wizard: App,
        steps: Callable[[], list[str]], tmp_path: Path) -> None:
    page = _open(contexts(), live_server(wizard))
    posts: list[tuple[str, str]] = []
    page.on("request", lambda r: posts.append(
        (r.url.split("/")[-1], (r.headers.get("content-type") or "").split(";")[0]))
        if r.method == "POST" else None)
    continue_ = page.get_by_role("button", name="Continue")
    continue_.click()                                        # no file: over the socket
    expect(page.locator("#file-error")).to_have_text("Choose a CSV file")
    assert posts == []
    picture = tmp_path / "me.png"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n")
    page.set_input_files("input[type=file]", str(picture))
    continue_.click()
    expect(page.locator("#file-error")).to_have_text(
        "me.png is not a CSV file: choose a file whose name ends in .csv")
    assert posts == [("_appkit-view", "multipart/form-data")]
    big = tmp_path / "big.csv"
    big.write_bytes(b"a,b\n" + b"1,2\n" * (5 * 1024 * 1024 // 4))
    page.set_input_files("input[type=file]", str(big))
    continue_.click()
    expect(page.locator(".appkit-notice")).to_contain_text("larger than this app accepts")
    expect(page.get_by_role("heading", name="1. Choose a CSV file")).to_be_visible()
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    page.set_input_files("input[type=file]", str(empty))
    continue_.click()
    expect(page.locator("#file-error")).to_have_text(
        "empty.csv is empty: choose a file with rows in it")
    assert steps() == ["step 1: the file"]                   # the same step all along
    _upload(page, tmp_path)
    expect(page.locator("pre")).to_have_text("date,units\n2024-05-01,3\n2024-05-02,4")
    posted = len(posts)
    page.get_by_label("Label").fill("May sales")
    page.get_by_role("button", name="Continue").click()       # text only: the socket
    expect(page.get_by_role("heading", name="Imported May sales")).to_be_visible(
        timeout=20_000)
    expect(page.locator("#rows")).to_have_text("2")
    expect(page.locator("#skipped")).to_have_text("1")
    assert len(posts) == posted
    assert all(p == ("_appkit-view", "multipart/form-data") for p in posts)
    assert steps() == ["step 1: the file", "step 2: the options", "step 3: the import",
                       "step 4: the result"]
    assert not list((wizard.paths.data / "uploads").iterdir())  # the copy went
