"""Live components: the bytes, server time and memory of appkit's ``Component`` (issue 13).

The apps (``bench/apps/``): ``components_appkit.py`` (``People``, a component showing 1,000
people in a ``data_keyed`` ``Tbody`` with a button that renames person 500; the same row
answered by a plain htmx route; the counter of docs/components.md and the same page without
a component), ``components_nicegui.py`` (the same 1,000 people as a ``ui.table`` and as one
``li`` per person) and ``components_starlette.py`` (bare Starlette answering the row).

What it measures, side by side in one run:

1. **Bytes on the wire to change one row of 1,000** (the text of row 500): in Debian's
   Chromium (Playwright), the websocket frame payloads the page receives and sends, counted
   by ``framereceived`` / ``framesent`` from the click on "Change row 500" until 3.2 s after
   (NiceGUI acknowledges every 3 s; frame headers are not counted). appkit: the event goes
   over the page's socket (``live.js``), the reply carries the row. NiceGUI: ``ui.table``
   (``table.rows[499] = ...; table.update()``) and a list of one ``li`` per row (one
   element's ``text`` set). Each server runs in a process of its own (``bench/live.py``'s
   ``Server``: uvicorn, or NiceGUI's ``ui.run``, private XDG folders).
2. **Server time per event for that change**, in this process: the ASGI app called directly
   (no server, no network; the lifespan run), best of N runs of process CPU time
   (``time.process_time``: every thread of this process, the thread pool included), the
   garbage collector on, the number of events per run doubled until a run takes 0.2 s.
   appkit's component event over the page's socket (the ``ev`` frame in, the ``reply`` out,
   acknowledged as ``live.js`` does) and over HTTP (``POST /_appkit-component``, which
   answers the whole component); a plain appkit htmx route answering the row (the floor);
   bare Starlette answering it with an f-string.
3. **Memory per live component**: N page loads of ``/counter`` (each mounts one counter,
   all in one session) against N of ``/counter-plain`` (the same markup, no component):
   the growth divided by N, measured two ways: Python's allocations (``tracemalloc``, the
   app called in this process) and the RSS of a server process (uvicorn, GETs on one
   keep-alive connection).

Run from the repository root:

    .venv/bin/python bench/components.py            # the full run, about 3 minutes
    .venv/bin/python bench/components.py --quick    # a smoke test, under a minute

See bench/README.md ("Live components") for the figures.
"""

from __future__ import annotations

import sys
from pathlib import Path

# bench/requests.py would shadow the ``requests`` package: import from the repository root.
ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))
import argparse  # noqa: E402
import asyncio  # noqa: E402
import contextlib  # noqa: E402
import gc  # noqa: E402
import http.client  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import re  # noqa: E402
import secrets  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
from collections.abc import Awaitable, Callable  # noqa: E402
from html import unescape  # noqa: E402
from typing import Any  # noqa: E402
from urllib.parse import urlencode  # noqa: E402

from bench.live import (  # noqa: E402
    CHROMIUM,
    HOST,
    READY,
    Browser,
    Server,
    Wire,
    _size,
    close_page,
    fmt,
    get,
    ratio,
    verdict,
)
from bench.machine import cpu_model, machine_busy, version  # noqa: E402

APPKIT = "bench.apps.components_appkit"
NICEGUI = "bench/apps/components_nicegui.py"
TARGET_BYTES = 400
TARGET_MEMORY_KB = 16.0
#: label -> (server, path, the page's kind (bench/live.py's READY), the changed row)
VARIANTS = {
    "appkit component": (APPKIT, "/", "appkit", "#r500"),
    "NiceGUI ui.table": (NICEGUI, "/table", "nicegui", "tbody tr:nth-child(500)"),
    "NiceGUI li per row": (NICEGUI, "/list", "nicegui", "#r500"),
}
PHOENIX = ("Phoenix LiveView 0.14.1, one row of 300 changed: 1,818 B with components, 7,274 B "
           "without (Henrik Nyh's blog post of 2020; old figures of another framework, not "
           "measured here)")


# ---- 1. bytes on the wire ------------------------------------------------------------------

CHANGED_TEXT = "(sel) => document.querySelector(sel).textContent"
COUNT_ROWS = "() => document.querySelectorAll('tbody tr, li[id^=r]').length"


