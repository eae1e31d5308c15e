"""``appkit run`` as a real process, headless: single instance under a launch race, a
crashed instance's lock taken over, the fallback to headless without a display, the token
kept out of the log, the guard in front of the real server; and the watchdog's
"server died" page.

Each test starts ``python -m appkit.cli run APP --headless [ARGS...]`` from the repository
root, in both ways it runs an app: the development loop (the default: the server in a child
process, restarted on changes) and ``--no-reload`` (``shell.run`` in one process, as
``App.run()`` and a packaged app do). The per-user folders (XDG) are the test's own (see
``tests/conftest.py``), inherited by the child processes.
"""

from __future__ import annotations

import html
import http.cookiejar
import json
import logging
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

import pytest

from shell.guard import TOKEN_PARAM
from shell.runner import _watch_server

ROOT = Path(__file__).resolve().parents[2]
APP_NAME = "run-test-app"
EXIT_TIMEOUT = 15.0

APP_SOURCE = """
import json

from appkit import App
from appkit.html import P, Page

app = App({name!r})
ACTIVATIONS = {activations!r}
STARTUPS = {startups!r}


@app.on_activate
def activated(argv, cwd):
    with open(ACTIVATIONS, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(argv) + "\\n")


@app.on_startup
def started():
    with open(STARTUPS, "a", encoding="utf-8") as handle:
        handle.write("started\\n")


@app.get("/")
def index():
    return Page("Run test", P("hello from the run test"))


@app.get("/about")
def about():
    return Page("About", P("about"))


@app.post("/echo")
def echo():
    return "posted"
"""


