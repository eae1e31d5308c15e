"""An app started as a real process for the window tests: its ``ready:`` line, requests to
its handlers with the launch token, and the end of everything it started.

The process gets a session (and process group) of its own, so that the end of a test can
take down whatever it left behind: the development loop's server child, the web engine's
helper processes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest

from tests.conftest import missing_dependency
from tests.shell.lines import Lines

#: Within this, a process asked to close has exited (the server's 5 s shutdown deadline
#: plus the GUI's own teardown). A bound for a hung process, not a speed check.
EXIT_TIMEOUT = 15.0


class AppProcess:
    """One app process; stdout read line by line, stderr kept in a file.

    Args:
        command: what to run.
        env: its environment.
        cwd: its working directory.
        stderr_path: where its stderr goes (read back in failure messages).
    """

    def __init__(self, command: list[str], env: dict[str, str], cwd: Path,
                 stderr_path: Path) -> None:
        self.stderr_path = stderr_path
        self.state_home = Path(env.get("XDG_STATE_HOME", Path.home() / ".local" / "state"))
        with stderr_path.open("w", encoding="utf-8") as stderr:
            self.proc = subprocess.Popen(command, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                         stdout=subprocess.PIPE, stderr=stderr, text=True,
                                         start_new_session=True)
        assert self.proc.stdout is not None
        self.lines = Lines(self.proc.stdout, self._describe)
        self.url = ""

    def _describe(self) -> str:
        while not self.lines.queue.empty():  # the output not read yet, for the message
            line = self.lines.queue.get_nowait()
            if line is None:
                self.lines.queue.put(None)
                break
            self.lines.seen.append(line)
        return (f"exit code {self.proc.poll()}; output: {self.lines.seen}; "
                f"stderr: {self.stderr()[-3000:]}; app log: {self.log()[-3000:]}")

    def log(self) -> str:
        """The app's log file(s) in its per-user log folder."""
        return "".join(log.read_text(encoding="utf-8", errors="replace")
                       for log in sorted(self.state_home.glob("**/app.log")))

    def logged_errors(self) -> list[str]:
        """The ERROR lines of the app's log."""
        return [line for line in self.log().splitlines() if " ERROR " in line]

    def stderr(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def ready(self, timeout: float = 60.0) -> str:
        """The URL of the ``ready:`` line (it carries the token). Skips (fails under CI)
        when the process ended saying its backend cannot run here."""
        try:
            line = self.lines.expect("ready: ", timeout)
        except pytest.fail.Exception:
            if self.wait_quietly(5.0) is not None and "backend cannot run" in self.stderr():
                missing_dependency(self.stderr()[-1500:])
            raise
        self.url = line.removeprefix("ready: ").strip()
        return self.url

    def wait_quietly(self, timeout: float) -> int | None:
        """The exit code, or None when it is still running after ``timeout`` seconds."""
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    @property
    def base(self) -> str:
        """The server's address, like ``http://127.0.0.1:4321/``."""
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}/"

    @property
    def token(self) -> str:
        return self.url.split("=", 1)[1]

    def post(self, route: str, **fields: str) -> str:
        """POST ``fields`` (a form) to the app's ``route`` as a tool does (a bearer token);
        the response's text."""
        request = urllib.request.Request(
            self.base + route.lstrip("/"), data=urlencode(fields).encode(), method="POST",
            headers={"Authorization": f"Bearer {self.token}",
                     "Content-Type": "application/x-www-form-urlencoded"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return str(response.read().decode())
        except urllib.error.HTTPError as exc:
            body = exc.read().decode(errors="replace")
            exc.close()
            pytest.fail(f"POST {route} answered {exc.code}: {body[:500]}; "
                        f"{self._describe()}")

    def wait(self, timeout: float = EXIT_TIMEOUT) -> int:
        """The exit code; fails the test when the process has not exited in ``timeout``."""
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the app did not exit within {timeout:g} s; output: "
                        f"{self.lines.seen}")

    def group_is_gone(self, timeout: float = 10.0) -> bool:
        """True once no process of its group is left (server child, engine helpers)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                os.killpg(self.proc.pid, 0)
            except ProcessLookupError:
                return True
            time.sleep(0.1)
        return False

    def kill(self) -> None:
        """Take down whatever of it is still running (the end of every test)."""
        if self.proc.returncode is None:
            # Not reaped yet: its process group's number cannot belong to anyone else.
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(10)
        else:
            # Reaped: the number stays the group's only while one of its processes lives,
            # so end those one by one rather than whatever group has the number now.
            for pid in _group_members(self.proc.pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        if self.proc.stdout is not None:
            self.proc.stdout.close()


def _group_members(pgid: int) -> list[int]:
    """The processes whose process group is ``pgid``."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid:
            found.append(int(stat.parent.name))
    return found
