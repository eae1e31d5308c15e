"""The development loop: the window stays open while the server, in a child process, is
restarted whenever the source changes; the page then reloads itself.

The parent owns what must outlive a restart: the listening socket (bound once, so the URL
never changes), the launch token (so the window's cookie stays valid), the instance lock and
the window. The child (see ``shell.child``) inherits the socket and serves the app.

A first start that fails ends the loop with the child's exit code (its message is already on
the terminal). A later failure shows the error in the window and waits for the next change.
"""

from __future__ import annotations

import collections
import html
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import asdict, replace
from pathlib import Path
from typing import IO, Any

from shell.backends import Backend, BackendUnavailable, WindowHooks, WindowOptions
from shell.backends import choose as choose_backend
from shell.child import CLOSING_PATH, RESTART_ENV
from shell.guard import TOKEN_PARAM, new_token
from shell.instance import InstanceLock, forward_to_running
from shell.menus import check_menu
from shell.native import answer
from shell.paths import AppDirs, write_private
from shell.runner import (
    FORWARDED,
    ShellError,
    _install_signal_handlers,
    _load_state,
    _restore_signal_handlers,
    launch_host_name,
    launch_url,
    native_of,
)
from shell.server import bind_loopback

__all__ = ["run_reloading"]

logger = logging.getLogger("shell")

START_TIMEOUT = 60.0


class _Child:
    """One server process: started with the socket and token, watched until it answers."""

    def __init__(self, command: Sequence[str], sock_fd: int, token: str,
                 host_name: str | None = None) -> None:
        self.command = list(command)
        self.sock_fd = sock_fd
        self.token = token
        self.host_name = host_name
        self.proc: subprocess.Popen[str] | None = None
        self.loaded: dict[str, Any] | None = None
        self.hello: dict[str, Any] | None = None
        self.stderr_tail: collections.deque[str] = collections.deque(maxlen=40)
        self.on_message: Callable[[dict[str, Any]], None] = lambda message: None
        self._loaded = threading.Event()
        self._hello = threading.Event()
        self._stdin_lock = threading.Lock()
        #: Held while the child is being stopped and started on purpose (a reload).
        self.restarting = threading.Lock()

    def start(self, *, restart: bool = False) -> bool:
        """Start it and let it serve; True once it answers, False when it exits first.
        ``restart``: after a change to the source (the child is told, so that its error
        messages say "save the file again" rather than "run the command again")."""
        return self.load(restart=restart) and self.serve()

    def load(self, *, restart: bool = False) -> bool:
        """Start it up to the app's import (nothing of the app has started yet); True once
        it has loaded the app (``self.loaded`` names it), False when it exits first."""
        self.loaded = self.hello = None
        self._loaded.clear()
        self._hello.clear()
        self.stderr_tail.clear()
        read_fd, write_fd = os.pipe()
        boot = f"{time.time_ns():x}"
        env = dict(os.environ)
        env.pop(RESTART_ENV, None)
        if restart:
            env[RESTART_ENV] = "1"
        try:
            proc = subprocess.Popen(
                self.command, stdin=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                pass_fds=(self.sock_fd, write_fd), env=env)
        finally:
            os.close(write_fd)
        self.proc = proc
        threading.Thread(target=self._read_control, args=(os.fdopen(read_fd, "r"),),
                         daemon=True, name="devloop-control").start()
        threading.Thread(target=self._relay_stderr, args=(proc.stderr,), daemon=True,
                         name="devloop-stderr").start()
        assert proc.stdin is not None  # we asked for a pipe
        proc.stdin.write(json.dumps({"fd": self.sock_fd, "token": self.token,
                                     "host_name": self.host_name, "control_fd": write_fd,
                                     "boot": boot}) + "\n")
        proc.stdin.flush()
        # stdin stays open: the child takes its end of file as "the parent is gone".
        return self._wait(self._loaded)

    def serve(self) -> bool:
        """Let the loaded child start the app and serve; True once it answers."""
        self.reply({"op": "go"})
        return self._wait(self._hello)

    def _wait(self, event: threading.Event) -> bool:
        proc = self.proc
        assert proc is not None  # load() started it
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if event.wait(0.05):
                return True
            if proc.poll() is not None:
                return False
        self.stop(1.0)
        return False

    def _read_control(self, stream: IO[str]) -> None:
        with stream:
            for line in stream:
                try:
                    message = json.loads(line)
                except ValueError:
                    continue
                if message.get("op") == "loaded":
                    self.loaded = message
                    self._loaded.set()
                elif message.get("op") == "hello":
                    self.hello = message
                    self._hello.set()
                else:
                    self.on_message(message)

    def _relay_stderr(self, stream: IO[str] | None) -> None:
        if stream is None:
            return
        with stream:
            for line in stream:
                self.stderr_tail.append(line)
                sys.stderr.write(line)
                sys.stderr.flush()

    def reply(self, message: dict[str, Any]) -> None:
        """Send an answer to the child (on its stdin)."""
        proc = self.proc
        if proc is None or proc.stdin is None:
            return
        with self._stdin_lock:
            try:
                proc.stdin.write(json.dumps(message) + "\n")
                proc.stdin.flush()
            except (OSError, ValueError):
                pass  # the child is gone or going; its call ends with it

    @property
    def exit_code(self) -> int | None:
        return None if self.proc is None else self.proc.poll()

    def stop(self, timeout: float) -> None:
        """SIGTERM (a graceful stop: lifespan shutdown runs), then SIGKILL after
        ``timeout`` seconds."""
        proc = self.proc
        if proc is None:
            return
        if proc.stdin is not None and not proc.stdin.closed:
            try:
                proc.stdin.close()
            except OSError:
                pass
        if proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            logger.warning("The server did not stop within %.1f s; killing it", timeout)
            proc.kill()
            proc.wait()


