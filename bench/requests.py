"""Requests per second for the todo app: appkit against FastHTML, bare Starlette and
Starlette with Jinja2 templates.

Each app (see ``APPS``) runs in its own process under uvicorn, with the same settings for
all, and wrk (``-t1 -c16``) loads it from another process. Three kinds of load, each on a
fresh server process with 20 todos added first:

- ``GET /``: the full page, with the 20 todos in the list.
- ``POST /todos`` as htmx sends it (``HX-Request: true``, form body ``title=Milk``): the new
  ``li``, the counter out of band and a fresh form out of band. Every POST adds a todo, so
  the list grows all through the run.
- ``POST+DELETE``: the same POST, and a DELETE of each todo it adds, so the list stays at
  about 20. It shows the POST path without the todo app's "N left" count, which goes
  through the whole list and so costs more and more as the list grows.

The POSTs and DELETEs reach the appkit apps as a browser sends them. appkit refuses an unsafe
request without the session's CSRF token (403; see docs/sessions.md), so on every fresh
server process the script first does what the app's window does: it GETs ``/``, keeps the
session cookie from ``Set-Cookie`` (``appkit-session-todo``) and the token from ``<meta
name="csrf-token">``, and sends both, as ``Cookie`` and ``X-CSRF-Token`` headers, on every
POST and DELETE: in its own checks and in the wrk scripts. One session serves the whole run,
as one user's window would (the token belongs to the session, and the todo app never changes
the session, so its cookie stays the same: the script checks that a POST answer sets none).
The ``GET /`` load sends no cookie, as before: every request there is a first visit that
starts a session.

The peers (FastHTML, Starlette) get no cookie and no token, because they have no sessions and
a browser would send them none (the script checks that they set no cookie and have no token
to send). That keeps the comparison fair: each app gets what a browser sends it. The extra
headers (about 200 bytes) cost uvicorn's parser (httptools) about 0.6 us, against 60 us and
more of CPU per request for the fastest app. What appkit does with them, checking the cookie's
signature and comparing the token, is work that every real request of a user costs, so it
belongs in appkit's figures; sending the same headers to the peers, which ignore them, would
only add that parse time to theirs.

Before loading an app, the script checks its answers (status, markers, 20 items). For each
run it reports wrk's requests per second and the server's CPU time per request, which other
work on a shared machine disturbs less. Run from the repository root:

    .venv/bin/python bench/requests.py              # 3 rounds of 10 s per app and load
    .venv/bin/python bench/requests.py --quick      # 1 round of 3 s, as a smoke test

See bench/README.md ("Requests") for what the apps are and how to read the figures.
"""

from __future__ import annotations

import sys
from pathlib import Path

# This file is called requests.py: keep its folder off the import path, so nothing that
# imports the ``requests`` package gets this script instead. Import from the repository root.
_HERE = Path(__file__).resolve().parent
ROOT = _HERE.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(ROOT))
import argparse  # noqa: E402
import hashlib  # noqa: E402
import http.client  # noqa: E402
import importlib.metadata  # noqa: E402
import importlib.util  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import re  # noqa: E402
import resource  # noqa: E402
import shutil  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from html import unescape  # noqa: E402
from typing import Any  # noqa: E402
from urllib.parse import urlencode  # noqa: E402

from bench.machine import cpu_model, machine_busy, version, wait_for_quiet  # noqa: E402

HOST = "127.0.0.1"
PRELOAD = 20
CONNECTIONS = 16
THREADS = 1
TITLE_PRELOAD = "Task {i}: milk & eggs"
POST_BODY = "title=Milk"
# The apps with sessions and CSRF protection.
CSRF_APPS = ("appkit", "appkit-inline", "appkit-async", "appkit-compiled")
SESSION_COOKIE_PREFIX = "appkit-session-"  # appkit-session-<app name>
CSRF_HEADER = "X-CSRF-Token"  # appkit.sessions.CSRF_HEADER, the header appkit.js sends

