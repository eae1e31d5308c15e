"""Start-up time and memory of the window: ``App.run()`` against a plain pywebview + uvicorn
script that shows the same page.

The two programs:

- **appkit**: ``examples/hello/app.py``, unchanged, loaded with ``runpy`` and started with
  ``app.run(backend="gtk")``. This goes through ``shell.run``, so the launch includes the
  single-instance lock, the log file, the guard with its launch token, uvicorn in a thread
  and a pywebview GTK window.
- **plain**: ``bench/apps/plain_webview.py``, run as ``__main__``. It is Starlette served by
  uvicorn in a thread on a pre-bound 127.0.0.1 socket, in a pywebview GTK window of the same
  size, and it serves a page with the same bytes and the same assets.

Both run under the same launcher (``LAUNCHER`` below, run with ``python -c``). When the
program imports ``webview``, the launcher wraps ``webview.create_window`` so that it prints
a timestamp when it is called and adds handlers to the window's ``shown`` and ``loaded``
events. It does the same for both programs, so the measuring costs both the same.
pywebview fires ``loaded`` once WebKit has finished loading the page (stylesheets and
scripts included) and pywebview has injected its JS bridge. Timestamps are
``time.monotonic()`` (CLOCK_MONOTONIC, the same clock in every process).

Each run, for each program:

1. Start it with a fresh set of private XDG folders (config, data, state, cache, runtime),
   so that appkit's single-instance lock, remembered window geometry and web storage start
   empty every time. Both programs get the same environment: ``DISPLAY`` of a private Xvfb,
   ``GDK_BACKEND=x11``, no ``WAYLAND_DISPLAY``.
2. Time from just before ``Popen`` to the ``loaded`` event.
3. Wait ``--settle`` seconds (default 1), then read the resident memory: ``VmRSS`` of the
   Python process, and the sum of ``VmRSS`` (and of ``Pss``, which does not count shared
   pages twice) over the process and all its descendants (WebKitWebProcess,
   WebKitNetworkProcess). Descendants are found by walking the parent pids in
   ``/proc/*/stat``.
4. Check that the window is mapped on the display, then send SIGTERM and wait until the
   process and all its descendants are gone.

Bytecode: this environment may set ``PYTHONDONTWRITEBYTECODE``, and the appkit source tree
then has no ``.pyc`` files, so every appkit launch would compile appkit from source, which an
installed app never does. Both programs therefore run with a shared ``PYTHONPYCACHEPREFIX``
in a temporary folder. One warm-up run of each program, not counted, fills it.

Runs alternate between the programs, and which one goes first alternates each round.
Before each run the script waits (up to ``--quiet-wait`` seconds) for the rest of the
machine to use under 0.25 cores. A run during which other work used more than
``--max-other-load`` cores (Xvfb not counted) is done again, at most ``--redo`` times.
Before timing anything, the script checks that both programs serve byte-identical pages and
assets, and after each run that the window showed the page with its stylesheets and htmx.

It reports medians with the lowest and highest values, and for the time also the ratio
within each round (the two runs of a round are back to back, so drift of the machine's
speed affects both). The target is appkit / plain <= 1.10 for time and for memory. Run it
from the repository root:

    .venv/bin/python bench/startup.py            # 10 runs of each (default)
    .venv/bin/python bench/startup.py --quick    # 3 runs of each, as a smoke test

See bench/README.md ("Start-up and memory of the window") for the results.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Keep bench/ off the import path (it holds a requests.py); import from the repository root.
_HERE = Path(__file__).resolve().parent
ROOT = _HERE.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(ROOT))
import argparse  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import re  # noqa: E402
import runpy  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from typing import IO, Any  # noqa: E402

from bench.machine import cpu_model, machine_busy, version, wait_for_quiet  # noqa: E402
from tests.shell.x11 import find_window, start_xvfb  # noqa: E402

HELLO = ROOT / "examples" / "hello" / "app.py"
PLAIN = ROOT / "bench" / "apps" / "plain_webview.py"
TITLE = "hello"  # the window title of both programs
TARGET = 1.10  # appkit / plain, for time and for memory
_TICK = os.sysconf("SC_CLK_TCK")

PROGRAMS = {
    "appkit": "examples/hello/app.py, app.run(backend=\"gtk\")",
    "plain": "bench/apps/plain_webview.py (Starlette + uvicorn thread + pywebview GTK)",
}

# Run in the child with ``python -c LAUNCHER <appkit|plain> <path>``. It prints
# ``BENCH <tag> <monotonic time> [data]`` lines on stdout.
LAUNCHER = r'''
import sys, time
def _say(tag, data=""):
    sys.stdout.write(f"BENCH {tag} {time.monotonic():.6f} {data}\n")
    sys.stdout.flush()
_say("main")
import importlib.abc, importlib.util, json

def _watch(window):
    _say("loaded")
    try:
        page = window.evaluate_js(
            "({title: document.title, path: location.pathname, "
            "sheets: Array.from(document.styleSheets).filter(s => s.href).length, "
            "htmx: typeof window.htmx, "
            "h1: (document.querySelector('h1') || {}).textContent || null})")
    except Exception as exc:
        page = {"error": repr(exc)}
    _say("page", json.dumps(page))

def _patch(webview):
    create = webview.create_window
    def create_window(*args, **kwargs):
        _say("create_window")
        window = create(*args, **kwargs)
        window.events.shown += lambda: _say("shown")
        window.events.loaded += lambda: _watch(window)
        return window
    webview.create_window = create_window

class _Hook(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name != "webview":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        run = spec.loader.exec_module
        def exec_module(module):
            run(module)
            _patch(module)
        spec.loader.exec_module = exec_module
        return spec

sys.meta_path.insert(0, _Hook())
import re
import runpy
kind, path = sys.argv[1], sys.argv[2]
if kind == "appkit":
    runpy.run_path(path)["app"].run(backend="gtk")
else:
    runpy.run_path(path, run_name="__main__")
'''


# ---- checks ------------------------------------------------------------------------------


def check_same_page() -> int:
    """Fail unless both programs serve the same page and assets; the page's length."""
    from starlette.testclient import TestClient

    from appkit.testing import Client
    from bench.apps import plain_webview

    hello = runpy.run_path(str(HELLO))["app"]
    with Client(hello) as a, TestClient(plain_webview.app) as b:
        page_a, page_b = a.get("/"), b.get("/")
        for name, answer in (("appkit", page_a), ("plain", page_b)):
            if answer.status_code != 200 or "text/html" not in answer.headers["content-type"]:
                raise SystemExit(f"{name}: GET / answered {answer.status_code}")
        # The CSRF token is random in both; everything else must be the same bytes.
        token = re.compile(rb'(<meta name="csrf-token" content=")[A-Za-z0-9_-]{43}(">)')
        if token.sub(rb"\1T\2", page_a.content) != token.sub(rb"\1T\2", page_b.content):
            raise SystemExit(f"The pages differ:\nappkit: {page_a.text}\nplain:  {page_b.text}")
        urls = [u for u in page_a.text.replace('"', " ").split() if u.startswith("/_appkit/")]
        if len(urls) != 6:
            raise SystemExit(f"Expected 6 asset URLs in the page, found {urls}")
        for url in urls:
            asset_a, asset_b = a.get(url), b.get(url)
            if (asset_a.status_code, asset_b.status_code) != (200, 200) or (
                    asset_a.content != asset_b.content):
                raise SystemExit(f"{url}: the assets differ ({asset_a.status_code}, "
                                 f"{asset_b.status_code})")
    return len(page_a.content)


