"""A component whose handler is an async generator streams its renders over the page's
socket; other events run between its steps; it stops when the page goes away; over HTTP it
runs to its end."""

from __future__ import annotations

import asyncio
import json
import re
import time
from typing import Any

from appkit import App
from appkit.html import P, Page
from appkit.live import Component, handler
from tests.appkit.live.pages import LivePage, frames, live_client

ROUTE = "/_appkit-component"
STEPS: list[int] = []


class Progress(Component):
    done: int = 0
    stopped: bool = False

    @handler
    async def run(self, steps: int = 20, pause: float = 0.02) -> Any:
        for n in range(1, steps + 1):
            if self.stopped:
                return
            await asyncio.sleep(pause)
            self.done = n
            STEPS.append(n)
            yield

    @handler
    def stop(self) -> None:
        self.stopped = True

    def render(self) -> Any:
        return P(f"{self.done} done", id=f"{self.id}-done")


def progress_app() -> App:
    app = App("stream")

    @app.get("/")
    def index() -> Any:
        return Page("Progress", Progress.mount())

    return app


def token(html: str) -> str:
    found = re.search(r'data-component="Progress" hx-vals="([^"]*)"', html)
    assert found is not None
    return str(json.loads(found.group(1).replace("&quot;", '"'))["_c"])


def ev(ref: int, tok: str, name: str, **d: Any) -> str:
    return json.dumps({"t": "ev", "ref": ref, "route": ROUTE, "d": {"_c": tok, "_h": name, **d}})


def test_steps_arrive_as_they_happen_and_the_reply_ends_it() -> None:
    with live_client(progress_app()) as client:
        page = LivePage(client)
        tok = token(page.html)
        ws = page.connect()
        frames(ws, 1)
        ws.send_text(ev(1, tok, "run", steps=10))
        seen = []
        while True:
            frame = json.loads(ws.receive_text())
            if frame["t"] == "ops":
                seen.append(frame["ops"][0]["html"])
            if frame["t"] == "reply" and frame["ref"] == 1:
                break
        assert seen and "10 done" in seen[-1]
        assert len(seen) >= 2                            # more than the end: it streamed


def test_another_event_runs_between_steps() -> None:
    with live_client(progress_app()) as client:
        page = LivePage(client)
        tok = token(page.html)
        ws = page.connect()
        frames(ws, 1)
        ws.send_text(ev(1, tok, "run", steps=200, pause=0.02))
        time.sleep(0.2)
        ws.send_text(ev(2, tok, "stop"))
        replies: dict[int, Any] = {}
        shown = ""
        while len(replies) < 2:
            frame = json.loads(ws.receive_text())
            if frame["t"] == "reply":
                replies[frame["ref"]] = frame
            for op in frame.get("ops", []):
                shown = op["html"]
        assert replies[1]["ok"] is True and replies[2]["ok"] is True
        done = int(re.search(r"(\d+) done", shown).group(1))  # type: ignore[union-attr]
        assert 0 < done < 200


def test_it_stops_when_the_page_goes_away() -> None:
    STEPS.clear()
    with live_client(progress_app()) as client:
        page = LivePage(client)
        tok = token(page.html)
        ws = page.connect()
        frames(ws, 1)
        ws.send_text(ev(1, tok, "run", steps=500, pause=0.01))
        time.sleep(0.2)
        ws.close()
        time.sleep(0.5)
        ran = len(STEPS)
        time.sleep(0.3)
        assert len(STEPS) == ran < 500                   # stopped, not still running


def test_over_http_it_runs_to_its_end() -> None:
    with live_client(progress_app()) as client:
        tok = token(client.get("/").text)
        answer = client.post(ROUTE, data={"_c": tok, "_h": "run", "steps": "5", "pause": "0"},
                             headers={"HX-Request": "true"})
        assert answer.status_code == 200 and "5 done" in answer.text
