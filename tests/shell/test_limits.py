"""Hostile requests against the real servers, over real sockets: heads too large or with
too many lines get 431 before anything else runs (the shell's server, and the development
loop's child), ``/_shell/activate`` takes only a small JSON object (413, 400), and hostile
paths and Host headers get a clear answer, never a 500 or a dropped connection.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from shell.guard import TOKEN_PARAM, LoopbackGuard, new_host_name, new_token
from shell.limits import MAX_HEAD_BYTES, MAX_HEADERS
from shell.server import LoopbackServer
from tests.shell.launch import AppProcess

ROOT = Path(__file__).resolve().parents[2]
MB = 1024 * 1024


async def _echo(request: Request) -> PlainTextResponse:
    body = await request.body()
    return PlainTextResponse(f"{request.method} {request.url.path} {len(body)}")


class Served:
    """A guarded app on a real LoopbackServer."""

    def __init__(self) -> None:
        self.token = new_token()
        self.host_name = new_host_name()
        app = Starlette(routes=[Route("/{path:path}", _echo, methods=["GET", "POST"])])
        self.server = LoopbackServer(LoopbackGuard(app, self.token, host_name=self.host_name))
        url = self.server.start()
        self.port = int(urlsplit(url).port or 0)

    def head(self, target: str = "/", *lines: str, method: str = "GET",
             host: str | None = None) -> bytes:
        """A request head with the launch token as a bearer token."""
        return "".join([f"{method} {target} HTTP/1.1\r\n",
                        f"Host: {host or f'127.0.0.1:{self.port}'}\r\n",
                        f"Authorization: Bearer {self.token}\r\n",
                        *(f"{line}\r\n" for line in lines), "\r\n"]).encode()


@pytest.fixture
def served() -> Iterator[Served]:
    served = Served()
    yield served
    served.server.stop()


def exchange(port: int, data: bytes, timeout: float = 10.0, *,
             half_close: bool = True) -> bytes:
    """Send ``data`` (then end the sending side, unless not ``half_close``), read until the
    server closes (or ``timeout``); what came back."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        return read_all(sock)


def read_all(sock: socket.socket) -> bytes:
    out = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except (TimeoutError, ConnectionResetError):
            return out
        if not chunk:
            return out
        out += chunk


def status(answer: bytes) -> int:
    assert answer.startswith(b"HTTP/1.1 "), f"no answer: {answer[:200]!r}"
    return int(answer.split(b" ", 2)[1])


def rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS in /proc/self/status")


# ---- heads --------------------------------------------------------------------------------