# ---- /proc -------------------------------------------------------------------------------


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name (state first)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None


def descendants(pid: int) -> list[int]:
    """``pid`` and every process below it, from the parent pids in /proc/*/stat."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat(int(entry))
            if fields is not None:
                children.setdefault(int(fields[1]), []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        todo.extend(children.get(p, []))
    return found


def _status_kb(pid: int, key: str, file: str = "status") -> int:
    try:
        for line in Path(f"/proc/{pid}/{file}").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def process_name(pid: int) -> str:
    """The file name of the program ``pid`` runs (``comm`` is cut at 15 characters)."""
    try:
        argv0 = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0", 1)[0]
        return os.path.basename(argv0.decode(errors="replace")) or "?"
    except OSError:
        return "?"


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds used so far by ``pids`` (all threads)."""
    total = 0
    for pid in pids:
        fields = _stat(pid)
        if fields is not None:
            total += int(fields[11]) + int(fields[12])
    return total / _TICK


def alive(pid: int) -> bool:
    fields = _stat(pid)
    return fields is not None and fields[0] not in ("Z", "X")


# ---- one run -----------------------------------------------------------------------------


@dataclass
class Run:
    name: str
    loaded: float  # s from just before Popen to the ``loaded`` event
    phases: dict[str, float]  # s from just before Popen to each mark
    rss_python: int  # kB
    rss_tree: int  # kB
    pss_tree: int  # kB
    by_process: dict[str, int]  # kB of VmRSS by process name
    cpu_to_loaded: float  # CPU s of the whole tree when ``loaded`` was read
    other_load: float  # cores used by the rest of the machine (not Xvfb) until ``loaded``
    exit_code: int | None
    exit_seconds: float
    page: dict[str, Any] = field(default_factory=dict)


