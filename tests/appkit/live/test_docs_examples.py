"""The examples of docs/components.md and docs/forms.md run and do what the pages say."""

from __future__ import annotations

import json
import re
import sys
import types
from pathlib import Path
from typing import Any

from tests.appkit.live.pages import live_client

DOCS = Path(__file__).resolve().parents[3] / "docs"
FENCE = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)


def run_blocks(page: str) -> dict[str, Any]:
    """Run the page's Python blocks in order, in a module of their own."""
    module = types.ModuleType(f"docs_{page.replace('.', '_')}")
    sys.modules[module.__name__] = module  # dataclasses look their module up
    for block in FENCE.findall((DOCS / page).read_text(encoding="utf-8")):
        exec(compile(block, f"docs/{page}", "exec"), module.__dict__)  # noqa: S102
    return module.__dict__


def token(html: str, name: str) -> str:
    found = re.search(rf'data-component="{name}" hx-vals="([^"]*)"', html)
    assert found is not None, html
    return str(json.loads(found.group(1).replace("&quot;", '"'))["_c"])


def test_the_counter_of_components_md() -> None:
    docs = run_blocks("components.md")
    with live_client(docs["app"]) as client:
        html = client.get("/").text
        assert re.search(r'-count">3</p>', html)
        answer = client.post("/_appkit-component", data={
            "_c": token(html, "Counter"), "_h": "increment", "by": "1"})
        assert re.search(r'-count">4</p>', answer.text)


def test_the_expense_form_of_forms_md() -> None:
    docs = run_blocks("forms.md")
    with live_client(docs["app"]) as client:
        assert 'name="amount"' in client.get("/expenses/new").text
        bad = client.post("/expenses", data={"day": "2024-02-30", "amount": "-1",
                                             "category": "food"})
        assert bad.status_code == 422 and "Not a valid date" in bad.text
        good = client.post("/expenses", data={"day": "2024-02-03", "amount": "5",
                                              "category": "food"}, follow_redirects=False)
        assert good.status_code in (302, 303)
        html = client.get("/").text
        bad_live = client.post("/_appkit-component", data={
            "_c": token(html, "NewExpense"), "_h": "change", "touched": "amount",
            "amount": "zero"})
        assert "Not a valid decimal number" in bad_live.text
