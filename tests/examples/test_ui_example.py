"""examples/ui: the UI kit's tour answers its pages, each marking itself in the sidebar."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from appkit.testing import Client
from tests.examples.test_hello import load_example

TOUR = Path(__file__).resolve().parents[2] / "examples" / "ui" / "app.py"


@pytest.fixture(scope="module")
def tour() -> Iterator[ModuleType]:
    import sys

    module = load_example(TOUR, "_example_ui_under_test")
    yield module
    sys.modules.pop("_example_ui_under_test", None)


@pytest.mark.parametrize(("path", "label"), [("/", "Overview"), ("/items", "Items"),
                                             ("/settings", "Settings")])
def test_each_page_is_in_the_shell_and_marks_itself(tour: ModuleType, path: str,
                                                    label: str) -> None:
    with Client(tour.app) as client:
        page = client.get(path)
        assert page.status_code == 200
        assert "<title>Stockroom</title>" in page.text
        current = re.findall(r'<a href="([^"]+)" aria-current="page">.*?'
                             r'<span class="appkit-nav-label">([^<]+)</span>', page.text)
        assert current == [(path, label)]
        assert 'class="appkit-shell-status"' in page.text and "ui.css" in page.text
