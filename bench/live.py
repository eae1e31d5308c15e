"""Live pages: appkit's live layer against FastHTML's websocket and NiceGUI, on the same chat.

The apps (``bench/apps/``): ``live_appkit.py`` (a copy of ``examples/chat`` with its messages
in memory), ``live_fasthtml.py`` (``@app.ws`` and htmx's ws extension), ``live_nicegui.py``
(NiceGUI in the browser) and, for memory only, ``live_starlette.py`` (a bare Starlette
websocket). Each page shows a list ``#messages`` with one ``li`` per message and a form
``#send`` with an input ``text``; a message sent by one page is added to every open page.
Every server runs in a process of its own (uvicorn; NiceGUI's ``ui.run``), a fresh one for
each measurement. The browser is Debian's Chromium, driven by Playwright; every request to a
host other than loopback is refused and reported (the pages must work offline).

What it measures:

1. **Event round trip**: in the page, ``performance.now()`` from ``form.requestSubmit()`` to a
   MutationObserver seeing the new ``li`` (browser -> server -> every page -> DOM), one
   event at a time, after 20 not counted.
2. **Bytes on the wire** to add one message to a page showing 1,000: the websocket frame
   payloads a watching page receives (and sends: acknowledgements) when another page sends
   a message, counted by Playwright (``framereceived`` / ``framesent``) from just before the
   send until 3.2 s after (NiceGUI acknowledges every 3 s). Frame headers are not counted.
3. **Server memory per idle page**: the server's RSS with N pages connected minus with none,
   divided by N. The pages are a Python client (``websockets``) speaking each framework's
   protocol: appkit's hello, socket.io for NiceGUI (after the GET that makes its page), a
   bare socket for FastHTML and Starlette (whose figure is uvicorn's own cost).
4. **Connections held**: 1,000 appkit live connections from one Python client, each pinging
   every heartbeat (``LiveSettings.heartbeat``: the page's job; appkit's server does not
   ping, uvicorn pings at the protocol level every 20 s), held 30 s. Every 5 s one of them
   sends a message and the client times until all 1,000 have it, and a GET of the page is
   timed. At the end: how many are still open and got every message.
5. **Resync after a cut**: a watching page reaches the server through a loopback TCP proxy;
   the proxy drops its connections and refuses new ones for 5 s while another page (not
   through the proxy) sends 5 messages; then it listens again. Measured from that moment to
   the last of the 5 messages showing in the watcher (``Date.now()`` when an observer saw
   each ``li`` appear, the proxy's restore by the same clock), and to the watcher's
   websocket opening again. Messages that never show (within 1.5 s after the socket
   reopened, 20 s at most) are lost; one shown twice is doubled.

Run from the repository root:

    .venv/bin/python bench/live.py              # the full run, about 7 minutes
    .venv/bin/python bench/live.py --quick      # a smoke test, about 2 minutes

See bench/README.md ("Live pages") for the figures.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Keep this folder off the import path (bench/requests.py would shadow the ``requests``
# package); import from the repository root.
_HERE = Path(__file__).resolve().parent
ROOT = _HERE.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(ROOT))
import argparse  # noqa: E402
import ast  # noqa: E402
import asyncio  # noqa: E402
import contextlib  # noqa: E402
import http.client  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import re  # noqa: E402
import resource  # noqa: E402
import secrets  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from collections.abc import Mapping  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from html import unescape  # noqa: E402
from typing import Any  # noqa: E402
from urllib.parse import urlencode, urlsplit  # noqa: E402

from appkit.testing.proxy import CuttableProxy  # noqa: E402
from bench.machine import cpu_model, machine_busy, version  # noqa: E402

HOST = "127.0.0.1"
CHROMIUM = "/usr/lib/chromium/chromium"
CHROMIUM_ARGS = [  # as tests/browser.py
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}
PEERS = ("fasthtml", "nicegui")
FRAMEWORKS = ("appkit", *PEERS)
#: The round trip is measured a fourth time: appkit with the chat's ``send`` marked
#: ``@nonblocking`` (on the loop, as FastHTML's coroutine), to show the worker thread's part.
INLINE = "appkit-inline"
SERVED = {  # name -> the module whose ``app`` uvicorn serves (NiceGUI runs its own script)
    "appkit": "bench.apps.live_appkit",
    "appkit-inline": "bench.apps.live_appkit",  # with BENCH_INLINE=1: send is @nonblocking
    "fasthtml": "bench.apps.live_fasthtml",
    "starlette": "bench.apps.live_starlette",
}
TARGET_RTT_P99_MS = 20.0
TARGET_MEMORY_KB = 64.0
TARGET_CONNECTIONS = 1000
TARGET_RESYNC_P95_MS = 250.0
HEARTBEAT = 15.0  # LiveSettings().heartbeat, the page's ping interval


# ---- servers ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def serve(name: str, port: int) -> None:
    """The serving process of ``name`` (not NiceGUI): uvicorn, one worker, defaults."""
    import importlib

    import uvicorn

    app = importlib.import_module(SERVED.get(name, name)).app
    uvicorn.run(app, host=HOST, port=port, log_level="warning", access_log=False)


def get(port: int, path: str = "/", headers: dict[str, str] | None = None
        ) -> tuple[int, str, list[str]]:
    """Status, body and Set-Cookie headers of one GET on a new connection."""
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        conn.request("GET", path, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.read().decode(), resp.headers.get_all("Set-Cookie") or []
    finally:
        conn.close()


_TICK = os.sysconf("SC_CLK_TCK")


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system, all threads) process ``pid`` has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / _TICK


def rss_kb(pid: int) -> int:
    """The resident memory of process ``pid``, in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise SystemExit(f"no VmRSS for process {pid}")