class Launch:
    """One ``appkit run`` process; stdout read line by line in the background, stderr (the
    console log) kept in a file so that a chatty child never blocks on a full pipe."""

    def __init__(self, app: Path, *args: str, headless: bool = True,
                 env: dict[str, str] | None = None, stderr_path: Path) -> None:
        command = [sys.executable, "-m", "appkit.cli", "run", str(app), *args]
        if headless:
            command.append("--headless")
        self.stderr_path = stderr_path
        self._stderr = stderr_path.open("w", encoding="utf-8")
        self.proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                     stderr=self._stderr, stdin=subprocess.DEVNULL, text=True)
        self._lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        self._done = threading.Event()
        assert self.proc.stdout is not None
        self._pumper = threading.Thread(target=self._pump, args=(self.proc.stdout,),
                                        daemon=True)
        self._pumper.start()

    def _pump(self, stream: IO[str]) -> None:
        for line in stream:
            self._lines.put(line.rstrip("\n"))
        self._lines.put(None)

    def _drain(self, timeout: float) -> bool:
        """Move one line (waiting up to ``timeout``) into ``seen``; False at end of output."""
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            return True
        if line is None:
            self._done.set()
            return False
        self.seen.append(line)
        return True

    def expect(self, prefix: str, timeout: float = 30.0) -> str:
        """The first output line starting with ``prefix`` (already seen or still to come)."""
        deadline = time.monotonic() + timeout
        checked = 0
        while True:
            for line in self.seen[checked:]:
                if line.startswith(prefix):
                    return line
            checked = len(self.seen)
            if self._done.is_set() or time.monotonic() >= deadline:
                break
            self._drain(0.1)
        pytest.fail(f"no line starting {prefix!r}; output: {self.seen}; exit code: "
                    f"{self.proc.poll()}; stderr: {self.stderr()[-3000:]}")

    def output(self, timeout: float = 5.0) -> list[str]:
        """Every stdout line, once the process has closed its stdout (or ``timeout``)."""
        deadline = time.monotonic() + timeout
        while not self._done.is_set() and time.monotonic() < deadline:
            self._drain(0.1)
        return self.seen

    def stderr(self) -> str:
        self._stderr.flush()
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def wait(self, timeout: float = EXIT_TIMEOUT) -> int:
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the app did not exit within {timeout} s; output: {self.seen}")

    def terminate(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        return self.wait()

    def cleanup(self) -> None:
        if self.proc.poll() is None:
            servers = children_of(self.proc.pid)  # the development loop's server child
            self.proc.kill()
            self.proc.wait(10)
            for pid in servers:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        # Closing the pipe while the reader thread is blocked in it would wait for that
        # read to end: close it only once the reader has seen the end of the output.
        self._pumper.join(5)
        if self.proc.stdout is not None and not self._pumper.is_alive():
            self.proc.stdout.close()
        self._stderr.close()


@pytest.fixture
def app_file(tmp_path: Path) -> Path:
    path = tmp_path / "runapp.py"
    path.write_text(APP_SOURCE.format(name=APP_NAME,
                                      activations=str(tmp_path / "activations.jsonl"),
                                      startups=str(tmp_path / "startups.txt")),
                    encoding="utf-8")
    return path


@pytest.fixture(params=["reload", "no-reload"])
def run_mode(request: pytest.FixtureRequest) -> list[str]:
    """The extra options of ``appkit run``: the development loop, or ``--no-reload``."""
    return [] if request.param == "reload" else ["--no-reload"]


@pytest.fixture
def launcher(tmp_path: Path, run_mode: list[str]) -> Iterator[Launcher]:
    launcher = Launcher(tmp_path, run_mode)
    yield launcher
    launcher.cleanup()


class Launcher:
    """Starts ``Launch``es and kills whatever is left of them after the test."""

    def __init__(self, tmp_path: Path, options: list[str]) -> None:
        self.tmp_path = tmp_path
        self.options = options
        self.launches: list[Launch] = []

    def __call__(self, app: Path, *args: str, headless: bool = True,
                 env: dict[str, str] | None = None) -> Launch:
        stderr_path = self.tmp_path / f"stderr-{len(self.launches)}.log"
        launch = Launch(app, *args, *self.options, headless=headless, env=env,
                        stderr_path=stderr_path)
        self.launches.append(launch)
        return launch

    def cleanup(self) -> None:
        for launch in self.launches:
            launch.cleanup()


def ready_url(line: str) -> str:
    assert line.startswith("ready: http://127.0.0.1:"), line
    return line.removeprefix("ready: ").strip()


def token_of(url: str) -> str:
    query = urlsplit(url).query
    key, _, value = query.partition("=")
    assert key == TOKEN_PARAM and len(value) >= 32, url
    return value


def base_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def children_of(pid: int) -> list[int]:
    """The processes whose parent is ``pid``."""
    found = []
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat_file.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            found.append(int(stat_file.parent.name))
    return found


def is_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        state = Path(f"/proc/{pid}/stat")
        try:
            if state.read_text().rsplit(")", 1)[1].split()[0] == "Z":
                return True  # ended; only its parent (init) has not reaped it yet
        except (OSError, IndexError):
            return True
        time.sleep(0.1)
    return False


def runtime_info() -> dict[str, object]:
    path = Path(os.environ["XDG_RUNTIME_DIR"]) / APP_NAME / "instance.json"
    return dict(json.loads(path.read_text(encoding="utf-8")))


# ---- single instance ----------------------------------------------------------------------


def test_twenty_simultaneous_launches_make_one_instance(app_file: Path, tmp_path: Path,
                                                        launcher: Launcher) -> None:
    count = 20
    launches = [launcher(app_file, f"launch-{i}") for i in range(count)]
    started = time.monotonic()
    deadline = started + 30.0
    while time.monotonic() < deadline:
        if sum(launch.proc.poll() is not None for launch in launches) >= count - 1:
            break
        time.sleep(0.1)
    running = [i for i, launch in enumerate(launches) if launch.proc.poll() is None]
    assert len(running) == 1, (
        f"expected one launch left running after 30 s, got {running}; exit codes: "
        f"{[launch.proc.poll() for launch in launches]}")
    (winner,) = running
    first = launches[winner]
    first.expect("ready: ")
    assert runtime_info()["pid"] == first.proc.pid

    ready_lines = 0
    for i, launch in enumerate(launches):
        lines = launch.output() if i != winner else list(launch.seen)
        ready_lines += sum(line.startswith("ready:") for line in lines)
        if i == winner:
            continue
        assert launch.proc.returncode == 0, (i, lines, launch.stderr()[-2000:])
        assert any("already running" in line for line in lines), (i, lines)
    assert ready_lines == 1, "exactly one launch may serve the app"

    activations = (tmp_path / "activations.jsonl").read_text(encoding="utf-8").splitlines()
    argvs = [json.loads(line) for line in activations]
    expected = {(str(app_file), f"launch-{i}") for i in range(count) if i != winner}
    assert len(argvs) == count - 1, argvs
    assert {tuple(argv) for argv in argvs} == expected

    assert first.terminate() == 0


def test_the_lock_of_a_killed_instance_does_not_forward_the_next_launch(
        app_file: Path, tmp_path: Path, launcher: Launcher) -> None:
    crashed = launcher(app_file, "first")
    crashed.expect("ready: ")
    stale = runtime_info()
    servers = children_of(crashed.proc.pid)  # the development loop's server child, if any
    os.kill(crashed.proc.pid, signal.SIGKILL)
    assert crashed.wait() == -signal.SIGKILL
    for pid in servers:
        assert is_gone(pid, 15), f"the server child {pid} outlived its killed parent"
    # The address file of the crashed copy is still there, pointing at a dead port.
    assert runtime_info() == stale

    second = launcher(app_file, "second")
    url = ready_url(second.expect("ready: ", timeout=30))
    assert not any("already running" in line for line in second.seen)
    assert runtime_info()["pid"] == second.proc.pid
    assert token_of(url) != stale["token"]

    # ...and a third launch finds the new copy (its fresh address), not the dead one.
    third = launcher(app_file, "third")
    assert third.wait(30) == 0
    assert any("already running" in line for line in third.output())
    activations = (tmp_path / "activations.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in activations] == [[str(app_file), "third"]]
    assert second.terminate() == 0


def test_a_second_launch_does_not_start_the_app(app_file: Path, tmp_path: Path,
                                                launcher: Launcher) -> None:
    # A launch that only hands its arguments over must not run the app's startup (its
    # migrations, its job scheduler) next to the running copy.
    first = launcher(app_file)
    first.expect("ready: ")
    second = launcher(app_file, "again")
    assert second.wait(30) == 0
    assert any("already running" in line for line in second.output())
    startups = (tmp_path / "startups.txt").read_text(encoding="utf-8").splitlines()
    assert startups == ["started"], "the second launch ran the app's startup hooks"
    assert first.terminate() == 0


# ---- fallback ---------------------------------------------------------------------------


def test_without_a_display_auto_falls_back_to_headless_and_says_why(
        app_file: Path, launcher: Launcher) -> None:
    env = dict(os.environ)
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    launch = launcher(app_file, headless=False, env=env)
    line = launch.expect("backend: ")
    native = "gtk" if sys.platform == "linux" else "webview"
    assert line.startswith("backend: headless ("), line
    assert f"{native}:" in line and "browser:" in line, line
    assert line.count("no display") >= 2, line
    launch.expect("ready: http://127.0.0.1:")
    assert launch.terminate() == 0


# ---- the token ----------------------------------------------------------------------------


def cookie_opener() -> tuple[urllib.request.OpenerDirector, http.cookiejar.CookieJar]:
    jar = http.cookiejar.CookieJar()
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar)), jar