def run_reloading(
    command: Sequence[str],
    *,
    watch: Sequence[Path],
    backend: str = "auto",
    argv: Sequence[str] | None = None,
    shutdown_timeout: float = 5.0,
    announce: Callable[[str], None] | None = None,
) -> int:
    """Run ``command`` (a child that calls ``shell.child.serve_child``) as the server,
    restart it on changes below ``watch``, and show it in a window; returns the exit code.

    Raises:
        ShellError: the backend named cannot run here.
    """
    say = announce or (lambda line: print(line, flush=True))
    # The backend first: a window that cannot open is the user's to fix, before anything runs.
    try:
        chosen, reasons = choose_backend(backend)
    except BackendUnavailable as exc:
        raise ShellError(str(exc), usage=True) from None
    sock = bind_loopback()
    port = sock.getsockname()[1]
    token = new_token()
    child = _Child(command, sock.fileno(), token, launch_host_name())
    try:
        return _start(child, chosen, reasons, watch, argv, port, token, shutdown_timeout, say)
    except TimeoutError as exc:
        raise ShellError(str(exc)) from None
    finally:
        child.stop(shutdown_timeout + 1.0)
        sock.close()


def _start(child: _Child, chosen: Backend, reasons: list[str], watch: Sequence[Path],
           argv: Sequence[str] | None, port: int, token: str, shutdown_timeout: float,
           say: Callable[[str], None]) -> int:
    lock: InstanceLock | None = None
    try:
        # Load the app (to learn its name), take the instance lock, and only then let it
        # start: a launch that is handed to a running copy never starts the app.
        if not child.load():
            return _did_not_start(child)
        assert child.loaded is not None  # set before load() returns True
        title = str(child.loaded.get("title") or "app")
        app_id = str(child.loaded.get("app_id") or title)
        icon = child.loaded.get("icon")
        menu = child.loaded.get("menu")
        # The menu bar is the one of the first start: a window's menus are made with it.
        options = WindowOptions(title, icon=str(icon) if icon else None, app_id=app_id,
                                menu=tuple(check_menu(menu)) if menu else ())
        dirs = AppDirs(app_id)
        lock = InstanceLock(dirs.runtime)
        while not lock.acquire():
            if forward_to_running(lock, list(sys.argv if argv is None else argv),
                                  os.getcwd()):
                say(FORWARDED)
                lock = None
                return 0
        if not child.serve():
            return _did_not_start(child)
        lock.publish(port, token)
        if hasattr(chosen, "storage_path"):
            chosen.storage_path = str(dirs.cache / "webview")  # known once the app answered
        for reason in reasons:
            logger.warning("Not using the %s", reason)
        if reasons:
            say(f"backend: {chosen.name} ({'; '.join(reasons)})")
        child.on_message = lambda message: _on_child_message(message, chosen, child)
        return _loop(child, chosen, watch, dirs, options, port, token, shutdown_timeout, say)
    finally:
        child.stop(shutdown_timeout + 1.0)
        if lock is not None:
            lock.release()