class Server:
    """One app in a process of its own, with ``preload`` messages. ``name``: one of
    ``SERVED`` or a module with an ``app`` (served by uvicorn), ``nicegui``, or a script
    (``bench/apps/....py``, run with the port as its argument); ``env``: more of the
    process's environment."""

    def __init__(self, name: str, preload: int = 0, env: dict[str, str] | None = None
                 ) -> None:
        self.name = name
        self.port = free_port()
        self._tmp = tempfile.TemporaryDirectory(prefix="live-bench-")
        env = {**os.environ, **(env or {}), "BENCH_PRELOAD": str(preload),
               "PYTHONPATH": str(ROOT),
               # appkit's per-user folders (its session key) and NiceGUI's storage: private
               "XDG_DATA_HOME": self._tmp.name, "XDG_CONFIG_HOME": self._tmp.name,
               "XDG_CACHE_HOME": self._tmp.name, "XDG_STATE_HOME": self._tmp.name,
               "XDG_RUNTIME_DIR": self._tmp.name}
        if name == "nicegui" or name.endswith(".py"):
            script = "bench/apps/live_nicegui.py" if name == "nicegui" else name
            cmd = [sys.executable, str(ROOT / script), str(self.port)]
        else:
            cmd = [sys.executable, str(Path(__file__).resolve()), "--serve", name,
                   "--port", str(self.port)]
        self.proc = subprocess.Popen(cmd, cwd=self._tmp.name, env=env)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}/"

    def wait(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise SystemExit(f"{self.name}: the server exited with {self.proc.returncode}")
            try:
                get(self.port, "/")  # any answer (the bare Starlette app has no page: 404)
                return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"{self.name}: no answer on port {self.port} after {timeout} s")
            time.sleep(0.05)

    def rss_kb(self) -> int:
        return rss_kb(self.proc.pid)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._tmp.cleanup()

    def __enter__(self) -> Server:
        try:
            self.wait()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


# ---- the browser -----------------------------------------------------------------------

# Before any of the page's scripts: note when each websocket opens, and when each li first
# shows (by its text), on the machine's clock (Date.now()).
INIT_SCRIPT = """
(() => {
  window.__wsOpens = [];
  window.__wsTries = [];
  window.__appeared = {};
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      window.__wsTries.push(Date.now());
      super(...args);
      this.addEventListener("open", () => window.__wsOpens.push(Date.now()));
    }
  };
  function note(node) {
    if (node.nodeType !== 1) return;
    const items = node.tagName === "LI" ? [node] : node.querySelectorAll("li");
    const now = Date.now();
    items.forEach((li) => {
      const text = li.textContent.trim();
      if (!(text in window.__appeared)) window.__appeared[text] = now;
    });
  }
  new MutationObserver((records) => {
    for (const r of records) r.addedNodes.forEach(note);
  }).observe(document, { childList: true, subtree: true });
})();
"""

READY = {  # besides a websocket open: the page is live
    "appkit": "document.documentElement.getAttribute('data-live') === 'live'",
    "fasthtml": "true",
    "nicegui": "window.did_handshake === true",
}
READY[INLINE] = READY["appkit"]

SUBMIT = """(text) => {
  const form = document.querySelector("#send");
  const input = form.querySelector("input[name=text]");
  input.value = text;
  form.requestSubmit();
}"""

ROUND_TRIPS = """async ({n, prefix, pause}) => {
  const form = document.querySelector("#send");
  const input = form.querySelector("input[name=text]");
  const times = [];
  for (let i = 0; i < n; i++) {
    const text = prefix + i;
    const took = await new Promise((resolve) => {
      let t0 = 0;
      const timer = setTimeout(() => { observer.disconnect(); resolve(-1); }, 5000);
      const observer = new MutationObserver(() => {
        const last = document.querySelector("#messages").lastElementChild;
        if (last && last.textContent.trim() === text) {
          const t = performance.now() - t0;
          observer.disconnect(); clearTimeout(timer); resolve(t);
        }
      });
      observer.observe(document.body, { childList: true, subtree: true, characterData: true });
      input.value = text;
      t0 = performance.now();
      form.requestSubmit();
    });
    times.push(took);
    await new Promise((r) => setTimeout(r, pause));
  }
  return times;
}"""

COUNT_TEXTS = """(texts) => {
  const counts = {};
  texts.forEach((t) => { counts[t] = 0; });
  document.querySelectorAll("#messages > li").forEach((li) => {
    const t = li.textContent.trim();
    if (t in counts) counts[t] += 1;
  });
  return counts;
}"""


