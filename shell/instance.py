"""Single instance: one running copy per app id.

The first launch takes an exclusive lock on ``<runtime dir>/instance.lock`` and, once its
server answers, writes ``instance.json`` (0600: port and token). A later launch cannot take
the lock; it reads the file and forwards its argv and working directory to the running copy
(``POST /_shell/activate`` with the token), which brings its window to the front and calls
the app's ``on_activate``; then the later launch exits 0.

The lock is the operating system's (``flock`` / ``LockFileEx``): it dies with its process,
so a crashed instance never leaves a lock behind that blocks the next launch.
"""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from shell.paths import write_private

if TYPE_CHECKING:
    from starlette.requests import Request

__all__ = ["InstanceLock", "RunningInstance", "forward_to_running", "read_activation",
           "ACTIVATE_PATH", "MAX_ACTIVATION_BYTES"]

ACTIVATE_PATH = "/_shell/activate"
#: The largest body ``POST /_shell/activate`` takes (an argv of thousands of paths fits).
MAX_ACTIVATION_BYTES = 1024 * 1024


@dataclass(frozen=True)
class RunningInstance:
    """Where the running copy listens."""

    port: int
    token: str
    pid: int


class InstanceLock:
    """The lock that makes this process the app's one running instance.

    Args:
        runtime_dir: the app's runtime folder (private to the user).
    """

    def __init__(self, runtime_dir: Path) -> None:
        self.runtime_dir = runtime_dir
        self.lock_path = runtime_dir / "instance.lock"
        self.info_path = runtime_dir / "instance.json"
        self._handle: IO[bytes] | None = None

    def acquire(self) -> bool:
        """Take the lock without waiting; True when this process is now the instance."""
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        handle = os.fdopen(fd, "r+b", buffering=0)
        if not _try_lock(handle):
            handle.close()
            return False
        self._handle = handle
        return True

    def publish(self, port: int, token: str) -> None:
        """Tell later launches where this instance listens (after its server answers)."""
        write_private(self.info_path,
                      json.dumps({"port": port, "token": token, "pid": os.getpid()}))

    def release(self) -> None:
        """Stop being the instance: remove the address file, drop the lock."""
        if self._handle is None:
            return
        try:
            info = read_running(self.info_path)
            if info is not None and info.pid == os.getpid():
                self.info_path.unlink(missing_ok=True)
        finally:
            self._handle.close()  # closing the file releases the lock
            self._handle = None

    @property
    def held(self) -> bool:
        """True while this process holds the lock."""
        return self._handle is not None

    def __enter__(self) -> InstanceLock:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.release()


async def read_activation(request: Request) -> tuple[list[str], str]:
    """The ``(argv, cwd)`` a second launch posted to ``ACTIVATE_PATH``.

    Raises:
        starlette.exceptions.HTTPException: 413 for a body over ``MAX_ACTIVATION_BYTES``,
            400 for one that is not a JSON object with a list ``argv`` and a string ``cwd``.
    """
    from starlette.exceptions import HTTPException

    too_large = HTTPException(413, f"The activation is larger than {MAX_ACTIVATION_BYTES} "
                                   "bytes; send fewer arguments.")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_ACTIVATION_BYTES:
        raise too_large
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_ACTIVATION_BYTES:
            raise too_large
    try:
        data = json.loads(bytes(body))
    except ValueError:
        raise HTTPException(400, 'The activation is not JSON: send {"argv": [...], '
                                 '"cwd": "..."}.') from None
    argv = data.get("argv", []) if isinstance(data, dict) else None
    cwd = data.get("cwd", "") if isinstance(data, dict) else None
    if not isinstance(argv, list) or not isinstance(cwd, str) or not all(
            isinstance(arg, str) for arg in argv):
        raise HTTPException(400, 'The activation must be {"argv": [strings], "cwd": '
                                 f'"a string"}}, not {str(data)[:200]!r}.')
    return argv, cwd


def read_running(info_path: Path) -> RunningInstance | None:
    """The running instance's address, or None when the file is missing or half-written."""
    try:
        data = json.loads(info_path.read_text(encoding="utf-8"))
        return RunningInstance(int(data["port"]), str(data["token"]), int(data["pid"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def forward_to_running(lock: InstanceLock, argv: list[str], cwd: str, *,
                       timeout: float = 15.0) -> bool:
    """Hand ``argv`` and ``cwd`` to the running instance.

    Waits for the instance to publish its address (it may still be starting). Returns False
    when the lock became free meanwhile (the instance exited or crashed): the caller should
    then try to become the instance itself.
    """
    deadline = time.monotonic() + timeout
    body = json.dumps({"argv": argv, "cwd": cwd}).encode()
    while time.monotonic() < deadline:
        info = read_running(lock.info_path)
        if info is not None:
            request = urllib.request.Request(
                f"http://127.0.0.1:{info.port}{ACTIVATE_PATH}", data=body, method="POST",
                headers={"Authorization": f"Bearer {info.token}",
                         "Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=5) as response:
                    if response.status == 200:
                        return True
            except (urllib.error.URLError, OSError):
                pass  # starting, stopping or gone: look again
        if lock.acquire():
            lock.release()
            return False
        time.sleep(0.05)
    raise TimeoutError(
        f"Another copy of this app holds {lock.lock_path} but did not answer within "
        f"{timeout:g} s. If it is stuck, end it and launch again.")


if sys.platform == "win32":  # pragma: no cover - exercised on Windows CI only
    import msvcrt

    def _try_lock(handle: IO[bytes]) -> bool:
        try:
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

else:
    import fcntl

    def _try_lock(handle: IO[bytes]) -> bool:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True
