"""The views benchmark's app (bench/views.py) on Lona: the view of
``bench/apps/views_appkit.py`` in Lona's idiom, a ``View`` whose ``handle_request`` shows a
line with a button and ``await_click()``-s it, then another. ``/stats`` says how many view
runtimes Lona holds and in which state, how many steps ran and the process's threads: an
aiohttp handler (``http_pass_through``) on the event loop, since Lona runs every other
request, the pages' HTML included, on its runtime threads, which waiting views may all hold.

Lona's own server (aiohttp, ``App.run``), Lona's settings at their defaults except:
``BENCH_LONA_THREADS`` sets ``MAX_RUNTIME_THREADS`` (a Lona view holds a runtime thread for
as long as ``handle_request`` runs, awaiting a click included; the default is 6, and raising
this setting is how a Lona user has more views wait at once); ``BENCH_LONA_DAEMON=1`` makes
the view a daemon view (``is_daemon = True``: it outlives its page's socket, and the same
user opening the same URL again gets it back, which is how a Lona view survives a
reconnect); the log level is ``warn`` (as the appkit run's uvicorn: ``warning``, no access
log).

Run: ``python bench/apps/views_lona.py PORT``.
"""

from __future__ import annotations

import collections
import os
import sys
import threading

from aiohttp import web
from lona import App, Request, View
from lona.html import HTML, Button, P

app = App(__file__)
if os.environ.get("BENCH_LONA_THREADS"):
    app.settings.MAX_RUNTIME_THREADS = int(os.environ["BENCH_LONA_THREADS"])
DAEMON = os.environ.get("BENCH_LONA_DAEMON") == "1"
steps = {"started": 0, "clicked": 0}
lock = threading.Lock()


@app.route("/ask")
class Ask(View):
    """Shows a line and awaits a click on its button, then another."""

    def handle_request(self, request: Request) -> None:
        if DAEMON:
            self.is_daemon = True
        with lock:
            steps["started"] += 1
        go = Button("Go")
        self.await_click(go, html=HTML(P("Waiting for you"), go))
        with lock:
            steps["clicked"] += 1
        again = Button("Again")
        self.await_click(again, html=HTML(P("Clicked"), again))


@app.route("/stats", http_pass_through=True)
async def stats(request: web.Request) -> web.Response:
    """The view runtimes Lona holds (by state), the steps run and the threads. On the
    event loop (an aiohttp handler: Lona runs its views, and any other page, on its
    runtime threads, which waiting views may all hold)."""
    if app.server is None:
        raise web.HTTPServiceUnavailable(text="Lona's server is not set up yet")
    runtimes = list(app.server._view_runtime_controller.iter_view_runtimes())
    states = collections.Counter(runtime.state.name for runtime in runtimes)
    return web.json_response({"views": len(runtimes), "states": states,
                              "waiting": states.get("WAITING_FOR_INPUT", 0), **steps,
                              "threads": threading.active_count(), "parked": parked()})


def parked() -> dict[str, int]:
    """The threads parked in a view's ``await_click`` (a view runtime's
    ``await_input_event``): all, and those whose view was stopped (Lona no longer holds
    it, and nothing will ever wake them: the stop came between the view's check that it
    runs and its click's future being set up)."""
    counts = {"all": 0, "stopped": 0}
    for frame in sys._current_frames().values():
        while frame is not None:
            if frame.f_code.co_name == "await_input_event":
                counts["all"] += 1
                counts["stopped"] += frame.f_locals["self"].stop_reason is not None
                break
            frame = frame.f_back  # type: ignore[assignment]
    return counts


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(sys.argv[1]), log_level="warn",
            parse_command_line=False)