class Browser:
    """Chromium through Playwright; every page refuses and records non-loopback requests."""

    def __init__(self) -> None:
        from playwright.sync_api import sync_playwright

        if not Path(CHROMIUM).is_file():
            raise SystemExit(f"Chromium is not at {CHROMIUM} (apt-get install chromium)")
        self._pw = sync_playwright().start()
        self.browser = self._pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        self.version = self.browser.version
        self.blocked: list[str] = []

    def new_page(self) -> Any:
        context = self.browser.new_context()

        def guard(route: Any) -> None:
            parts = urlsplit(route.request.url)
            if parts.scheme in ("data", "blob") or (parts.hostname or "") in LOOPBACK_HOSTS:
                route.continue_()
            else:
                self.blocked.append(route.request.url)
                route.abort()

        context.route("**/*", guard)
        context.add_init_script(INIT_SCRIPT)
        page = context.new_page()
        page.set_default_timeout(20_000)
        return page

    def close(self) -> None:
        self.browser.close()
        self._pw.stop()


def open_page(browser: Browser, name: str, url: str) -> Any:
    page = browser.new_page()
    page.goto(url)
    page.wait_for_function(f"window.__wsOpens.length > 0 && ({READY[name]})", polling=20)
    page.wait_for_timeout(200)
    return page


def close_page(page: Any) -> None:
    page.context.close()


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0-1) of ``values``, nearest rank."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-q * len(ordered) // 1))))
    return ordered[rank - 1]


# ---- 1. round trip ---------------------------------------------------------------------


def round_trips(browser: Browser, events: int, block: int = 50
                ) -> tuple[dict[str, list[float]], dict[str, float], list[float]]:
    """``events`` round trips per framework, in blocks of ``block`` taken in turn (so
    other work on the machine falls on all of them alike); the server's CPU time per event
    (ms, from /proc: 10 ms ticks); and the machine's load (cores busy) during
    each block."""
    names = (*FRAMEWORKS, INLINE)
    times: dict[str, list[float]] = {name: [] for name in names}
    cpu: dict[str, float] = {name: 0.0 for name in names}
    loads: list[float] = []
    with contextlib.ExitStack() as stack:
        pages = {}
        servers = {}
        for name in names:
            env = {"BENCH_INLINE": "1"} if name == INLINE else None
            server = servers[name] = stack.enter_context(Server(name, env=env))
            pages[name] = page = open_page(browser, name, server.url)
            stack.callback(close_page, page)
            page.evaluate(ROUND_TRIPS, {"n": 20, "prefix": "warm-up ", "pause": 2})
        done = 0
        while done < events:
            n = min(block, events - done)
            for name, page in pages.items():
                busy, t = machine_busy(), time.monotonic()
                cpu0 = process_cpu(servers[name].proc.pid)
                times[name] += page.evaluate(
                    ROUND_TRIPS, {"n": n, "prefix": f"event {done}+", "pause": 2})
                cpu[name] += process_cpu(servers[name].proc.pid) - cpu0
                loads.append((machine_busy() - busy) / (time.monotonic() - t))
            done += n
        for name, page in pages.items():
            lost = sum(1 for t in times[name] if t < 0)
            shown = page.locator("#messages > li").count()
            if lost or shown != 20 + events:
                raise SystemExit(f"{name}: {lost} of {events} events never showed (the page "
                                 f"has {shown} messages, not {20 + events})")
    return times, {n: 1000 * c / events for n, c in cpu.items()}, loads


# ---- 2. bytes on the wire --------------------------------------------------------------


@dataclass
class Wire:
    received_bytes: list[int] = field(default_factory=list)
    received_frames: list[int] = field(default_factory=list)
    sent_bytes: list[int] = field(default_factory=list)
    sent_frames: list[int] = field(default_factory=list)
    page_bytes: int = 0


def _size(payload: Any) -> int:
    return len(payload.encode()) if isinstance(payload, str) else len(payload)


def wire_bytes(browser: Browser, name: str, preload: int, repeats: int) -> Wire:
    wire = Wire()
    counts = {"rb": 0, "rf": 0, "sb": 0, "sf": 0}

    def on_socket(ws: Any) -> None:
        def received(payload: Any) -> None:
            counts["rb"] += _size(payload)
            counts["rf"] += 1

        def sent(payload: Any) -> None:
            counts["sb"] += _size(payload)
            counts["sf"] += 1

        ws.on("framereceived", received)
        ws.on("framesent", sent)

    with Server(name, preload=preload) as server:
        wire.page_bytes = len(get(server.port, "/")[1].encode())
        watcher = browser.new_page()
        watcher.on("websocket", on_socket)
        watcher.goto(server.url)
        watcher.wait_for_function(f"window.__wsOpens.length > 0 && ({READY[name]})",
                                  polling=20)
        sender = open_page(browser, name, server.url)
        try:
            shown = watcher.locator("#messages > li").count()
            if shown != preload:
                raise SystemExit(f"{name}: the page shows {shown} messages, not {preload}")
            watcher.wait_for_timeout(3500)  # past NiceGUI's first acknowledgement
            for k in range(repeats):
                text = f"Message number {k + 1:04d} to a page showing many"
                for key in counts:
                    counts[key] = 0
                sender.evaluate(SUBMIT, text)
                watcher.wait_for_function(
                    "(t) => { const l = document.querySelector('#messages').lastElementChild;"
                    " return l && l.textContent.trim() === t; }", arg=text, polling=5)
                watcher.wait_for_timeout(3200)
                wire.received_bytes.append(counts["rb"])
                wire.received_frames.append(counts["rf"])
                wire.sent_bytes.append(counts["sb"])
                wire.sent_frames.append(counts["sf"])
        finally:
            close_page(sender)
            close_page(watcher)
    return wire


