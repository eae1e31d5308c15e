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

Run from the repository root:

    .venv/bin/python bench/views.py            # N = 500 and 1,000
    .venv/bin/python bench/views.py --quick    # N = 100

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
import json  # noqa: E402
import platform  # noqa: E402
import re  # noqa: E402
import secrets  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from html import unescape  # noqa: E402
from typing import Any  # noqa: E402
from urllib.parse import urlencode  # noqa: E402

from bench.live import HOST, Server, get, percentile  # noqa: E402

APP = "bench.apps.views_appkit"
TARGET_VIEWS = 500
TARGET_RESUME_P95_MS = 250.0
CUT_SECONDS = 5.0
SAMPLE = 50  # pages that resume one after another (the rest then all at once)
LONA_THREADS = 6  # lona/default_settings.py MAX_RUNTIME_THREADS


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

    started = time.perf_counter()
    url = f"ws://{HOST}:{port}{live['url']}?{urlencode({'appkit-csrf': token})}"
    ws = await ws_connect(url, additional_headers={"Cookie": cookie},
                          origin=f"http://{HOST}:{port}", ping_interval=None,
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="N = 100 only")
    args = parser.parse_args()
    sizes = [100] if args.quick else [TARGET_VIEWS, 2 * TARGET_VIEWS]
    print(f"# Server-side views: {platform.python_version()}, {platform.machine()}; "
          f"a cut of {CUT_SECONDS:.0f} s")
    print("| awaiting views | views running | server threads before/after | KB per view "
          "| KB per page socket | resume p50 / p95 (ms), one page | the rest at once "
          "| steps run again | still waiting |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    ok = True
    for n in sizes:
        f = asyncio.run(measure(n))
        print(f"| {f.n} | {f.views} | {f.threads_before} / {f.threads_after} | "
              f"{f.view_kb:.1f} | {f.socket_kb:.1f} | {f.resume_p50_ms:.1f} / "
              f"{f.resume_p95_ms:.1f} | {f.all_p50_ms:.0f} / {f.all_p95_ms:.0f} | "
              f"{f.rerun} | {f.clicked} of {f.n} |")
        ok &= (f.views >= f.n and f.rerun == 0 and f.clicked == f.n
               and f.threads_after <= f.threads_before + 1)
        if f.n == TARGET_VIEWS:
            met = f.resume_p95_ms < TARGET_RESUME_P95_MS
            print(f"\nTarget at {f.n} views: resume p95 under {TARGET_RESUME_P95_MS:.0f} ms: "
                  f"{'met' if met else 'NOT met'} ({f.resume_p95_ms:.0f} ms); Lona's "
                  f"defaults: {LONA_THREADS} runtime threads, a 7th waiting view queues.\n")
    if not ok:
        raise SystemExit("A view was missing, ran again, or did not answer its click")


if __name__ == "__main__":
    main()
