"""The ``appkit`` command: ``appkit run`` as a real process, and main()'s error paths."""

from __future__ import annotations

import http.cookiejar
import importlib
import io
import logging
import queue
import signal
import subprocess
import sys
import textwrap
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

import appkit
from appkit.cli import main

REPO = Path(appkit.__file__).resolve().parent.parent
READY_TIMEOUT = 20.0
STOP_TIMEOUT = 10.0
SETTLE = 0.3


class Running:
    """A started ``appkit run`` process whose output is read by background threads."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self.stdout: queue.Queue[str | None] = queue.Queue()
        self.stdout_lines: list[str] = []
        self.stderr_lines: list[str] = []
        self._threads = [
            threading.Thread(target=self._pump, args=(proc.stdout, self.stdout), daemon=True),
            threading.Thread(target=self._collect, args=(proc.stderr,), daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def _pump(self, stream: Any, into: queue.Queue[str | None]) -> None:
        for line in stream:
            into.put(line)
        into.put(None)

    def _collect(self, stream: Any) -> None:
        for line in stream:
            self.stderr_lines.append(line)

    @property
    def stderr(self) -> str:
        return "".join(self.stderr_lines)

    def wait_ready(self, timeout: float = READY_TIMEOUT) -> str:
        """The URL of the ``ready: <url>`` line."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                pytest.fail(f"no 'ready:' line within {timeout} s; stderr:\n{self.stderr}")
            try:
                line = self.stdout.get(timeout=left)
            except queue.Empty:
                continue
            if line is None:
                self.proc.wait(5)
                pytest.fail(f"the process ended (exit {self.proc.returncode}) before 'ready:'; "
                            f"stderr:\n{self.stderr}")
            self.stdout_lines.append(line)
            if line.startswith("ready: "):
                return line[len("ready: "):].strip()

    def stop(self, signum: int) -> int:
        # A signal sent right after "ready:" can arrive before the handlers are installed
        # (a bug: test_signal_handlers_are_installed_before_ready_is_printed); wait a little
        # so these tests check the graceful stop itself.
        time.sleep(SETTLE)
        self.proc.send_signal(signum)
        try:
            return self.proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the process did not stop within {STOP_TIMEOUT} s of "
                        f"{signal.Signals(signum).name}; stderr:\n{self.stderr}")

    def join(self) -> None:
        for thread in self._threads:
            thread.join(5)


@contextmanager
def appkit_run(*args: str) -> Iterator[Running]:
    with subprocess.Popen(
        [sys.executable, "-m", "appkit.cli", "run", *args],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    ) as proc:
        running = Running(proc)
        try:
            yield running
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
            running.join()


def run_cli(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "appkit.cli", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=60)


class Session:
    """A client that keeps cookies, as the window does: the ready URL's token becomes a
    cookie, and later requests to the same server carry it."""

    def __init__(self) -> None:
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def fetch(self, url: str) -> tuple[int, str]:
        with self.opener.open(url, timeout=10) as response:
            return response.status, response.read().decode()


def fetch(url: str) -> tuple[int, str]:
    """Open the ready URL (token and all) in a fresh session."""
    return Session().fetch(url)


def base_of(url: str) -> str:
    return url.split("?", 1)[0]


def write(path: Path, source: str) -> Path:
    path.write_text(textwrap.dedent(source).lstrip())
    return path


def assert_one_paragraph(stderr: str) -> None:
    text = stderr.strip()
    assert text.startswith("appkit:"), stderr
    assert "\n\n" not in text, stderr
    assert "Traceback" not in text, stderr


# ---- appkit run, as a process ------------------------------------------------------------------


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_run_serves_the_app_and_stops_cleanly_on_a_signal(signum: int) -> None:
    with appkit_run("examples/hello", "--headless") as app:
        url = app.wait_ready()
        assert url.startswith("http://127.0.0.1:")
        assert "/?appkit-token=" in url
        session = Session()
        status, body = session.fetch(url)
        assert status == 200
        assert "Hello" in body
        status, body = session.fetch(base_of(url) + "greet?name=Ann")
        assert "Hello, Ann!" in body
        with pytest.raises(urllib.error.HTTPError) as refused:
            fetch(base_of(url))  # no token, no cookie: the guard refuses
        assert refused.value.code == 403
        refused.value.close()
        assert app.stop(signum) == 0, app.stderr
    assert "Traceback" not in app.stderr