def status_of(request: urllib.request.Request | str,
              opener: urllib.request.OpenerDirector | None = None) -> int:
    try:
        with (opener.open if opener else urllib.request.urlopen)(request, timeout=10) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        exc.close()
        return int(exc.code)


def test_the_launch_token_never_reaches_the_log(app_file: Path, launcher: Launcher) -> None:
    launch = launcher(app_file)
    url = ready_url(launch.expect("ready: "))
    token = token_of(url)
    base = base_of(url)
    opener, _ = cookie_opener()
    with opener.open(url, timeout=10) as response:  # 303 to "/", then the page
        assert response.status == 200
        assert response.url == f"{base}/"
        assert "hello from the run test" in response.read().decode()
    assert status_of(f"{base}/about", opener) == 200
    assert status_of(f"{base}/about?x=1&{TOKEN_PARAM}={token}", opener) == 200
    assert launch.terminate() == 0

    logs = list(Path(os.environ["XDG_STATE_HOME"]).glob("**/app.log"))
    assert len(logs) == 1, logs
    text = logs[0].read_text(encoding="utf-8")
    assert f'"GET /?{TOKEN_PARAM}=*** HTTP/1.1" 303' in text, text
    assert '"GET / HTTP/1.1" 200' in text, text
    assert '"GET /about HTTP/1.1" 200' in text, text
    assert f'"GET /about?x=1&{TOKEN_PARAM}=*** HTTP/1.1" 303' in text, text
    assert token not in text
    assert token not in launch.stderr(), "the console log showed the token"


# ---- the guard on the real server ---------------------------------------------------------