def wire(browser: Browser, label: str, repeats: int
         ) -> tuple[Wire, list[str], list[str]]:
    """What the page of ``label`` receives and sends per change of row 500, and the last
    frames it received and sent (for the report)."""
    server_name, path, kind, row = VARIANTS[label]
    out = Wire()
    counts = {"rb": 0, "rf": 0, "sb": 0, "sf": 0}
    frames: list[str] = []
    sent_frames: list[str] = []

    def received(payload: Any) -> None:
        counts["rb"] += _size(payload)
        counts["rf"] += 1
        frames.append(payload if isinstance(payload, str) else repr(payload))

    def sent(payload: Any) -> None:
        counts["sb"] += _size(payload)
        counts["sf"] += 1
        sent_frames.append(payload if isinstance(payload, str) else repr(payload))

    with Server(server_name) as server:
        out.page_bytes = len(get(server.port, path)[1].encode())
        page = browser.new_page()
        page.on("websocket", lambda ws: (ws.on("framereceived", received),
                                         ws.on("framesent", sent)))
        try:
            page.goto(server.url.rstrip("/") + path)
            page.wait_for_function(f"window.__wsOpens.length > 0 && ({READY[kind]})",
                                   polling=20)
            shown = page.evaluate(COUNT_ROWS)
            if shown != 1000:
                raise SystemExit(f"{label}: the page shows {shown} rows, not 1,000")
            page.wait_for_timeout(3500)  # past NiceGUI's first acknowledgement
            for _ in range(repeats):
                before = page.evaluate(CHANGED_TEXT, row)
                for key in counts:
                    counts[key] = 0
                frames.clear()
                sent_frames.clear()
                page.get_by_role("button", name="Change row 500").click()
                page.wait_for_function(
                    "([sel, old]) => { const t = document.querySelector(sel).textContent;"
                    " return t !== old && t.includes('Renamed person'); }",
                    arg=[row, before], polling=5)
                page.wait_for_timeout(3200)
                out.received_bytes.append(counts["rb"])
                out.received_frames.append(counts["rf"])
                out.sent_bytes.append(counts["sb"])
                out.sent_frames.append(counts["sf"])
            if page.evaluate(COUNT_ROWS) != 1000:
                raise SystemExit(f"{label}: the page no longer shows 1,000 rows")
        finally:
            close_page(page)
    return out, list(frames), list(sent_frames)


def check_appkit_reply(frames: list[str]) -> str:
    """What appkit's reply did (it must be one morph of row 500)."""
    replies = [json.loads(f) for f in frames if f.startswith("{") and '"reply"' in f]
    ops = [op for r in replies for op in r.get("ops", [])]
    if len(ops) != 1 or ops[0]["op"] != "morph" or ops[0]["target"] != "r500":
        raise SystemExit(f"appkit: the reply is not one morph of row 500: {frames}")
    return f"one morph of #r500, {len(ops[0]['html'])} B of HTML: {ops[0]['html']}"


# ---- calling an ASGI app in this process ---------------------------------------------------


class Socket:
    """A websocket of ``Asgi.websocket``: text frames in and out."""

    def __init__(self, inbox: asyncio.Queue[dict[str, Any]],
                 outbox: asyncio.Queue[dict[str, Any]], task: asyncio.Future[Any]) -> None:
        self.inbox, self.outbox, self.task = inbox, outbox, task

    def send(self, text: str) -> None:
        self.inbox.put_nowait({"type": "websocket.receive", "text": text})

    async def receive(self) -> dict[str, Any]:
        message = await self.outbox.get()
        if message["type"] != "websocket.send":
            raise SystemExit(f"the socket closed: {message}")
        return dict(json.loads(message["text"]))

    async def close(self) -> None:
        self.inbox.put_nowait({"type": "websocket.disconnect", "code": 1000})
        await self.task