def test_a_second_launch_hands_over_and_exits_0() -> None:
    with appkit_run("examples/hello", "--headless") as first:
        first.wait_ready()
        second = run_cli("run", "examples/hello", "--headless")
        assert second.returncode == 0, second.stderr
        assert "ready:" not in second.stdout
        assert "already running" in second.stdout
        assert first.stop(signal.SIGTERM) == 0


def test_run_module_reference(tmp_path: Path) -> None:
    write(tmp_path / "cli_mod_app.py", """
        from appkit import App
        from appkit.html import P

        web = App("mod")

        @web.get("/")
        def index():
            return P("from a module")
    """)
    with subprocess.Popen(
        [sys.executable, "-m", "appkit.cli", "run", "cli_mod_app:web", "--headless"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=_env_with_repo_on_path(),
    ) as proc:
        running = Running(proc)
        try:
            url = running.wait_ready()
            assert "from a module" in fetch(url)[1]
            assert running.stop(signal.SIGTERM) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
            running.join()


def _env_with_repo_on_path() -> dict[str, str]:
    import os

    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return env


def test_stopping_runs_the_shutdown_hooks(tmp_path: Path) -> None:
    marker = tmp_path / "stopped.txt"
    path = write(tmp_path / "hooks_app.py", f"""
        from pathlib import Path
        from appkit import App

        app = App("hooks")

        @app.on_shutdown
        def bye():
            Path({str(marker)!r}).write_text("bye")
    """)
    with appkit_run(str(path), "--headless") as app:
        app.wait_ready()
        assert not marker.exists()
        assert app.stop(signal.SIGTERM) == 0
    assert marker.read_text() == "bye"


def test_app_whose_startup_fails_exits_non_zero(tmp_path: Path) -> None:
    path = write(tmp_path / "bad_start.py", """
        from appkit import App

        app = App("bad-start")

        @app.on_startup
        def connect():
            raise RuntimeError("no database")
    """)
    result = subprocess.run([sys.executable, "-m", "appkit.cli", "run", str(path), "--headless"],
                            cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1, result.stderr
    assert "ready:" not in result.stdout
    assert "appkit: The app's server did not start" in result.stderr


# ---- the error paths, as a process -----------------------------------------------------------


def test_bad_path_exits_2_with_one_paragraph(tmp_path: Path) -> None:
    missing = tmp_path / "no" / "such_app.py"
    result = run_cli("run", str(missing), "--headless")
    assert result.returncode == 2
    assert result.stdout == ""
    assert_one_paragraph(result.stderr)
    assert str(missing) in result.stderr


def test_app_that_fails_to_import_exits_2(tmp_path: Path) -> None:
    path = write(tmp_path / "broken.py", "from appkit import App\nraise RuntimeError('boom')\n")
    result = run_cli("run", str(path), "--headless")
    assert result.returncode == 2
    assert_one_paragraph(result.stderr)
    assert "RuntimeError: boom" in result.stderr
    assert "line 2" in result.stderr


def test_target_that_is_not_an_app_exits_2(tmp_path: Path) -> None:
    path = write(tmp_path / "not_app.py", "app = 42\n")
    result = run_cli("run", str(path), "--headless")
    assert result.returncode == 2
    assert_one_paragraph(result.stderr)
    assert "not an app" in result.stderr


def test_no_command_prints_help_and_exits_2() -> None:
    result = run_cli()
    assert result.returncode == 2
    assert "usage: appkit" in result.stdout
    assert "run" in result.stdout


def test_an_unknown_backend_exits_2() -> None:
    result = run_cli("run", "examples/hello", "--backend", "tk")
    assert result.returncode == 2
    assert "--backend" in result.stderr and "tk" in result.stderr


def test_headless_and_browser_together_exit_2() -> None:
    result = run_cli("run", "examples/hello", "--headless", "--browser")
    assert result.returncode == 2
    assert "not allowed with" in result.stderr


def test_a_window_backend_without_a_display_exits_2_with_the_reason(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    result = run_cli("run", "examples/hello", "--backend", "gtk")
    assert result.returncode == 2, result.stderr
    assert_one_paragraph(result.stderr)
    assert 'The "gtk" backend cannot run: there is no display' in result.stderr
    assert "ready:" not in result.stdout


def test_run_without_a_path_exits_2() -> None:
    result = run_cli("run")
    assert result.returncode == 2
    assert "PATH" in result.stderr


# ---- main() in-process ------------------------------------------------------------------------


@pytest.fixture
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Undo what main() may change: sys.path, modules imported from tmp_path, the root
    logger, the signal handlers."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    modules = set(sys.modules)
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    signals = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    yield
    for s, handler in signals.items():
        signal.signal(s, handler)
    root.handlers[:] = handlers
    root.setLevel(level)
    for name in set(sys.modules) - modules:
        file = getattr(sys.modules[name], "__file__", None) or ""
        if file.startswith(str(tmp_path)) or name.startswith("_appkit_app_"):
            del sys.modules[name]
    importlib.invalidate_caches()


@pytest.mark.usefixtures("isolated")
def test_main_bad_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "missing.py"
    assert main(["run", str(missing), "--headless"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert_one_paragraph(err)
    assert str(missing) in err


@pytest.mark.usefixtures("isolated")
def test_main_import_failure(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path / "main_broken.py", "x = 1\nraise ValueError('bad value')\n")
    assert main(["run", str(path), "--headless"]) == 2
    err = capsys.readouterr().err
    assert_one_paragraph(err)
    assert "ValueError: bad value" in err


@pytest.mark.usefixtures("isolated")
def test_main_system_exit_at_import(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path / "main_exits.py", "import sys\nsys.exit(5)\n")
    assert main(["run", str(path), "--headless"]) == 2
    err = capsys.readouterr().err
    assert_one_paragraph(err)
    assert "SystemExit" in err


@pytest.mark.usefixtures("isolated")
def test_main_not_an_app(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path / "main_notapp.py", "app = 'a string'\n")
    assert main(["run", str(path), "--headless"]) == 2
    err = capsys.readouterr().err
    assert_one_paragraph(err)
    assert "names a str, not an app" in err


@pytest.mark.usefixtures("isolated")
def test_main_folder_without_app_py(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(tmp_path), "--headless"]) == 2
    err = capsys.readouterr().err
    assert_one_paragraph(err)
    assert "has no app.py" in err


@pytest.mark.usefixtures("isolated")
def test_main_no_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    out = capsys.readouterr().out
    assert "usage: appkit" in out
    assert "run" in out


@pytest.mark.usefixtures("isolated")
def test_main_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["run"])
    assert info.value.code == 2
    with pytest.raises(SystemExit) as info:
        main(["frobnicate"])
    assert info.value.code == 2


@pytest.mark.usefixtures("isolated")
def test_signal_handlers_are_installed_before_ready_is_printed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Whoever starts `appkit run` may stop it as soon as it reads "ready:"; a SIGTERM that
    # arrives before the handlers are installed kills the process (no graceful shutdown,
    # exit -15) instead of stopping it with exit 0.
    import shell.runner

    path = write(tmp_path / "sig_app.py", "from appkit import App\napp = App('sig')\n")
    default: dict[int, Any] = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    seen: dict[int, Any] = {}

    class FakeServer:
        def __init__(self, app: Any, **options: Any) -> None:
            pass

        def start(self) -> str:
            return "http://127.0.0.1:9/"

        @property
        def running(self) -> bool:
            return True

        def stop(self) -> bool:
            return True

    class Spy(io.StringIO):
        def write(self, text: str) -> int:
            if text.startswith("ready:") and not seen:
                seen.update({s: signal.getsignal(s) for s in default})
                signal.raise_signal(signal.SIGTERM)  # as a supervisor reading the line would
            return super().write(text)

    monkeypatch.setattr(shell.runner, "LoopbackServer", FakeServer)
    monkeypatch.setattr(sys, "stdout", Spy())
    assert main(["run", str(path), "--headless"]) == 0
    assert seen, "no 'ready:' line was printed"
    for signum, handler in seen.items():
        assert handler is not default[signum], (
            f"{signal.Signals(signum).name} still had its default handler when 'ready:' "
            "was printed")