# ---- 3-4. Python clients for memory and connections ---------------------------------------


@dataclass
class Session:
    """What a page of the app knows after its GET: cookie, CSRF token, live config."""

    headers: dict[str, str]
    query: dict[str, str]
    live: dict[str, Any]
    chat_seq: int = 0


def appkit_session(port: int) -> Session:
    status, body, cookies = get(port, "/")
    token = re.search(r'<meta name="csrf-token" content="([^"]*)"', body)
    live = re.search(r'<meta name="appkit-live" content="([^"]*)"', body)
    seq = re.search(r'data-live-topic="chat" data-live-seq="(\d+)"', body)
    if status != 200 or not token or not live or not seq:
        raise SystemExit(f"appkit: the page has no CSRF token or live config:\n{body[:1500]}")
    cookie = "; ".join(c.split(";", 1)[0] for c in cookies)
    return Session({"Cookie": cookie}, {"appkit-csrf": unescape(token.group(1))},
                   json.loads(unescape(live.group(1))), int(seq.group(1)))


class Client:
    """One page's socket, opened by ``open_*`` below; ``run()`` reads and answers it."""

    def __init__(self, ws: Any, name: str) -> None:
        self.ws = ws
        self.name = name
        #: When set, ``(text, count, target, event)``: count the connections that got the
        #: probe ``text`` and set ``event`` when ``target`` have it.
        self.probe: list[Any] | None = None
        self.texts: set[str] = set()  # the probe messages it received
        self.pongs = 0
        self.pings = 0
        self.error: str | None = None
        self.closed = False

    async def run(self) -> None:
        try:
            async for raw in self.ws:
                if self.name == "appkit":
                    frame = json.loads(raw)
                    if frame["t"] == "pong":
                        self.pongs += 1
                    elif frame["t"] == "msg":
                        for op in frame["ops"]:
                            if m := re.search(r">(probe \d+)<", op["html"]):
                                self.texts.add(m.group(1))
                                probe = self.probe
                                if probe is not None and probe[0] == m.group(1):
                                    probe[1] += 1
                                    if probe[1] >= probe[2]:
                                        probe[3].set()
                        await self.ws.send(json.dumps({"t": "ack", "id": frame["id"]}))
                elif self.name == "nicegui" and raw == "2":  # engine.io's ping
                    await self.ws.send("3")
        except Exception as exc:  # reported as the connection's end
            self.error = f"{type(exc).__name__}: {exc}"
        self.closed = True

    async def heartbeat(self, interval: float) -> None:
        """appkit's page pings after ``interval`` s of silence: here every ``interval`` s
        (from a random start), as the worst case."""
        await asyncio.sleep(interval * secrets.randbelow(1000) / 1000)
        while not self.closed:
            with contextlib.suppress(Exception):
                await self.ws.send('{"t":"ping"}')
                self.pings += 1
            await asyncio.sleep(interval)


async def open_client(name: str, port: int, session: Session | None) -> Client:
    from websockets.asyncio.client import connect

    origin = f"http://{HOST}:{port}"
    kw: dict[str, Any] = {"origin": origin, "ping_interval": None, "max_size": 2**22,
                          "open_timeout": 30}
    if name == "appkit":
        assert session is not None
        url = f"ws://{HOST}:{port}{session.live['url']}?{urlencode(session.query)}"
        ws = await connect(url, additional_headers=session.headers, **kw)
        await ws.send(json.dumps({
            "t": "hello", "v": 1, "build": session.live["build"], "boot": session.live["boot"],
            "page": secrets.token_hex(16), "topics": {"chat": session.chat_seq},
            "replied": 0}))
        welcome = json.loads(await asyncio.wait_for(ws.recv(), 30))
        if welcome.get("t") != "welcome":
            raise SystemExit(f"appkit: no welcome but {welcome}")
    elif name == "nicegui":
        status, body, _ = await asyncio.to_thread(get, port, "/")  # makes the page's client
        query = re.search(r"query: (\{.*?\}),\n", body)
        if status != 200 or not query:
            raise SystemExit(f"nicegui: no socket.io query in the page:\n{body[-1500:]}")
        params = {k: str(v).lower() if isinstance(v, bool) else str(v)
                  for k, v in ast.literal_eval(query.group(1)).items()}  # a Python dict
        params.update(EIO="4", transport="websocket", tab_id=str(uuid.uuid4()),
                      document_id=str(uuid.uuid4()))
        ws = await connect(f"ws://{HOST}:{port}/_nicegui_ws/socket.io/?{urlencode(params)}",
                           **kw)
        opened = await asyncio.wait_for(ws.recv(), 30)
        await ws.send("40")
        connected = await asyncio.wait_for(ws.recv(), 30)
        if not str(opened).startswith("0") or not str(connected).startswith("40"):
            raise SystemExit(f"nicegui: socket.io handshake failed: {opened!r} {connected!r}")
    else:
        ws = await connect(f"ws://{HOST}:{port}/ws", **kw)
    return Client(ws, name)