def test_the_real_server_is_guarded(app_file: Path, launcher: Launcher) -> None:
    launch = launcher(app_file)
    url = ready_url(launch.expect("ready: "))
    token = token_of(url)
    base = base_of(url)
    port = urlsplit(url).port
    bearer = {"Authorization": f"Bearer {token}"}

    assert status_of(f"{base}/") == 403
    assert status_of(urllib.request.Request(
        f"{base}/", headers={"Authorization": f"Bearer {token[:-1]}x"})) == 403
    assert status_of(urllib.request.Request(f"{base}/", headers=bearer)) == 200
    assert status_of(urllib.request.Request(
        f"{base}/", headers={**bearer, "Host": f"localhost:{port}"})) == 200
    assert status_of(urllib.request.Request(
        f"{base}/", headers={**bearer, "Host": f"evil.example:{port}"})) == 403

    assert status_of(urllib.request.Request(
        f"{base}/", headers={"Cookie": f"appkit-token-{port}={token[:-1]}x"})) == 403
    wrong, wrong_jar = cookie_opener()
    assert status_of(f"{base}/?{TOKEN_PARAM}={token[:-1]}x", wrong) == 403
    assert list(wrong_jar) == [], "a wrong token in the URL was given the cookie"

    opener, jar = cookie_opener()
    with opener.open(url, timeout=10) as response:
        assert response.status == 200
        csrf = re.search(r'<meta name="csrf-token" content="([^"]+)">',
                         response.read().decode())
    assert csrf, "the page carries no CSRF token"
    launch_cookies = [cookie for cookie in jar if cookie.name.startswith("appkit-token")]
    assert [cookie.name for cookie in launch_cookies] == [f"appkit-token-{port}"]
    assert [cookie.value for cookie in launch_cookies] == [token]
    assert {cookie.name for cookie in jar} == {f"appkit-token-{port}", f"appkit-session-{APP_NAME}"}
    same_site = urllib.request.Request(f"{base}/echo", data=b"", method="POST",
                                       headers={"Origin": base, "X-CSRF-Token": csrf[1]})
    assert status_of(same_site, opener) == 200
    # The guard lets a same-site request through; appkit still wants the session's token.
    no_csrf = urllib.request.Request(f"{base}/echo", data=b"", method="POST",
                                     headers={"Origin": base})
    assert status_of(no_csrf, opener) == 403
    cross_site = urllib.request.Request(f"{base}/echo", data=b"", method="POST",
                                        headers={"Origin": "http://evil.example",
                                                 "X-CSRF-Token": csrf[1]})
    assert status_of(cross_site, opener) == 403
    assert status_of(urllib.request.Request(f"{base}/echo", data=b"", method="POST",
                                            headers={"Origin": base})) == 403  # no cookie
    assert launch.terminate() == 0


# ---- the watchdog ---------------------------------------------------------------------------


class FakeServer:
    def __init__(self) -> None:
        self.running = True


class FakeBackend:
    def __init__(self) -> None:
        self.pages: list[str] = []
        self.shown = threading.Event()

    def show_html(self, page: str) -> None:
        self.pages.append(page)
        self.shown.set()


def test_the_watchdog_shows_the_log_file_when_the_server_dies(
        tmp_path: Path, error_logs: list[logging.LogRecord]) -> None:
    log_file = tmp_path / "logs & <more>" / "app.log"
    server, backend, stopping = FakeServer(), FakeBackend(), threading.Event()
    watchdog = threading.Thread(target=_watch_server,
                                args=(server, backend, stopping, log_file), daemon=True)
    watchdog.start()
    try:
        time.sleep(0.7)
        assert backend.pages == [], "the server is still running"
        server.running = False
        assert backend.shown.wait(5), "no page shown after the server died"
        watchdog.join(5)
        assert not watchdog.is_alive(), "the watchdog keeps running after reporting"
    finally:
        stopping.set()
    (page,) = backend.pages
    assert html.escape(str(log_file)) in page
    assert "<more>" not in page, "the log path must be escaped"
    assert [r.getMessage() for r in error_logs] == ["The app's server stopped unexpectedly"]


class StoppingServer:
    """A server the window is closing: by the time the watchdog sees it stopped, the
    runner has already set ``stopping`` (the race right after the window closed)."""

    def __init__(self, stopping: threading.Event) -> None:
        self._stopping = stopping

    @property
    def running(self) -> bool:
        self._stopping.set()
        return False


@pytest.mark.parametrize("when", ["before", "while-looking"])
def test_the_watchdog_is_quiet_when_the_app_is_stopping(
        when: str, tmp_path: Path, error_logs: list[logging.LogRecord]) -> None:
    backend, stopping = FakeBackend(), threading.Event()
    server: FakeServer | StoppingServer
    if when == "before":
        server = FakeServer()
        server.running = False
        stopping.set()
    else:
        server = StoppingServer(stopping)
    watchdog = threading.Thread(target=_watch_server,
                                args=(server, backend, stopping, tmp_path / "app.log"),
                                daemon=True)
    watchdog.start()
    watchdog.join(5)
    assert not watchdog.is_alive()
    assert backend.pages == []
    assert error_logs == []