# name -> (what it is, how the serving process gets the ASGI app)
APPS: dict[str, tuple[str, str]] = {
    "appkit": ("bench/apps/appkit_todo.py: examples/todo/app.py with its items in memory, "
               "sync handlers (appkit's worker threads)", "module:bench.apps.appkit_todo"),
    "appkit-inline": ("bench/apps/appkit_todo_inline.py: the same sync handlers marked "
                      "@nonblocking (on the loop)", "module:bench.apps.appkit_todo_inline"),
    "appkit-async": ("bench/apps/appkit_todo_async.py, async handlers",
                     "module:bench.apps.appkit_todo_async"),
    "appkit-compiled": ("bench/apps/appkit_todo_compiled.py, async handlers, @compiled row "
                        "and form functions (docs/html.md: for a page under load)",
                        "module:bench.apps.appkit_todo_compiled"),
    "fasthtml": ("bench/apps/fasthtml_todo.py, sync handlers (thread pool)",
                 "module:bench.apps.fasthtml_todo"),
    "starlette": ("bench/apps/starlette_todo.py, async endpoints, f-strings",
                  "module:bench.apps.starlette_todo"),
    "jinja2": ("bench/apps/jinja_todo.py, Starlette with Jinja2 templates, async endpoints",
               "module:bench.apps.jinja_todo"),
}


def lua_string(value: str) -> str:
    """``value`` as a Lua string literal (printable ASCII only: header names and values)."""
    if not re.fullmatch(r"[ -~]*", value):
        raise ValueError(f"not printable ASCII: {value!r}")
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def lua_table(headers: dict[str, str]) -> str:
    """``headers`` as a Lua table: ``{["Name"] = "value", ...}``."""
    return "{" + ", ".join(f"[{lua_string(k)}] = {lua_string(v)}"
                           for k, v in headers.items()) + "}"


HTMX_POST = {"Content-Type": "application/x-www-form-urlencoded", "HX-Request": "true"}


def post_lua(session: dict[str, str]) -> str:
    """POST /todos as htmx sends it, with the ``session`` headers (cookie and token)."""
    headers = "\n".join(f"wrk.headers[{lua_string(k)}] = {lua_string(v)}"
                        for k, v in {**HTMX_POST, **session}.items())
    return f"""
wrk.method = "POST"
wrk.body = "{POST_BODY}"
{headers}
"""


def mix_lua(session: dict[str, str]) -> str:
    """POST /todos as above, and for each todo it adds, a DELETE of that todo (htmx's delete
    button): the list stays at 20 and a bit (one per POST in flight) all through the run.
    Both carry the ``session`` headers (cookie and token)."""
    return f"""
local queue = {{}}
local post, delete_headers
function init(args)
  post = wrk.format("POST", "/todos", {lua_table({**HTMX_POST, **session})}, "{POST_BODY}")
  delete_headers = {lua_table({"HX-Request": "true", **session})}
end
function request()
  local id = table.remove(queue)
  if id then return wrk.format("DELETE", "/todos/" .. id, delete_headers) end
  return post
end
function response(status, headers, body)
  local id = string.match(body, '^<li id="todo%-(%d+)"')
  if id then table.insert(queue, id) end
end
"""

# (appkit app, peer) -> {load: the least ratio}: issue 16's targets (bare Starlette, Starlette
# with Jinja2, sync handlers within 15% of async ones) and the earlier 1.5x FastHTML.
TARGETS: dict[tuple[str, str], dict[str, float]] = {
    ("appkit", "fasthtml"): {"get": 1.5, "post": 1.5, "mix": 1.5},
    ("appkit-async", "fasthtml"): {"get": 1.5, "post": 1.5, "mix": 1.5},
    ("appkit", "starlette"): {"get": 0.35},
    ("appkit-async", "starlette"): {"get": 0.5, "mix": 0.7},
    ("appkit", "jinja2"): {"get": 1.0, "post": 1.0, "mix": 1.0},
    ("appkit-async", "jinja2"): {"get": 1.0, "post": 1.0, "mix": 1.0},
    ("appkit-compiled", "starlette"): {"get": 0.5, "mix": 0.7},
    ("appkit-compiled", "jinja2"): {"get": 1.0, "post": 1.0, "mix": 1.0},
    ("appkit", "appkit-async"): {"get": 0.85, "post": 0.85, "mix": 0.85},
    ("appkit-inline", "appkit-async"): {"get": 0.85, "post": 0.85, "mix": 0.85},
}


# ---- the serving process ------------------------------------------------------------------


def load_app(spec: str) -> Any:
    kind, _, where = spec.partition(":")
    if kind == "module":
        return importlib.import_module(where).app
    path = ROOT / where
    name = "bench_app_" + re.sub(r"\W", "_", where)
    module_spec = importlib.util.spec_from_file_location(name, path)
    assert module_spec is not None and module_spec.loader is not None
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[name] = module  # dataclasses look their module up there
    module_spec.loader.exec_module(module)
    return module.app


