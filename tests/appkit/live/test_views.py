"""Views that live on the server (``app.view``): code that awaits the user runs once, a cut
connection resumes where the view was, closing delivers ``ViewClosed`` and runs the
defers, daemon views are shared by one user's windows only, and bad events are refused."""

from __future__ import annotations

import asyncio
import gc
import json
import re
import secrets
import time
import tracemalloc
from dataclasses import dataclass
from typing import Any

import pytest

from appkit import App, ConfigurationError
from appkit.html import H2, Button, P, Pre
from appkit.live import LiveSettings, View, ViewClosed
from appkit.testing import Client
from tests.appkit.live.pages import (
    LivePage,
    frames,
    live_client,
    until_pong,
    view_id,
    wait_until,
)
from tests.appkit.live.pages import view_answer as post

ROUTE = "/_appkit-view"


@dataclass
class Name:
    name: str
    age: int


def make_app(**settings: Any) -> tuple[App, dict[str, list[Any]]]:
    app = App("views", extensions=[LiveSettings(**settings)])
    seen: dict[str, list[Any]] = {"ran": [], "closed": [], "defers": []}

    @app.view("/wizard", title="Wizard")
    async def wizard(view: View) -> None:
        view.defer(lambda: seen["defers"].append("first"))
        view.defer(lambda: seen["defers"].append("second"))
        try:
            seen["ran"].append(1)
            who = await view.submit(Name, show=H2("Who are you?"))
            seen["ran"].append(2)
            view.show(P(f"Hello {who.name}", id="hello"), Pre(id="log"))
            view.append("log", "line 1\n")
            yes = Button("Yes")
            answer = await view.click(yes, Button("No"))
            seen["ran"].append(3)
            view.show(P("You said " + ("yes" if answer is yes else "no"), id="said"))
        except ViewClosed as closed:
            seen["closed"].append(closed.reason)
            raise

    @app.view("/monitor", daemon=True, ttl=0.3, per_user=2)
    async def monitor(view: View) -> None:
        count = 0
        try:
            while True:
                plus, stop = Button("+1"), Button("Stop")
                if await view.click(plus, stop, show=P(f"Count {count}", id="count")) is stop:
                    view.show(P("Stopped", id="count"))
                    return
                count += 1
        except ViewClosed as closed:
            seen["closed"].append(closed.reason)
            raise

    @app.view("/nap")
    async def nap(view: View) -> None:
        view.show(P("napping"))
        try:
            await view.sleep(60)
        except Exception:           # noqa: BLE001 (what the test proves is not swallowed)
            seen["ran"].append("swallowed")
        finally:
            seen["closed"].append("nap")

    @app.view("/work")
    async def work(view: View) -> None:
        done = 0
        while not view.stopping and done < 100:
            view.show(P(f"{done} of 100", id="done"), view.cancel_button())
            await view.sleep(60)
            done += 1
        view.show(P(f"Stopped at {done}", id="done"))
        seen["ran"].append(done)

    @app.get("/running")
    async def running(request: Any) -> Any:
        return {"views": [[v.id, v.title, v.route] for v in await app.views.of(request)]}

    @app.post("/stop/{vid}")
    async def stop(request: Any, vid: str) -> Any:
        return {"stopped": await app.views.stop(vid, request)}

    return app, seen




def views(client: Client) -> Any:
    return client.app.views   # type: ignore[attr-defined]


def until_reply(ws: Any, ref: int) -> list[dict[str, Any]]:
    """The frames up to the reply to event ``ref``."""
    got: list[dict[str, Any]] = []
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for frame in until_pong(ws):
            got.append(frame)
            if frame["t"] == "reply" and frame["ref"] == ref:
                return got
        time.sleep(0.01)
    raise AssertionError(f"no reply to {ref}")