class Asgi:
    """An ASGI app called directly on this loop: its lifespan, HTTP requests, websockets."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.state: dict[str, Any] = {}
        self.headers = {"host": f"{HOST}:8000", "origin": f"http://{HOST}:8000"}
        self._life: tuple[asyncio.Queue[Any], asyncio.Queue[Any], asyncio.Future[Any]] | None
        self._life = None

    async def __aenter__(self) -> Asgi:
        inbox: asyncio.Queue[Any] = asyncio.Queue()
        outbox: asyncio.Queue[Any] = asyncio.Queue()
        scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": self.state}
        task = asyncio.ensure_future(self.app(scope, inbox.get, outbox.put))
        self._life = (inbox, outbox, task)
        inbox.put_nowait({"type": "lifespan.startup"})
        if (await outbox.get())["type"] != "lifespan.startup.complete":
            raise SystemExit("the app did not start")
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._life is not None
        inbox, outbox, task = self._life
        inbox.put_nowait({"type": "lifespan.shutdown"})
        await outbox.get()
        await task

    def _scope(self, kind: str, path: str, headers: dict[str, str]) -> dict[str, Any]:
        path, _, query = path.partition("?")
        return {"type": kind, "asgi": {"version": "3.0"}, "http_version": "1.1",
                "scheme": "http" if kind == "http" else "ws", "path": path,
                "raw_path": path.encode(), "root_path": "", "query_string": query.encode(),
                "client": (HOST, 50000), "server": (HOST, 8000), "state": dict(self.state),
                "headers": [(k.encode(), v.encode())
                            for k, v in {**self.headers, **headers}.items()]}

    async def request(self, method: str, path: str, body: bytes = b"",
                      headers: dict[str, str] | None = None) -> tuple[int, str, list[str]]:
        """Status, body and Set-Cookie headers of one request."""
        scope = {**self._scope("http", path, headers or {}), "method": method}
        done = asyncio.Event()
        given = False
        status = 0
        chunks: list[bytes] = []
        cookies: list[str] = []

        async def receive() -> dict[str, Any]:
            nonlocal given
            if not given:
                given = True
                return {"type": "http.request", "body": body, "more_body": False}
            await done.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                cookies.extend(v.decode() for k, v in message.get("headers", [])
                               if k.lower() == b"set-cookie")
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body"):
                    done.set()

        await self.app(scope, receive, send)
        return status, b"".join(chunks).decode(), cookies

    async def websocket(self, path: str, headers: dict[str, str]) -> Socket:
        inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        task = asyncio.ensure_future(self.app(self._scope("websocket", path, headers),
                                              inbox.get, outbox.put))
        inbox.put_nowait({"type": "websocket.connect"})
        accepted = await outbox.get()
        if accepted["type"] != "websocket.accept":
            raise SystemExit(f"the socket was refused: {accepted}")
        return Socket(inbox, outbox, task)


def private_folders() -> tempfile.TemporaryDirectory[str]:
    """The apps made in this process keep their files in a temporary folder."""
    tmp = tempfile.TemporaryDirectory(prefix="components-bench-")
    for name in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME",
                 "XDG_RUNTIME_DIR"):
        os.environ[name] = tmp.name
    return tmp


def meta(html: str, name: str) -> str:
    found = re.search(f'<meta name="{name}" content="([^"]*)"', html)
    if found is None:
        raise SystemExit(f"the page has no {name}:\n{html[:1500]}")
    return unescape(found.group(1))


async def open_session(asgi: Asgi, path: str) -> tuple[str, dict[str, str]]:
    """Load ``path`` once: the page, and the headers of its session's later requests."""
    status, html, cookies = await asgi.request("GET", path)
    if status != 200:
        raise SystemExit(f"GET {path} answered {status}")
    cookie = "; ".join(c.split(";", 1)[0] for c in cookies)
    return html, {"cookie": cookie, "x-csrf-token": meta(html, "csrf-token")}


# ---- 2. server time per event --------------------------------------------------------------

FORM = {"content-type": "application/x-www-form-urlencoded", "hx-request": "true"}


