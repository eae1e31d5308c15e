"""The app shell and the layout pieces: ``Shell``, ``NavItem``, ``Card``, ``Grid``,
``Group``, ``Toolbar`` and ``ToolButton``.

``Shell`` lays a page out as a desktop tool's window: a title and tool bar at the top, the
sidebar's navigation on the left (the current page marked), the content in the rest of the
window's width, and a status bar at the bottom.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from appkit.html import (
    H2,
    A,
    Article,
    Aside,
    Button,
    Div,
    Element,
    Footer,
    Header,
    Li,
    Main,
    Nav,
    Span,
    Strong,
    Title,
    Ul,
)
from appkit.ui._checks import css_length, needs_kit, text
from appkit.ui.errors import UIError
from appkit.ui.icons import Icon

__all__ = ["Card", "Grid", "Group", "NavItem", "Shell", "ThemeToggle", "ToolButton",
           "Toolbar"]


class NavItem:
    """An entry of ``Shell``'s sidebar: a link with an optional icon and badge.

    Args:
        label: the link's text.
        href: where it leads: a path, a URL or a route handler.
        icon: an icon's name (``"house"``), drawn before the label.
        badge: something short after the label (a count: ``Badge(3)``).
    """

    __slots__ = ("label", "href", "icon", "badge")

    def __init__(self, label: str, href: Any, *, icon: str | None = None,
                 badge: Any = None) -> None:
        self.label = text(label, "A navigation item's label")
        self.href = href
        self.icon = icon
        self.badge = badge
        if icon is not None:
            Icon(icon)  # an unknown name fails here, where it was written

    @property
    def url(self) -> str:
        """The link's URL as a string (a route handler's URL, or ``href`` itself)."""
        return _url(self.href)

    def render(self, current: str | None) -> Element:
        """The sidebar's ``<li>``; ``aria-current="page"`` when its URL is ``current``."""
        here = current is not None and self.url == current
        return Li(A(Icon(self.icon) if self.icon else None,
                    Span(self.label, cls="appkit-nav-label"),
                    self.badge, href=self.url, aria_current="page" if here else None))

    def __repr__(self) -> str:
        return f"NavItem({self.label!r}, {self.url!r})"


def _url(target: Any) -> str:
    """A path, a URL or a route handler (without path parameters) as a string."""
    url = getattr(target, "url", None)
    return str(url()) if callable(url) else str(target)


def ThemeToggle(*, label: str = "Dark theme") -> Element:  # noqa: N802
    """A button that switches the page between light and dark at once (no reload) and
    remembers the choice for the user (a cookie; needs ``UISettings`` on the app).

    It shows as pressed while the page is dark. An element with
    ``data-appkit-theme="light"``, ``"dark"`` or ``"system"`` sets that theme instead.
    """
    return Button(Icon("moon", cls="appkit-theme-dark-icon"),
                  Icon("sun", cls="appkit-theme-light-icon"),
                  type="button", cls="appkit-tool appkit-theme-toggle", aria_label=label,
                  title=label, aria_pressed="false", data_appkit_theme="toggle")


