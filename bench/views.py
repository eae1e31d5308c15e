"""Server-side views (issue 14): how many can await the user at once, their memory, and how
fast they resume after a cut.

The app (``bench/apps/views_appkit.py``) serves ``/ask``, a view that shows a line and
awaits a click, then another. The server runs in a process of its own (uvicorn, as
``bench/live.py`` runs its apps); this process is the pages.

1. **Concurrent awaiting views**: N page loads of ``/ask`` (one user): N views, each an
   asyncio task parked in ``await view.click(...)``; the server's thread count before and
   after (a view is never a thread; Lona's defaults run 6 runtime threads, and a 7th
   waiting view queues).
2. **Memory per awaiting view**: the server's RSS growth over those N page loads, divided
   by N (the view, its task, its hub topic and its page render), then per attached page
   socket (the N pages' live sockets opened, each following its view).
3. **Resume after a 5 s cut**: every socket dropped at once (the TCP connection aborted:
   the server sees a lost connection, not a closed page), 5 s later every page reconnects
   (the same page id, its view's topic from the message it had): the time from opening
   the socket to the page having the welcome and what it missed, per page, p50/p95 (target
   p95 under 250 ms); the views' step counters prove nothing ran again; then one click per
   view (over its socket) proves each was still waiting at the same step.

**Lona side by side** (``bench/apps/views_lona.py``: the same view in Lona's idiom, a
``View`` whose ``handle_request`` ``await_click()``-s, on Lona's own aiohttp server in a
process of its own), driven over Lona's websocket protocol as its client (lona.js) drives
it: a page is Lona's frontend (a GET), then a socket on the page's URL that sends
``VIEW``; the view is shown when ``DATA`` comes. Three runs of the same work:

- ``lona``: Lona's defaults (``MAX_RUNTIME_THREADS = 6``), one user as for appkit;
- ``lona-threads``: ``MAX_RUNTIME_THREADS = N + 6`` (how a Lona user has N views wait at
  once: each waiting view holds a runtime thread, and Lona runs every other request,
  a page's HTML included, on those threads too: 6 more answer them meanwhile);
- ``lona-daemon``: that, and ``is_daemon = True`` (how a Lona view outlives its socket),
  one user per page: a daemon view is one per (user, URL), shared by that user's tabs.

The N pages are loaded first, then their sockets opened (once waiting views hold every
runtime thread, Lona loads no page: checked by one more load), and the views counted as
shown when no more came for ``QUEUE_WAIT`` s (Lona's client gives up after
``CLIENT_VIEW_START_TIMEOUT = 2`` s and shows "waiting for the server"). After the cut,
the pages whose view had shown reload as Lona's client does (the frontend's GET), open a
socket and send ``VIEW`` again: the time from opening that socket to the view's ``DATA``
(as appkit's figure: from opening the socket), and for the pages one after another also
with the reload before it; a view started again counts as run again. Lona's ``/stats``
also counts the runtime threads parked for ever in ``await_click`` for a view Lona
stopped.

Run from the repository root:

    .venv/bin/python bench/views.py            # N = 500 and 1,000
    .venv/bin/python bench/views.py --quick    # N = 100
    .venv/bin/python bench/views.py --no-lona  # appkit only

See bench/README.md ("Server-side views") for the figures.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))
import argparse  # noqa: E402
import asyncio  # noqa: E402
import http.client  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import re  # noqa: E402
import secrets  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from html import unescape  # noqa: E402
from importlib.metadata import version  # noqa: E402
from typing import Any  # noqa: E402
from urllib.parse import urlencode  # noqa: E402

from bench.live import HOST, Server, get, percentile  # noqa: E402

APP = "bench.apps.views_appkit"
LONA = "bench/apps/views_lona.py"
TARGET_VIEWS = 500
TARGET_RESUME_P95_MS = 250.0
CUT_SECONDS = 5.0
SAMPLE = 50  # pages that resume one after another (the rest then all at once)
LONA_THREADS = 6  # lona/default_settings.py MAX_RUNTIME_THREADS
QUEUE_WAIT = 5.0  # s without another view shown: the rest are queued
LONA_VIEW, LONA_INPUT, LONA_DATA, LONA_CLICK = 101, 102, 203, 301  # lona/protocol.py


@dataclass
class Page:
    page_id: str
    view_id: str
    seq: int
    ws: Any = None


def stats(port: int) -> dict[str, int]:
    status, body, _ = get(port, "/stats")
    assert status == 200, body
    return json.loads(body)  # type: ignore[no-any-return]


def load(port: int, cookie: str) -> tuple[Page, dict[str, Any], str, str]:
    status, body, cookies = get(port, "/ask", {"Cookie": cookie} if cookie else None)
    if status != 200:
        raise SystemExit(f"GET /ask answered {status}: {body[:500]}")
    view = re.search(r'data-view="(\w+)"', body)
    seq = re.search(r'data-live-topic="view:\w+" data-live-seq="(\d+)"', body)
    token = re.search(r'<meta name="csrf-token" content="([^"]*)"', body)
    live = re.search(r'<meta name="appkit-live" content="([^"]*)"', body)
    if not (view and seq and token and live):
        raise SystemExit(f"/ask is not a view page:\n{body[:1500]}")
    cookie = cookie or "; ".join(c.split(";", 1)[0] for c in cookies)
    return (Page(secrets.token_hex(16), view.group(1), int(seq.group(1))),
            json.loads(unescape(live.group(1))), unescape(token.group(1)), cookie)


async def connect(port: int, page: Page, live: dict[str, Any], token: str, cookie: str,
                  resumed: bool) -> float:
    """Open ``page``'s socket and say hello; the seconds until it has the welcome and
    everything it missed (the pong after them)."""
    from websockets.asyncio.client import connect as ws_connect
    from websockets.typing import Origin

    started = time.perf_counter()
    url = f"ws://{HOST}:{port}{live['url']}?{urlencode({'appkit-csrf': token})}"
    ws = await ws_connect(url, additional_headers={"Cookie": cookie},
                          origin=Origin(f"http://{HOST}:{port}"), ping_interval=None,
                          open_timeout=60, max_size=2**22)
    await ws.send(json.dumps({
        "t": "hello", "v": 1, "build": live["build"], "boot": live["boot"],
        "page": page.page_id, "topics": {f"view:{page.view_id}": page.seq},
        "replied": 0, "resumed": resumed}))
    await ws.send('{"t":"ping"}')
    while True:
        frame = json.loads(await asyncio.wait_for(ws.recv(), 60))
        if frame["t"] == "msg":
            page.seq = frame["seq"]
        if frame["t"] == "pong":
            break
    page.ws = ws
    return time.perf_counter() - started


async def click_all(pages: list[Page]) -> None:
    async def click(page: Page) -> None:
        await page.ws.send(json.dumps({"t": "ev", "ref": 1, "route": "/_appkit-view",
                                       "d": {"_v": page.view_id, "_s": 1, "_k": "0"}}))
        while True:
            frame = json.loads(await asyncio.wait_for(page.ws.recv(), 60))
            if frame["t"] == "reply":
                if not frame["ok"]:
                    raise SystemExit(f"a click was refused: {frame}")
                return

    await asyncio.gather(*(click(p) for p in pages))


def abort_all(pages: list[Page]) -> None:
    for page in pages:
        page.ws.transport.abort()   # no close frame: the connection is lost


@dataclass
class Figures:
    n: int
    views: int
    threads_before: int
    threads_after: int
    view_kb: float
    socket_kb: float
    resume_p50_ms: float
    resume_p95_ms: float
    all_p50_ms: float
    all_p95_ms: float
    rerun: int
    clicked: int


async def measure(n: int) -> Figures:
    with Server(APP) as server:
        port = server.port
        _, live, token, cookie = load(port, "")        # the user's session; one view
        await asyncio.sleep(0.5)
        before = stats(port)
        rss0 = server.rss_kb()
        pages, lives = [], []
        for _ in range(n):
            page, live, token, _ = load(port, cookie)
            pages.append(page)
            lives.append(live)
        await asyncio.sleep(0.5)
        rss1 = server.rss_kb()
        after = stats(port)
        for start in range(0, n, 50):
            await asyncio.gather(*(connect(port, p, live, token, cookie, False)
                                   for p in pages[start:start + 50]))
        await asyncio.sleep(0.5)
        rss2 = server.rss_kb()
        abort_all(pages)
        await asyncio.sleep(CUT_SECONDS)
        one = [await connect(port, p, live, token, cookie, True) for p in pages[:SAMPLE]]
        times = await asyncio.gather(*(connect(port, p, live, token, cookie, True)
                                       for p in pages[SAMPLE:]))
        resumed = stats(port)
        await click_all(pages)
        clicked = stats(port)
        for page in pages:
            await page.ws.close()
    return Figures(
        n=n, views=after["views"], threads_before=before["threads"],
        threads_after=after["threads"], view_kb=(rss1 - rss0) / n,
        socket_kb=(rss2 - rss1) / n,
        resume_p50_ms=percentile([t * 1000 for t in one], 0.5),
        resume_p95_ms=percentile([t * 1000 for t in one], 0.95),
        all_p50_ms=percentile([t * 1000 for t in times], 0.5),
        all_p95_ms=percentile([t * 1000 for t in times], 0.95),
        rerun=resumed["started"] - after["started"],
        clicked=clicked["clicked"] - resumed["clicked"])


# ---- Lona --------------------------------------------------------------------------


@dataclass
class LonaPage:
    cookie: str
    ws: Any = None
    runtime: str = ""       # the view runtime's id (from VIEW_START)
    button: str = ""        # the node id of the button shown
    text: str = ""          # the line shown
    opened: float = 0.0     # when its socket began to open


def lona_frame(raw: str) -> list[Any]:
    if not raw.startswith("lona:"):
        raise SystemExit(f"not a Lona message: {raw[:200]}")
    return json.loads(raw[5:])  # type: ignore[no-any-return]


def lona_stats(port: int) -> dict[str, Any]:
    status, body, _ = get(port, "/stats")
    assert status == 200, body
    return json.loads(body)  # type: ignore[no-any-return]


def lona_get(port: int, cookie: str, timeout: float = 60.0) -> bool:
    """Whether Lona answers a page load (its frontend, a GET) within ``timeout`` s."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("GET", "/ask", headers={"Cookie": cookie})
        resp = conn.getresponse()
        body = resp.read().decode()
    except TimeoutError:
        return False
    finally:
        conn.close()
    if resp.status != 200 or "LonaContext" not in body:
        raise SystemExit(f"GET /ask on Lona answered {resp.status}: {body[:500]}")
    return True