def open_view(client: Client, path: str, page_id: str | None = None) -> tuple[LivePage, Any, str]:
    page = LivePage(client, page_id or secrets.token_hex(16), path)
    vid = view_id(page.html)
    seq = int(re.search(rf'data-live-topic="view:{vid}" data-live-seq="(\d+)"',
                        page.html).group(1))  # type: ignore[union-attr]
    ws = page.connect(topics={f"view:{vid}": seq})
    assert frames(ws, 1)[0]["t"] == "welcome"
    return page, ws, vid


def test_a_view_asks_waits_and_goes_on_over_plain_http() -> None:
    app, seen = make_app()
    with live_client(app) as client:
        html = client.get("/wizard").text
        vid = view_id(html)
        assert "Who are you?" in html and 'name="age"' in html
        refused = post(client, vid, 1, "submit", name="Ann", age="old")
        assert refused.status_code == 422 and "age" in refused.text   # shown again
        assert 'value="Ann"' in refused.text                          # what was typed
        answered = post(client, vid, 1, "submit", name="Ann", age="30")
        assert answered.status_code == 200 and "Hello Ann" in answered.text
        assert "line 1" in answered.text and ">Yes</button>" in answered.text
        again = post(client, vid, 1, "submit", name="Bob", age="3")
        assert again.status_code == 409                               # that step is over
        done = post(client, vid, 2, "0")
        assert "You said yes" in done.text
        assert seen["ran"] == [1, 2, 3]                               # each step once
        assert seen["defers"] == ["second", "first"]                  # last first


def test_a_cut_connection_resumes_the_view_where_it_was_and_runs_nothing_again() -> None:
    app, seen = make_app()
    with live_client(app) as client:
        page, ws, vid = open_view(client, "/wizard")
        ws.send_text(json.dumps({"t": "ev", "ref": 1, "route": ROUTE, "d": {
            "_v": vid, "_s": 1, "_k": "submit", "name": "Ann", "age": "30"}}))
        got = until_reply(ws, 1)
        assert got[-1]["ok"] is True
        got += until_pong(ws)
        shown = [op["html"] for f in got if f["t"] == "msg" for op in f["ops"]]
        assert any("Hello Ann" in html for html in shown)
        last = max(f["seq"] for f in got if f["t"] == "msg")
        ws.close(1006)                                    # the network went away
        time.sleep(0.2)
        ws = page.connect(topics={f"view:{vid}": last - 1}, replied=1, sent=1,
                          resumed=True)
        got = until_pong(ws)
        assert got[0]["t"] == "welcome" and got[0]["seen"] == 1
        assert seen["ran"] == [1, 2]                      # nothing ran again
        assert any(f["t"] == "msg" and f["seq"] == last for f in got)   # what it missed
        assert post(client, vid, 2, "1").status_code == 200
        assert seen["ran"] == [1, 2, 3]


def test_closing_the_window_closes_its_view_and_runs_the_defers() -> None:
    app, seen = make_app(left_grace=0.05)
    with live_client(app) as client:
        _, ws, vid = open_view(client, "/wizard")
        assert len(views(client)) == 1
        ws.close(1001)
        assert wait_until(lambda: seen["defers"] == ["second", "first"])
        assert seen["closed"] == ["page_closed"] and seen["ran"] == [1]
        assert wait_until(lambda: len(views(client)) == 0)
        assert f"view:{vid}" not in app.hub.topics
        assert post(client, vid, 1, "submit", name="A", age="1").status_code == 410


def test_view_closed_gets_past_except_exception_and_a_sleep_ends_at_once() -> None:
    app, seen = make_app()
    with live_client(app) as client:
        html = client.get("/nap").text
        view = next(iter(views(client)._views.values()))
        assert view_id(html) == view.id
        started = time.monotonic()
        client.portal.call(_close, views(client), view)   # type: ignore[attr-defined]
        assert wait_until(lambda: seen["closed"] == ["nap"])
        assert time.monotonic() - started < 1.5          # not after the 2 s grace
        assert "swallowed" not in seen["ran"]


async def _close(registry: Any, view: View) -> None:
    registry.close(view, "stopped")