def test_endless_header_lines_get_431_and_the_server_stays_small(served: Served) -> None:
    """Four connections, each sending 16 MB of one unfinished header line (no token)."""
    before = rss_bytes()
    answers: list[bytes] = [b""] * 4
    sent: list[int] = [0] * 4
    ready = threading.Barrier(5)
    release = threading.Event()

    def attack(i: int) -> None:
        with socket.create_connection(("127.0.0.1", served.port), timeout=10) as sock:
            sock.sendall(f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{served.port}\r\nX-Big: ".encode())
            chunk = b"a" * 65536
            try:
                for _ in range(16 * MB // len(chunk)):
                    sock.sendall(chunk)
                    sent[i] += len(chunk)
            except OSError:
                pass  # the server closed it: what it answered is in the socket
            ready.wait(30)  # all four sent (or were cut off): measure now
            release.wait(30)
            answers[i] = read_all(sock)

    threads = [threading.Thread(target=attack, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    ready.wait(60)
    grown = rss_bytes() - before
    release.set()
    for thread in threads:
        thread.join(30)
    assert [status(answer) for answer in answers] == [431] * 4, answers
    assert all(b"connection: close" in answer for answer in answers)
    assert grown < 24 * MB, f"the server grew by {grown / MB:.0f} MB"


def test_too_many_header_lines_get_431(served: Served) -> None:
    lines = [f"X-Line-{i}: x" for i in range(MAX_HEADERS + 1)]
    assert status(exchange(served.port, served.head("/", *lines))) == 431
    fine = [f"X-Line-{i}: x" for i in range(MAX_HEADERS - 3)]
    assert status(exchange(served.port, served.head("/", *fine))) == 200


def test_a_huge_request_line_gets_431(served: Served) -> None:
    target = "/" + "a" * (MAX_HEAD_BYTES + 10)
    answer = exchange(served.port, served.head(target))
    assert status(answer) == 431


def test_large_bodies_and_pipelined_requests_are_not_heads(served: Served) -> None:
    body = b"x" * (2 * MB)
    answer = exchange(served.port, served.head("/upload", f"Content-Length: {len(body)}",
                                               method="POST") + body)
    assert status(answer) == 200 and answer.endswith(f"POST /upload {len(body)}".encode())
    small = served.head("/a", "Content-Length: 3", method="POST") + b"abc"
    answer = exchange(served.port, small * 3 + served.head("/b", "Connection: close"),
                      half_close=False)
    assert answer.count(b"HTTP/1.1 200 OK") == 4, answer


# ---- hostile paths and Host headers ---------------------------------------------------------


@pytest.mark.parametrize(("path", "location"), [
    ("/%E2%98%83", "/%E2%98%83"),
    ("/a%0D%0ASet-Cookie:%20x=1", "/a%0D%0ASet-Cookie:%20x=1"),
    ("//evil.example/path", "//evil.example/path"),
])
def test_the_exchange_answers_hostile_paths_with_a_safe_redirect(served: Served, path: str,
                                                                 location: str) -> None:
    host = f"{served.host_name}:{served.port}"
    answer = exchange(served.port, served.head(f"{path}?{TOKEN_PARAM}={served.token}",
                                               "Connection: close", host=host))
    assert status(answer) == 303, answer
    head = answer.split(b"\r\n\r\n", 1)[0].decode("ascii")
    assert f"\r\nlocation: http://{host}{location}\r\n" in head, head
    names = [line.split(":", 1)[0].lower() for line in head.split("\r\n")[1:]]
    assert names.count("set-cookie") == 1 and names.count("location") == 1, head


def test_raw_non_ascii_and_control_bytes_in_a_path_get_400(served: Served) -> None:
    for target in (b"/\xe2\x98\x83", b"/a\rb", b"/a\x00b"):
        request = b"GET " + target + b" HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n" % served.port
        assert status(exchange(served.port, request)) == 400, target


def test_two_host_headers_get_400(served: Served) -> None:
    answer = exchange(served.port, served.head("/", "Host: evil.example:80",
                                               "Connection: close"))
    assert status(answer) == 400


# ---- the app's processes: the dev child and the one-process runner -------------------------

APP = textwrap.dedent("""
    from appkit import App
    from appkit.html import P, Page

    app = App("limits-test")


    @app.get("/")
    def index():
        return Page("Limits", P("limits"))
""")


@pytest.fixture(params=["development loop", "--no-reload"])
def running(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[AppProcess]:
    app_file = tmp_path / "limits_app.py"
    app_file.write_text(APP, encoding="utf-8")
    options = ["--no-reload"] if request.param == "--no-reload" else []
    process = AppProcess([sys.executable, "-m", "appkit.cli", "run", str(app_file),
                          "--headless", *options],
                         {**os.environ, "PYTHONPATH": str(ROOT)}, ROOT, tmp_path / "err.log")
    process.ready()
    yield process
    process.kill()


def post_raw(app: AppProcess, path: str, body: bytes) -> bytes:
    port = urlsplit(app.url).port or 0
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Authorization: Bearer {app.token}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
        sock.sendall(head)
        try:
            sock.sendall(body)
        except OSError:
            pass  # refused before the whole body was read
        return read_all(sock)


def test_the_app_processes_cap_heads_and_activations(running: AppProcess) -> None:
    port = urlsplit(running.url).port or 0
    big = (f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-Big: ".encode()
           + b"a" * (MAX_HEAD_BYTES + 1) + b"\r\n\r\n")
    assert status(exchange(port, big)) == 431

    assert status(post_raw(running, "/_shell/activate", b"x" * (12 * MB))) == 413
    for body in (b"{not json", b"[1, 2]", b'{"argv": "one"}', b'{"argv": [1]}',
                 b'{"argv": [], "cwd": 3}', b"\xff\xfe"):
        answer = post_raw(running, "/_shell/activate", body)
        assert status(answer) == 400, (body, answer)
    ok = post_raw(running, "/_shell/activate", json.dumps({"argv": ["x"], "cwd": "/"}).encode())
    assert status(ok) == 200, ok
    assert running.logged_errors() == []