async def lona_load(port: int, page: LonaPage, timeout: float = 60.0) -> bool:
    """The page, as a browser loads it: Lona's frontend (a GET); whether it came."""
    return await asyncio.to_thread(lona_get, port, page.cookie, timeout)


async def lona_open(port: int, page: LonaPage) -> None:
    """As lona.js once the page is loaded: a socket on the page's URL that asks for the
    view (window 1)."""
    from websockets.asyncio.client import connect as ws_connect
    from websockets.typing import Origin

    page.opened = time.perf_counter()
    page.ws = await ws_connect(f"ws://{HOST}:{port}/ask", additional_headers={
        "Cookie": page.cookie}, origin=Origin(f"http://{HOST}:{port}"), ping_interval=None,
        open_timeout=60, max_size=2**22)
    await page.ws.send("lona:" + json.dumps(
        [1, None, LONA_VIEW, [f"http://{HOST}:{port}/ask", {}]]))


async def lona_reload(port: int, page: LonaPage) -> bool:
    """As lona.js after a reconnect, first: the page reloads; whether it came within
    ``QUEUE_WAIT`` s."""
    page.text = page.runtime = page.button = ""
    return await lona_load(port, page, QUEUE_WAIT)


async def lona_resume(port: int, page: LonaPage) -> float | None:
    """Then: the reloaded page asks for its view again; the seconds from opening the
    socket to the view shown, or None if it did not come within 30 s."""
    await lona_open(port, page)
    try:
        return await asyncio.wait_for(lona_shown(page, "Waiting for you"), 30)
    except TimeoutError:
        return None


