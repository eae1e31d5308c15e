"""What the fuzz tests share: the Hypothesis settings, strategies for hostile requests, and
``Target``, which sends one and checks the answer.

The strategies mix ordinary values with the ones that break parsers: integers beyond SQLite's
64 bits, Unicode digits ("²", which ``isdigit()`` accepts and ``int()`` refuses), NaN and
infinities, NUL and other control characters, very long text, JSON nested 100,000 deep.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from appkit.testing import Client

#: One fixed, derandomized profile: the same examples on every run (no flaky CI, no
#: ``.hypothesis`` folder), no deadline (a shared 2-core machine is slow at times), and few
#: enough examples per property that the whole layer stays under a minute. To search
#: further once, wrap a test in ``settings(FUZZ, max_examples=..., derandomize=False)``.
FUZZ = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=250,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                           HealthCheck.data_too_large],
    print_blob=False,
)

SQLITE_EDGES = [2**63 - 1, 2**63, -(2**63), -(2**63) - 1, 10**20, 10**30, 2**64]

# Text a browser (or an attacker) can put in a URL, form or JSON string: any code point but
# the lone surrogates, which no encoder can send.
_TEXT_CHARS = st.characters(exclude_categories=["Cs"])

# Values that have broken parsers somewhere: numbers at and past the edges, Unicode
# digits, not-a-numbers, control characters, path tricks, very long and deep text.
NASTY = [
    "", " ", "0", "-0", "00", "+1", "-1", "1.5", "1e3", "1e309", "-1e309", "nan", "NaN",
    "inf", "-Infinity", "sNaN", "1e999999999", "0x10", "1_000", "²", "³", "¹", "٣", "߁",
    "Ⅻ", "½", "\x00", "a\x00b", "\x7f", "\u200b", "\ufeff1", "..", "../..", "/", "%00",
    "%", "%zz", "true", "on", "yes", "null", "None", "[]", "{}", "[1]", '{"a":1}',
    "2024-02-30", "2024-13-01", "0000-00-00", "9999-12-31T23:59:59.999999+99:00",
    "2024-05-01T25:00", "-1-01-01", "x" * 5000, "é" * 300, "\r\n", "<script>", "'\"",
    *[str(n) for n in SQLITE_EDGES], "9" * 5000,
]

integers = st.one_of(st.sampled_from(SQLITE_EDGES), st.integers())
naturals = st.one_of(st.sampled_from([n for n in SQLITE_EDGES if n >= 0]),
                     st.integers(min_value=0)).map(str)
# Control and format characters, odd spaces and non-ASCII digits, in ordinary text.
_ODD_CHARS = st.characters(categories=["Cc", "Cf", "Zs", "Zl", "Zp", "Nd", "No", "Nl"],
                           exclude_characters="0123456789")
odd_text = st.builds(lambda before, odd, after: before + odd + after,
                     st.sampled_from(["", "a", "1", "site.css", "appkit.css"]),
                     st.text(_ODD_CHARS, min_size=1, max_size=3),
                     st.sampled_from(["", "1", ".css", "/x"]))
# Digits of every script (``int()`` reads them), and the characters that are digits to
# ``str.isdigit`` only ("²", "①"), which ``int()`` refuses.
_NOT_DECIMAL = [c for c in map(chr, range(0x3000)) if c.isdigit() and not c.isdecimal()]
digits = st.one_of(st.text(st.sampled_from(_NOT_DECIMAL), min_size=1, max_size=3),
                   st.text(st.characters(categories=["Nd"]), min_size=1, max_size=3))
values = st.one_of(
    st.sampled_from(NASTY),
    odd_text,
    integers.map(str),
    st.floats().map(repr),
    st.text(_TEXT_CHARS, max_size=30),
)

# Header and cookie values sent in process: httpx sends str headers as ASCII; CR, LF and
# NUL cannot be sent at all (the server never sees them). Raw bytes: see the server test.
_HEADER_CHARS = st.characters(min_codepoint=0x20, max_codepoint=0x7E)
header_values = st.one_of(
    st.sampled_from([v for v in NASTY if v.isascii() and v.isprintable()]),
    integers.map(str),
    st.text(_HEADER_CHARS, max_size=30),
)


def mostly(valid: st.SearchStrategy[Any], other: st.SearchStrategy[Any] = values
           ) -> st.SearchStrategy[Any]:
    """``valid`` three times in four, else ``other``: a parameter whose value is refused
    (a 400) hides what the handler would have done with the other parameters."""
    return st.integers(0, 3).flatmap(lambda i: other if i == 3 else valid)


def nested_json(depth: int, kind: str) -> str:
    """JSON text nesting ``depth`` arrays (or objects) inside each other."""
    if kind == "list":
        return "[" * depth + "]" * depth
    return '{"a":' * depth + "1" + "}" * depth


# Depths around appkit's limit and far past Python's recursion limit.
depths = st.one_of(st.sampled_from([100_000, 5_000, 1_000, 999]), st.integers(0, 120))
deep_json = st.builds(nested_json, depths, st.sampled_from(["list", "object"]))

json_values = st.recursive(
    st.none() | st.booleans() | integers | st.floats() | st.text(_TEXT_CHARS, max_size=20)
    | st.sampled_from(NASTY),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.text(_TEXT_CHARS, max_size=8), inner, max_size=4),
    max_leaves=12,
)


def json_text(names: Sequence[str]) -> st.SearchStrategy[str]:
    """JSON bodies: objects keyed by the app's field names, any JSON, deep JSON, and text
    that is almost JSON."""
    keys = st.one_of(st.sampled_from(list(names)), st.text(_TEXT_CHARS, max_size=8))
    objects = st.dictionaries(keys, json_values, max_size=6).map(
        lambda d: json.dumps(d, allow_nan=True))
    keyed_deep = st.tuples(st.sampled_from(list(names)), deep_json).map(
        lambda kv: f'{{{json.dumps(kv[0])}:{kv[1]}}}')
    return st.one_of(
        deep_json,
        keyed_deep,
        objects,
        json_values.map(lambda v: json.dumps(v, allow_nan=True)),
        st.sampled_from(['{"a":', "{", '{"a":1,}', "\ufeff{}", '{"a": NaN}', "1" * 5000,
                         '"\\ud800"', '{"\\u0000": 1}']),
        st.text(_TEXT_CHARS, max_size=40),
    )


@dataclass
class Request:
    """One generated request."""

    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    content: bytes | None = None
    data: dict[str, Any] | None = None
    files: dict[str, Any] | None = None
    csrf: bool = True

    def __repr__(self) -> str:  # short: a body may be 200 kB of brackets
        shown = {k: v for k, v in vars(self).items() if v not in (None, {}, True)}
        text = ", ".join(f"{k}={v!r}" if len(repr(v)) <= 300 else
                         f"{k}={repr(v)[:200]}... ({len(v)} long)" for k, v in shown.items())
        return f"Request({text})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # Hypothesis's printer
        printer.text(repr(self))


def segment(value: str) -> str:
    """``value`` percent-encoded as one path segment (``/`` too)."""
    return quote(value, safe="")


def query_string(pairs: Sequence[tuple[str, str]]) -> str:
    return "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in pairs)


METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]
HEADERS = ["Last-Event-ID", "HX-Request", "HX-Target", "HX-Trigger", "HX-Boosted",
           "HX-Current-URL", "Accept", "If-None-Match", "Range", "Content-Type",
           "X-CSRF-Token", "User-Agent"]


BODIES = ("json", "form", "multipart", "raw")


@st.composite
def requests(draw: st.DrawFn, endpoints: Sequence[str], names: Sequence[str],
             cookie_names: Sequence[str] = (),
             fields: Mapping[str, st.SearchStrategy[str]] | None = None,
             bodies: Sequence[str] = BODIES) -> Request:
    """A request to one of ``endpoints`` (``"GET /todos/{todo_id:int}"``), now and then
    with another method or a made-up path, with a query, headers, cookies and (but for
    GET and HEAD) a body of one of the kinds in ``bodies``, made of the app's parameter
    ``names`` and hostile values. ``fields`` gives the values of some names (in the path,
    query, form or JSON) when hostile text alone would rarely reach the code behind them:
    a run id that exists, a task's name, its inputs."""
    fields = fields or {}

    def value(name: str, kind: str = "") -> Any:
        if name in fields:
            return draw(fields[name])
        return draw(naturals if kind == "int" else values)

    method, template = draw(st.sampled_from(list(endpoints))).split(" ", 1)
    if draw(st.integers(0, 9)) == 0:
        method = draw(st.sampled_from(METHODS))
    url = draw(raw_paths) if draw(st.integers(0, 19)) == 0 else fill(template, value)
    name = st.one_of(st.sampled_from(list(names)),
                     st.text(_TEXT_CHARS, min_size=1, max_size=8))

    def some_names() -> list[str]:
        """Some of the app's names (each one as likely as the others), and made-up ones."""
        return [n for n in names if draw(st.booleans())] + draw(
            st.lists(name, max_size=2))

    # (A URL is at most 64 kB long: httpx refuses more, and so do servers.)
    pairs = [(n, v) for n, v in ((n, value(n)) for n in some_names()) if len(v) < 2000]
    if pairs:
        url += ("&" if "?" in url else "?") + query_string(pairs)
    headers: dict[str, str] = {}
    header_names = [n.replace("_", "-") for n in names] + HEADERS
    for header_name in draw(st.lists(st.sampled_from(header_names), max_size=4,
                                     unique=True)):
        headers[header_name] = draw(header_values)
    cookies = draw(st.lists(st.tuples(st.sampled_from([*names, *cookie_names]),
                                      st.text(_HEADER_CHARS.filter(lambda c: c not in ";,"),
                                              max_size=40)),
                            max_size=3))
    if cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies)
    # Mostly with the CSRF token, as the app's own pages send it, to reach the handlers.
    request = Request(method, url, headers, csrf=draw(st.integers(0, 7)) < 7)
    if method in ("GET", "HEAD") or not bodies:
        return request
    kind = draw(st.sampled_from(list(bodies)))
    form = {n: value(n) for n in some_names()}
    if kind == "form":
        for n in draw(st.lists(st.sampled_from(list(names)), max_size=2)):
            form[n] = [value(n) for _ in range(draw(st.integers(0, 3)))]  # repeated
        request.data = form
    elif kind == "multipart":
        request.data = form
        request.files = draw(st.dictionaries(
            name, st.tuples(st.text(_HEADER_CHARS, max_size=12), st.binary(max_size=64)),
            min_size=1, max_size=2))
    elif kind == "json":
        text = json.dumps(form) if form and draw(st.booleans()) else draw(json_text(names))
        request.content = text.encode()
        headers["Content-Type"] = draw(st.sampled_from(
            ["application/json", "application/vnd.api+json", "APPLICATION/JSON; charset=x"]))
    elif kind == "raw":
        request.content = draw(st.binary(max_size=200))
        headers["Content-Type"] = draw(st.sampled_from([
            "application/x-www-form-urlencoded", "multipart/form-data",
            "multipart/form-data; boundary=x", "application/json", "text/plain", "",
            "multipart/form-data; boundary=" + "x" * 100]))
    return request


