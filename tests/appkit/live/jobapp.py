"""An app whose job publishes to the hub from its worker process (for test_bridge.py).
Its worker imports this module, which makes the same App there: a hub that serves no pages
and sends what it publishes to the app's server."""

from __future__ import annotations

from typing import Any

from appkit import App
from appkit.html import P, Page
from appkit.live import replace

app = App("live-jobs")


@app.task()
def report(name: str) -> str:
    app.hub.publish("reports", replace(P(f"{name} is ready", id="report")))
    return name


@app.get("/")
def index() -> Any:
    return Page("Reports", P("waiting", id="report"), app.hub.subscribe("reports"))