class Output:
    """Reads the child's stdout in a thread and records the ``BENCH`` marks."""

    def __init__(self, stream: IO[str]) -> None:
        self.marks: dict[str, tuple[float, str]] = {}
        self.lines: list[str] = []
        self.changed = threading.Condition()
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            with self.changed:
                self.lines.append(line.rstrip("\n"))
                if line.startswith("BENCH "):
                    _, tag, stamp, data = (line.rstrip("\n") + " ").split(" ", 3)
                    self.marks.setdefault(tag, (float(stamp), data.strip()))
                self.changed.notify_all()
        with self.changed:
            self.marks.setdefault("eof", (time.monotonic(), ""))
            self.changed.notify_all()

    def wait(self, *tags: str, timeout: float) -> str | None:
        """Wait for the first of ``tags`` (or end of output); the tag seen, None on timeout."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                for tag in (*tags, "eof"):
                    if tag in self.marks:
                        return tag
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self.changed.wait(remaining)


def child_env(display: str, xdg: Path, pycache: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("WAYLAND_DISPLAY", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(pycache)
    env["DISPLAY"] = display
    env["GDK_BACKEND"] = "x11"
    for name, folder in (("XDG_CONFIG_HOME", "config"), ("XDG_DATA_HOME", "data"),
                         ("XDG_STATE_HOME", "state"), ("XDG_CACHE_HOME", "cache"),
                         ("XDG_RUNTIME_DIR", "runtime")):
        path = xdg / folder
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        env[name] = str(path)
    return env


def _fail(name: str, what: str, output: Output, stderr: IO[bytes]) -> SystemExit:
    stderr.seek(0)
    tail = stderr.read().decode(errors="replace")[-3000:]
    out = "\n".join(output.lines[-20:])
    return SystemExit(f"{name}: {what}\n--- stdout ---\n{out}\n--- stderr ---\n{tail}")


def stop_tree(proc: subprocess.Popen[str], tree: list[int], timeout: float) -> tuple[int | None,
                                                                                    float, int]:
    """SIGTERM the program, wait for it and every process that was in its tree; kill
    (SIGKILL, by pid) what is left after ``timeout``. (exit code, seconds, killed count)."""
    start = time.monotonic()
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        code: int | None = proc.wait(timeout)
    except subprocess.TimeoutExpired:
        code = None
    seconds = time.monotonic() - start
    deadline = time.monotonic() + timeout
    while any(alive(p) for p in tree) and time.monotonic() < deadline:
        time.sleep(0.05)
    killed = 0
    for pid in tree:
        if alive(pid):
            try:
                os.kill(pid, signal.SIGKILL)
                killed += 1
            except ProcessLookupError:
                pass
    if proc.poll() is None:
        proc.wait(5)
    return code, seconds, killed


def run_once(name: str, display: str, xvfb_pid: int, pycache: Path, settle: float,
             timeout: float) -> Run:
    path = HELLO if name == "appkit" else PLAIN
    with tempfile.TemporaryDirectory(prefix=f"startup-{name}-") as tmp, \
            tempfile.TemporaryFile(prefix="startup-stderr-") as stderr:
        env = child_env(display, Path(tmp) / "xdg", pycache)
        busy0, xvfb0 = machine_busy(), cpu_seconds([xvfb_pid])
        t0 = time.monotonic()
        proc = subprocess.Popen([sys.executable, "-c", LAUNCHER, name, str(path)], cwd=ROOT,
                                env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=stderr, text=True)
        output = Output(proc.stdout)  # type: ignore[arg-type]
        tree = [proc.pid]
        try:
            seen = output.wait("loaded", timeout=timeout)
            tree = descendants(proc.pid)
            cpu = cpu_seconds(tree)
            busy = machine_busy() - busy0 - (cpu_seconds([xvfb_pid]) - xvfb0)
            if seen != "loaded":
                raise _fail(name, "the page did not load" if seen is None else
                            "the program ended before the page loaded", output, stderr)
            if output.wait("page", timeout=10) != "page":
                raise _fail(name, "the page could not be read", output, stderr)
            time.sleep(settle)
            tree = descendants(proc.pid)
            by_process: dict[str, int] = {}
            for pid in tree:
                key = "python" if pid == proc.pid else process_name(pid)
                by_process[key] = by_process.get(key, 0) + _status_kb(pid, "VmRSS")
            rss_tree = sum(by_process.values())
            pss_tree = sum(_status_kb(pid, "Pss", "smaps_rollup") for pid in tree)
            if not find_window(display, TITLE, timeout=5):
                raise _fail(name, f"no window titled {TITLE!r} on the display", output, stderr)
        finally:
            code, exit_seconds, killed = stop_tree(proc, tree, timeout=20)
        if killed:
            print(f"    ({name}: {killed} process(es) still running 20 s after SIGTERM; "
                  "killed)", flush=True)
        marks = {tag: stamp - t0 for tag, (stamp, _) in output.marks.items() if tag != "eof"}
        page = json.loads(output.marks["page"][1])
        return Run(name=name, loaded=marks["loaded"], phases=marks,
                   rss_python=by_process["python"], rss_tree=rss_tree, pss_tree=pss_tree,
                   by_process=by_process, cpu_to_loaded=cpu,
                   other_load=max(0.0, busy - cpu) / marks["loaded"],
                   exit_code=code, exit_seconds=exit_seconds, page=page)


def check_page(run: Run) -> None:
    """The window really shows the hello page, with its two stylesheets and htmx."""
    page = run.page
    expected = {"title": "Hello", "path": "/", "sheets": 2, "htmx": "object", "h1": "Hello"}
    if page != expected:
        raise SystemExit(f"{run.name}: the window shows {page}, expected {expected}")


# ---- report ------------------------------------------------------------------------------




def gtk_versions() -> str:
    import gi

    gi.require_version("Gtk", "3.0")
    try:
        gi.require_version("WebKit2", "4.1")
    except ValueError:
        gi.require_version("WebKit2", "4.0")
    from gi.repository import Gtk, WebKit2

    webkit = (f"{WebKit2.get_major_version()}.{WebKit2.get_minor_version()}."
              f"{WebKit2.get_micro_version()}")
    gtk = f"{Gtk.get_major_version()}.{Gtk.get_minor_version()}.{Gtk.get_micro_version()}"
    return (f"PyGObject {gi.__version__}, WebKitGTK {webkit} (WebKit2 "
            f"{gi.get_required_version('WebKit2')}), GTK {gtk}")


def xvfb_version() -> str:
    try:
        return subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "xvfb"],
                              capture_output=True, text=True).stdout.strip() or "unknown"
    except OSError:
        return "unknown"


def git_state() -> str:
    def git(*a: str) -> str:
        try:
            return subprocess.run(["git", *a], cwd=ROOT, capture_output=True, text=True,
                                  check=True).stdout
        except (OSError, subprocess.CalledProcessError):
            return ""
    head = git("rev-parse", "--short", "HEAD").strip() or "unknown commit"
    changed = [line[3:] for line in
               git("status", "--porcelain", "--", "appkit", "shell", "examples").splitlines()]
    return head + (f" plus uncommitted changes to {', '.join(changed)}" if changed else "")


def source_files() -> dict[str, str]:
    """A digest of every source file the two programs load from this tree, by path."""
    paths = [*(ROOT / "appkit").rglob("*.py"), *(ROOT / "shell").rglob("*.py"),
             *(ROOT / "appkit" / "static").rglob("*.*"), HELLO, PLAIN]
    digests = {}
    for path in sorted(paths):
        try:
            digests[str(path.relative_to(ROOT))] = hashlib.sha1(path.read_bytes()).hexdigest()
        except OSError:
            pass
    return digests


def _mb(kb: float) -> str:
    return f"{kb / 1024:.1f}"


def _spread(values: list[float], fmt: str) -> str:
    return (f"{format(statistics.median(values), fmt)} "
            f"({format(min(values), fmt)}-{format(max(values), fmt)})")


def report(runs: dict[str, list[Run]]) -> None:
    a, b = runs["appkit"], runs["plain"]

    def med(rs: list[Run], key: str) -> float:
        return statistics.median(getattr(r, key) for r in rs)

    print("Median (lowest-highest) over "
          f"{len(a)} runs of each. Times in seconds from just before Popen; memory in MB.")
    print()
    print("| measure | appkit | plain | appkit / plain |")
    print("|---|---:|---:|---:|")
    rows = [
        ("start to page loaded, s", "loaded", ".3f", 1),
        ("CPU time of the process tree until loaded, s", "cpu_to_loaded", ".2f", 1),
        ("RSS, Python process, MB", "rss_python", ".1f", 1024),
        ("RSS, whole tree, MB", "rss_tree", ".1f", 1024),
        ("PSS, whole tree, MB", "pss_tree", ".1f", 1024),
    ]
    for label, key, fmt, unit in rows:
        va = [getattr(r, key) / unit for r in a]
        vb = [getattr(r, key) / unit for r in b]
        print(f"| {label} | {_spread(va, fmt)} | {_spread(vb, fmt)} | "
              f"{statistics.median(va) / statistics.median(vb):.2f} |")
    print(f"| lowest start to page loaded, s | {min(r.loaded for r in a):.3f} | "
          f"{min(r.loaded for r in b):.3f} | "
          f"{min(r.loaded for r in a) / min(r.loaded for r in b):.2f} |")
    print()
    paired = sorted(ra.loaded / rb.loaded for ra, rb in zip(a, b, strict=True))
    print("Start to page loaded, appkit / plain within each round (the two runs of a round are "
          f"back to back): median {statistics.median(paired):.2f}, lowest {paired[0]:.2f}, "
          f"highest {paired[-1]:.2f}; {sum(r <= TARGET for r in paired)} of {len(paired)} "
          f"rounds within {TARGET:.2f}.")
    print()

    print("Where the time goes (median seconds from just before Popen to each mark):")
    print()
    print("| mark | appkit | plain | difference |")
    print("|---|---:|---:|---:|")
    marks = [("main", "the launcher starts (interpreter up)"),
             ("create_window", "webview.create_window called (server answering)"),
             ("shown", "window shown"),
             ("loaded", "page loaded")]
    for tag, label in marks:
        ta = statistics.median(r.phases[tag] for r in a)
        tb = statistics.median(r.phases[tag] for r in b)
        print(f"| {label} | {ta:.3f} | {tb:.3f} | {ta - tb:+.3f} |")
    print()

    print("Resident memory by process (median VmRSS, MB):")
    print()
    print("| process | appkit | plain | difference |")
    print("|---|---:|---:|---:|")
    names = sorted({n for r in a + b for n in r.by_process},
                   key=lambda n: (n != "python", n))
    for n in names:
        ma = statistics.median(r.by_process.get(n, 0) for r in a) / 1024
        mb = statistics.median(r.by_process.get(n, 0) for r in b) / 1024
        print(f"| {n} | {ma:.1f} | {mb:.1f} | {ma - mb:+.1f} |")
    print()

    time_ratio = med(a, "loaded") / med(b, "loaded")
    min_ratio = min(r.loaded for r in a) / min(r.loaded for r in b)
    mem_tree = med(a, "rss_tree") / med(b, "rss_tree")
    mem_python = med(a, "rss_python") / med(b, "rss_python")
    pss = med(a, "pss_tree") / med(b, "pss_tree")

    def verdict(ratio: float) -> str:
        return "met" if ratio <= TARGET else "**not met**"

    print(f"Target: appkit within {TARGET - 1:.0%} of the plain script "
          f"(appkit / plain <= {TARGET:.2f}).")
    print()
    print("| target | ratio | |")
    print("|---|---:|---|")
    print(f"| start to page loaded (medians) | {time_ratio:.2f} | {verdict(time_ratio)} |")
    print(f"| start to page loaded (lowest) | {min_ratio:.2f} | {verdict(min_ratio)} |")
    print(f"| start to page loaded (median of rounds) | {statistics.median(paired):.2f} | "
          f"{verdict(statistics.median(paired))} |")
    print(f"| RSS, whole tree | {mem_tree:.2f} | {verdict(mem_tree)} |")
    print(f"| PSS, whole tree | {pss:.2f} | {verdict(pss)} |")
    print(f"| RSS, Python process | {mem_python:.2f} | {verdict(mem_python)} |")
    print()
    other = [r.other_load for r in a + b]
    print(f"Other work on the machine while starting: median {statistics.median(other):.2f} "
          f"cores, highest {max(other):.2f}.")
    codes = sorted({str(r.exit_code) for r in a}), sorted({str(r.exit_code) for r in b})
    print(f"Exit codes after SIGTERM: appkit {', '.join(codes[0])} (median "
          f"{med(a, 'exit_seconds'):.2f} s to exit), plain {', '.join(codes[1])} "
          f"(median {med(b, 'exit_seconds'):.2f} s).")


# ---- main --------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", "-n", type=int, default=10,
                        help="runs of each program, alternating (default 10)")
    parser.add_argument("--quick", action="store_true", help="3 runs of each, a smoke test")
    parser.add_argument("--settle", type=float, default=1.0,
                        help="seconds to wait after the page has loaded before reading the "
                             "memory (default 1)")
    parser.add_argument("--timeout", type=float, default=60.0,
                        help="seconds a program gets to load its page (default 60)")
    parser.add_argument("--quiet-wait", type=float, default=30.0,
                        help="before each run, wait up to this many seconds for the machine "
                             "to go quiet (default 30; 0 to not wait)")
    parser.add_argument("--max-other-load", type=float, default=0.5,
                        help="do a run again when the rest of the machine used more than "
                             "this many cores while it started (default 0.5)")
    parser.add_argument("--redo", type=int, default=2,
                        help="at most this many repeats of a disturbed run; the last one "
                             "counts (default 2)")
    parser.add_argument("--json", metavar="FILE", help="also write every run to FILE")
    args = parser.parse_args()
    if args.quick:
        args.runs = 3
    if shutil.which("Xvfb") is None:
        raise SystemExit("Xvfb is not installed (apt-get install xvfb)")

    print(f"Machine: {os.cpu_count()} cores, {cpu_model()}, {platform.system()} "
          f"{platform.release()} {platform.machine()}")
    print(f"Software: CPython {platform.python_version()}, pywebview {version('pywebview')}, "
          f"{gtk_versions()}, uvicorn {version('uvicorn')} (httptools "
          f"{version('httptools')}, uvloop {version('uvloop')}), starlette "
          f"{version('starlette')}, Xvfb {xvfb_version()}")
    print(f"appkit source: {git_state()}")
    for name, what in PROGRAMS.items():
        print(f"  {name:<7} {what}")
    sources = source_files()
    size = check_same_page()
    print(f"Both serve the same page ({size} bytes) and the same 6 assets.")
    print(flush=True)

    runs: dict[str, list[Run]] = {"appkit": [], "plain": []}
    redone = 0
    with tempfile.TemporaryDirectory(prefix="startup-pycache-") as pycache, \
            start_xvfb() as xvfb:
        def one(name: str) -> Run:
            run = run_once(name, xvfb.display, xvfb.process.pid, Path(pycache), args.settle,
                           args.timeout)
            check_page(run)
            return run

        print(f"Xvfb on {xvfb.display}; warm-up run of each (not counted)", flush=True)
        for name in runs:
            print(f"  {name:<7} warm-up: loaded at {one(name).loaded:.3f} s", flush=True)
        for i in range(args.runs):
            order = ["appkit", "plain"] if i % 2 == 0 else ["plain", "appkit"]
            print(f"Round {i + 1} of {args.runs}", flush=True)
            for name in order:
                for attempt in range(1 + args.redo):
                    if args.quiet_wait > 0:
                        wait_for_quiet(0.25, args.quiet_wait)
                    run = one(name)
                    p = run.phases
                    print(f"  {name:<7} loaded {run.loaded:.3f} s (main {p['main']:.3f}, "
                          f"create_window {p['create_window']:.3f}, shown {p['shown']:.3f}); "
                          f"CPU {run.cpu_to_loaded:.2f} s; RSS python {_mb(run.rss_python)} "
                          f"MB, tree {_mb(run.rss_tree)} MB, PSS tree {_mb(run.pss_tree)} MB; "
                          f"exit {run.exit_code} after {run.exit_seconds:.2f} s; other load "
                          f"{run.other_load:.2f}", flush=True)
                    if run.other_load <= args.max_other_load or attempt == args.redo:
                        break
                    redone += 1
                    print(f"    (other work used {run.other_load:.2f} cores during that run; "
                          "doing it again)", flush=True)
                runs[name].append(run)
    print()
    report(runs)
    if redone:
        print(f"Runs done again because other work used over {args.max_other_load:g} cores "
              f"while they started: {redone}.")
    now = source_files()
    changed = sorted(p for p in sources.keys() | now.keys() if sources.get(p) != now.get(p))
    if changed:
        print()
        print(f"**Source files changed during the run** ({', '.join(changed)}). Every launch "
              "loads them afresh, so the runs may mix versions.")
    if args.json:
        Path(args.json).write_text(json.dumps(
            {n: [r.__dict__ for r in rs] for n, rs in runs.items()}, indent=1))


if __name__ == "__main__":
    main()