def _did_not_start(child: _Child) -> int:
    code = child.exit_code
    if code is None or code == 0:
        code = 1
    if code != 2:  # 2: the app did not load, and the child said why
        print("appkit: The app's server did not start (see the messages above).",
              file=sys.stderr)
    return code


def _on_child_message(message: dict[str, Any], backend: Backend, child: _Child) -> None:
    op = message.get("op")
    if op == "front":
        backend.bring_to_front()
    elif op == "native":
        # Dialogs wait for the user: answer from a thread of its own.
        def work() -> None:
            child.reply(answer(native_of(backend), message))

        threading.Thread(target=work, name="devloop-native", daemon=True).start()


def _loop(child: _Child, backend: Backend, watch: Sequence[Path], dirs: AppDirs,
          options: WindowOptions, port: int, token: str, shutdown_timeout: float,
          say: Callable[[str], None]) -> int:
    url = f"http://127.0.0.1:{port}/"
    # The window opens the app on its secret host name (see shell.guard); the ready line
    # keeps 127.0.0.1 for tools.
    start_url = launch_url(port, token, child.host_name)
    window_base = start_url.split("?", 1)[0]
    stop = threading.Event()
    previous = _install_signal_handlers(backend)
    own = [dirs.config, dirs.data, dirs.cache, dirs.logs, dirs.runtime]
    window = _Window(backend, window_base, start_url)
    watcher = threading.Thread(
        target=_watch, name="devloop-watch", daemon=True,
        args=(child, window, watch, own, stop, shutdown_timeout, say))
    monitor = threading.Thread(target=_monitor, name="devloop-monitor", daemon=True,
                               args=(child, window, stop, dirs.logs / "app.log", say))
    state_file = dirs.config / "window.json"
    try:
        say(f"ready: {url}?{TOKEN_PARAM}={token}")
        watcher.start()
        monitor.start()
        backend.run(start_url, replace(options, state=_load_state(state_file)),
                    WindowHooks(
                        on_closing=lambda: _may_close(url, token),
                        on_state=lambda s: write_private(state_file, json.dumps(asdict(s))),
                    ))
    finally:
        stop.set()
        _restore_signal_handlers(previous)
    return 0


class _Window:
    """The window as the reload loop sees it: showing the app, or an error page in its
    place (which has no script that could bring the app back by itself)."""

    def __init__(self, backend: Backend, base_url: str, start_url: str) -> None:
        self.backend = backend
        self.base_url = base_url
        self.start_url = start_url
        self._showing_error = False
        self._return_to = start_url
        self._lock = threading.Lock()

    def show_error(self, page: str) -> None:
        """Replace the page with an error page (remembering the app's page it replaces)."""
        with self._lock:
            if not self._showing_error:
                url = self.backend.current_url()
                same_app = url is not None and url.startswith(self.base_url)
                self._return_to = url if same_app and url is not None else self.start_url
            self._showing_error = True
            self.backend.show_html(page)

    def server_back(self) -> None:
        """The server answers again: bring back the app's page where an error page shows.
        (A page of the app reloads itself: its script sees the new server.)"""
        with self._lock:
            if self._showing_error:
                self._showing_error = False
                self.backend.show_url(self._return_to)


