"""appkit.app.sse: Event's wire format, and EventStream served by real uvicorn."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest

from appkit import App, Event, EventStream, ResponseParts, hx
from appkit.html import Div, Span
from appkit.testing import Client

TIMEOUT = 5.0

# ---- Event.encode -----------------------------------------------------------------------


def test_event_with_data_only() -> None:
    assert Event("hello").encode() == b"data: hello\n\n"


def test_event_with_no_data_sends_an_empty_data_line() -> None:
    assert Event().encode() == b"data: \n\n"


def test_event_with_name_id_and_retry_in_that_order() -> None:
    assert Event("x", event="tick", id=7, retry=3000).encode() == (
        b"event: tick\nid: 7\nretry: 3000\ndata: x\n\n"
    )


def test_event_string_id() -> None:
    assert Event("x", id="abc-1").encode() == b"id: abc-1\ndata: x\n\n"


def test_event_multi_line_data_becomes_one_data_line_per_line() -> None:
    assert Event("one\ntwo\r\nthree").encode() == b"data: one\ndata: two\ndata: three\n\n"


def test_event_data_with_a_lone_carriage_return_is_split_too() -> None:
    # The text/event-stream format ends a line at CRLF, LF *or a lone CR*: a CR left inside
    # a data line makes the browser read the rest as a field name, and drop it.
    encoded = Event("left\rright").encode()
    assert b"\r" not in encoded
    assert encoded == b"data: left\ndata: right\n\n"


def test_event_data_trailing_newline_keeps_an_empty_data_line() -> None:
    assert Event("a\n").encode() == b"data: a\ndata: \n\n"


def test_event_nodes_are_rendered_and_escaped() -> None:
    assert Event(Span("a < b", cls="x")).encode() == (
        b'data: <span class="x">a &lt; b</span>\n\n'
    )


def test_event_tuple_of_nodes_is_rendered() -> None:
    assert Event((Span("a"), Span("b"))).encode() == b"data: <span>a</span><span>b</span>\n\n"


def test_event_str_data_is_sent_as_is_not_escaped() -> None:
    assert Event("<b>raw</b>").encode() == b"data: <b>raw</b>\n\n"


def test_event_unicode_data_is_utf8() -> None:
    assert Event("héllo ✓").encode() == "data: héllo ✓\n\n".encode()


@pytest.mark.parametrize("name", ["a\nb", "a\rb", "a\r\nb", "\n"])
def test_event_name_with_a_line_break_is_refused(name: str) -> None:
    with pytest.raises(ValueError, match="event"):
        Event("x", event=name)


@pytest.mark.parametrize("ident", ["1\n2", "1\r2"])
def test_event_id_with_a_line_break_is_refused(ident: str) -> None:
    with pytest.raises(ValueError, match="id"):
        Event("x", id=ident)


# ---- EventStream construction -------------------------------------------------------------


async def _agen() -> AsyncIterator[str]:
    yield "x"


def _sync_gen() -> Iterator[str]:
    yield "x"


@pytest.mark.parametrize(
    "source",
    [[1, 2], "text", _sync_gen(), _agen, None],
    ids=["list", "str", "sync-generator", "uncalled-async-function", "none"],
)
def test_event_stream_needs_an_async_iterator(source: Any) -> None:
    with pytest.raises(TypeError, match="async"):
        EventStream(source)


# ---- EventStream over a real server ---------------------------------------------------------


def serve(live_server: Callable[[Any], str], make_stream: Callable[[], EventStream]) -> str:
    """Serve a fresh EventStream (from ``make_stream``) per request at the returned URL."""
    app = App("sse-test")

    async def events(scope: Any, receive: Any, send: Any) -> None:
        await make_stream()(scope, receive, send)

    app.mount("/events", events)
    return live_server(app) + "events/"


def logged_errors(error_logs: list[logging.LogRecord],
                  exc_type: type[BaseException]) -> list[logging.LogRecord]:
    """The ERROR records logged so far with an exception of ``exc_type``."""
    return [r for r in error_logs if r.exc_info and isinstance(r.exc_info[1], exc_type)]


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=TIMEOUT) as client:
        yield client


def test_stream_headers(live_server: Callable[[Any], str], http: httpx.Client) -> None:
    async def gen() -> AsyncIterator[Any]:
        yield "x"

    url = serve(live_server, lambda: EventStream(gen(), headers={"X-Extra": "yes"}))
    response = http.get(url)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["x-accel-buffering"] == "no"
    assert response.headers["x-extra"] == "yes"


def test_events_arrive_in_order_and_the_stream_ends_with_the_generator(
        live_server: Callable[[Any], str], http: httpx.Client) -> None:
    async def gen() -> AsyncIterator[Any]:
        yield Event("one", event="first", id=1)
        yield "two"
        yield Span("three")
        yield Div(Span("four"))
        await asyncio.sleep(0.01)
        yield Event("five\nsix", id="e5")

    url = serve(live_server, lambda: EventStream(gen(), heartbeat=None))
    response = http.get(url)
    assert response.text == (
        "event: first\nid: 1\ndata: one\n\n"
        "data: two\n\n"
        "data: <span>three</span>\n\n"
        "data: <div><span>four</span></div>\n\n"
        "id: e5\ndata: five\ndata: six\n\n"
    )


def test_many_events_arrive_in_order(live_server: Callable[[Any], str],
                                     http: httpx.Client) -> None:
    # More than the internal queue holds, so the producer has to wait for the sender.
    count = 300

    async def gen() -> AsyncIterator[Any]:
        for i in range(count):
            yield Event(str(i), id=i)

    url = serve(live_server, lambda: EventStream(gen()))
    text = http.get(url).text
    data = [line[len("data: "):] for line in text.split("\n") if line.startswith("data: ")]
    assert data == [str(i) for i in range(count)]


def test_events_are_sent_as_they_are_yielded(live_server: Callable[[Any], str],
                                             http: httpx.Client) -> None:
    release = threading.Event()

    async def gen() -> AsyncIterator[Any]:
        yield "early"
        while not release.is_set():
            await asyncio.sleep(0.01)
        yield "late"

    url = serve(live_server, lambda: EventStream(gen(), heartbeat=None))
    with http.stream("GET", url) as response:
        lines = response.iter_lines()
        # "early" arrives while the generator is still waiting, not buffered until the end.
        assert next(lines) == "data: early"
        assert next(lines) == ""
        release.set()
        assert next(lines) == "data: late"


def test_retry_line_is_sent_first(live_server: Callable[[Any], str],
                                  http: httpx.Client) -> None:
    async def gen() -> AsyncIterator[Any]:
        yield "x"

    url = serve(live_server, lambda: EventStream(gen(), retry=2500))
    assert http.get(url).text == "retry: 2500\n\ndata: x\n\n"


def test_no_retry_line_by_default(live_server: Callable[[Any], str],
                                  http: httpx.Client) -> None:
    async def gen() -> AsyncIterator[Any]:
        yield "x"

    url = serve(live_server, lambda: EventStream(gen()))
    assert "retry" not in http.get(url).text


def test_heartbeat_comment_after_silence(live_server: Callable[[Any], str],
                                         http: httpx.Client) -> None:
    finished = threading.Event()

    async def gen() -> AsyncIterator[Any]:
        try:
            yield "first"
            await asyncio.sleep(60)
            yield "never"
        finally:
            finished.set()

    url = serve(live_server, lambda: EventStream(gen(), heartbeat=0.2))
    with http.stream("GET", url) as response:
        lines = response.iter_lines()
        assert next(lines) == "data: first"
        assert next(lines) == ""
        started = time.monotonic()
        assert next(lines) == ": keep-alive"
        assert next(lines) == ""
        assert next(lines) == ": keep-alive"
        assert next(lines) == ""
        # Two heartbeats 0.2 s apart: not sent in a burst, not waiting for a long default.
        assert 0.2 <= time.monotonic() - started < 3.0
    assert finished.wait(TIMEOUT), "the generator was not closed after the client left"


def test_no_heartbeat_when_disabled(live_server: Callable[[Any], str]) -> None:
    async def gen() -> AsyncIterator[Any]:
        yield "first"
        await asyncio.sleep(60)

    url = serve(live_server, lambda: EventStream(gen(), heartbeat=None))
    with httpx.Client(timeout=httpx.Timeout(TIMEOUT, read=0.8)) as client:
        with client.stream("GET", url) as response:
            lines = response.iter_lines()
            assert next(lines) == "data: first"
            assert next(lines) == ""
            with pytest.raises(httpx.ReadTimeout):
                next(lines)


@pytest.mark.parametrize("busy", [True, False], ids=["generator-busy", "generator-idle"])
def test_generator_is_cancelled_when_the_client_disconnects(
        live_server: Callable[[Any], str], busy: bool) -> None:
    finished = threading.Event()
    cancelled = threading.Event()

    async def gen() -> AsyncIterator[Any]:
        try:
            i = 0
            while True:
                yield Event(str(i))
                i += 1
                await asyncio.sleep(0.02 if busy else 60)
        except (asyncio.CancelledError, GeneratorExit):
            cancelled.set()
            raise
        finally:
            finished.set()

    url = serve(live_server, lambda: EventStream(gen(), heartbeat=None))
    with httpx.Client(timeout=TIMEOUT) as client:
        with client.stream("GET", url) as response:
            lines = response.iter_lines()
            assert next(lines) == "data: 0"
            assert not finished.is_set()
    assert finished.wait(TIMEOUT), "the generator's finally did not run after disconnect"
    assert cancelled.is_set()


def test_generator_exception_ends_the_stream_and_is_logged(
        live_server: Callable[[Any], str], http: httpx.Client,
        error_logs: list[logging.LogRecord]) -> None:
    async def gen() -> AsyncIterator[Any]:
        yield "before"
        raise RuntimeError("kaput")

    url = serve(live_server, lambda: EventStream(gen()))
    response = http.get(url)  # returns: the stream ended
    assert response.status_code == 200
    assert response.text == "data: before\n\n"
    failures = logged_errors(error_logs, RuntimeError)
    assert len(failures) == 1, [r.getMessage() for r in failures]
    assert failures[0].name == "appkit"
    assert "kaput" in str(failures[0].exc_info[1])  # type: ignore[index]
    assert "generator" in failures[0].getMessage()


@pytest.mark.parametrize("bad", [b"raw bytes", 42, object()], ids=["bytes", "int", "object"])
def test_bad_item_ends_the_stream_and_is_logged(
        live_server: Callable[[Any], str], http: httpx.Client,
        error_logs: list[logging.LogRecord], bad: Any) -> None:
    after = threading.Event()

    async def gen() -> AsyncIterator[Any]:
        yield "ok"
        yield bad
        after.set()
        yield "never"

    url = serve(live_server, lambda: EventStream(gen()))
    response = http.get(url)
    assert response.text == "data: ok\n\n"
    assert not after.is_set()
    failures = logged_errors(error_logs, TypeError)
    assert len(failures) == 1, [r.getMessage() for r in failures]


def test_async_iterator_that_is_not_a_generator(live_server: Callable[[Any], str],
                                                http: httpx.Client) -> None:
    class Countdown:
        def __init__(self) -> None:
            self.n = 3

        def __aiter__(self) -> Countdown:
            return self

        async def __anext__(self) -> str:
            if self.n == 0:
                raise StopAsyncIteration
            self.n -= 1
            return str(self.n)

    url = serve(live_server, lambda: EventStream(Countdown()))
    assert http.get(url).text == "data: 2\n\ndata: 1\n\ndata: 0\n\n"


# ---- returned from a route handler (the documented use) --------------------------------------


def _clock_app() -> App:
    app = App("clock")

    @app.get("/clock")
    async def clock() -> EventStream:
        async def ticks() -> AsyncIterator[Any]:
            for i in range(3):
                yield Event(Span(f"tick {i}"), event="tick")

        return EventStream(ticks(), retry=1000)

    return app


@pytest.mark.parametrize("hx", [False, True], ids=["plain", "htmx"])
def test_event_stream_returned_by_a_handler_is_streamed(hx: bool) -> None:
    with Client(_clock_app()) as client:
        response = client.get("/clock", hx=hx)
    assert response.status_code == 200, response.text[:300]
    assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
    assert response.text == "retry: 1000\n\n" + "".join(
        f"event: tick\ndata: <span>tick {i}</span>\n\n" for i in range(3))


def test_event_stream_returned_by_a_handler_over_a_real_server(
        live_server: Callable[[Any], str], http: httpx.Client) -> None:
    url = live_server(_clock_app()) + "clock"
    response = http.get(url)
    assert response.status_code == 200, response.text[:300]
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.text.count("event: tick\n") == 3


def test_handler_headers_and_response_parts_apply_to_the_stream() -> None:
    app = App("parts")

    @app.get("/feed")
    async def feed(response: ResponseParts) -> Any:
        async def items() -> AsyncIterator[Any]:
            yield "x"

        response.headers["X-Feed"] = "1"
        response.set_cookie("seen", "yes")
        return EventStream(items()), hx.trigger("feed-open")

    with Client(app) as client:
        response = client.get("/feed", hx=True)
    assert response.status_code == 200
    assert response.text == "data: x\n\n"
    assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
    assert response.headers["x-feed"] == "1"
    assert response.headers["hx-trigger"] == "feed-open"
    assert response.cookies["seen"] == "yes"
    assert "content-length" not in response.headers


def test_own_headers_replace_the_defaults(live_server: Callable[[Any], str],
                                          http: httpx.Client) -> None:
    async def gen() -> AsyncIterator[Any]:
        yield "x"

    url = serve(live_server, lambda: EventStream(gen(), headers={"Cache-Control": "no-store"}))
    response = http.get(url)
    assert response.headers.get_list("cache-control") == ["no-store"]
    assert response.headers["content-type"] == "text/event-stream; charset=utf-8"


def test_generator_is_closed_when_a_client_that_stopped_reading_disconnects(
        live_server: Callable[[Any], str]) -> None:
    # The client reads one event, then reads nothing while the generator produces far more
    # than the socket buffers hold: the sender is stuck waiting to write and the producer
    # waits for room in the queue, with the generator paused at a yield. Closing the
    # connection must still end the stream and run the generator's finally.
    finished = threading.Event()
    produced = [0]
    chunk = "x" * 16_384

    async def gen() -> AsyncIterator[Any]:
        try:
            while True:
                yield Event(chunk)
                produced[0] += 1
        finally:
            finished.set()

    url = serve(live_server, lambda: EventStream(gen(), heartbeat=None))
    with httpx.Client(timeout=TIMEOUT) as client:
        with client.stream("GET", url) as response:
            chunks = response.iter_raw()  # kept: dropping it would close the connection
            next(chunks)
            time.sleep(0.5)  # let the buffers fill up
            stalled = produced[0]
            time.sleep(0.3)
            assert produced[0] == stalled, "the generator ran ahead of a client not reading"
            assert not finished.is_set()
    assert finished.wait(TIMEOUT), "the generator's finally did not run after disconnect"