def test_a_daemon_is_one_users_in_all_their_windows_and_nobody_elses() -> None:
    app, seen = make_app()
    with live_client(app) as mine, live_client(app) as theirs:
        _, first, vid = open_view(mine, "/monitor")
        _, second, same = open_view(mine, "/monitor")
        assert same == vid
        _, _, other = open_view(theirs, "/monitor")
        assert other != vid
        first.send_text(json.dumps({"t": "ev", "ref": 1, "route": ROUTE, "d": {
            "_v": vid, "_s": 1, "_k": "0"}}))
        until_reply(first, 1)
        shown = [op["html"] for f in until_pong(second) if f["t"] == "msg"
                 for op in f["ops"]]
        assert any("Count 1" in html for html in shown)   # the other window sees it
        assert post(theirs, vid, 2, "0").status_code == 410   # not their view
        first.close(1001)
        second.close(1001)


def test_a_daemon_outlives_its_windows_until_its_ttl() -> None:
    app, seen = make_app(left_grace=0.05)
    with live_client(app) as client:
        _, ws, vid = open_view(client, "/monitor")
        assert post(client, vid, 1, "0").status_code == 200
        ws.close(1001)
        time.sleep(0.15)
        _, ws, again = open_view(client, "/monitor")     # reopened: the same, counting on
        assert again == vid and "Count 1" in client.get("/monitor").text
        ws.close(1001)
        assert wait_until(lambda: seen["closed"] == ["expired"])
        assert view_id(client.get("/monitor").text) != vid


def test_a_user_runs_at_most_per_user_daemons() -> None:
    app, _ = make_app()
    with live_client(app) as client:
        assert client.get("/monitor?n=1").status_code == 200
        assert client.get("/monitor?n=2").status_code == 200
        refused = client.get("/monitor?n=3")
        assert refused.status_code == 429 and "at most 2" in refused.text
        assert client.get("/monitor?n=1").status_code == 200   # a running one: fine
        vid = view_id(client.get("/monitor?n=2").text)
        assert post(client, vid, 1, "1").status_code == 200     # Stop
        assert wait_until(lambda: len(views(client)) == 2)      # it finished ...
        assert client.get("/monitor?n=3").status_code == 429    # ... and is still shown
        assert [vid, "Monitor", "/monitor"] in client.get("/running").json()["views"]
        assert client.post(f"/stop/{vid}").json() == {"stopped": True}
        assert client.post(f"/stop/{vid}").json() == {"stopped": False}
        assert client.get("/monitor?n=3").status_code == 200


@pytest.mark.parametrize("fields, status", [
    ({"_v": "nope", "_s": "1", "_k": "0"}, 410),
    ({"_s": "1", "_k": "0"}, 400),
    ({"_v": "x", "_s": "one", "_k": "0"}, 400),
])
def test_bad_events_are_refused(fields: dict[str, str], status: int) -> None:
    app, _ = make_app()
    with live_client(app) as client:
        client.get("/wizard")
        answer = client.post(ROUTE, data=fields, headers={"HX-Request": "true"})
        assert answer.status_code == status


def test_an_answer_the_view_does_not_wait_for_is_refused() -> None:
    app, seen = make_app()
    with live_client(app) as client:
        vid = view_id(client.get("/monitor").text)
        assert post(client, vid, 1, "7").status_code == 400
        assert post(client, vid, 0, "0").status_code == 409
        vid = view_id(client.get("/nap").text)
        assert post(client, vid, 0, "0").status_code == 409      # sleeping: not asking


