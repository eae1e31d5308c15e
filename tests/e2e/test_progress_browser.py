"""JobProgress in real Chromium: a real job's progress, message and state change in the page
as the worker reports them (through the hub, no reload, no dashboard), then its result."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.appkit.ui.test_progress import make_app, wait_for

pytestmark = pytest.mark.browser


def test_the_widget_follows_a_run_to_its_end(live_server: Callable[[Any], str], page: Page,
                                             tmp_path: Path) -> None:
    app = make_app()
    url = live_server(app)
    run_id = app.jobs.enqueue("step_through", {"folder": str(tmp_path)})
    wait_for(lambda: app.jobs.get(run_id).progress == 0.3, "the first progress")
    page.goto(f"{url}runs/{run_id}")
    widget = page.get_by_role("status")
    bar = page.get_by_role("progressbar", name="Import")
    expect(bar).to_have_attribute("value", "0.3")
    expect(widget).to_contain_text("Running")
    expect(widget).to_contain_text("reading lines")
    page.evaluate("window.loadedOnce = true")

    (tmp_path / "go").touch()
    expect(bar).to_have_attribute("value", "0.6")
    expect(widget).to_contain_text("line 60 of 100")
    expect(widget).to_contain_text("60 %")

    (tmp_path / "end").touch()
    expect(widget).to_contain_text("Done")
    expect(widget).to_contain_text("{'imported': 100}")
    expect(page.locator(f"#appkit-job-{run_id} [data-status]")).to_have_attribute(
        "data-status", "completed")
    assert page.evaluate("window.loadedOnce") is True      # no reload: the hub morphed it
