"""docs/ui.md's examples run, and what they build renders."""

from __future__ import annotations

import re
import sys
import types
from pathlib import Path

import pytest

from appkit.html import Element, render

PAGE = Path(__file__).resolve().parents[3] / "docs" / "ui.md"
BLOCKS = re.findall(r"^```python\n(.*?)^```", PAGE.read_text(encoding="utf-8"),
                    re.MULTILINE | re.DOTALL)


@pytest.mark.parametrize("number", range(len(BLOCKS)))
def test_the_example_runs(number: int) -> None:
    # A module of its own, as a dataclass (the grid's rows) needs one to resolve its types.
    module = types.ModuleType(f"docs_ui_{number}")
    namespace: dict[str, object] = module.__dict__
    sys.modules[module.__name__] = module
    try:
        exec(compile(BLOCKS[number], f"docs/ui.md block {number + 1}", "exec"), namespace)  # noqa: S102
    finally:
        del sys.modules[module.__name__]
    built = [value for value in namespace.values() if isinstance(value, Element)]
    for element in built:
        assert render(element)


def test_the_page_has_examples() -> None:
    assert len(BLOCKS) >= 9