async def events(stack: contextlib.AsyncExitStack) -> dict[str, Callable[[], Awaitable[int]]]:
    """One change of row 500 per call, each way (checked once here): the bytes answered.
    The apps run until ``stack`` closes."""
    from bench.apps import components_appkit, components_starlette

    appkit = await stack.enter_async_context(
        Asgi(components_appkit.create_app("bench-components-time")))
    starlette = await stack.enter_async_context(Asgi(components_starlette.app))
    html, headers = await open_session(appkit, "/")
    found = re.search(r'data-component="People" data-c="([^"]*)"', html)
    if found is None:
        raise SystemExit("the page has no People component")
    event = {"_c": unescape(found.group(1)), "_h": "rename", "row": "500"}
    live = json.loads(meta(html, "appkit-live"))
    socket = await appkit.websocket(
        f"{live['url']}?{urlencode({'appkit-csrf': headers['x-csrf-token']})}",
        {"cookie": headers["cookie"]})
    stack.push_async_callback(socket.close)
    socket.send(json.dumps({"t": "hello", "v": 1, "build": live["build"], "boot": live["boot"],
                            "page": secrets.token_hex(16), "topics": {}, "replied": 0}))
    if (await socket.receive())["t"] != "welcome":
        raise SystemExit("the live socket was not welcomed")
    refs = iter(range(1, 10**9))
    form = {**headers, **FORM}
    body = urlencode(event).encode()

    async def over_socket() -> int:
        ref = next(refs)
        frame = json.dumps({"t": "ev", "ref": ref, "route": "/_appkit-component", "d": event})
        socket.send(frame)
        while True:
            reply = await socket.receive()
            if reply.get("t") == "reply" and reply["ref"] == ref:
                ops = reply.get("ops") or [{}]
                if not reply["ok"] or len(ops) != 1 or ops[0].get("target") != "r500":
                    raise SystemExit(f"the socket's reply is not one row: {reply}")
                if "id" in reply:  # as live.js does
                    socket.send(json.dumps({"t": "ack", "id": reply["id"]}))
                return len(json.dumps(reply))

    def post(asgi: Asgi, path: str, data: bytes, headers: dict[str, str], what: str
             ) -> Callable[[], Awaitable[int]]:
        async def call() -> int:
            status, text, _ = await asgi.request("POST", path, data, headers)
            if status != 200 or 'id="r500"' not in text or "Renamed person" not in text:
                raise SystemExit(f"{what} answered {status}: {text[:300]}")
            return len(text.encode())
        return call

    return {"component over the socket": over_socket,
            "component over HTTP": post(appkit, "/_appkit-component", body, form,
                                        "POST /_appkit-component"),
            "htmx route (the floor)": post(appkit, "/rows/500", b"", form, "POST /rows/500"),
            "bare Starlette f-string": post(starlette, "/rows/500", b"", FORM,
                                            "Starlette's POST /rows/500")}


async def server_times(repeat: int, min_time: float) -> tuple[dict[str, float], dict[str, int]]:
    """Seconds of process CPU per event (best of ``repeat`` runs, interleaved), and the
    bytes each answers."""
    async with contextlib.AsyncExitStack() as stack:
        return await _server_times(await events(stack), repeat, min_time)


async def _server_times(calls: dict[str, Callable[[], Awaitable[int]]], repeat: int,
                        min_time: float) -> tuple[dict[str, float], dict[str, int]]:
    sizes = {name: await call() for name, call in calls.items()}  # checked, warmed up
    numbers = {}
    for name, call in calls.items():
        number = 1
        while True:
            t0 = time.process_time()
            for _ in range(number):
                await call()
            if time.process_time() - t0 >= min_time:
                break
            number *= 2
        numbers[name] = number
    best = dict.fromkeys(calls, float("inf"))
    for _ in range(repeat):
        for name, call in calls.items():
            t0 = time.process_time()
            for _ in range(numbers[name]):
                await call()
            best[name] = min(best[name], (time.process_time() - t0) / numbers[name])
    return best, sizes


# ---- 3. memory per component ---------------------------------------------------------------

PAGES = {"with": "/counter", "without": "/counter-plain"}


