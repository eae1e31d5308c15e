"""A job's worker process publishes through the app's hub: the page gets it, without
polling; a datagram without the server's key is dropped."""

from __future__ import annotations

import json
import secrets
import socket
from typing import Any

from appkit import App
from appkit.html import P, Page
from appkit.live import bridge, replace
from appkit.testing import Client
from tests.appkit.live.jobapp import app
from tests.appkit.live.pages import LivePage, frames, live_client


def test_a_job_publishes_to_the_pages_from_its_worker_process() -> None:
    with live_client(app) as client:
        page = LivePage(client, secrets.token_hex(16))
        ws = page.connect(topics={"reports": page.seq})
        assert frames(ws, 1)[0]["t"] == "welcome"
        run_id = app.jobs.enqueue("report", {"name": "May"})
        assert app.jobs.wait(run_id, 30).output == "May"
        (msg,) = frames(ws, 1)
        assert msg["topic"] == "reports" and msg["seq"] == 1
        assert msg["ops"] == [{"op": "morph", "target": "report",
                               "html": '<p id="report">May is ready</p>'}]
        ws.close()


def test_a_datagram_without_the_key_is_dropped(error_logs: list[Any]) -> None:
    with live_client(app) as client:
        where = json.loads((app.paths.runtime / bridge.FILE_NAME).read_text())
        page = LivePage(client, secrets.token_hex(16))
        ws = page.connect(topics={"reports": page.seq})
        frames(ws, 1)
        forged = {"key": "0" * 32, "topic": "reports",
                  "ops": [{"op": "morph", "target": "report", "html": "<p>forged</p>"}]}
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.sendto(json.dumps(forged).encode(), ("127.0.0.1", where["port"]))
            sock.sendto(b"not json", ("127.0.0.1", where["port"]))
        assert bridge.send(app.paths.runtime, "reports", [
            {"op": "morph", "target": "report", "html": '<p id="report">real</p>'}])
        (msg,) = frames(ws, 1)
        assert msg["ops"][0]["html"] == '<p id="report">real</p>'
        ws.close()
    assert not (app.paths.runtime / bridge.FILE_NAME).exists()   # removed at stop
    assert not error_logs


def test_without_a_server_a_publish_goes_nowhere() -> None:
    Client(app)  # no lifespan: no server of the app runs
    assert app.hub.publish("reports", *[]) == 0


def test_a_stopped_server_publishes_to_no_other_server_of_the_app() -> None:
    # A thread of a server that stopped (a dashboard's publisher, say) still publishes:
    # it goes nowhere, never to the next server of the app (the same runtime folder).
    before = App("live-twins")
    with live_client(before):
        pass
    after = App("live-twins")
    after.get("/")(lambda: Page("Reports", P("waiting", id="report"),
                               after.hub.subscribe("reports")))
    with live_client(after) as client:
        page = LivePage(client, secrets.token_hex(16))
        ws = page.connect(topics={"reports": page.seq})
        assert frames(ws, 1)[0]["t"] == "welcome"
        before.hub.publish("reports", replace(P("stale", id="report")))
        after.hub.publish("reports", replace(P("fresh", id="report")))
        (msg,) = frames(ws, 1)
        assert msg["ops"][0]["html"] == '<p id="report">fresh</p>'
        ws.close()