def serve(name: str, port: int, http: str, loop: str) -> None:
    import uvicorn

    app = load_app(APPS[name][1])
    uvicorn.run(app, host=HOST, port=port, log_level="warning", access_log=False,
                http=http, loop=loop, workers=1)


# ---- driving it ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: str
    set_cookies: list[str] = field(default_factory=list)  # every Set-Cookie header


def request(port: int, method: str, path: str, body: str | None = None,
            htmx: bool = False, session: dict[str, str] | None = None) -> Answer:
    """One request on a new connection; ``session`` adds its headers (cookie and token)."""
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        headers = {}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if htmx:
            headers["HX-Request"] = "true"
        headers.update(session or {})
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        return Answer(resp.status, {k.lower(): v for k, v in resp.getheaders()},
                      resp.read().decode(), resp.headers.get_all("Set-Cookie") or [])
    finally:
        conn.close()


class Server:
    """One app in its own uvicorn process."""

    def __init__(self, name: str, http: str, loop: str) -> None:
        self.name = name
        self.port = free_port()
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--serve", name,
             "--port", str(self.port), "--http", http, "--loop", loop],
            cwd=ROOT,
        )

    def wait(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise SystemExit(f"{self.name}: the server exited with {self.proc.returncode}")
            try:
                if request(self.port, "GET", "/").status == 200:
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"{self.name}: no answer on port {self.port} after {timeout} s")
            time.sleep(0.05)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self) -> Server:
        try:
            self.wait()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def check(name: str, what: str, ok: bool, answer: Answer) -> None:
    if not ok:
        raise SystemExit(f"{name}: wrong answer to {what} (status {answer.status}):\n"
                         f"{answer.body[:2000]}")


_META_CSRF = re.compile(r'<meta\s+name="csrf-token"\s+content="([^"]*)"\s*/?>')


def open_session(name: str, port: int) -> dict[str, str]:
    """What a browser sends with its POSTs and DELETEs after showing the page: for an appkit
    app, the session cookie from ``GET /`` and the CSRF token from its meta tag, as headers;
    for a peer, nothing (it sets no cookie and its page has no token)."""
    a = request(port, "GET", "/")
    check(name, "GET / (for the session)", a.status == 200, a)
    cookies = [c.split(";", 1)[0].strip() for c in a.set_cookies]
    session = [c for c in cookies if c.startswith(SESSION_COOKIE_PREFIX)]
    tokens = _META_CSRF.findall(a.body)
    if name not in CSRF_APPS:
        check(name, "GET / (a peer: no cookie, no CSRF token)", not cookies and not tokens, a)
        return {}
    ok = len(session) == 1 and len(tokens) == 1 and "=" in session[0] and tokens[0] != ""
    check(name, "GET / (one session cookie and one csrf-token meta tag)", ok, a)
    return {"Cookie": session[0], CSRF_HEADER: unescape(tokens[0])}


def preload(name: str, port: int, session: dict[str, str]) -> None:
    for i in range(1, PRELOAD + 1):
        body = urlencode({"title": TITLE_PRELOAD.format(i=i)})
        a = request(port, "POST", "/todos", body, htmx=True, session=session)
        check(name, f"preload POST {i}", a.status == 200, a)


def check_get(name: str, port: int) -> int:
    """The full page, with the preloaded todos; its size in bytes."""
    a = request(port, "GET", "/")
    body = a.body
    ok = (
        a.status == 200
        and a.headers.get("content-type", "").startswith("text/html")
        and body.lower().startswith("<!doctype html>")
        and "<title>Todo</title>" in body
        and "<h1>Todo</h1>" in body
        and 'id="new-todo"' in body
        and '<ul id="todo-list">' in body
        and body.count('<li id="todo-') == PRELOAD
        and body.count("milk &amp; eggs") == 2 * PRELOAD  # aria-label and span, escaped
        and f"{PRELOAD} left</span>" in body
        and "/_appkit/vendor/htmx.min.js?v=" in body  # htmx from the app, not a CDN
        and "https://" not in body
        and body.rstrip().endswith("</html>")
    )
    check(name, "GET /", ok, a)
    return len(body.encode())