async def traced_growth(n: int, n_people: int) -> dict[str, float]:
    """Bytes Python allocated and kept per page load: ``n`` with and without the counter,
    and ``n_people`` of ``People`` (1,000 keyed rows)."""
    from bench.apps import components_appkit

    tracemalloc.start()
    try:
        app = components_appkit.create_app("bench-components-memory")
        store = app.extension("live").components.store
        async with Asgi(app) as asgi:
            _, headers = await open_session(asgi, PAGES["without"])
            growth = {}
            for kind, path, loads, warm in (("without", PAGES["without"], n, 20),
                                            ("with", PAGES["with"], n, 20),
                                            ("people", "/", n_people, 3)):
                kept = len(store)
                for _ in range(warm):
                    await asgi.request("GET", path, headers={"cookie": headers["cookie"]})
                gc.collect()
                before = tracemalloc.get_traced_memory()[0]
                for _ in range(loads):
                    status, _, _ = await asgi.request("GET", path,
                                                      headers={"cookie": headers["cookie"]})
                    if status != 200:
                        raise SystemExit(f"GET {path} answered {status}")
                gc.collect()
                growth[kind] = (tracemalloc.get_traced_memory()[0] - before) / loads
                if len(store) - kept != (0 if kind == "without" else loads + warm):
                    raise SystemExit(f"{len(store) - kept} components kept after "
                                     f"{loads + warm} loads of {path}")
            return growth
    finally:
        tracemalloc.stop()


def rss_growth(n: int) -> dict[str, float]:
    """Bytes of a server process's RSS per page load, with and without the component (a
    fresh server for each)."""
    growth = {}
    for kind, path in sorted(PAGES.items(), reverse=True):
        with Server(APPKIT) as server:
            cookie = "; ".join(c.split(";", 1)[0] for c in get(server.port, path)[2])
            conn = http.client.HTTPConnection(HOST, server.port, timeout=30)
            try:
                load(conn, path, cookie, 50)
                time.sleep(0.5)
                before = server.rss_kb()
                load(conn, path, cookie, n)
                time.sleep(0.5)
                growth[kind] = (server.rss_kb() - before) * 1024 / n
            finally:
                conn.close()
    return growth


def load(conn: http.client.HTTPConnection, path: str, cookie: str, times: int) -> None:
    """GET ``path`` ``times`` times on ``conn``, with the session's ``cookie``."""
    for _ in range(times):
        conn.request("GET", path, headers={"Cookie": cookie})
        resp = conn.getresponse()
        resp.read()
        if resp.status != 200:
            raise SystemExit(f"GET {path} answered {resp.status}")


# ---- the run -----------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke test, under a minute")
    parser.add_argument("--only", default="bytes,time,memory",
                        help="comma-separated parts (default all)")
    args = parser.parse_args()
    parts = set(args.only.split(","))
    repeats, repeat, min_time, n, n_people = (
        (1, 3, 0.05, 300, 20) if args.quick else (5, 15, 0.2, 2000, 100))
    started = time.monotonic()
    tmp = private_folders()
    print(f"Machine: {os.cpu_count()} cores, {cpu_model()}, {platform.system()} "
          f"{platform.release()} {platform.machine()}; the browser and the servers share them.")
    print(f"Software: CPython {platform.python_version()}, appkit {version('appkit')} "
          f"(source tree), nicegui {version('nicegui')}, starlette {version('starlette')}, "
          f"uvicorn {version('uvicorn')}, playwright {version('playwright')}", flush=True)

    wires: dict[str, Wire] = {}
    times: dict[str, float] = {}
    sizes: dict[str, int] = {}
    traced: dict[str, float] = {}
    rss: dict[str, float] = {}
    if "bytes" in parts:
        browser = Browser()
        print(f"Chromium {browser.version} ({CHROMIUM}), headless", flush=True)
        print(f"\n1. Bytes on the wire to change row 500 of 1,000, {repeats} changes each")
        try:
            for label in VARIANTS:
                wires[label], frames, sent = wire(browser, label, repeats)
                w = wires[label]
                print(f"  {label:<19} received {w.received_bytes} B in {w.received_frames} "
                      f"frames, sent {w.sent_bytes} B in {w.sent_frames}; the page "
                      f"{w.page_bytes:,} B", flush=True)
                if label.startswith("appkit"):
                    print(f"  (received {check_appkit_reply(frames)}; sent "
                          f"{' and '.join(sent)})")
        finally:
            browser.close()
        if browser.blocked:
            raise SystemExit(f"A page tried to reach the network: {browser.blocked[:5]}")
    if "time" in parts:
        print(f"\n2. Server time per change of row 500 (process CPU, best of {repeat})",
              flush=True)
        busy, t0 = machine_busy(), time.monotonic()
        times, sizes = asyncio.run(server_times(repeat, min_time))
        load = (machine_busy() - busy) / (time.monotonic() - t0)
        print(f"  (the machine was busy with {load:.2f} cores meanwhile, this benchmark's "
              "one included)")
        for name, t in times.items():
            print(f"  {name:<26} {t * 1e6:9.1f} us  (answers {sizes[name]:,} B)", flush=True)
    if "memory" in parts:
        print(f"\n3. Memory per counter, N = {n:,} page loads", flush=True)
        traced = asyncio.run(traced_growth(n, n_people))
        rss = rss_growth(n)
        for kind in ("with", "without"):
            print(f"  {kind:<8} the component: tracemalloc {traced[kind]:8.0f} B, RSS "
                  f"{rss[kind]:8.0f} B per page load", flush=True)
        print(f"  People (1,000 keyed rows), {n_people} loads: tracemalloc "
              f"{traced['people']:,.0f} B per page load", flush=True)
    tmp.cleanup()
    report(wires, times, traced, rss)
    print(f"\nThe run took {time.monotonic() - started:.0f} s.")


