"""Markdown on the server: CommonMark with tables and highlighted code, and safe for what
a user types (an attack corpus: no script, no event handler, no javascript: link), with a
bound on the size it renders."""

from __future__ import annotations

import time
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from appkit import App
from appkit.errors import PayloadTooLarge
from appkit.html import Page, render
from appkit.testing import Client
from appkit.ui.markdown import (
    MAX_CHARS,
    Markdown,
    MarkdownTooLarge,
    install,
    render_markdown,
)

STATIC = Path(__file__).resolve().parents[3] / "appkit" / "static"
ALLOWED_TAGS = {"a", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5",
                "h6", "hr", "img", "li", "ol", "p", "pre", "span", "strong", "table",
                "tbody", "td", "th", "thead", "tr", "ul", "s"}
ALLOWED_ATTRS = {"href", "src", "alt", "title", "class", "start", "style"}


class Tags(HTMLParser):
    """Every start tag and its attributes, as a browser's parser would see them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags_of(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = Tags()
    parser.feed(html)
    parser.close()
    return parser.tags


def links_of(html: str) -> list[str]:
    return [str(attrs.get("href") or attrs.get("src")) for tag, attrs in tags_of(html)
            if tag in ("a", "img")]


def assert_harmless(html: str) -> None:
    for tag, attrs in tags_of(html):
        assert tag in ALLOWED_TAGS, f"<{tag}> in {html!r}"
        for name, value in attrs.items():
            assert name in ALLOWED_ATTRS, f"{name}= on <{tag}> in {html!r}"
            if name == "style":  # markdown-it aligns table cells this way, and only so
                assert value in ("text-align:left", "text-align:right",
                                 "text-align:center"), value
    for url in links_of(html):
        assert not url.startswith(("//", "\\\\")), f"{url!r} (another host) in {html!r}"
        scheme = url.split(":", 1)[0].lower() if ":" in url.split("/", 1)[0] else ""
        assert scheme in ("", "http", "https", "mailto"), f"{url!r} in {html!r}"


def test_commonmark_with_tables_strikethrough_and_highlighted_code() -> None:
    html = render_markdown(
        "# Notes\n\nSome *text* and ~~old~~ and `code`.\n\n"
        "| name | total |\n|:-----|------:|\n| food | 12 |\n\n"
        "```python\ndef total(xs):\n    return sum(xs)  # all of them\n```\n")
    tags = [tag for tag, _ in tags_of(html)]
    assert tags[:3] == ["h1", "p", "em"]
    assert "s" in tags and "table" in tags and "td" in tags
    classes = {attrs.get("class") for _, attrs in tags_of(html)}
    assert {"hl", "language-python", "hl-k", "hl-nf", "hl-c1"} <= classes
    assert '<span class="hl-k">def</span>' in html
    assert_harmless(html)


def test_code_in_an_unknown_or_no_language_is_plain_and_escaped() -> None:
    for fence in ("```nosuchlanguage\n", "```\n", '```" onmouseover="x\n'):
        html = render_markdown(f"{fence}<b>x</b> & y\n```\n")
        assert "&lt;b&gt;x&lt;/b&gt; &amp; y" in html
        assert "hl-" not in html
        assert_harmless(html)


def test_markdown_is_a_div_that_takes_attributes() -> None:
    element = Markdown("Hello **you**", id="notes", cls="compact")
    assert render(element) == (
        '<div class="markdown compact" id="notes"><p>Hello <strong>you</strong></p>\n</div>')


ATTACKS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    "<iframe src=/></iframe>",
    "<svg onload=alert(1)>",
    "<style>body{display:none}</style>",
    "<div\nonclick=alert(1)>x</div>",
    "<!-- <script>alert(1)</script> -->",
    "<details open ontoggle=alert(1)>",
    "[x](javascript:alert(1))",
    "[x](JavaScript:alert(1))",
    "[x](java\tscript:alert(1))",
    "[x](<java script:alert(1)>)",
    "[x](&#106;avascript:alert(1))",
    "[x](&#x6A;&#x61;vascript:alert(1))",
    "[x](javascript&colon;alert(1))",
    "[x](java&#x09;script:alert(1))",
    "[x]( javascript:alert(1))",
    "[x](\x01javascript:alert(1))",
    "[x](%6Aavascript:alert(1))",
    "[x](vbscript:msgbox(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[x](file:///etc/passwd)",
    "[x](//evil.example/)",
    "[x](\\\\evil.example\\share)",
    "![x](javascript:alert(1))",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "<javascript:alert(1)>",
    "<vbscript:msgbox(1)>",
    "[x][ref]\n\n[ref]: javascript:alert(1)",
    '[x](/ok "title\\" onmouseover=\\"alert(1)")',
    '[x](/ok "a" onclick="alert(1)")',
    "![x\" onerror=\"alert(1)](/i.png)",
    "```python\" onclick=\"alert(1)\n<script>x</script>\n```",
    "`<script>alert(1)</script>`",
    "> <script>alert(1)</script>",
    "| a |\n|---|\n| <img src=x onerror=alert(1)> |",
    "[<img src=x onerror=alert(1)>](/ok)",
    "*<svg/onload=alert(1)>*",
]


@pytest.mark.parametrize("text", ATTACKS)
def test_an_attack_renders_harmless(text: str) -> None:
    html = render_markdown(text)
    assert_harmless(html)
    assert "<script" not in html.lower() and "<svg" not in html.lower()
    assert "<iframe" not in html.lower() and "<style" not in html.lower()


def test_good_links_stay_links() -> None:
    html = render_markdown(
        "[a](https://example.org/x?y=1) [b](http://example.org) [c](mailto:me@example.org) "
        "[d](/expenses/3) [e](#totals) [f](report.html) [g](?page=2) ![h](/static/a.png)")
    assert links_of(html) == [
        "https://example.org/x?y=1", "http://example.org", "mailto:me@example.org",
        "/expenses/3", "#totals", "report.html", "?page=2", "/static/a.png"]


def test_text_over_the_limit_is_refused_with_a_413() -> None:
    with pytest.raises(MarkdownTooLarge, match="200,001 characters long.*at most 200,000"):
        render_markdown("x" * (MAX_CHARS + 1))
    assert issubclass(MarkdownTooLarge, PayloadTooLarge)
    assert render_markdown("x" * 10, max_chars=10) == "<p>xxxxxxxxxx</p>\n"

    app = App("markdown-limit")

    @app.get("/")
    def index() -> Any:
        return Page("Preview")

    @app.post("/preview")
    def preview(text: str) -> Any:
        return Markdown(text, max_chars=1000)

    with Client(app) as client:
        client.get("/")  # the session, and its CSRF token
        assert client.post("/preview", data={"text": "**hi**"}, hx=True).text.startswith(
            '<div class="markdown"><p><strong>hi</strong>')
        answer = client.post("/preview", data={"text": "y" * 1001})
        assert answer.status_code == 413
        assert "1,001 characters" in answer.text


@pytest.mark.parametrize("unit", ["[", "*a", "_a*b", "[a](b", "<a ", "> ", "- [", "&#x41;",
                                  "`", "\\", "|a"])
def test_hostile_input_at_the_limit_renders_in_bounded_time(unit: str) -> None:
    text = unit * (MAX_CHARS // len(unit))
    started = time.perf_counter()
    html = render_markdown(text)
    took = time.perf_counter() - started
    # markdown-it-py is linear on these (about 10 us a character at worst here, where a
    # quadratic parser would take minutes); the bound leaves room for a slow machine.
    assert took < 30, f"{unit!r} * {len(text) // len(unit)} took {took:.1f} s"
    assert "<script" not in html


def test_the_stylesheet_colours_code_in_light_and_dark() -> None:
    css = (STATIC / "ui" / "markdown.css").read_text(encoding="utf-8")
    html = render_markdown("```python\nimport os  # c\nprint('s', 1)\n```")
    used = {cls for _, attrs in tags_of(html) for cls in str(attrs.get("class")).split()
            if cls.startswith("hl-")}
    assert {"hl-kn", "hl-c1", "hl-s1", "hl-mi"} <= used
    for cls in ("hl-kn", "hl-c1", "hl-s1", "hl-mi"):
        for scope in (":root", ':root:not([data-theme="light"])', ':root[data-theme="dark"]'):
            assert f"{scope} pre.hl .{cls} {{" in css, (scope, cls)


def test_install_puts_the_stylesheet_on_every_page_once() -> None:
    app = App("markdown-page")
    install(app)
    install(app)

    @app.get("/")
    def index() -> Any:
        return Page("Notes", Markdown("# Hi"))

    with Client(app) as client:
        page = client.get("/").text
        assert page.count("/_appkit/ui/markdown.css?v=") == 1
        href = page.split('href="/_appkit/ui/markdown.css', 1)[1].split('"', 1)[0]
        css = client.get("/_appkit/ui/markdown.css" + href)
        assert css.status_code == 200 and "pre.hl" in css.text