def test_a_thousand_views_opened_and_closed_leave_no_trace() -> None:
    app, seen = make_app(left_grace=0.05)
    with live_client(app) as client:
        name = client.app.sessions.cookie_name   # type: ignore[attr-defined]
        registry = views(client)

        def cycle() -> None:
            page = LivePage(client, secrets.token_hex(16), "/wizard")
            vid = view_id(page.html)
            url = f"/_appkit-live?appkit-csrf={client.csrf_token()}"
            with client.websocket_connect(
                    url, headers={"cookie": f"{name}={client.cookies[name]}"}) as ws:
                ws.send_text(json.dumps({
                    "t": "hello", "v": 1, "build": page.config["build"],
                    "boot": page.config["boot"], "page": page.page_id,
                    "topics": {f"view:{vid}": 0}}))
                assert frames(ws, 1)[0]["t"] == "welcome"
                ws.close(1001)

        def settled() -> tuple[int, int, int]:
            assert wait_until(lambda: len(registry) == 0, within=30.0)
            gc.collect()
            tasks = client.portal.call(_tasks)   # type: ignore[attr-defined]
            return len(app.hub.topics), tasks, tracemalloc.get_traced_memory()[0]

        # Warm: caches, pools, and the tables of the registry's dicts, which keep the size
        # of the most views open at once (more on a busy machine, where closes lag).
        for _ in range(200):
            cycle()
        tracemalloc.start()
        try:
            topics, tasks, baseline = settled()
            for _ in range(1000):
                cycle()
            after_topics, after_tasks, after = settled()
        finally:
            tracemalloc.stop()
        assert len(seen["closed"]) == 1200 and seen["ran"] == [1] * 1200
        assert (after_topics, after_tasks) == (topics, tasks)
        # A view kept would be about 15 KB each (bench/views.py): 15 MB for 1,000. What is
        # left is the noise of dicts sized by how many were open at once.
        assert after - baseline < 300_000, after - baseline


async def _tasks() -> int:
    return len(asyncio.all_tasks())


# ---- several views as apps (?app=, an index, links, go) --------------------------------------

def test_without_a_home_page_an_index_lists_the_views() -> None:
    app, _ = make_app()
    with live_client(app) as client:
        index = client.get("/")
        assert index.status_code == 200
        assert '<a href="/wizard">Wizard</a>' in index.text
        assert '<a href="/monitor">Monitor</a>' in index.text


def test_app_parameter_goes_to_the_view_and_an_unknown_one_is_404() -> None:
    app, _ = make_app()
    with live_client(app) as client:
        found = client.get("/?app=wizard", follow_redirects=False)
        assert found.status_code == 303 and found.headers["location"] == "/wizard"
        unknown = client.get("/?app=nope", follow_redirects=False)
        assert unknown.status_code == 404 and "wizard" in unknown.text


def test_an_apps_own_home_page_stays_and_app_still_works() -> None:
    app, _ = make_app()

    @app.get("/")
    def home() -> Any:
        return P("Home", id="home")

    with live_client(app) as client:
        assert ">Home</p>" in client.get("/").text
        assert client.get("/?app=monitor", follow_redirects=False).status_code == 303


def test_a_view_links_to_and_goes_to_another() -> None:
    app = App("views-go")

    @app.view("/first")
    async def first(view: View) -> None:
        """The first view."""
        await view.click(Button("Next"), show=app.views.link("second", "To the second"))
        view.go("second")

    @app.view("/second")
    async def second(view: View) -> None:
        """The second view.

        More words that the index does not show."""
        view.show(P("Second"))

    with live_client(app) as client:
        assert "The first view." in client.get("/").text
        assert "More words" not in client.get("/").text
        page, ws, vid = open_view(client, "/first")
        assert '<a href="/second">To the second</a>' in page.html
        ws.send_text(json.dumps({"t": "ev", "ref": 1, "route": ROUTE,
                                 "d": {"_v": vid, "_s": 1, "_k": "0"}}))
        got = until_reply(ws, 1) + until_pong(ws)
        assert {"op": "go", "target": f"view-{vid}", "html": "", "url": "/second"} in [
            op for f in got if f["t"] == "msg" for op in f["ops"]]
        vid = view_id(client.get("/first").text)
        answer = post(client, vid, 1, "0")                 # over plain htmx
        assert answer.headers["HX-Redirect"] == "/second"