def report(wires: dict[str, Wire], times: dict[str, float], traced: dict[str, float],
           rss: dict[str, float]) -> None:
    print("\n## Figures\n")
    if wires:
        appkit = "appkit component"
        total = {k: statistics.median(w.received_bytes) + statistics.median(w.sent_bytes)
                 for k, w in wires.items()}
        print("| change row 500 of 1,000 | received, B | sent, B | total, B | frames in/out "
              "| page, B | total / appkit's |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for label, w in wires.items():
            print(f"| {label} | {statistics.median(w.received_bytes):,.0f} | "
                  f"{statistics.median(w.sent_bytes):,.0f} | {total[label]:,.0f} | "
                  f"{statistics.median(w.received_frames):.0f}/"
                  f"{statistics.median(w.sent_frames):.0f} | {w.page_bytes:,} | "
                  f"{ratio(total[label], total[appkit])} |")
        print(f"\nFor context, not measured here: {PHOENIX}.")
    if times:
        floor = times["htmx route (the floor)"]
        print("\n| server time per event | us | / floor | / bare Starlette |")
        print("|---|---:|---:|---:|")
        for name, t in times.items():
            print(f"| {name} | {t * 1e6:,.1f} | {ratio(t, floor)} | "
                  f"{ratio(t, times['bare Starlette f-string'])} |")
    if traced:
        print("\n| memory per counter, B | tracemalloc | RSS |")
        print("|---|---:|---:|")
        for kind in ("with", "without"):
            print(f"| a page load {kind} the component | {traced[kind]:,.0f} | "
                  f"{rss[kind]:,.0f} |")
        print(f"| the component's own | {traced['with'] - traced['without']:,.0f} | "
              f"{rss['with'] - rss['without']:,.0f} |")
        print(f"| (People, 1,000 keyed rows: a page load) | {traced['people']:,.0f} | |")

    print("\n## Targets\n")
    print("| target | measured | verdict |")
    print("|---|---|---|")
    if wires:
        a = total["appkit component"]
        print(f"| changing one row of 1,000 under {TARGET_BYTES} B | {a:,.0f} B "
              f"(received + sent) | {verdict(a < TARGET_BYTES, f'{a - TARGET_BYTES:+,.0f} B')} |")
        for label in VARIANTS:
            if label != "appkit component":
                print(f"| (no target) against {label} | {a:,.0f} vs {total[label]:,.0f} B | "
                      f"{ratio(a, total[label])} |")
    if times:
        t = times["component over the socket"]
        print(f"| server time: no target in issue 13 | component over the socket "
              f"{fmt(t * 1e6)} us, {ratio(t, times['htmx route (the floor)'])} the floor | "
              "- |")
    if traced:
        own = (traced["with"] - traced["without"]) / 1024
        print(f"| appkit's memory per counter under {TARGET_MEMORY_KB:g} KB (tracemalloc) | "
              f"{own:.2f} KB (RSS: {(rss['with'] - rss['without']) / 1024:.2f} KB) | "
              f"{verdict(own < TARGET_MEMORY_KB, f'{own - TARGET_MEMORY_KB:+.2f} KB')} |")


if __name__ == "__main__":
    main()