async def open_many(name: str, port: int, n: int, batch: int = 50) -> list[Client]:
    """``n`` pages' sockets, ``batch`` at a time; for appkit each batch is the windows of
    one more user (a session of their own: appkit lets one user keep ``pages_per_user``,
    64, pages)."""
    clients: list[Client] = []
    for start in range(0, n, batch):
        session = await asyncio.to_thread(appkit_session, port) if name == "appkit" else None
        clients += await asyncio.gather(*(open_client(name, port, session)
                                          for _ in range(min(batch, n - start))))
    return clients


async def close_all(clients: list[Client]) -> None:
    await asyncio.gather(*(c.ws.close() for c in clients), return_exceptions=True)


def run_async(coro: Any) -> Any:
    """Run ``coro`` to its end on a loop of its own, in a thread (Playwright's sync API
    keeps a loop running in this one)."""
    result: dict[str, Any] = {}

    def target() -> None:
        try:
            result["value"] = asyncio.run(coro)
        except BaseException as exc:  # handed to the caller
            result["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    return result["value"]


async def _memory(name: str, server: Server, n: int) -> tuple[int, int, int]:
    warm = await open_many(name, server.port, 5)  # code paths loaded, then gone
    tasks = [asyncio.ensure_future(c.run()) for c in warm]
    await asyncio.sleep(0.5)
    await close_all(warm)
    await asyncio.gather(*tasks, return_exceptions=True)
    await asyncio.sleep(1.5)
    before = server.rss_kb()
    clients = await open_many(name, server.port, n)
    tasks = [asyncio.ensure_future(c.run()) for c in clients]
    await asyncio.sleep(3.0)  # idle
    after = server.rss_kb()
    alive = sum(1 for c in clients if not c.closed)
    await close_all(clients)
    await asyncio.gather(*tasks, return_exceptions=True)
    return before, after, alive


def memory(name: str, n: int) -> tuple[float, int, int]:
    """KiB per idle page, and the RSS before and after."""
    with Server(name) as server:
        before, after, alive = run_async(_memory(name, server, n))
    if alive != n:
        raise SystemExit(f"{name}: only {alive} of {n} idle connections stayed open")
    return (after - before) / n, before, after


@dataclass
class Held:
    opened: int = 0
    open_seconds: float = 0.0
    alive: int = 0
    complete: int = 0  # alive and got every probe
    probes: list[float] = field(default_factory=list)  # ms until every connection had it
    gets: list[float] = field(default_factory=list)  # ms for a GET of the page
    pings: int = 0
    pongs: int = 0
    rss_kb: int = 0
    cpu_per_s: float = 0.0  # the server's CPU seconds per second during the hold
    errors: list[str] = field(default_factory=list)


async def _hold(server: Server, n: int, seconds: float) -> Held:
    held = Held()
    t0 = time.perf_counter()
    clients = await open_many("appkit", server.port, n)
    held.open_seconds = time.perf_counter() - t0
    held.opened = len(clients)
    tasks = [asyncio.ensure_future(c.run()) for c in clients]
    beats = [asyncio.ensure_future(c.heartbeat(HEARTBEAT)) for c in clients]
    sender = clients[0]
    cpu0, t_hold = process_cpu(server.proc.pid), time.monotonic()
    end = t_hold + seconds
    k = 0
    while time.monotonic() + 5.0 <= end:
        await asyncio.sleep(2.5)
        k += 1
        text = f"probe {k}"
        probe: list[Any] = [text, 0, n, asyncio.Event()]
        for c in clients:
            c.probe = probe
        t = time.perf_counter()
        await sender.ws.send(json.dumps({"t": "ev", "ref": k, "route": "/chat",
                                         "d": {"text": text}}))
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(probe[3].wait(), 10)
        held.probes.append(1000 * (time.perf_counter() - t))
        await asyncio.sleep(max(0.0, t_hold + 5.0 * k - time.monotonic()))
        t = time.perf_counter()  # a GET of the page while the connections idle
        status = (await asyncio.to_thread(get, server.port, "/"))[0]
        held.gets.append(1000 * (time.perf_counter() - t))
        if status != 200:
            held.errors.append(f"GET / answered {status}")
    await asyncio.sleep(max(0.0, end - time.monotonic()))
    held.cpu_per_s = (process_cpu(server.proc.pid) - cpu0) / (time.monotonic() - t_hold)
    held.rss_kb = server.rss_kb()
    for b in beats:
        b.cancel()
    await asyncio.sleep(1.0)  # the answers to the last pings
    wanted = {f"probe {i}" for i in range(1, k + 1)}
    held.alive = sum(1 for c in clients if not c.closed)
    held.complete = sum(1 for c in clients if not c.closed and wanted <= c.texts)
    held.pings = sum(c.pings for c in clients)
    held.pongs = sum(c.pongs for c in clients)
    held.errors += sorted({c.error for c in clients if c.error})[:5]
    await close_all(clients)
    await asyncio.gather(*tasks, *beats, return_exceptions=True)
    return held


def connections(n: int, seconds: float) -> Held:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 2 * n + 256:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 2 * n + 256), hard))
    with Server("appkit") as server:
        return run_async(_hold(server, n, seconds))