def test_two_views_with_one_name_are_refused() -> None:
    app = App("views-twice")

    @app.view("/a")
    async def same(view: View) -> None:
        view.show(P("a"))

    with pytest.raises(ConfigurationError, match="Two views are called 'same'"):
        app.view("/b")(same)


def test_signing_in_as_someone_else_in_the_same_browser_shows_their_own_daemon() -> None:
    app, _ = make_app()

    @app.provide("user")
    def user(session: Any) -> Any:
        return session.get("who")

    @app.post("/sign-in/{who}")
    def sign_in(session: Any, who: str) -> None:
        session["who"] = who         # the session (and its CSRF token) stays the same

    with live_client(app) as client:
        client.post("/sign-in/ann")
        anns = view_id(client.get("/monitor").text)
        assert view_id(client.get("/monitor").text) == anns
        client.post("/sign-in/bob")
        bobs = view_id(client.get("/monitor").text)
        assert bobs != anns
        assert post(client, anns, 1, "0").status_code == 410     # not Bob's
        client.post("/sign-in/ann")
        assert view_id(client.get("/monitor").text) == anns       # Ann's, still running


def test_a_cancel_button_stops_long_work_at_once() -> None:
    app, seen = make_app()
    with live_client(app) as client:
        html = client.get("/work").text
        assert ">Cancel</button>" in html and "0 of 100" in html
        vid = view_id(html)
        stopped = post(client, vid, 0, "cancel")
        assert stopped.status_code == 200 and "Stopped at 1" in stopped.text
        assert seen["ran"] == [1]


def report(steps: int) -> int:
    """A job for the view below (module level: its worker imports it)."""
    from appkit.jobs import progress

    for step in range(1, steps + 1):
        progress(step / steps, f"step {step}")
        time.sleep(0.05)
    return steps


def test_a_view_awaits_a_job_and_shows_its_progress() -> None:
    app = App("views-job")
    app.jobs.register("report", report)
    shown: list[Any] = []

    @app.view("/report")
    async def make(view: View) -> None:
        run_id = app.jobs.enqueue("report", {"steps": 4})

        def progress(run: Any) -> None:
            shown.append((run.progress, run.progress_message))
            view.show(P(f"{run.progress_message or 'waiting'}", id="state"))

        run = await view.job(run_id, every=0.02, progress=progress)
        view.show(P(f"Done: {run.output}", id="state"))

    with live_client(app) as client:
        client.get("/report")
        assert wait_until(lambda: (1.0, "step 4") in shown, within=30)
        (view,) = app.views._views.values()
        assert wait_until(lambda: view.state == "finished")  # it ended (an error would log)
        assert "Done: 4" in str(view.render())             # for a page that comes to see
        assert shown[0] in ((None, None), (0.25, "step 1")) and len(shown) <= 5


def test_a_view_that_ends_at_once_is_shown_to_the_page_that_follows_it_later() -> None:
    # left_grace as short as the sweeper goes: the default (5 s, swept every 5 s) could take
    # up to 10 s, as long as the wait below.
    app = App("views-end", extensions=[LiveSettings(left_grace=0.05)])

    @app.view("/quick")
    async def quick(view: View) -> None:
        view.show(P("All done", id="done"))

    with live_client(app) as client:
        page, ws, vid = open_view(client, "/quick")   # its socket follows after the end
        assert "All done" in page.html
        got = until_pong(ws)
        assert not any(f["t"] == "reload" for f in got)   # no reload (it would loop)
        ws.close(1001)
        assert wait_until(lambda: len(app.views) == 0)


def test_a_view_stopped_says_so_in_its_windows() -> None:
    app, _ = make_app()
    with live_client(app) as client:
        _, ws, vid = open_view(client, "/monitor")
        assert client.post(f"/stop/{vid}").json() == {"stopped": True}
        shown = [op["html"] for f in until_pong(ws) if f["t"] == "msg" for op in f["ops"]]
        assert any("This has ended." in html and 'href="/monitor"' in html for html in shown)
        ws.close(1001)