def check_post(name: str, port: int, expect_count: int, session: dict[str, str]) -> int:
    """The htmx POST answer: a fragment with the li, the counter and a fresh form; it sets
    no cookie (so the one session cookie of the wrk scripts is what a browser would send)."""
    a = request(port, "POST", "/todos", POST_BODY, htmx=True, session=session)
    body = a.body
    ok = (
        a.status == 200
        and not a.set_cookies
        and a.headers.get("content-type", "").startswith("text/html")
        and "<html" not in body and "<head" not in body
        and body.startswith("<li ")
        and body.count("<li ") == 1
        and '<span class="title">Milk</span>' in body
        and re.search(r'<span[^>]*id="todo-count"[^>]*hx-swap-oob="true"|'
                      r'<span[^>]*hx-swap-oob="true"[^>]*id="todo-count"', body) is not None
        and f">{expect_count} left</span>" in body
        and re.search(r'<form[^>]*hx-swap-oob="outerHTML"', body) is not None
        and 'id="new-todo"' in body
        and 'value=""' in body
    )
    check(name, "POST /todos", ok, a)
    return len(body.encode())


def count_left(name: str, port: int, session: dict[str, str]) -> int:
    """How many todos the app has now (adds one to find out)."""
    a = request(port, "POST", "/todos", POST_BODY, htmx=True, session=session)
    match = re.search(r">(\d+) left</span>", a.body)
    check(name, "POST /todos after the load", a.status == 200 and match is not None, a)
    assert match is not None
    return int(match.group(1)) - 1


@dataclass
class Load:
    rps: float
    requests: int
    latency: str
    errors: str
    server_cpu: float = 0.0  # CPU seconds the server process used during the run
    wrk_cpu: float = 0.0  # ... wrk used
    other_cpu: float = 0.0  # ... everything else on the machine used
    seconds: float = 0.0

    @property
    def cpu_us_per_request(self) -> float:
        return 1e6 * self.server_cpu / self.requests if self.requests else 0.0


_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system, all threads) used by process ``pid`` so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK


def run_wrk(port: int, duration: float, path: str, script: str | None,
            server_pid: int) -> Load:
    cmd = ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{duration:g}s"]
    if script:
        cmd += ["-s", script]
    cmd.append(f"http://{HOST}:{port}{path}")
    server0, busy0 = process_cpu(server_pid), machine_busy()
    children0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    seconds = time.perf_counter() - t0
    children1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_cpu = process_cpu(server_pid) - server0
    wrk_cpu = (children1.ru_utime - children0.ru_utime) + (children1.ru_stime - children0.ru_stime)
    other_cpu = max(0.0, machine_busy() - busy0 - server_cpu - wrk_cpu)
    rps = re.search(r"Requests/sec:\s*([\d.]+)", out)
    total = re.search(r"(\d+) requests in", out)
    latency = re.search(r"Latency\s+(\S+)", out)
    errors = []
    if m := re.search(r"Socket errors:.*", out):
        errors.append(m.group(0).strip())
    if m := re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        errors.append(m.group(0))
    if not rps or not total:
        raise SystemExit(f"Cannot read wrk's output:\n{out}")
    return Load(float(rps.group(1)), int(total.group(1)),
                latency.group(1) if latency else "?", "; ".join(errors),
                server_cpu, wrk_cpu, other_cpu, seconds)


@dataclass
class Run:
    """One kind of load: its key, its label, the path wrk loads and what makes wrk's script
    from the session's headers, if it has one."""

    key: str
    label: str
    path: str
    script: Callable[[dict[str, str]], str] | None


RUNS = [
    Run("get", "GET /", "/", None),
    Run("post", "POST /todos", "/todos", post_lua),
    Run("mix", "POST+DELETE", "/todos", mix_lua),
]


@dataclass
class Result:
    rps: dict[str, list[float]] = field(default_factory=lambda: {r.key: [] for r in RUNS})
    items_end: dict[str, list[int]] = field(default_factory=lambda: {r.key: [] for r in RUNS})
    cpu_us: dict[str, list[float]] = field(default_factory=lambda: {r.key: [] for r in RUNS})
    other_load: list[float] = field(default_factory=list)
    get_bytes: int = 0
    post_bytes: int = 0


