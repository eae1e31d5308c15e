"""appkit.ui in a real Chromium: the kit's tour (examples/ui) fits the window at 1024x768
and 1920x1080 with no element sticking out of its container (measured in the page), tabs,
menus and dialogs work from the keyboard alone, the theme toggle is remembered across a
reload, the kit's dialog and hx-confirm's look the same, and screenshots of both themes
are saved for review in test-output/ui/."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from appkit import App
from appkit.html import Button, P, Span
from appkit.ui import (
    Dialog,
    DialogButton,
    DialogClose,
    Dropdown,
    MenuItem,
    NavItem,
    Shell,
    Tab,
    Tabs,
    ToolButton,
    UISettings,
)
from examples.ui.app import app as tour

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[2] / "test-output" / "ui"
SIZES = [(1024, 768), (1920, 1080)]
PAGES = ["", "items", "settings"]

# Every visible element of the page inside its parent's box (sideways always; up and down
# unless the parent scrolls or clips), nothing wider than its own box (text that does not
# wrap), fixed elements inside the window, and the page not scrolling sideways. Returns
# what is wrong, one line each.
OVERFLOWS = """() => {
  const name = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
    (el.classList.length ? "." + [...el.classList].join(".") : "");
  const bad = [];
  const root = document.documentElement;
  if (root.scrollWidth > root.clientWidth) {
    bad.push(`the page scrolls sideways: ${root.scrollWidth} > ${root.clientWidth}`);
  }
  for (const el of document.body.querySelectorAll("*")) {
    if (el.closest("svg") && el.tagName.toLowerCase() !== "svg") continue;
    if (el.closest("[hidden], dialog:not([open]), template, script, style")) continue;
    const style = getComputedStyle(el);
    if (style.display === "none" || style.visibility === "hidden") continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    if (style.position === "fixed") {
      if (r.left < -1 || r.top < -1 || r.right > root.clientWidth + 1 ||
          r.bottom > root.clientHeight + 1) bad.push(`${name(el)} is outside the window`);
      continue;
    }
    const parent = el.parentElement;
    const p = parent.getBoundingClientRect();
    const ps = getComputedStyle(parent);
    if (r.left < p.left - 1 || r.right > p.right + 1) {
      bad.push(`${name(el)} [${Math.round(r.left)}, ${Math.round(r.right)}] sticks out ` +
               `of ${name(parent)} [${Math.round(p.left)}, ${Math.round(p.right)}]`);
    }
    if (ps.overflowY === "visible" && (r.top < p.top - 1 || r.bottom > p.bottom + 1)) {
      bad.push(`${name(el)} sticks out of ${name(parent)} vertically`);
    }
    if (style.display !== "inline" && style.overflowX === "visible" &&
        el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 0) {
      bad.push(`${name(el)}'s content is wider than it: ${el.scrollWidth} > ${el.clientWidth}`);
    }
  }
  return bad;
}"""


def _open(page: Page, url: str) -> None:
    page.goto(url)
    page.wait_for_function("window.htmx !== undefined && document.readyState === 'complete'")


def _brightness(path: Path) -> float:
    from PIL import Image, ImageStat

    with Image.open(path) as image:
        return float(ImageStat.Stat(image.convert("L")).mean[0])


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
@pytest.mark.parametrize("theme", ["light", "dark"])
def test_the_tour_fits_the_window_in_both_themes(live_server: Callable[[Any], str],
                                                 page: Page, size: tuple[int, int],
                                                 theme: str) -> None:
    width, height = size
    page.set_viewport_size({"width": width, "height": height})
    page.emulate_media(color_scheme=theme)
    url = live_server(tour)
    SHOTS.mkdir(parents=True, exist_ok=True)
    for path in PAGES:
        _open(page, url + path)
        assert page.evaluate(OVERFLOWS) == [], f"/{path} at {width}x{height}"
        # The shell fills the window: bar at the top, status bar at the bottom.
        bar = page.locator(".appkit-shell-bar").bounding_box()
        status = page.locator(".appkit-shell-status").bounding_box()
        main = page.locator(".appkit-shell-main").bounding_box()
        assert bar and status and main
        assert bar["y"] == 0 and bar["width"] == width
        assert abs(status["y"] + status["height"] - height) < 1
        # The content takes the width the sidebar leaves (no centred column).
        nav = page.locator(".appkit-shell-nav").bounding_box()
        assert nav and abs(main["x"] - nav["width"]) < 1
        assert abs(main["x"] + main["width"] - width) < 1
        shot = SHOTS / f"{path or 'overview'}-{theme}-{width}x{height}.png"
        page.screenshot(path=str(shot))
    # Compact: 14 px text, whatever the window's width (Pico alone grows it to 21 px).
    assert page.evaluate("getComputedStyle(document.documentElement).fontSize") == "14px"
    # The system's own font (system-ui), in the content and the controls alike.
    for selector in (".appkit-shell-main", ".appkit-tool", ".appkit-shell-nav a"):
        family = page.evaluate(f"getComputedStyle(document.querySelector('{selector}'))"
                               ".fontFamily")
        assert family.startswith("system-ui"), (selector, family)
    light = theme == "light"
    assert (_brightness(shot) > 200) if light else (_brightness(shot) < 60), shot


def test_the_checker_sees_an_overflow(live_server: Callable[[Any], str], page: Page) -> None:
    app = App("ui-overflow", extensions=[UISettings()])

    @app.get("/")
    def index():
        return Shell(P("x" * 400, style="white-space: nowrap"),
                     P(Span("wide", style="display: inline-block; width: 3000px")), title="Wide")

    page.set_viewport_size({"width": 1024, "height": 768})
    _open(page, live_server(app))
    found = page.evaluate(OVERFLOWS)
    assert any("p's content is wider than it" in line for line in found), found
    assert any(line.startswith("span [") and "sticks out of p" in line for line in found), found


def test_an_open_menu_and_dialog_fit_too(live_server: Callable[[Any], str],
                                         page: Page) -> None:
    page.set_viewport_size({"width": 1024, "height": 768})
    url = live_server(tour)
    _open(page, url + "items")
    page.get_by_role("button", name="More").click()
    expect(page.get_by_role("menu")).to_be_visible()
    menu = page.get_by_role("menu").bounding_box()
    assert menu and menu["x"] + menu["width"] <= 1024 and menu["y"] + menu["height"] <= 768
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Order…").click()
    expect(page.get_by_role("dialog", name="Order more")).to_be_visible()
    assert page.evaluate(OVERFLOWS) == []
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "dialog-light-1024x768.png"))


def test_tabs_from_the_keyboard(live_server: Callable[[Any], str], page: Page) -> None:
    url = live_server(tour)
    requests: list[str] = []
    _open(page, url + "settings")
    page.on("request", lambda request: requests.append(request.url))
    general = page.get_by_role("tab", name="General")
    alerts = page.get_by_role("tab", name="Alerts")
    about = page.get_by_role("tab", name="About")
    general.focus()
    expect(page.get_by_role("tabpanel")).to_contain_text("Name of the stockroom")
    page.keyboard.press("ArrowRight")
    expect(alerts).to_be_focused()
    expect(alerts).to_have_attribute("aria-selected", "true")
    expect(general).to_have_attribute("aria-selected", "false")
    expect(page.get_by_role("tabpanel")).to_contain_text("Warn when an item runs low")
    page.keyboard.press("End")
    expect(about).to_be_focused()
    page.keyboard.press("ArrowRight")  # wraps around
    expect(general).to_be_focused()
    page.keyboard.press("ArrowLeft")
    expect(about).to_have_attribute("aria-selected", "true")
    # Tab leaves the tab list for the panel; only the selected tab is in the Tab order.
    page.keyboard.press("Tab")
    expect(page.locator("#settings-tabs-panel-2")).to_be_focused()
    page.keyboard.press("Shift+Tab")
    expect(about).to_be_focused()
    page.keyboard.press("Home")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Name of the stockroom")).to_be_focused()
    assert requests == [], "switching tabs asked the server"


def test_a_dropdown_from_the_keyboard(live_server: Callable[[Any], str], page: Page) -> None:
    chosen: list[str] = []
    app = App("ui-menu", extensions=[UISettings()])

    @app.get("/")
    def index():
        return Shell(
            Span("nothing", id="out"),
            Dropdown("Actions", MenuItem("Copy", icon="copy", hx_post=do.url(what="copy"),
                                         hx_target="#out", hx_swap="outerHTML"),
                     MenuItem("Paste", hx_post=do.url(what="paste"), hx_target="#out",
                              hx_swap="outerHTML"),
                     MenuItem("Help", href="/help")),
            ToolButton("After", icon="plus"), title="Menu")

    @app.post("/do")
    def do(what: str):
        chosen.append(what)
        return Span(what, id="out")

    _open(page, live_server(app))
    button = page.get_by_role("button", name="Actions")
    menu = page.get_by_role("menu", include_hidden=True)
    button.focus()
    page.keyboard.press("Enter")
    expect(menu).to_be_visible()
    expect(button).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_role("menuitem", name="Copy")).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(page.get_by_role("menuitem", name="Paste")).to_be_focused()
    page.keyboard.press("End")
    expect(page.get_by_role("menuitem", name="Help")).to_be_focused()
    page.keyboard.press("ArrowDown")  # wraps around
    expect(page.get_by_role("menuitem", name="Copy")).to_be_focused()
    page.keyboard.press("Escape")
    expect(menu).to_be_hidden()
    expect(button).to_be_focused()
    expect(button).to_have_attribute("aria-expanded", "false")
    page.keyboard.press("ArrowUp")  # opens on the last item
    expect(page.get_by_role("menuitem", name="Help")).to_be_focused()
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Enter")  # Paste
    expect(page.locator("#out")).to_have_text("paste")
    expect(menu).to_be_hidden()
    assert chosen == ["paste"]
    # Tab closes it and goes on; a click elsewhere closes it too.
    page.keyboard.press("Space")
    expect(menu).to_be_visible()
    page.keyboard.press("Tab")
    expect(menu).to_be_hidden()
    button.click()
    expect(menu).to_be_visible()
    page.locator("#out").click()
    expect(menu).to_be_hidden()


def test_a_dialog_from_the_keyboard(live_server: Callable[[Any], str], page: Page) -> None:
    url = live_server(tour)
    _open(page, url + "items")
    opener = page.get_by_role("button", name="Order…")
    opener.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Order more")
    expect(dialog).to_be_visible()
    field = page.get_by_label("How many?")
    expect(field).to_be_focused()  # its first field, not the x in its corner
    # Focus stays in the dialog: Tab goes round its controls.
    inside = []
    for _ in range(5):
        page.keyboard.press("Tab")
        inside.append(page.evaluate("document.activeElement.closest('dialog') !== null"))
    assert all(inside), inside
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(opener).to_be_focused()  # back where it was
    page.keyboard.press("Enter")
    expect(dialog).to_be_visible()
    page.keyboard.press("Shift+Tab")  # from the field back to the x
    expect(dialog.get_by_role("button", name="Close")).to_be_focused()
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    expect(opener).to_be_focused()


def test_a_confirmation_asked_from_a_dialog_keeps_the_focus(
        live_server: Callable[[Any], str], page: Page) -> None:
    sent: list[str] = []
    app = App("ui-nested", extensions=[UISettings()])

    @app.get("/")
    def index():
        return Shell(DialogButton("Edit", dialog="edit"),
                     Dialog("Edit", P("An item."), id="edit",
                            buttons=[DialogClose(), Button("Delete", hx_post=delete,
                                                           hx_confirm="Delete it?")]),
                     title="Nested")

    @app.post("/delete")
    def delete():
        sent.append("delete")
        return ""

    _open(page, live_server(app))
    page.get_by_role("button", name="Edit").click()
    page.get_by_role("dialog", name="Edit").get_by_role("button", name="Delete").click()
    confirm = page.get_by_role("dialog", name="Delete it?")
    ok = confirm.get_by_role("button", name="OK")
    cancel = confirm.get_by_role("button", name="Cancel")
    expect(ok).to_be_focused()
    # Tab goes round the confirmation's two buttons, not to the dialog below it.
    page.keyboard.press("Tab")
    expect(cancel).to_be_focused()
    page.keyboard.press("Tab")
    expect(ok).to_be_focused()
    page.keyboard.press("Shift+Tab")
    expect(cancel).to_be_focused()
    page.keyboard.press("Escape")
    expect(confirm).to_have_count(0)
    expect(page.get_by_role("dialog", name="Edit").get_by_role("button", name="Delete")
           ).to_be_focused()
    assert sent == []


def test_a_dialogs_form_closes_it_once_sent(live_server: Callable[[Any], str],
                                            page: Page) -> None:
    from appkit.errors import BadRequest
    from appkit.html import Form, Input, Label

    app = App("ui-dialog-form", extensions=[UISettings()])

    @app.get("/")
    def index():
        return Shell(Span("Old name", id="name"), DialogButton("Rename", dialog="rename"),
                     Dialog("Rename", Form(Label("Name", Input(name="name")), id="rename-form",
                                           hx_post=rename, hx_target="#name",
                                           hx_swap="outerHTML",
                                           data_appkit_close_on_success=True),
                            id="rename", buttons=[DialogClose(), Button(
                                "Save", form="rename-form", type="submit")]),
                     title="Rename")

    @app.post("/rename")
    def rename(name: str = ""):
        if not name.strip():
            raise BadRequest("A name cannot be empty")
        return Span(name, id="name")

    _open(page, live_server(app))
    page.get_by_role("button", name="Rename").click()
    dialog = page.get_by_role("dialog", name="Rename")
    page.keyboard.press("Enter")  # empty: refused, the dialog stays
    expect(page.locator(".appkit-notice")).to_contain_text("A name cannot be empty")
    expect(dialog).to_be_visible()
    page.get_by_role("textbox", name="Name").fill("New name")
    page.keyboard.press("Enter")
    expect(page.locator("#name")).to_have_text("New name")
    expect(dialog).to_be_hidden()


def test_the_theme_toggle_is_remembered(live_server: Callable[[Any], str],
                                        page: Page) -> None:
    page.emulate_media(color_scheme="light")
    url = live_server(tour)
    _open(page, url)
    root = page.locator("html")
    toggle = page.get_by_role("button", name="Dark theme")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") in (
        "rgb(255, 255, 255)", "rgba(0, 0, 0, 0)")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    page.evaluate("window.__marker = 42")
    with page.expect_response(lambda r: r.url.endswith("/_appkit-ui/theme")) as answer:
        toggle.click()
    assert answer.value.status == 204
    expect(root).to_have_attribute("data-theme", "dark")
    expect(toggle).to_have_attribute("aria-pressed", "true")
    assert page.evaluate("window.__marker") == 42, "the page was reloaded"
    dark_main = page.evaluate(
        "getComputedStyle(document.querySelector('.appkit-shell')).backgroundColor")
    assert dark_main == "rgb(22, 25, 30)"
    # Remembered: the next page (and a reload) is dark from the start, though the
    # system is light.
    page.reload()
    expect(root).to_have_attribute("data-theme", "dark")
    _open(page, url + "items")
    expect(root).to_have_attribute("data-theme", "dark")
    expect(page.get_by_role("button", name="Dark theme")).to_have_attribute("aria-pressed",
                                                                            "true")
    # And back.
    page.get_by_role("button", name="Dark theme").click()
    expect(root).to_have_attribute("data-theme", "light")
    page.reload()
    expect(root).to_have_attribute("data-theme", "light")
    assert page.evaluate(
        "getComputedStyle(document.querySelector('.appkit-shell')).backgroundColor"
    ) == "rgb(255, 255, 255)"


def test_the_system_theme_is_followed_until_one_is_picked(live_server: Callable[[Any], str],
                                                          page: Page) -> None:
    url = live_server(tour)
    page.emulate_media(color_scheme="dark")
    _open(page, url)
    assert page.get_attribute("html", "data-theme") is None
    shell = "getComputedStyle(document.querySelector('.appkit-shell')).backgroundColor"
    assert page.evaluate(shell) == "rgb(22, 25, 30)"
    expect(page.get_by_role("button", name="Dark theme")).to_have_attribute("aria-pressed",
                                                                            "true")
    page.emulate_media(color_scheme="light")
    assert page.evaluate(shell) == "rgb(255, 255, 255)"
    expect(page.get_by_role("button", name="Dark theme")).to_have_attribute("aria-pressed",
                                                                            "false")


DIALOG_STYLES = """(selector) => {
  const dialog = document.querySelector(selector);
  const pick = (el, names) => Object.fromEntries(names.map(
    (n) => [n, getComputedStyle(el).getPropertyValue(n)]));
  const box = ["background-color", "border-top-width", "border-top-color",
               "border-top-left-radius", "box-shadow", "padding-top", "padding-left",
               "color", "font-family", "font-size"];
  const article = dialog.querySelector("article");
  return {
    dialog: pick(dialog, ["background-color", "position", "display"]),
    article: {...pick(article, box), width: article.getBoundingClientRect().width},
    header: pick(article.querySelector("header"), box),
    title: pick(article.querySelector(".appkit-dialog-title"), ["font-size", "font-weight"]),
    footer: pick(article.querySelector("footer"), box),
    ok: pick(article.querySelector("footer button:not(.secondary)"), box),
    cancel: pick(article.querySelector("footer button.secondary"), box),
  };
}"""


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_the_kits_dialog_and_the_confirmation_look_the_same(
        live_server: Callable[[Any], str], page: Page, theme: str) -> None:
    app = App("ui-dialogs", extensions=[UISettings()])

    @app.get("/")
    def index():
        return Shell(
            DialogButton("Open", dialog="kit"),
            Dialog("Delete the report?", P("It cannot be undone."), id="kit",
                   buttons=[DialogClose("Cancel"), Button("OK")]),
            Button("Delete", hx_post=delete, hx_confirm="It cannot be undone.",
                   data_confirm_title="Delete the report?"),
            title="Dialogs")

    @app.post("/delete")
    def delete():
        return ""

    page.emulate_media(color_scheme=theme)
    _open(page, live_server(app))
    page.get_by_role("button", name="Open").click()
    kit = page.evaluate(DIALOG_STYLES, "dialog#kit")
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Delete").click()
    expect(page.locator("dialog.appkit-confirm")).to_be_visible()
    confirm = page.evaluate(DIALOG_STYLES, "dialog.appkit-confirm")
    differ = [f"{part} {name}: {confirm[part][name]!r} != {value!r}"
              for part, values in kit.items() for name, value in values.items()
              if confirm[part][name] != value]
    assert differ == []
    assert kit["article"]["background-color"] != kit["footer"]["background-color"]
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"confirm-{theme}.png"))


def wait() -> None:
    """A task that runs until it is cancelled."""
    time.sleep(30)


def test_the_jobs_dashboard_asks_in_the_page(live_server: Callable[[Any], str],
                                             page: Page) -> None:
    app = App("ui-jobs", extensions=[UISettings()])
    app.jobs.dashboard("/jobs")
    app.task("wait")(wait)
    opened: list[str] = []
    page.on("dialog", lambda dialog: (opened.append(dialog.message), dialog.dismiss()))
    url = live_server(app)
    run_id = app.jobs.enqueue("wait", {})
    page.goto(url + "jobs")
    page.get_by_role("button", name=f"Cancel run {run_id}").click()
    confirm = page.get_by_role("dialog", name=f"Cancel run {run_id} of wait?", exact=False)
    expect(confirm).to_be_visible()
    expect(confirm).to_have_class("appkit-dialog appkit-confirm")
    expect(confirm.locator(".appkit-dialog-title")).to_have_text("Cancel a run")
    confirm.get_by_role("button", name="Cancel").click()
    expect(page.locator(f"#jobs-run-{run_id}")).not_to_have_attribute("data-status",
                                                                      "cancelled")
    page.get_by_role("button", name=f"Cancel run {run_id}").click()
    page.get_by_role("dialog").get_by_role("button", name="OK").click()
    expect(page.locator(f"#jobs-run-{run_id}")).to_have_attribute("data-status", "cancelled")
    assert opened == [], f"the browser's own dialog opened: {opened}"


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_the_jobs_dashboard_fits_with_the_kit(live_server: Callable[[Any], str], page: Page,
                                              size: tuple[int, int]) -> None:
    app = App("ui-jobs-fit", extensions=[UISettings()])
    app.jobs.dashboard("/jobs")
    app.task("wait")(wait)
    page.set_viewport_size({"width": size[0], "height": size[1]})
    url = live_server(app)
    run_id = app.jobs.enqueue("wait", {})
    page.goto(url + "jobs")
    expect(page.locator(f"#jobs-run-{run_id}")).to_be_visible()
    assert page.evaluate(OVERFLOWS) == []
    page.goto(url + f"jobs/runs/{run_id}")
    assert page.evaluate(OVERFLOWS) == []
    app.jobs.cancel(run_id)


def test_without_pico_the_tour_still_fits(live_server: Callable[[Any], str],
                                          page: Page) -> None:
    from examples.ui import app as module

    bare = App("ui-bare", stylesheet=False, extensions=[UISettings()])
    bare.get("/")(lambda: module.items())
    page.set_viewport_size({"width": 1024, "height": 768})
    _open(page, live_server(bare))
    assert "pico" not in page.content()
    assert page.evaluate(OVERFLOWS) == []
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "items-without-pico.png"))


def test_hostile_text_stays_text(live_server: Callable[[Any], str], page: Page) -> None:
    hostile = '<img src=x onerror="window.__owned=1">'
    app = App("ui-hostile", extensions=[UISettings()])

    @app.get("/")
    def index():
        return Shell(Tabs(Tab(hostile, P(hostile)), id="t"),
                     Dropdown(hostile, MenuItem(hostile)),
                     title=hostile, nav=[NavItem(hostile, "/")], current="/",
                     status=[hostile], toolbar=[ToolButton(hostile, icon="plus")])

    _open(page, live_server(app))
    assert page.title() == hostile
    expect(page.locator(".appkit-shell-brand")).to_have_text(hostile)
    expect(page.get_by_role("tab")).to_have_text(hostile)
    assert page.locator("img").count() == 0
    assert page.evaluate("window.__owned") is None
