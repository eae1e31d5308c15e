"""The examples of docs/views.md run and do what the page says."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable

import pytest

from appkit.testing import Client
from tests.appkit.live.pages import view_answer as answer
from tests.appkit.live.pages import view_id
from tests.appkit.live.test_docs_examples import run_blocks

ROUTE = "/_appkit-view"




def wait_for(check: Callable[[], bool], within: float = 20.0) -> None:
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, "it did not happen in time"
        time.sleep(0.05)


def test_the_views_of_views_md(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="views")
    docs = run_blocks("views.md")
    app = docs["app"]
    with Client(app) as client, Client(app) as other:
        vid = view_id(client.get("/").text)
        assert answer(client, vid, 1, "submit", name="Ann", age="old").status_code == 422
        assert "Hello Ann, 30!" in answer(client, vid, 1, "submit", name="Ann", age="30").text
        assert "Who are you?" in answer(client, vid, 2, "0").text             # again

        vid = view_id(client.get("/count").text)
        view = app.views._views[vid]
        wait_for(lambda: ">Done</button>" in str(view.render()))
        assert "step 1\nstep 2\nstep 3\nstep 4\nstep 5\n" in str(view.render())

        vid = view_id(client.get("/counter").text)
        assert view_id(client.get("/counter").text) == vid                  # one per user
        assert "Count: 1" in answer(client, vid, 1, "0").text
        assert "Count: 0" in other.get("/counter").text                    # their own
        assert re.findall(r"<li>(\w+) ", client.get("/running").text) == [
            "Hello", "Count", "Counter"]

        vid = view_id(client.get("/photo").text)
        assert answer(client, vid, 1, "submit").status_code == 422           # no file
        sent = client.post(ROUTE, data={"_v": vid, "_s": "1", "_k": "submit"},
                           files={"picture": ("me.png", b"\x89PNG", "image/png")},
                           headers={"HX-Request": "true"})
        assert "me.png: 4 bytes, no caption" in sent.text

        page = client.get("/count-down").text
        vid = view_id(page)
        assert "100 to go" in page and ">Stop</button>" in page
        stopped = answer(client, vid, 0, "cancel")                       # the Stop button
        assert ">Stopped</p>" in stopped.text

        vid = view_id(client.get("/careful").text)
        assert other.post(f"/running/{vid}/close").status_code < 300     # not theirs:
        assert not caplog.messages                                       # nothing
        assert client.post(f"/running/{vid}/close").status_code < 300
        wait_for(lambda: "cleaned up" in caplog.messages)
        assert caplog.messages[-2:] == ["closed: stopped", "cleaned up"]