# ---- 5. resync after a cut -------------------------------------------------------------


@dataclass
class Cut:
    resync_ms: float | None  # None: not every message came
    reconnect_ms: float | None  # None: the socket did not open again
    lost: int
    doubled: int
    reloaded: bool


def cuts(browser: Browser, name: str, repeats: int, cut_seconds: float = 5.0,
         per_cut: int = 5) -> list[Cut]:
    results: list[Cut] = []
    with Server(name) as server, CuttableProxy(server.port) as proxy:
        sender = open_page(browser, name, server.url)
        watcher = None
        try:
            for r in range(repeats):
                # A fresh page (its own renderer process) for every cut: Chromium throttles
                # a renderer's websocket connections after failed ones (see the README).
                watcher = open_page(browser, name, f"http://{HOST}:{proxy.port}/")
                texts = [f"cut {r + 1} message {i + 1}" for i in range(per_cut)]
                marker = watcher.evaluate("window.__marker = Math.random()")
                proxy.cut()
                cut_at = time.monotonic()
                for i, text in enumerate(texts):
                    wait = cut_at + (i + 0.5) * cut_seconds / per_cut - time.monotonic()
                    time.sleep(max(0.0, wait))
                    sender.evaluate(SUBMIT, text)
                sender.wait_for_function(
                    "(t) => { const l = document.querySelector('#messages').lastElementChild;"
                    " return l && l.textContent.trim() === t; }", arg=texts[-1], polling=5)
                time.sleep(max(0.0, cut_at + cut_seconds - time.monotonic()))
                proxy.restore()
                restored = time.time() * 1000
                state: dict[str, Any] = {}
                deadline = time.monotonic() + 20.0
                while time.monotonic() < deadline:
                    time.sleep(0.02)
                    try:
                        state = watcher.evaluate(
                            "(texts) => ({opens: window.__wsOpens, marker: window.__marker,"
                            " seen: texts.map((t) => window.__appeared[t] ?? null)})", texts)
                    except Exception:  # the page is reloading
                        continue
                    opens = [o for o in state["opens"] if o >= restored]
                    if opens and all(s is not None for s in state["seen"]):
                        break
                    if opens and time.time() * 1000 - opens[0] > 1500:
                        break
                watcher.wait_for_timeout(300)  # anything that would come twice
                counts = watcher.evaluate(COUNT_TEXTS, texts)
                seen = state.get("seen", [None] * per_cut)
                opens = [o for o in state.get("opens", []) if o >= restored]
                results.append(Cut(
                    resync_ms=(max(seen) - restored) if all(s is not None for s in seen)
                    else None,
                    reconnect_ms=(opens[0] - restored) if opens else None,
                    lost=sum(1 for t in texts if counts[t] == 0),
                    doubled=sum(1 for t in texts if counts[t] > 1),
                    reloaded=state.get("marker") != marker))
                close_page(watcher)
                watcher = None
                time.sleep(0.5)
        finally:
            if watcher is not None:
                close_page(watcher)
            close_page(sender)
    return results


# ---- the run -----------------------------------------------------------------------------


def fmt(v: float | None, digits: int = 1) -> str:
    return "-" if v is None else f"{v:,.{digits}f}"


def ratio(a: float | None, b: float | None) -> str:
    return "-" if a is None or b is None or b == 0 else f"{a / b:.2f}x"


