"""Markdown rendered on the server, with code highlighted, safe for what users type.

    from appkit.ui.markdown import Markdown, install

    install(app)                      # the highlighting stylesheet on every page
    Markdown("# Notes\\n\\n```python\\nprint('hi')\\n```")

CommonMark (markdown-it-py) with tables and strikethrough; fenced code blocks that name a
language are highlighted by Pygments into ``<span class="hl-...">`` classes, coloured by
``/_appkit/ui/markdown.css`` (light and dark). Raw HTML in the text is shown as text, and
only links to ``http:``, ``https:``, ``mailto:`` and addresses of the app itself (relative
ones, ``#anchors``) are made: ``javascript:``, ``data:`` and every other scheme stay text.
"""

from __future__ import annotations

import re
from functools import lru_cache
from html import escape
from typing import Any

from markdown_it import MarkdownIt
from pygments import highlight as pygments_highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.styles import get_style_by_name
from pygments.util import ClassNotFound

from appkit.errors import PayloadTooLarge
from appkit.html import Div, Element, Link, Safe
from appkit.ui._assets import asset_url, install_head

__all__ = ["Markdown", "MarkdownTooLarge", "assets", "highlight_css", "install", "render_markdown"]

#: The longest text ``Markdown`` renders by default (characters).
MAX_CHARS = 200_000
#: The classes Pygments' tokens get (``hl-k`` for a keyword): prefixed, so no other
#: stylesheet's short class names (``.c``, ``.s``) colour them by accident.
CLASS_PREFIX = "hl-"
LIGHT_STYLE = "default"
DARK_STYLE = "github-dark"

_SCHEME = re.compile(r"^\s*([a-zA-Z][a-zA-Z0-9+.-]*):")
_ALLOWED_SCHEMES = frozenset({"http", "https", "mailto"})
_LANGUAGE = re.compile(r"^[\w+#.-]{1,40}$")
# Code blocks longer than this are shown plain: Pygments' lexers are regular expressions,
# and a few of them slow down badly on long crafted input.
_HIGHLIGHT_LIMIT = 100_000


class MarkdownTooLarge(PayloadTooLarge):
    """The text is longer than ``Markdown`` was allowed to render (answered 413 when it
    escapes a handler)."""


def _link_allowed(url: str) -> bool:
    """Only web and mail addresses, and the app's own (relative) ones. Browsers ignore
    control characters and spaces inside a scheme (``java\\tscript:``): they are removed
    before the scheme is read."""
    cleaned = re.sub(r"[\x00-\x20\x7f]", "", url)
    if cleaned.startswith("//"):  # another host, without a scheme
        return False
    scheme = _SCHEME.match(cleaned)
    if scheme is None:
        return ":" not in cleaned.split("/", 1)[0] and "\\" not in cleaned
    return scheme.group(1).lower() in _ALLOWED_SCHEMES


def _highlight(code: str, language: str, attrs: Any) -> str:
    language = language.strip().lower()
    if not language or not _LANGUAGE.match(language) or len(code) > _HIGHLIGHT_LIMIT:
        return ""  # markdown-it escapes it in a plain <pre><code>
    try:
        lexer = get_lexer_by_name(language, stripnl=False, ensurenl=False)
    except ClassNotFound:
        return ""
    body = pygments_highlight(code, lexer, _formatter())
    return (f'<pre class="hl"><code class="language-{escape(language, quote=True)}">'
            f"{body}</code></pre>\n")


@lru_cache(maxsize=1)
def _formatter() -> HtmlFormatter[str]:
    return HtmlFormatter(nowrap=True, classprefix=CLASS_PREFIX)


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "highlight": _highlight})
    md.enable(["table", "strikethrough"])
    md.validateLink = _link_allowed  # type: ignore[method-assign]
    return md


def render_markdown(text: str, *, max_chars: int = MAX_CHARS) -> str:
    """``text`` as HTML (a string); see ``Markdown``.

    Raises:
        MarkdownTooLarge: ``text`` is longer than ``max_chars``.
    """
    if len(text) > max_chars:
        raise MarkdownTooLarge(
            f"The text is {len(text):,} characters long; Markdown renders at most "
            f"{max_chars:,}: shorten it, or pass max_chars=... to allow more")
    return _parser().render(text)


def Markdown(text: str, *, max_chars: int = MAX_CHARS, **attrs: Any) -> Element:
    """A ``<div class="markdown">`` holding ``text`` rendered from Markdown.

    Safe for text a user typed: raw HTML shows as text, and links or images to anything
    but ``http:``, ``https:``, ``mailto:`` or the app's own addresses stay text. Fenced code
    blocks that name a language (```` ```python ````) are highlighted; ``install(app)``
    adds the colours to the app's pages. ``attrs`` go on the ``<div>`` (``id``, ``cls``...).

    Raises:
        MarkdownTooLarge: ``text`` is longer than ``max_chars`` (200,000 by default);
            a 413 answer when it escapes a handler.
    """
    classes = ["markdown", attrs.pop("cls", None)]
    return Div(Safe(render_markdown(text, max_chars=max_chars)),
               cls=" ".join(c for c in classes if c), **attrs)


def highlight_css(light: str = LIGHT_STYLE, dark: str = DARK_STYLE) -> str:
    """The stylesheet for highlighted code: Pygments' ``light`` style, and its ``dark``
    one when the system is dark (unless the page says ``data-theme="light"``) or the page
    says ``data-theme="dark"``. ``appkit/static/ui/markdown.css`` holds it for the
    default styles (``scripts/highlight_css.py`` writes it)."""

    def rules(style: str, scope: str) -> str:
        formatter = HtmlFormatter(style=get_style_by_name(style), classprefix=CLASS_PREFIX)
        # The block's own colours and the tokens'; not the line numbers nor highlighted
        # lines (not used), nor the rule for every <pre> of the page.
        return "\n".join(line for line in formatter.get_style_defs(f"{scope} pre.hl")
                         .splitlines() if line.startswith(f"{scope} pre.hl ")
                         and ".hll" not in line)

    dark_auto = rules(dark, ':root:not([data-theme="light"])')
    return "\n".join([
        f"/* Generated by scripts/highlight_css.py from Pygments' {light!r} and {dark!r}"
        " styles. */",
        ".markdown pre.hl { padding: 0.75rem 1rem; overflow: auto; border-radius: 4px; }",
        ".markdown table { width: auto; }",
        "pre.hl code { background: transparent; color: inherit; padding: 0; }",
        rules(light, ":root"),
        "@media (prefers-color-scheme: dark) {",
        dark_auto,
        "}",
        rules(dark, ':root[data-theme="dark"]'),
        "",
    ])


def assets(app: Any) -> list[Element]:
    """The stylesheet a page with ``Markdown`` needs (for an extension's head)."""
    return [Link(rel="stylesheet", href=asset_url(app, "ui/markdown.css"))]


def install(app: Any) -> None:
    """Give every full page of ``app`` the highlighting stylesheet (once; calling it again
    adds nothing)."""
    install_head(app, "markdown", assets)
