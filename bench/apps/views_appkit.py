"""The views benchmark's app (bench/views.py): a view that shows a line and awaits a click,
then another; ``/stats`` says how many views run, how many steps ran and the threads."""

from __future__ import annotations

import threading
from typing import Any

from appkit import App
from appkit.html import Button, P
from appkit.live import LiveSettings, View

# Many pages of one benchmark user would hit the per-user bounds: raise them.
app = App("bench-views", extensions=[LiveSettings(pages_per_user=100_000)])
steps = {"started": 0, "clicked": 0}


@app.view("/ask")
async def ask(view: View) -> None:
    steps["started"] += 1
    await view.click(Button("Go"), show=P("Waiting for you"))
    steps["clicked"] += 1
    await view.click(Button("Again"), show=P("Clicked"))


@app.get("/stats")
def stats() -> Any:
    return {"views": len(app.views), **steps, "threads": threading.active_count()}