def verdict(ok: bool, how: str) -> str:
    return ("met" if ok else "**NOT met**") + f" ({how})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke test: fewer of each")
    parser.add_argument("--only", default="rtt,bytes,memory,connections,cuts",
                        help="comma-separated parts (default all)")
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port)
        return
    parts = set(args.only.split(","))
    events, repeats_bytes, mem_n, conn_n, hold_s, cuts_appkit, cuts_peer = (
        (50, 2, 50, 200, 6.0, 3, 2) if args.quick else (300, 3, 200, 1000, 30.0, 20, 10))
    preload = 1000

    started = time.monotonic()
    print(f"Machine: {os.cpu_count()} cores, {cpu_model()}, {platform.system()} "
          f"{platform.release()} {platform.machine()}; the browser, the client and the "
          "server share them.")
    print(f"Software: CPython {platform.python_version()}, appkit {version('appkit')} "
          f"(source tree), python-fasthtml {version('python-fasthtml')}, nicegui "
          f"{version('nicegui')}, starlette {version('starlette')}, uvicorn "
          f"{version('uvicorn')}, websockets {version('websockets')}, uvloop "
          f"{version('uvloop')}, playwright {version('playwright')}", flush=True)

    browser = Browser() if parts & {"rtt", "bytes", "cuts"} else None
    if browser:
        print(f"Chromium {browser.version} ({CHROMIUM}), headless", flush=True)
    rtt: dict[str, list[float]] = {}
    rtt_cpu: dict[str, float] = {}
    wire: dict[str, Wire] = {}
    mem: dict[str, tuple[float, int, int]] = {}
    held: Held | None = None
    cut: dict[str, list[Cut]] = {}
    try:
        if "rtt" in parts and browser:
            print(f"\n1. Event round trip, {events} events each", flush=True)
            rtt, rtt_cpu, loads = round_trips(browser, events)
            print(f"  the machine was busy with {statistics.median(loads):.2f} cores (median "
                  f"of the blocks; highest {max(loads):.2f}), this benchmark included")
            for name, t in rtt.items():
                print(f"  {name:<9} p50 {percentile(t, .5):6.2f} ms  p99 "
                      f"{percentile(t, .99):6.2f} ms  (lowest {min(t):.2f}, highest "
                      f"{max(t):.2f}); server CPU {rtt_cpu[name]:.2f} ms per event",
                      flush=True)
        if "bytes" in parts and browser:
            print(f"\n2. Bytes to add one message to a page showing {preload:,}", flush=True)
            for name in FRAMEWORKS:
                w = wire[name] = wire_bytes(browser, name, preload, repeats_bytes)
                print(f"  {name:<9} received {w.received_bytes} bytes in {w.received_frames} "
                      f"frames, sent {w.sent_bytes} bytes in {w.sent_frames} frames; the "
                      f"page: {w.page_bytes:,} bytes", flush=True)
        if "memory" in parts:
            print(f"\n3. Server memory per idle page, N = {mem_n}", flush=True)
            for name in (*FRAMEWORKS, "starlette"):
                mem[name] = memory(name, mem_n)
                per, before, after = mem[name]
                print(f"  {name:<9} {per:7.1f} KiB per page  (RSS {before:,} -> {after:,} "
                      f"KiB)", flush=True)
        if "connections" in parts:
            print(f"\n4. {conn_n:,} appkit live connections held {hold_s:g} s", flush=True)
            held = connections(conn_n, hold_s)
            print(f"  opened {held.opened:,} in {held.open_seconds:.1f} s; alive at the end "
                  f"{held.alive:,}, with every message {held.complete:,}; pings "
                  f"{held.pings:,}, pongs {held.pongs:,}; server RSS {held.rss_kb:,} KiB, "
                  f"server CPU {held.cpu_per_s:.3f} cores during the hold",
                  flush=True)
            print(f"  a message from one to all (until the client has read it on every "
                  f"connection): {', '.join(f'{p:.0f}' for p in held.probes)} ms; GET / "
                  f"2.5 s later: {', '.join(f'{g:.1f}' for g in held.gets)} ms", flush=True)
            for e in held.errors:
                print(f"  error: {e}", flush=True)
        if "cuts" in parts and browser:
            print("\n5. Resync after a 5 s cut (5 messages sent during it)", flush=True)
            for name in FRAMEWORKS:
                n = cuts_appkit if name == "appkit" else cuts_peer
                cut[name] = cuts(browser, name, n)
                for i, c in enumerate(cut[name]):
                    print(f"  {name:<9} cut {i + 1:2}: socket open again after "
                          f"{fmt(c.reconnect_ms, 0)} ms, all shown after "
                          f"{fmt(c.resync_ms, 0)} ms; lost {c.lost}, doubled {c.doubled}"
                          f"{', reloaded' if c.reloaded else ''}", flush=True)
    finally:
        if browser:
            browser.close()

    report(rtt, rtt_cpu, wire, mem, held, cut, conn_n, hold_s, preload)
    if browser and browser.blocked:
        print(f"\n**A page tried to reach the network** (refused): {browser.blocked[:5]}")
    elif browser:
        print("\nNo page asked for anything outside loopback (no CDN).")
    print(f"\nThe run took {time.monotonic() - started:.0f} s.")