async def lona_shown(page: LonaPage, text: str) -> float:
    """Wait for the page's view to show ``text`` and its button; the seconds since its
    socket began to open."""
    while True:
        window, runtime, method, payload = lona_frame(await page.ws.recv())
        if method == 204:                       # VIEW_START
            page.runtime = runtime
        elif method == LONA_DATA and runtime == page.runtime and payload[1]:
            html = json.dumps(payload[1])
            button = re.search(r'\[401, "(\w+)", "", "button"', html)
            if text in html and button:
                page.text, page.button = text, button.group(1)
                return time.perf_counter() - page.opened


async def lona_click(page: LonaPage, event: int, until: str | None = "Clicked") -> None:
    """Click the page's button (as lona.js's input event) and wait for the line
    ``until``, or (None) for the view's end."""
    node = [page.button, "BUTTON", "", ""]
    await page.ws.send("lona:" + json.dumps(
        [1, page.runtime, LONA_INPUT, [event, LONA_CLICK, {}, node, node]]))
    if until is not None:
        await asyncio.wait_for(lona_shown(page, until), 60)
        return
    while lona_frame(await asyncio.wait_for(page.ws.recv(), 60))[2] != 205:  # VIEW_STOP
        pass


async def lona_show_all(pages: list[LonaPage], text: str) -> list[float]:
    """The pages whose view shows ``text``, waiting as long as views keep coming (none
    for ``QUEUE_WAIT`` s: the rest are queued); their times, in ``pages``' order."""
    tasks = {asyncio.ensure_future(lona_shown(p, text)): p for p in pages}
    pending = set(tasks)
    while pending:
        done, pending = await asyncio.wait(pending, timeout=QUEUE_WAIT)
        if not done:
            break
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    return [t.result() for t in tasks if t.done() and not t.cancelled()]