def fill(template: str, value: Callable[[str, str], str]) -> str:
    """A path from a route's ``template`` (``/todos/{todo_id:int}``): each ``{name:kind}``
    replaced by ``value(name, kind)``, percent-encoded."""

    def one(match: re.Match[str]) -> str:
        name, _, kind = match.group(1).partition(":")
        text = value(name, kind)
        if kind == "path":
            return "/".join(segment(part) for part in text.split("/"))
        return segment(text)

    return re.sub(r"\{([^}]+)\}", one, template)


raw_paths = st.lists(st.one_of(values.map(segment).filter(bool), st.sampled_from(
    ["static", "_appkit", "appkit.css", "..", "%2e%2e", "%00", "%2F", "."])),
    min_size=1, max_size=4).map(lambda parts: "/" + "/".join(parts))


@dataclass
class Target:
    """An app under fuzzing, through ``client``: ``check`` sends one request and asserts
    that appkit answered it without a 5xx and without logging an ERROR."""

    client: Client = field(repr=False)
    error_logs: list[logging.LogRecord] = field(repr=False)
    alive: str = "/"
    after: Callable[[], None] | None = field(default=None, repr=False)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # Hypothesis's printer
        printer.text(f"Target(alive={self.alive!r})")

    def check(self, request: Request) -> Any:
        self.error_logs.clear()  # a failing example is tried again: start afresh
        response = self.client.request(
            request.method, request.url, headers=request.headers, content=request.content,
            data=request.data, files=request.files, csrf=request.csrf,
            follow_redirects=False)
        try:
            assert response.status_code < 500, (
                f"{request.method} {request.url[:300]} answered {response.status_code}: "
                f"{response.text[:500]}")
            assert not self.error_logs, "\n".join(
                f"{r.name}: {r.getMessage()[:500]}" for r in self.error_logs)
            if 400 <= response.status_code < 500 and request.method != "HEAD":
                assert response.content.strip(), f"an empty {response.status_code}"
        finally:
            if self.after is not None:
                self.after()
        # Still answering, and its state not poisoned (sessions, database...).
        assert self.client.get(self.alive).status_code == 200
        return response