def bench_app(name: str, args: argparse.Namespace, scripts: Path, result: Result) -> None:
    """Each kind of load on a fresh process of the app, with 20 todos to start with."""
    for run in RUNS:
        with Server(name, args.http, args.loop) as server:
            session = open_session(name, server.port)  # one user's window, for the whole run
            preload(name, server.port, session)
            if args.quiet_wait > 0:
                wait_for_quiet(0.25, args.quiet_wait)
            if run.key == "get":
                result.get_bytes = check_get(name, server.port)
            else:
                result.post_bytes = check_post(name, server.port, PRELOAD + 1, session)
            script = None
            if run.script:
                path = scripts / f"{run.key}.lua"
                path.write_text(run.script(session))
                script = str(path)
            load = run_wrk(server.port, args.duration, run.path, script, server.proc.pid)
            if load.errors:
                raise SystemExit(f"{name}: {run.label} under load: {load.errors}")
            if run.key == "get":
                check_get(name, server.port)  # still right after the load
                items = PRELOAD
            else:
                items = count_left(name, server.port, session)
            result.rps[run.key].append(load.rps)
            result.items_end[run.key].append(items)
            result.cpu_us[run.key].append(load.cpu_us_per_request)
            result.other_load.append(load.other_cpu / load.seconds)
            print(f"  {name:<13} {run.label:<12} {load.rps:8.1f} req/s, "
                  f"{load.cpu_us_per_request:6.0f} us server CPU/request, latency "
                  f"{load.latency:>8}; CPU cores used: server {load.server_cpu / load.seconds:.2f}"
                  f", wrk {load.wrk_cpu / load.seconds:.2f}, other "
                  f"{load.other_cpu / load.seconds:.2f}; {items:,} todos at the end", flush=True)




