"""docs/ui.md's examples run, and what they build renders."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from appkit.html import Element, render

PAGE = Path(__file__).resolve().parents[3] / "docs" / "ui.md"
BLOCKS = re.findall(r"^```python\n(.*?)^```", PAGE.read_text(encoding="utf-8"),
                    re.MULTILINE | re.DOTALL)


@pytest.mark.parametrize("number", range(len(BLOCKS)))
def test_the_example_runs(number: int) -> None:
    namespace: dict[str, object] = {"__name__": f"docs_ui_{number}"}
    exec(compile(BLOCKS[number], f"docs/ui.md block {number + 1}", "exec"), namespace)  # noqa: S102
    built = [value for value in namespace.values() if isinstance(value, Element)]
    for element in built:
        assert render(element)


def test_the_page_has_examples() -> None:
    assert len(BLOCKS) >= 9