@dataclass
class LonaFigures:
    run: str
    n: int
    threads: int        # MAX_RUNTIME_THREADS
    shown: int
    views: int
    queued: int
    loads: bool         # a new page loads while the views wait
    threads_before: int
    threads_after: int
    page_kb: float
    lost: int
    resumed: int
    unloaded: int       # pages whose reload (or view) did not come after the cut
    stuck: int          # threads parked for ever in await_click for a stopped view
    resume_p50_ms: float
    resume_p95_ms: float
    reload_p50_ms: float
    reload_p95_ms: float
    all_p50_ms: float
    all_p95_ms: float
    rerun: int
    clicked: int


async def measure_lona(n: int, run: str) -> LonaFigures:
    # N views hold N runtime threads; Lona's 6 more answer the pages' loads meanwhile.
    threads = LONA_THREADS if run == "lona" else n + LONA_THREADS
    daemon = run == "lona-daemon"
    env = {"BENCH_LONA_THREADS": str(threads), "BENCH_LONA_DAEMON": "1" if daemon else ""}
    user = f"sessionid={secrets.token_hex(14)}"
    with Server(LONA, env=env) as server:
        port = server.port
        warm = LonaPage(f"sessionid={secrets.token_hex(14)}")   # one view, to its end
        await lona_load(port, warm)
        await lona_open(port, warm)
        await asyncio.wait_for(lona_shown(warm, "Waiting for you"), 60)
        await lona_click(warm, 1)
        await lona_click(warm, 2, until=None)
        await warm.ws.close()
        await asyncio.sleep(0.5)
        before = lona_stats(port)
        rss0 = server.rss_kb()
        pages = [LonaPage(f"sessionid={secrets.token_hex(14)}" if daemon else user)
                 for _ in range(n)]
        # Every page loaded first (once views wait on all runtime threads, Lona answers
        # no page load: see ``loads``), then their sockets, 50 at a time.
        for start in range(0, n, 50):
            if not all(await asyncio.gather(*(lona_load(port, p)
                                              for p in pages[start:start + 50]))):
                raise SystemExit("Lona did not answer a page load before any view waited")
        for start in range(0, n, 50):
            await asyncio.gather(*(lona_open(port, p) for p in pages[start:start + 50]))
        await lona_show_all(pages, "Waiting for you")
        await asyncio.sleep(0.5)
        rss1 = server.rss_kb()
        after = lona_stats(port)
        loads = lona_get(port, f"sessionid={secrets.token_hex(14)}", QUEUE_WAIT)
        shown = [p for p in pages if p.text]
        for page in pages:
            page.ws.transport.abort()       # no close frame: the connection is lost
        await asyncio.sleep(CUT_SECONDS)
        cut = lona_stats(port)
        # As lona.js after a reconnect: the page reloads, then asks for its view again.
        reloads: list[float | None] = []
        whole: list[float] = []         # the reload (its GET) and the socket, one page
        for page in shown[:SAMPLE]:
            started = time.perf_counter()
            reloads.append(await lona_resume(port, page)
                           if await lona_reload(port, page) else None)
            if reloads[-1] is not None:
                whole.append((time.perf_counter() - started) * 1000)
        loaded = await asyncio.gather(*(lona_reload(port, p) for p in shown[SAMPLE:]))
        at_once = [p for p, ok in zip(shown[SAMPLE:], loaded, strict=True) if ok]
        times = iter(await asyncio.gather(*(lona_resume(port, p) for p in at_once)))
        reloads += [next(times) if ok else None for ok in loaded]
        one = [t * 1000 for t in reloads[:SAMPLE] if t is not None] or [float("nan")]
        rest = [t * 1000 for t in reloads[SAMPLE:] if t is not None] or [float("nan")]
        resumed = lona_stats(port)
        back = [p for p in shown if p.text]
        await asyncio.gather(*(lona_click(p, 2) for p in back))
        clicked = lona_stats(port)
        for page in back:
            await page.ws.close()
    return LonaFigures(
        run=run, n=n, threads=threads, shown=len(shown), views=after["views"],
        queued=after["states"].get("NOT_STARTED", 0), loads=loads,
        threads_before=before["threads"], threads_after=after["threads"],
        page_kb=(rss1 - rss0) / n, lost=after["waiting"] - cut["waiting"],
        resumed=len(back), unloaded=sum(t is None for t in reloads),
        stuck=resumed["parked"]["stopped"], resume_p50_ms=percentile(one, 0.5),
        resume_p95_ms=percentile(one, 0.95),
        reload_p50_ms=percentile(whole or [float("nan")], 0.5),
        reload_p95_ms=percentile(whole or [float("nan")], 0.95), all_p50_ms=percentile(rest, 0.5),
        all_p95_ms=percentile(rest, 0.95), rerun=resumed["started"] - cut["started"],
        clicked=clicked["clicked"] - resumed["clicked"])


