"""Property, over a real server (uvicorn on loopback): raw request bytes that no in-process
client can send (header values in Latin-1, "²" in ``Last-Event-ID``, a NUL in a path, any
byte percent-encoded) never get a 5xx, never log an ERROR, not even after a stream's 200,
and the server keeps answering.

The apps are served without ``shell.guard`` (the desktop shell's loopback guard): what a
request can do to the guard is tested with the guard, in ``tests/shell``.
"""

from __future__ import annotations

import logging
import socket
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from appkit import App
from appkit.jobs import Status
from appkit.loader import load_app
from tests.fuzz.harness import FUZZ, NASTY, SQLITE_EDGES, mostly

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

# Header values as bytes: any but the control characters (which end or break the line,
# and which the server refuses itself), with Latin-1 letters and digits such as b"\xb2".
header_bytes = st.one_of(
    st.binary(max_size=24).map(lambda b: bytes(c for c in b if c >= 0x20 and c != 0x7F)),
    st.sampled_from([b"\xb2", b"\xb3", b"\xb9", b"1\xb2", b"\xbd", b"\xa0", b"\xc2\xb2",
                     str(2**63).encode(), str(10**30).encode(), b"-1", b"", b" 12 "]),
)


def encoded(data: bytes) -> bytes:
    """Every byte percent-encoded but letters, digits and a few marks."""
    keep = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~"
    return b"".join(bytes([c]) if c in keep else b"%%%02X" % c for c in data)


segment_bytes = st.one_of(
    st.binary(min_size=1, max_size=12),
    st.sampled_from([v.encode() for v in NASTY if v and len(v) < 100]),
    st.sampled_from([b"appkit.css\x00", b"\x00", b"..", b"appkit.css"]),
).map(encoded)
numbers = st.one_of(st.sampled_from([str(n).encode() for n in SQLITE_EDGES if n >= 0]),
                    st.integers(min_value=0).map(lambda n: str(n).encode()))


def query(names: list[bytes], values: st.SearchStrategy[bytes]) -> st.SearchStrategy[bytes]:
    """``?name=value&...`` of some of ``names``, or nothing."""
    return st.lists(st.tuples(st.sampled_from(names), values), max_size=3).map(
        lambda pairs: b"?" + b"&".join(k + b"=" + v for k, v in pairs) if pairs else b"")


def headers(names: list[bytes]) -> st.SearchStrategy[list[tuple[bytes, bytes]]]:
    return st.lists(st.tuples(st.sampled_from(names), header_bytes), max_size=3,
                    unique_by=lambda pair: pair[0])


Raw = tuple[bytes, list[tuple[bytes, bytes]]]


def stream_requests(run_ids: list[int]) -> st.SearchStrategy[Raw]:
    """A run's stream, resumed from any offset or ``Last-Event-ID``."""
    run = mostly(st.sampled_from([str(i).encode() for i in run_ids]), numbers)
    resume = st.tuples(st.just(b"Last-Event-ID"), header_bytes).map(lambda pair: [pair])
    return st.tuples(
        st.builds(lambda r, q: b"/jobs/runs/" + r + b"/events" + q, run,
                  query([b"offset", b"last_event_id"], mostly(numbers, segment_bytes))),
        st.one_of(resume, headers([b"Last-Event-ID", b"Cookie", b"Accept"])))


list_requests: st.SearchStrategy[Raw] = st.tuples(
    st.builds(lambda p, q: p + q, st.sampled_from([b"/jobs/events", b"/jobs"]),
              query([b"before", b"task", b"status"], mostly(numbers, segment_bytes))),
    headers([b"Before", b"Task", b"HX-Request", b"HX-Target", b"Accept"]))

path_requests: st.SearchStrategy[Raw] = st.tuples(
    st.one_of(
        st.builds(lambda seg, q: b"/_appkit/" + seg + q, segment_bytes,
                  query([b"v"], segment_bytes)),
        st.builds(lambda a, b: b"/" + a + b"/" + b, segment_bytes, segment_bytes)),
    headers([b"Cookie", b"Accept", b"If-None-Match", b"Range"]))


def send(base: str, path: bytes, headers: list[tuple[bytes, bytes]]) -> int:
    """Send a GET as raw bytes; the status, once the first event (or all) has arrived."""
    parts = urlsplit(base)
    with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80),
                                  timeout=10) as sock:
        lines = [b"GET " + path + b" HTTP/1.1", b"Host: 127.0.0.1",
                 *(name + b": " + value for name, value in headers), b"Connection: close"]
        sock.sendall(b"\r\n".join(lines) + b"\r\n\r\n")
        answer = b""
        while b"\r\n\r\n" not in answer or (
                b"text/event-stream" in answer and answer.count(b"\n\n") < 2):
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
    status_line = answer.split(b"\r\n", 1)[0]
    assert status_line.startswith(b"HTTP/1.1 "), answer[:200]
    return int(status_line.split()[1])


@pytest.fixture
def jobs_server(live_server: Callable[[Any], str]) -> Iterator[tuple[str, App, list[int]]]:
    app = load_app(str(EXAMPLES / "jobs"))
    assert isinstance(app, App)
    try:
        base = live_server(app)  # starts the scheduler, as the app's start does
        ran = app.jobs.wait(app.jobs.enqueue("export_to_accounting"), timeout=30)
        assert ran.status == Status.FAILED and ran.log  # a run with a log
        app.jobs.stop()  # nothing the fuzzer does runs
        for run in app.jobs.runs(status=["queued", "running"]):
            app.jobs.cancel(run.id)  # every stream of a run ends at once
        yield base, app, [run.id for run in app.jobs.runs()]
    finally:
        for name, module in list(sys.modules.items()):
            if getattr(module, "__file__", None) == str(EXAMPLES / "jobs" / "app.py"):
                del sys.modules[name]
        if str(EXAMPLES / "jobs") in sys.path:
            sys.path.remove(str(EXAMPLES / "jobs"))


@pytest.fixture
def server(jobs_server: tuple[str, App, list[int]],
           error_logs: list[logging.LogRecord]) -> tuple[str, list[int], list[Any]]:
    base, _, run_ids = jobs_server
    return base, run_ids, error_logs


def check(server: tuple[str, list[int], list[Any]], request: Raw) -> None:
    base, _, error_logs = server
    path, sent_headers = request
    error_logs.clear()
    status = send(base, path, sent_headers)
    assert status < 500, (path, sent_headers, status)
    assert not error_logs, "\n".join(f"{r.name}: {r.getMessage()[:300]}" for r in error_logs)
    assert send(base, b"/jobs", []) == 200


@FUZZ
@given(data=st.data())
def test_a_runs_stream_never_fails(server: tuple[str, list[int], list[Any]],
                                   data: st.DataObject) -> None:
    check(server, data.draw(stream_requests(server[1]), label="request"))


@FUZZ
@given(request=list_requests)
def test_the_list_and_its_stream_never_fail(server: tuple[str, list[int], list[Any]],
                                            request: Raw) -> None:
    check(server, request)


@FUZZ
@given(request=path_requests)
def test_no_raw_path_is_a_500(server: tuple[str, list[int], list[Any]], request: Raw
                              ) -> None:
    check(server, request)