def _may_close(url: str, token: str) -> bool:
    """Ask the app (in the child, where its state is) whether the window may close."""
    request = urllib.request.Request(
        url.rstrip("/") + CLOSING_PATH, data=b"{}", method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return bool(json.loads(response.read()).get("allow", True))
    except (urllib.error.URLError, OSError, ValueError):
        return True  # no server to ask (it failed to start): closing loses nothing


#: What counts as source: a change to one of these restarts the server.
SOURCE_SUFFIXES = frozenset({".py", ".html", ".htm", ".css", ".js", ".svg", ".toml",
                             ".jinja", ".j2"})


def source_filter(ignore: Sequence[Path]) -> Callable[[Any, str], bool]:
    """A watchfiles filter: source files only, never the app's own per-user folders (its
    logs, database and web engine cache change all the time)."""
    import watchfiles

    default = watchfiles.DefaultFilter()
    ignored = [str(p.resolve()) + os.sep for p in ignore]

    def accept(change: Any, path: str) -> bool:
        if not default(change, path) or Path(path).suffix.lower() not in SOURCE_SUFFIXES:
            return False
        full = str(Path(path).resolve())
        return not any(full.startswith(prefix) for prefix in ignored)

    return accept


def _watch(child: _Child, window: _Window, paths: Sequence[Path], ignore: Sequence[Path],
           stop: threading.Event, shutdown_timeout: float, say: Callable[[str], None]) -> None:
    import watchfiles

    for changes in watchfiles.watch(*paths, watch_filter=source_filter(ignore),
                                    stop_event=stop, debounce=300, step=50,
                                    raise_interrupt=False):
        if stop.is_set():
            return
        # Editors and tools write temporary files and rename them; name the real ones.
        names = sorted({Path(p).name for _, p in changes if Path(p).exists()}) or sorted(
            {Path(p).name for _, p in changes})
        say(f"reloading: {', '.join(names)} changed")
        with child.restarting:
            child.stop(shutdown_timeout + 1.0)
            started = child.start(restart=True)
        if started:
            window.server_back()
        else:
            window.show_error(_failed_page(list(child.stderr_tail)))
            say("reload failed: fix the error and save again")


def _monitor(child: _Child, window: _Window, stop: threading.Event, log_file: Path,
             say: Callable[[str], None]) -> None:
    """Show an error in the window when the server ends on its own (not for a reload)."""
    while not stop.wait(0.5):
        with child.restarting:
            code = child.exit_code
            if code is None or child.hello is None:
                continue  # running, or a failed reload already showing its error
            tail = list(child.stderr_tail)
            child.hello = None  # report it once
        logger.error("The app's server stopped unexpectedly (exit code %s)", code)
        say(f"server stopped (exit code {code}): save a file to start it again")
        window.show_error(_failed_page(
            tail + [f"\nThe server stopped (exit code {code}). The log file is {log_file}"]))


def _failed_page(stderr_tail: list[str]) -> str:
    text = html.escape("".join(stderr_tail).strip() or "The server exited without a message.")
    return (
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<title>The app failed to start</title></head><body style=\"font-family: sans-serif; "
        "margin: 2rem\"><h1>The app failed to start</h1><pre style=\"white-space: pre-wrap; "
        f"background: #f6f6f6; padding: 1rem\">{text}</pre><p>Fix the error and save the file: "
        "the app restarts by itself, and this window shows it again.</p></body></html>"
    )