def Shell(*content: Any, title: str, nav: Sequence[NavItem | Element] = (),  # noqa: N802
          current: Any = None, toolbar: Iterable[Any] = (),
          status: Iterable[Any] = (), brand: Any = None, theme_toggle: bool = True,
          nav_label: str = "Pages", sidebar_width: str | int = "13rem",
          **main_attrs: Any) -> tuple[Element, Element]:
    """A page laid out as a desktop tool: tool bar, sidebar, content and status bar.

    Returned from a handler, like ``Page``: the title goes into ``<head>`` (the window's
    title) and the shell fills the window. The content area takes the whole width left by
    the sidebar and scrolls by itself; the bars stay in place.

    Args:
        content: the page's content.
        title: the page's title (``<title>``, and in the tool bar unless ``brand`` is given).
        nav: the sidebar's entries: ``NavItem``s, or any element (a heading between them).
            No entries, no sidebar.
        current: the URL of the page shown (a string, or the page's route handler); the
            ``NavItem`` with that URL is marked as the current page (``aria-current="page"``).
        toolbar: buttons and menus for the tool bar (``ToolButton``, ``Dropdown``...).
        status: what the status bar shows (text, ``Badge``, ``ProgressBar``...). Nothing,
            no status bar.
        brand: what the tool bar shows on its left (the app's name); ``title`` if None.
        theme_toggle: put a ``ThemeToggle`` at the tool bar's right end.
        nav_label: what the sidebar is called to a screen reader.
        sidebar_width: the sidebar's width, a CSS length.
        main_attrs: attributes of the content's ``<main>`` (an ``id`` is ``appkit-main``
            unless given).

    Raises:
        UIError: a title that is not text, a sidebar width that is not a CSS length.
    """
    text(title, "A shell's title")
    needs_kit("Shell")
    width = css_length(sidebar_width, "sidebar_width")
    here = None if current is None else _url(current)
    items = list(nav)
    for item in items:
        if not isinstance(item, NavItem | Element):
            raise UIError(f"nav= takes NavItem(...) entries or elements, not {item!r:.60}")
    bar = Header(
        Strong(brand if brand is not None else title, cls="appkit-shell-brand"),
        Div(*toolbar, cls="appkit-shell-tools"),
        ThemeToggle() if theme_toggle else None,
        cls="appkit-shell-bar",
    )
    sidebar = None
    if items:
        sidebar = Aside(Nav(Ul(*[item.render(here) if isinstance(item, NavItem)
                                 else Li(item, cls="appkit-nav-extra") for item in items]),
                            aria_label=nav_label), cls="appkit-shell-nav")
    main_attrs.setdefault("id", "appkit-main")
    extra = main_attrs.pop("cls", None)
    main = Main(*content, cls=["appkit-shell-main", extra], **main_attrs)
    statuses = list(status)
    footer = (Footer(*[Span(s, cls="appkit-status-item") for s in statuses],
                     cls="appkit-shell-status", role="status") if statuses else None)
    shell = Div(bar, sidebar, main, footer,
                cls={"appkit-shell": True, "appkit-shell-no-nav": sidebar is None},
                style=f"--appkit-sidebar-width: {width}")
    return Title(title), shell


def Card(*body: Any, title: Any = None, footer: Any = None, **attrs: Any  # noqa: N802
         ) -> Element:
    """A card: a bordered panel with an optional title and footer (``<article>``)."""
    extra = attrs.pop("cls", None)
    return Article(
        Header(H2(title, cls="appkit-card-title")) if title is not None else None,
        *body,
        Footer(footer) if footer is not None else None,
        cls=["appkit-card", extra], **attrs)


def Grid(*children: Any, min: str | int = "16rem", **attrs: Any) -> Element:  # noqa: N802, A002
    """Children in a responsive grid: as many columns as fit, each at least ``min`` wide
    (a CSS length), all of one width; fewer columns in a narrower window."""
    extra = attrs.pop("cls", None)
    return Div(*children, cls=["appkit-grid", extra],
               style=f"--appkit-grid-min: {css_length(min, 'A grid’s min')}", **attrs)


def Group(*children: Any, **attrs: Any) -> Element:  # noqa: N802
    """Controls side by side in one row (an input and its button, a set of buttons),
    wrapping when the row is too narrow (``role="group"``)."""
    extra = attrs.pop("cls", None)
    return Div(*children, cls=["appkit-group", extra], role="group", **attrs)


def Toolbar(*children: Any, label: str = "Tools", **attrs: Any) -> Element:  # noqa: N802
    """A row of tool buttons (``role="toolbar"``): the arrow keys move between them."""
    extra = attrs.pop("cls", None)
    return Div(*children, cls=["appkit-toolbar", extra], role="toolbar",
               aria_label=text(label, "A toolbar's label"), **attrs)


def ToolButton(label: str, *, icon: str | None = None, icon_only: bool = False,  # noqa: N802
               **attrs: Any) -> Element:
    """A compact button with an icon: ``ToolButton("Delete", icon="trash", hx_post=...)``.

    Args:
        label: the button's text; with ``icon_only``, its tooltip and what a screen reader
            says.
        icon: an icon's name.
        icon_only: show the icon alone.
        attrs: the button's attributes (``hx_post``, ``hx_confirm``, ``disabled``...);
            ``type`` is ``"button"`` unless given.
    """
    text(label, "A tool button's label")
    if icon_only and icon is None:
        raise UIError(f"ToolButton({label!r}, icon_only=True) needs an icon=")
    extra = attrs.pop("cls", None)
    attrs.setdefault("type", "button")
    if icon_only:
        attrs.setdefault("aria_label", label)
        attrs.setdefault("title", label)
    return Button(Icon(icon) if icon else None,
                  None if icon_only else Span(label, cls="appkit-tool-label"),
                  cls=["appkit-tool", extra], **attrs)