def report(rtt: dict[str, list[float]], rtt_cpu: dict[str, float], wire: dict[str, Wire],
           mem: dict[str, tuple[float, int, int]], held: Held | None,
           cut: dict[str, list[Cut]], conn_n: int, hold_s: float, preload: int) -> None:
    print("\n## Figures\n")
    print("| measure | " + " | ".join(FRAMEWORKS) + " | "
          + " | ".join(f"appkit/{p}" for p in PEERS) + " |")
    print("|---|" + "---:|" * (len(FRAMEWORKS) + len(PEERS)))

    def row(label: str, values: Mapping[str, float | None], digits: int = 1) -> None:
        cells = [fmt(values.get(n), digits) for n in FRAMEWORKS]
        ratios = [ratio(values.get("appkit"), values.get(p)) for p in PEERS]
        print(f"| {label} | " + " | ".join(cells) + " | " + " | ".join(ratios) + " |")

    if rtt:
        row("round trip p50, ms", {n: percentile(t, .5) for n, t in rtt.items()}, 2)
        row("round trip p99, ms", {n: percentile(t, .99) for n, t in rtt.items()}, 2)
        row("server CPU per event, ms", rtt_cpu, 2)
        if INLINE in rtt:
            inline = {"appkit": rtt[INLINE], **{p: rtt[p] for p in PEERS}}
            row("... `send` @nonblocking: p50, ms",
                {n: percentile(t, .5) for n, t in inline.items()}, 2)
            row("... `send` @nonblocking: p99, ms",
                {n: percentile(t, .99) for n, t in inline.items()}, 2)
            row("... `send` @nonblocking: server CPU per event, ms",
                {"appkit": rtt_cpu[INLINE], **{p: rtt_cpu[p] for p in PEERS}}, 2)
    if wire:
        row(f"bytes received per message (page of {preload:,})",
            {n: statistics.median(w.received_bytes) for n, w in wire.items()}, 0)
        row("frames received per message",
            {n: statistics.median(w.received_frames) for n, w in wire.items()}, 0)
        row("bytes sent by the page (acks) per message",
            {n: statistics.median(w.sent_bytes) for n, w in wire.items()}, 0)
        row(f"page of {preload:,} messages, bytes", {n: w.page_bytes for n, w in wire.items()},
            0)
    if mem:
        row("server memory per idle page, KiB", {n: mem[n][0] for n in mem})
        if "starlette" in mem:
            print(f"| ... a bare Starlette websocket (uvicorn's own cost), KiB | "
                  f"{mem['starlette'][0]:.1f} | | | | |")
    if cut:
        def q(name: str, what: str, p: float) -> float | None:
            vals = [getattr(c, what) for c in cut[name]]
            if not vals or any(v is None for v in vals):
                return None
            return percentile(vals, p)
        row("resync after a 5 s cut, p50, ms", {n: q(n, "resync_ms", .5) for n in cut}, 0)
        row("resync after a 5 s cut, p95, ms", {n: q(n, "resync_ms", .95) for n in cut}, 0)
        row("socket open again, p50, ms", {n: q(n, "reconnect_ms", .5) for n in cut}, 0)
        row("socket open again, p95, ms", {n: q(n, "reconnect_ms", .95) for n in cut}, 0)
        row("messages lost (of 5 per cut, all cuts)",
            {n: sum(c.lost for c in cut[n]) for n in cut}, 0)
        row("messages doubled", {n: sum(c.doubled for c in cut[n]) for n in cut}, 0)
        row("cuts ending in a page reload", {n: sum(c.reloaded for c in cut[n]) for n in cut},
            0)
        print("\n(Resync: '-' when some cut did not show every message. Cuts per framework: "
              + ", ".join(f"{n} {len(c)}" for n, c in cut.items()) + ".)")

    print("\n## Targets\n")
    print("| target | measured | verdict |")
    print("|---|---|---|")
    if rtt:
        p99 = {n: percentile(t, .99) for n, t in rtt.items()}
        a = p99["appkit"]
        print(f"| round trip p99 under {TARGET_RTT_P99_MS:g} ms | {a:.2f} ms | "
              f"{verdict(a < TARGET_RTT_P99_MS, f'{a - TARGET_RTT_P99_MS:+.2f} ms')} |")
        for p in PEERS:
            print(f"| ... lower than {p} | {a:.2f} vs {p99[p]:.2f} ms | "
                  f"{verdict(a < p99[p], ratio(a, p99[p]))} |")
        if INLINE in p99:
            i = p99[INLINE]
            for p in PEERS:
                print(f"| ... `send` @nonblocking, lower than {p} | {i:.2f} vs {p99[p]:.2f} "
                      f"ms | {verdict(i < p99[p], ratio(i, p99[p]))} |")
    if mem and "starlette" in mem:
        own = mem["appkit"][0] - mem["starlette"][0]
        print(f"| appkit's memory per idle page under {TARGET_MEMORY_KB:g} KiB (over bare "
              f"Starlette) | {own:.1f} KiB ({mem['appkit'][0]:.1f} - "
              f"{mem['starlette'][0]:.1f}) | "
              f"{verdict(own < TARGET_MEMORY_KB, f'{own - TARGET_MEMORY_KB:+.1f} KiB')} |")
    if held:
        ok = held.opened == conn_n and held.complete == conn_n and not held.errors
        print(f"| {TARGET_CONNECTIONS:,} connections held {hold_s:g} s, all alive, server "
              f"responsive | {held.complete:,} of {conn_n:,} alive with every message; "
              f"message to all in {max(held.probes, default=0):.0f} ms at most, GET in "
              f"{max(held.gets, default=0):.0f} ms at most | "
              f"{verdict(ok and conn_n >= TARGET_CONNECTIONS, f'{conn_n:,} tried')} |")
    if "appkit" in cut:
        c = cut["appkit"]
        lost = sum(x.lost for x in c) + sum(x.doubled for x in c)
        vals = [x.resync_ms for x in c]
        p95 = percentile([v for v in vals if v is not None], .95) if all(
            v is not None for v in vals) else None
        how = "some cut never resynced" if p95 is None else (
            f"{p95 - TARGET_RESYNC_P95_MS:+.0f} ms")
        print(f"| resync p95 under {TARGET_RESYNC_P95_MS:g} ms, nothing lost | "
              f"p95 {fmt(p95, 0)} ms, {lost} lost or doubled | "
              f"{verdict(p95 is not None and p95 < TARGET_RESYNC_P95_MS and lost == 0, how)} |")


if __name__ == "__main__":
    main()