def git_state() -> str:
    """The commit the source tree is at, and whether appkit/ or examples/ differ from it."""
    def git(*a: str) -> str:
        try:
            return subprocess.run(["git", *a], cwd=ROOT, capture_output=True, text=True,
                                  check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return ""
    head = git("rev-parse", "--short", "HEAD") or "unknown commit"
    changed = git("status", "--porcelain", "--", "appkit", "examples").splitlines()
    return f"{head}" + (f" plus uncommitted changes to {len(changed)} file(s) in appkit/ "
                        "or examples/" if changed else "")


def source_files() -> dict[str, str]:
    """A digest of every source file the servers import from this tree, by path."""
    paths = [*(ROOT / "appkit").rglob("*.py"), *(ROOT / "bench" / "apps").glob("*.py"),
             ROOT / "examples" / "todo" / "app.py"]
    digests = {}
    for path in sorted(paths):
        try:
            digests[str(path.relative_to(ROOT))] = hashlib.sha1(path.read_bytes()).hexdigest()
        except OSError:
            pass
    return digests


def resolved(setting: str, module: str, yes: str, no: str) -> str:
    if setting != "auto":
        return setting
    return f"auto -> {yes if importlib.util.find_spec(module) else no}"


def report(results: dict[str, Result]) -> None:
    med = {n: {k: statistics.median(v) for k, v in r.rps.items()} for n, r in results.items()}
    cpu = {n: {k: statistics.median(v) for k, v in r.cpu_us.items()}
           for n, r in results.items()}
    many = any(len(v) > 1 for r in results.values() for v in r.rps.values())

    def table(title: str, values: dict[str, dict[str, list[float]]],
              middle: dict[str, dict[str, float]]) -> None:
        print(title + (" (median of the rounds; lowest-highest)" if many else ""))
        print()
        print("| app | " + " | ".join(r.label for r in RUNS) + " |")
        print("|---|" + "---:|" * len(RUNS))
        for n in results:
            cells = []
            for run in RUNS:
                v = values[n][run.key]
                cell = f"{middle[n][run.key]:,.0f}"
                if len(v) > 1:
                    cell += f" ({min(v):,.0f}-{max(v):,.0f})"
                cells.append(cell)
            print(f"| {n} | " + " | ".join(cells) + " |")
        print()

    table("Requests per second", {n: r.rps for n, r in results.items()}, med)
    table("Server CPU time per request, microseconds", {n: r.cpu_us for n, r in results.items()},
          cpu)
    print("| app | GET / page bytes | POST answer bytes | todos at the end of the POST runs | "
          "... of the POST+DELETE runs |")
    print("|---|---:|---:|---|---|")
    for n, r in results.items():
        print(f"| {n} | {r.get_bytes:,} | {r.post_bytes:,} | "
              f"{', '.join(f'{x:,}' for x in r.items_end['post'])} | "
              f"{', '.join(f'{x:,}' for x in r.items_end['mix'])} |")
    other = [x for r in results.values() for x in r.other_load]
    print()
    print(f"Other work on the machine during the runs: median {statistics.median(other):.2f} "
          f"cores, highest {max(other):.2f} (of {os.cpu_count()})")
    rows = []
    for (ak, peer), targets in TARGETS.items():
        if ak in med and peer in med:
            for run in RUNS:
                ratio = med[ak][run.key] / med[peer][run.key]
                by_cpu = cpu[peer][run.key] / cpu[ak][run.key]
                rows.append((f"{ak} / {peer}", run.label, ratio, by_cpu, targets.get(run.key)))
    if rows:
        print()
        print("Targets (issue 16, and the earlier 1.5x FastHTML): see TARGETS. The last column "
              "is the same ratio from CPU time per request (the other's / the first's), which "
              "other work on the machine disturbs less; the targets are read against it.")
        print()
        print("| ratio | load | req/s ratio | CPU-time ratio | target | |")
        print("|---|---|---:|---:|---:|---|")
        for label, what, ratio, by_cpu, target in rows:
            if target is None:
                print(f"| {label} | {what} | {ratio:.2f}x | {by_cpu:.2f}x | | |")
                continue
            met = "met" if by_cpu >= target else "**not met**"
            print(f"| {label} | {what} | {ratio:.2f}x | {by_cpu:.2f}x | >= {target:.2f}x | "
                  f"{met} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10.0,
                        help="seconds of load per app and kind of request (default 10)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds over all apps; the median is reported (default 3)")
    parser.add_argument("--quick", action="store_true",
                        help="one round of 3 s, as a smoke test")
    parser.add_argument("--apps", default=",".join(APPS),
                        help=f"comma-separated, from {', '.join(APPS)} (default all)")
    parser.add_argument("--http", default="auto", choices=["auto", "h11", "httptools"],
                        help="uvicorn's HTTP implementation, the same for every app")
    parser.add_argument("--loop", default="auto", choices=["auto", "asyncio", "uvloop"],
                        help="uvicorn's event loop, the same for every app")
    parser.add_argument("--quiet-wait", type=float, default=60.0,
                        help="before each run, wait up to this many seconds for the rest of "
                             "the machine to go quiet (default 60; 0 to not wait)")
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.serve:
        serve(args.serve, args.port, args.http, args.loop)
        return
    if args.quick:
        args.duration, args.rounds = 3.0, 1
    names = [n.strip() for n in args.apps.split(",") if n.strip()]
    for n in names:
        if n not in APPS:
            parser.error(f"unknown app {n!r}; choose from {', '.join(APPS)}")
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout
    wrk_version = " ".join(wrk_version.split()[:2]) if wrk_version else "wrk"

    print(f"Machine: {os.cpu_count()} cores, {cpu_model()}, {platform.system()} "
          f"{platform.release()} {platform.machine()}; wrk and the server share them.")
    print(f"Software: CPython {platform.python_version()}, appkit {version('appkit')}, "
          f"python-fasthtml {version('python-fasthtml')} (fastcore {version('fastcore')}), "
          f"starlette {version('starlette')}, uvicorn {version('uvicorn')}, "
          f"python-multipart {version('python-multipart')}, {wrk_version}")
    print(f"uvicorn: 1 worker, http={resolved(args.http, 'httptools', 'httptools', 'h11')}, "
          f"loop={resolved(args.loop, 'uvloop', 'uvloop', 'asyncio')}, log_level=warning, "
          f"no access log")
    print(f"wrk: -t{THREADS} -c{CONNECTIONS} -d{args.duration:g}s; {args.rounds} round(s); "
          f"{PRELOAD} todos preloaded; a fresh server process for every run")
    print(f"appkit source: {git_state()}")
    sources = source_files()
    for n in names:
        print(f"  {n:<13} {APPS[n][0]}")
    print(flush=True)

    results = {n: Result() for n in names}
    with tempfile.TemporaryDirectory() as tmp:
        scripts = Path(tmp)  # wrk's scripts, written for each run with its session
        for r in range(args.rounds):
            print(f"Round {r + 1} of {args.rounds}", flush=True)
            for n in names:
                bench_app(n, args, scripts, results[n])
    print()
    report(results)
    now = source_files()
    changed = sorted(p for p in sources.keys() | now.keys() if sources.get(p) != now.get(p))
    if changed:
        print()
        print(f"**Source files changed during the run** ({', '.join(changed)}). Every server "
              "process imports them afresh, so the runs may mix versions.")


if __name__ == "__main__":
    main()
