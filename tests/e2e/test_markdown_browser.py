"""Markdown in real Chromium: highlighted code takes the light colours, the dark ones when
the system is dark or the page says data-theme="dark"; nothing a user typed runs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from appkit import App
from appkit.html import Page as HtmlPage
from appkit.ui.markdown import Markdown, install
from tests.e2e.csp import StrictCSP

pytestmark = pytest.mark.browser

TEXT = """# Notes

```python
def total(xs):
    return sum(xs)
```

<img src=x onerror="window.attacked = 1"> [click](javascript:window.attacked=2)
<script>window.attacked = 3</script>
"""


def markdown_app() -> App:
    app = App("markdown-browser")
    install(app)

    @app.get("/")
    def index() -> Any:
        return HtmlPage("Notes", Markdown(TEXT, id="notes"))

    return app


def colours(page: Page) -> tuple[str, str]:
    keyword = page.locator("#notes pre.hl .hl-k").first
    block = page.locator("#notes pre.hl")
    return (keyword.evaluate("e => getComputedStyle(e).color"),
            block.evaluate("e => getComputedStyle(e).backgroundColor"))


def test_code_is_coloured_for_the_theme_and_nothing_typed_runs(
        live_server: Callable[[Any], str], page: Page) -> None:
    url = live_server(StrictCSP(markdown_app()))
    page.emulate_media(color_scheme="light")
    page.goto(url)
    expect(page.locator("#notes h1")).to_have_text("Notes")
    light = colours(page)
    assert light == ("rgb(0, 128, 0)", "rgb(248, 248, 248)")  # Pygments' default style

    page.evaluate("document.documentElement.setAttribute('data-theme', 'dark')")
    dark = colours(page)
    assert dark == ("rgb(255, 123, 114)", "rgb(13, 17, 23)")  # github-dark

    page.evaluate("document.documentElement.removeAttribute('data-theme')")
    page.emulate_media(color_scheme="dark")
    assert colours(page) == dark
    page.evaluate("document.documentElement.setAttribute('data-theme', 'light')")
    assert colours(page) == light

    page.get_by_text("[click](javascript:").click()
    expect(page.locator("#notes")).to_contain_text("<script>window.attacked = 3</script>")
    assert page.evaluate("window.attacked") is None
    assert page.locator("#notes img, #notes script, #notes a").count() == 0