LONA_RUNS = ("lona", "lona-threads", "lona-daemon")


def ratio(a: float, b: float) -> str:
    return f"{a / b:.1f}x" if b and not math.isnan(a / b) else "-"


def ms(value: float, digits: int) -> str:
    return "-" if math.isnan(value) else f"{value:.{digits}f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="N = 100 only")
    parser.add_argument("--no-lona", action="store_true", help="appkit only")
    args = parser.parse_args()
    sizes = [100] if args.quick else [TARGET_VIEWS, 2 * TARGET_VIEWS]
    print(f"# Server-side views: {platform.python_version()}, {platform.machine()}; "
          f"a cut of {CUT_SECONDS:.0f} s; lona {version('lona')}, aiohttp "
          f"{version('aiohttp')}; load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    ok = True
    results: list[tuple[Figures, list[LonaFigures]]] = []
    for n in sizes:
        f = asyncio.run(measure(n))
        ok &= (f.views >= f.n and f.rerun == 0 and f.clicked == f.n
               and f.threads_after <= f.threads_before + 1)
        lona = [] if args.no_lona else [asyncio.run(measure_lona(n, run)) for run in LONA_RUNS]
        results.append((f, lona))
    print("\n## appkit\n")
    print("| awaiting views | views running | server threads before/after | KB per view "
          "| KB per page socket | resume p50 / p95 (ms), one page | the rest at once "
          "| steps run again | still waiting |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for f, _ in results:
        print(f"| {f.n} | {f.views} | {f.threads_before} / {f.threads_after} | "
              f"{f.view_kb:.1f} | {f.socket_kb:.1f} | {f.resume_p50_ms:.1f} / "
              f"{f.resume_p95_ms:.1f} | {f.all_p50_ms:.0f} / {f.all_p95_ms:.0f} | "
              f"{f.rerun} | {f.clicked} of {f.n} |")
    if not args.no_lona:
        print("\n## Lona (runs: lona = its defaults; lona-threads = MAX_RUNTIME_THREADS "
              "N + 6; lona-daemon = that and is_daemon, a user per page)\n")
        print("| run | MAX_RUNTIME_THREADS | pages | views shown | runtimes (not started) "
              "| a new page loads meanwhile | server threads before/after "
              "| KB per page (view + socket) | waiting views lost at the cut | views back "
              "(pages not back) | threads stuck | resume p50 / p95 (ms), one page "
              "| with its reload | the rest at once | steps run again | clicks answered |")
        print("|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for _, lona in results:
            for g in lona:
                print(f"| {g.run} | {g.threads} | {g.n} | {g.shown} | {g.views} ({g.queued}) | "
                      f"{'yes' if g.loads else 'no'} | "
                      f"{g.threads_before} / {g.threads_after} | {g.page_kb:.1f} | {g.lost} | "
                      f"{g.resumed} ({g.unloaded}) | {g.stuck} | "
                      f"{ms(g.resume_p50_ms, 1)} / {ms(g.resume_p95_ms, 1)} | "
                      f"{ms(g.reload_p50_ms, 1)} / {ms(g.reload_p95_ms, 1)} | "
                      f"{ms(g.all_p50_ms, 0)} / {ms(g.all_p95_ms, 0)} | {g.rerun} | "
                      f"{g.clicked} of {g.resumed} |")
        print("\n## Ratios (Lona's figure over appkit's; views: appkit's over Lona's)\n")
        print("| N | run | views awaiting at once | server threads added | KB per page "
              "(view + socket) | resume p95, one page | with Lona's reload "
              "| resume p95, the rest at once | steps run again (Lona / appkit) |")
        print("|---:|---|---:|---:|---:|---:|---:|---:|---:|")
        for f, lona in results:
            for g in lona:
                print(f"| {f.n} | {g.run} | {ratio(f.n, g.shown)} | "
                      f"{g.threads_after - g.threads_before} / "
                      f"{f.threads_after - f.threads_before} | "
                      f"{ratio(g.page_kb, f.view_kb + f.socket_kb)} | "
                      f"{ratio(g.resume_p95_ms, f.resume_p95_ms)} | "
                      f"{ratio(g.reload_p95_ms, f.resume_p95_ms)} | "
                      f"{ratio(g.all_p95_ms, f.all_p95_ms)} | {g.rerun} / {f.rerun} |")
    print(f"\nLoad at the end: {os.getloadavg()[0]:.1f} (1 min), "
          f"{os.getloadavg()[1]:.1f} (5 min) on {os.cpu_count()} cores.")
    f = next((f for f, _ in results if f.n == TARGET_VIEWS), results[0][0])
    met = f.resume_p95_ms < TARGET_RESUME_P95_MS
    print(f"\nTarget at {f.n} views: resume p95 under {TARGET_RESUME_P95_MS:.0f} ms: "
          f"{'met' if met else 'NOT met'} ({f.resume_p95_ms:.0f} ms).")
    if not ok:
        raise SystemExit("A view was missing, ran again, or did not answer its click")


if __name__ == "__main__":
    main()
