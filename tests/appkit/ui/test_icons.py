"""appkit.ui.icons: Lucide's icons by name, inline, only those a page uses."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from appkit.html import render
from appkit.ui import Icon, UIError, UnknownIcon, icon_names

DATA = Path(__file__).resolve().parents[3] / "appkit" / "static" / "vendor" / "lucide-icons.json"


def test_an_icon_is_its_lucide_drawing_inline() -> None:
    html = render(Icon("trash"))
    assert html.startswith('<svg class="appkit-icon" width="1.15em" height="1.15em" '
                           'viewBox="0 0 24 24" fill="none" stroke="currentColor"')
    drawing = json.loads(DATA.read_text())["icons"]["trash"]
    assert re.findall(r'<path d="([^"]+)">', html) == [attrs["d"] for _, attrs in drawing]
    # Beside its text it says nothing to a screen reader.
    assert 'aria-hidden="true"' in html and "role=" not in html


def test_every_shape_kind_renders() -> None:
    icons = json.loads(DATA.read_text())["icons"]
    kinds: dict[str, tuple[str, dict[str, str]]] = {}
    for name, shapes in icons.items():
        for tag, attrs in shapes:
            kinds.setdefault(tag, (name, attrs))
    assert set(kinds) == {"path", "circle", "rect", "line", "polyline", "ellipse"}
    for tag, (name, attrs) in kinds.items():
        shown = " ".join(f'{k}="{v}"' for k, v in attrs.items())
        assert f"<{tag} {shown}></{tag}>" in render(Icon(name)), (tag, name)


def test_old_names_are_aliases() -> None:
    assert render(Icon("trash-2")) == render(Icon("trash"))
    assert "alert-circle" in icon_names() and "circle-alert" in icon_names()
    assert len(icon_names()) > 2000


def test_a_label_makes_it_an_image_with_a_name_and_is_escaped() -> None:
    html = render(Icon("x", label='Close "<b>"'))
    assert 'role="img"' in html and 'aria-label="Close &quot;&lt;b&gt;&quot;"' in html
    assert "<title>Close &quot;&lt;b&gt;&quot;</title>" in html or (
        "<title>Close \"&lt;b&gt;\"</title>" in html)
    assert "<b>" not in html and "aria-hidden" not in html


def test_size_and_attributes() -> None:
    assert 'width="20px" height="20px"' in render(Icon("x", size=20))
    assert 'width="2rem"' in render(Icon("x", size="2rem"))
    assert 'class="appkit-icon big"' in render(Icon("x", cls="big"))
    assert 'stroke-width="1.5"' in render(Icon("x", stroke_width=1.5))
    for bad in (True, 2.5, ["1em"]):
        with pytest.raises(UIError, match="size"):
            Icon("x", size=bad)  # type: ignore[arg-type]


def test_an_unknown_name_says_the_close_ones() -> None:
    with pytest.raises(UnknownIcon) as caught:
        Icon("trashcan")
    message = str(caught.value)
    assert "No icon is called 'trashcan'" in message and "trash" in message
    assert isinstance(caught.value, LookupError)
    with pytest.raises(UnknownIcon, match="close: .*settings"):
        Icon("setings")
    with pytest.raises(UnknownIcon, match="'calendar-week-view'; close: .*calendar"):
        Icon("calendar-week-view")  # a word of the name is an icon's word


def test_hostile_names_are_refused_not_rendered() -> None:
    for name in ('"><script>alert(1)</script>', "../../etc/passwd", "", "x" * 10_000):
        with pytest.raises(UnknownIcon) as caught:
            Icon(name)
        assert len(str(caught.value)) < 400
    with pytest.raises(UIError, match="string"):
        Icon(None)  # type: ignore[arg-type]


def test_only_the_icons_used_are_sent() -> None:
    html = render(Icon("trash"))
    assert len(html) < 700  # one icon is a few hundred bytes, not the 0.5 MB set
    assert render(Icon("plus")) not in html
