"""Single-instance lock: one holder, taken over after a crash, the address file private."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from shell.guard import LoopbackGuard, new_token
from shell.instance import ACTIVATE_PATH, InstanceLock, forward_to_running, read_running
from shell.server import LoopbackServer

ROOT = Path(__file__).resolve().parents[2]


def test_only_one_lock_holder(tmp_path: Path) -> None:
    first, second = InstanceLock(tmp_path), InstanceLock(tmp_path)
    assert first.acquire()
    assert not second.acquire()
    first.release()
    assert second.acquire()
    second.release()


def test_the_address_file_is_private_and_removed_on_release(tmp_path: Path) -> None:
    lock = InstanceLock(tmp_path)
    assert lock.acquire()
    lock.publish(4321, "t" * 43)
    mode = stat.S_IMODE(lock.info_path.stat().st_mode)
    assert mode == 0o600
    assert read_running(lock.info_path).port == 4321  # type: ignore[union-attr]
    lock.release()
    assert not lock.info_path.exists()


def test_a_half_written_address_file_reads_as_none(tmp_path: Path) -> None:
    (tmp_path / "instance.json").write_text('{"port": 12')
    assert read_running(tmp_path / "instance.json") is None


def test_the_lock_of_a_killed_instance_is_taken_over(tmp_path: Path) -> None:
    script = textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {str(ROOT)!r})
        from pathlib import Path
        from shell.instance import InstanceLock
        lock = InstanceLock(Path({str(tmp_path)!r}))
        assert lock.acquire()
        lock.publish(1, "x" * 43)
        print("locked", flush=True)
        time.sleep(60)
    """)
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "locked"
        assert not InstanceLock(tmp_path).acquire()
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        if child.stdout is not None:
            child.stdout.close()
    lock = InstanceLock(tmp_path)
    assert lock.acquire(), "a crashed instance's lock must not block the next launch"
    lock.release()


def test_forward_hands_argv_and_cwd_to_the_running_instance(tmp_path: Path) -> None:
    received: list[dict[str, object]] = []

    async def activate(request: Request) -> PlainTextResponse:
        received.append(await request.json())
        return PlainTextResponse("ok")

    token = new_token()
    app = LoopbackGuard(Starlette(routes=[Route(ACTIVATE_PATH, activate, methods=["POST"])]),
                        token)
    server = LoopbackServer(app)
    server.start()
    try:
        running = InstanceLock(tmp_path)
        assert running.acquire()
        port = int(server.url.rsplit(":", 1)[1].strip("/"))
        running.publish(port, token)
        assert forward_to_running(InstanceLock(tmp_path), ["app", "file.txt"], "/somewhere")
        assert received == [{"argv": ["app", "file.txt"], "cwd": "/somewhere"}]
        running.release()
    finally:
        server.stop()


def test_forward_returns_false_when_the_instance_went_away(tmp_path: Path) -> None:
    (tmp_path / "instance.json").write_text(json.dumps({"port": 9, "token": "x", "pid": 1}))
    assert forward_to_running(InstanceLock(tmp_path), ["a"], "/", timeout=5) is False


def test_forward_times_out_with_a_message_when_the_holder_never_answers(
        tmp_path: Path) -> None:
    holder = InstanceLock(tmp_path)
    assert holder.acquire()
    try:
        with pytest.raises(TimeoutError, match="did not answer"):
            forward_to_running(InstanceLock(tmp_path), ["a"], "/", timeout=0.5)
    finally:
        holder.release()
