"""Attacks on live components (issue 13's tamper corpus and more): every refused event is a
4xx with a log record and leaves the state as it was; bounds hold; the same over HTTP and
over the page's socket.

Tests marked ``xfail(strict=True, reason="BUG: ...")`` show a bug found here: each fails
now and passes once the bug is fixed.
"""

from __future__ import annotations

import asyncio
import base64
import collections
import concurrent.futures
import copy
import dataclasses
import datetime as dt
import enum
import gc
import hashlib
import hmac
import json
import logging
import re
import sys
import threading
import time
import tracemalloc
import weakref
from decimal import Decimal
from typing import Any

import pytest

import appkit.live.component_runtime as runtime_module
import appkit.live.components as components_module
from appkit import App, BadRequest
from appkit.html import Button, Div, Form, Input, P, Page
from appkit.live import Component, LiveSettings, append, handler, state
from appkit.live.component_runtime import Components
from appkit.live.components import STATE_MAXIMUM
from appkit.testing import Client
from tests.appkit.live.pages import (
    LivePage,
    component_tokens,
    ev,
    frames,
    live_client,
    reply_to,
    until_pong,
)

ROUTE = "/_appkit-component"
REFUSED = "Refused a component event"


# ---- components ----------------------------------------------------------------------------


class AttackTally(Component):
    """A counter with a bound step, a log the server grows, and handlers that fail."""

    count: int = 0
    step: int = state(1, bind=True)
    note: str = state("", bind=True)
    log: list[str] = []
    broken: bool = False

    def on_mount(self, start: int = 0) -> None:  # type: ignore[override]
        self.count = start

    @handler
    def increment(self, by: int = 1) -> None:
        self.count += by * self.step

    def on_reset(self) -> None:
        self.count = 0

    def secret(self) -> None:
        self.count = -1

    @handler
    def grow(self, size: int = 100_000) -> None:
        self.log.append("x" * size)

    @handler
    def crash(self) -> None:
        self.count += 100
        self.log.append("half done")
        raise RuntimeError("the handler broke")

    @handler
    def break_render(self) -> None:
        self.broken = True

    @handler
    def refuse(self) -> None:
        self.count = 999
        raise BadRequest("Not now")

    def render(self) -> Any:
        if self.broken:
            raise RuntimeError("render broke")
        return [P(self.count, id=f"{self.id}-n"), P(self.note, id=f"{self.id}-note"),
                Button("+", **self.on("increment", by=1))]


class AttackSlow(Component):
    """An async handler that reads, waits, then writes: without the instance lock,
    concurrent events lose updates."""

    count: int = 0

    @handler
    async def increment(self) -> None:
        seen = self.count
        await asyncio.sleep(0.005)
        self.count = seen + 1

    def render(self) -> Any:
        return P(self.count, id=f"{self.id}-n")


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


class AttackTyped(Component):
    """One bound field of each scalar kind the binding rules read."""

    n: int = state(0, bind=True)
    x: float = state(0.0, bind=True)
    flag: bool = state(False, bind=True)
    amount: Decimal = state(Decimal("0"), bind=True)
    day: dt.date = state(dt.date(2026, 1, 1), bind=True)
    at: dt.datetime = state(dt.datetime(2026, 1, 1, 9, 0), bind=True)
    color: Color = state(Color.RED, bind=True)
    text: str = state("", bind=True)
    maybe: int | None = state(None, bind=True)
    tags: list[int] = state([], bind=True)

    @handler
    def save(self) -> None:
        pass

    def render(self) -> Any:
        return P(json.dumps(self.state_dict(), default=str), id=f"{self.id}-s")


class AttackAsync(Component):
    """Async hooks: mounted with mount_async."""

    count: int = 0
    ready: bool = False

    async def on_mount(self, start: int = 0) -> None:  # type: ignore[override]
        await asyncio.sleep(0)
        self.count = start

    async def before_render(self) -> None:
        await asyncio.sleep(0)
        self.ready = True

    @handler
    async def increment(self, by: int = 1) -> None:
        await asyncio.sleep(0)
        self.count += by

    def render(self) -> Any:
        return P(f"{self.count} {self.ready}", id=f"{self.id}-n")


def is_staff(user: Any) -> bool:
    return bool(user) and bool(user.get("staff"))


class AttackStaffOnly(Component):
    """Usable by staff only (the app's user)."""

    count: int = 0
    permissions = (is_staff,)

    @handler
    def increment(self) -> None:
        self.count += 1

    def render(self) -> Any:
        return P(self.count, id=f"{self.id}-n")


class AttackWhereAmI(Component):
    """A handler that takes the ``app`` special parameter."""

    where: str = ""

    @handler
    def look(self, app: App) -> None:
        self.where = app.name

    def render(self) -> Any:
        return P(self.where, id=f"{self.id}-w")


@dataclasses.dataclass
class Expense:
    amount: Decimal
    note: str = ""


class AttackLedger(Component):
    """A handler that takes a dataclass, as a route may."""

    total: Decimal = Decimal("0")

    @handler
    def add(self, expense: Expense) -> None:
        self.total += expense.amount

    def render(self) -> Any:
        return P(str(self.total), id=f"{self.id}-t")


class AttackDotted(Component):
    """A component whose registry name has a dot."""

    name = "attack.Cart"
    count: int = 0

    @handler
    def increment(self) -> None:
        self.count += 1

    def render(self) -> Any:
        return P(self.count, id=f"{self.id}-n")


# ---- helpers -----------------------------------------------------------------------------


def make_app(settings: LiveSettings | None = None, name: str = "attack",
             user: Any = None) -> App:
    app = App(name, extensions=[settings] if settings is not None else [])
    if user is not None:
        app.provide("user", user)

    @app.get("/")
    def index(start: int = 3) -> Any:
        return Page("AttackTally", AttackTally.mount(start=start))

    @app.get("/two")
    def two() -> Any:
        return Page("Two", AttackTally.mount(start=1), AttackTyped.mount())

    @app.get("/slow")
    def slow() -> Any:
        return Page("AttackSlow", AttackSlow.mount())

    @app.get("/typed")
    def typed() -> Any:
        return Page("AttackTyped", AttackTyped.mount())

    @app.get("/async")
    async def async_page() -> Any:
        return Page("Async", await AttackAsync.mount_async(start=5))

    @app.get("/async-sync")
    def async_sync() -> Any:
        return Page("Async", AttackAsync.mount(start=5))

    @app.get("/staff")
    def staff() -> Any:
        return Page("Staff", AttackStaffOnly.mount())

    @app.get("/where")
    def where() -> Any:
        return Page("Where", AttackWhereAmI.mount())

    @app.get("/ledger")
    def ledger() -> Any:
        return Page("AttackLedger", AttackLedger.mount())

    @app.get("/dotted")
    def dotted() -> Any:
        return Page("AttackDotted", AttackDotted.mount())

    return app


def tokens(html: str) -> dict[str, str]:
    """Each component's token on a page, by its name (the last one of a name wins)."""
    return dict(component_tokens(html))


def token_of(html: str, name: str = "AttackTally") -> str:
    found = tokens(html)
    assert name in found, html
    return found[name]


def all_tokens(html: str, name: str = "AttackTally") -> list[str]:
    return [token for n, token in component_tokens(html) if n == name]


def count_now(client: Client, token: str) -> int:
    """The count as the server holds it now (an event that changes nothing answers 204)."""
    answer = event(client, _c=token, _h="increment", by="0")
    if answer.status_code == 204:
        answer = event(client, _c=token, _h="increment", by="1")
        event(client, _c=token, _h="increment", by="-1")
        return count_of(answer.text) - 1
    return count_of(answer.text)


def count_of(html: str) -> int:
    found = re.search(r'-n">(-?\d+)</p>', html)
    assert found is not None, html
    return int(found.group(1))


def typed_state(html: str) -> dict[str, Any]:
    found = re.search(r'-s">([^<]*)</p>', html)
    assert found is not None, html
    return dict(json.loads(found.group(1).replace("&quot;", '"')))


def event(client: Client, **data: Any) -> Any:
    return client.post(ROUTE, data=data, headers={"HX-Request": "true"})


def replies(ws: Any, refs: set[int], within: float = 10.0) -> dict[int, dict[str, Any]]:
    """The replies to the events ``refs``, by ref, in whatever order they come."""
    got: dict[int, dict[str, Any]] = {}
    deadline = time.monotonic() + within
    while set(got) != refs and time.monotonic() < deadline:
        for frame in until_pong(ws):
            if frame["t"] == "reply" and frame["ref"] in refs:
                got[frame["ref"]] = frame
        time.sleep(0.01)
    assert set(got) == refs, f"no reply to {sorted(refs - set(got))}"
    return got


def components_of(client: Client) -> Components:
    return client.app.extension("live").components  # type: ignore[attr-defined, no-any-return]


def owner_of(client: Client) -> str:
    store = components_of(client).store
    owners = list(store._sessions)
    assert len(owners) == 1, owners
    return owners[0]


def instance_of(client: Client, token: str) -> Any:
    kept = components_of(client).store.get(owner_of(client), token.split(".")[0])
    assert kept is not None
    return kept[0]


def refusals(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if REFUSED in r.getMessage()]


def resign(components: Components, owner: str, token: str, **change: str) -> str:
    """``token`` with some of its parts changed and signed again with the server's key
    (what only the server can make)."""
    cid, name, nonce, expires, _ = token.split(".")
    parts = {"cid": cid, "name": name, "nonce": nonce, "expires": expires, **change}
    return components._token(owner, parts["cid"], parts["name"], parts["nonce"],
                             int(parts["expires"]))


def signed_with(key: bytes, owner: str, body: str) -> str:
    mac = hmac.new(key, f"{owner}\0{body}".encode(), hashlib.sha256).digest()[:20]
    return body + "." + base64.urlsafe_b64encode(mac).decode().rstrip("=")


@pytest.fixture
def client() -> Any:
    with live_client(make_app()) as c:
        yield c


# ---- the tamper corpus: tokens ---------------------------------------------------------


def _flip_last(t: str) -> str:
    return t[:-1] + ("A" if t[-1] != "A" else "B")


TAMPERED_TOKENS: list[tuple[str, Any]] = [
    ("mac-flipped", _flip_last),
    ("mac-truncated", lambda t: t[:-3]),
    ("mac-extended", lambda t: t + "AAAA"),
    ("mac-missing", lambda t: t.rsplit(".", 1)[0]),
    ("mac-empty", lambda t: t.rsplit(".", 1)[0] + "."),
    ("truncated-half", lambda t: t[: len(t) // 2]),
    ("truncated-one", lambda t: t[:-1]),
    ("extra-part", lambda t: t + ".x"),
    ("expiry-extended", lambda t: ".".join(
        [*t.split(".")[:3], str(int(t.split(".")[3]) + 10**6), t.split(".")[4]])),
    ("expiry-text", lambda t: ".".join([*t.split(".")[:3], "never", t.split(".")[4]])),
    ("expiry-negative", lambda t: ".".join([*t.split(".")[:3], "-1", t.split(".")[4]])),
    ("nonce-changed", lambda t: ".".join(   # the same key id (its first 6), another nonce
        [t.split(".")[0], t.split(".")[1], t.split(".")[2][:6] + "00000000",
         *t.split(".")[3:]])),
    ("id-changed", lambda t: "c-0000000000000000" + t[t.index("."):]),
    ("name-changed", lambda t: t.replace(".AttackTally.", ".AttackTyped.")),
    ("resigned-other-key", lambda t: signed_with(b"k" * 32, "user:anyone",
                                                 t.rsplit(".", 1)[0])),
    ("resigned-no-owner", lambda t: signed_with(b"", "", t.rsplit(".", 1)[0])),
    ("dots-only", lambda t: "...."),
    ("empty", lambda t: ""),
    ("huge", lambda t: t + "A" * 5000),
    ("nul", lambda t: t.replace(".", "\0", 1)),
    ("json-ish", lambda t: json.dumps({"_c": t})),
]


@pytest.mark.parametrize("forge", [f for _, f in TAMPERED_TOKENS],
                         ids=[n for n, _ in TAMPERED_TOKENS])
def test_a_tampered_token_is_refused_logged_and_changes_nothing(
        client: Client, caplog: pytest.LogCaptureFixture, forge: Any) -> None:
    token = token_of(client.get("/").text)
    with caplog.at_level(logging.WARNING, "appkit.live.components"):
        answer = event(client, _c=forge(token), _h="increment", by="5")
    assert 400 <= answer.status_code < 500 and answer.status_code != 410, answer.text
    assert refusals(caplog), "no log record"
    assert count_now(client, token) == 3


def test_a_token_with_a_non_ascii_mac_is_a_4xx(
        client: Client, error_logs: list[logging.LogRecord]) -> None:
    token = token_of(client.get("/").text)
    answer = event(client, _c=token[:-1] + "\u00e9", _h="increment")
    assert 400 <= answer.status_code < 500
    assert not error_logs


def test_a_token_with_a_superscript_expiry_is_a_4xx(
        client: Client, error_logs: list[logging.LogRecord]) -> None:
    token = token_of(client.get("/").text)
    parts = token.split(".")
    answer = event(client, _c=".".join([*parts[:3], "\u00b2", parts[4]]), _h="increment")
    assert 400 <= answer.status_code < 500
    assert not error_logs


@pytest.mark.parametrize("value", [["a", "b"], 5])
def test_a_token_that_is_not_one_text_is_refused(
        client: Client, caplog: pytest.LogCaptureFixture, value: Any) -> None:
    LivePage(client)
    token = token_of(client.get("/").text)
    page = LivePage(client)
    ws = page.connect()
    frames(ws, 1)
    with caplog.at_level(logging.WARNING, "appkit.live.components"):
        ws.send_text(ev(1, ROUTE, _c=value, _h="increment"))
        reply = reply_to(ws, 1)
        over_http = client.post(ROUTE, data={"_c": [token, token], "_h": "increment"})
    assert reply["ok"] is False and reply["error"]["status"] == 400
    assert over_http.status_code == 400
    assert len(refusals(caplog)) == 2


def test_a_token_signed_by_the_server_for_another_session_is_refused(
        client: Client, caplog: pytest.LogCaptureFixture) -> None:
    token = token_of(client.get("/").text)
    forged = resign(components_of(client), "user:" + "0" * 24, token)
    with caplog.at_level(logging.WARNING, "appkit.live.components"):
        answer = event(client, _c=forged, _h="increment")
    assert answer.status_code == 403 and refusals(caplog)


def test_a_token_naming_another_components_class_is_refused(
        client: Client, caplog: pytest.LogCaptureFixture) -> None:
    """Even a token the server signed: its class must be the instance's."""
    found = tokens(client.get("/two").text)
    tally, typed = found["AttackTally"], found["AttackTyped"]
    components, owner = components_of(client), owner_of(client)
    cross = resign(components, owner, tally, cid=typed.split(".")[0],
                   nonce=typed.split(".")[2])
    with caplog.at_level(logging.WARNING, "appkit.live.components"):
        answer = event(client, _c=cross, _h="increment")
    assert answer.status_code == 403 and refusals(caplog)
    # A's token with B's id and A's nonce: the instance's nonce does not match.
    mixed = resign(components, owner, tally, cid=typed.split(".")[0])
    assert event(client, _c=mixed, _h="save").status_code == 410


def test_another_sessions_component_id_is_refused(caplog: pytest.LogCaptureFixture) -> None:
    app = make_app()
    with live_client(app) as mine, Client(app) as thief:
        token = token_of(mine.get("/").text)
        stolen = token_of(thief.get("/").text)
        with caplog.at_level(logging.WARNING, "appkit.live.components"):
            # the victim's token as is, and the thief's own token pointed at the victim's id
            assert event(thief, _c=token, _h="increment").status_code == 403
            assert event(thief, _c=stolen.replace(stolen.split(".")[0], token.split(".")[0]),
                         _h="increment").status_code == 403
        assert len(refusals(caplog)) == 2
        assert count_now(mine, token) == 3


def test_a_component_driven_from_another_sessions_socket_is_refused() -> None:
    app = make_app()
    with live_client(app) as mine, live_client(app) as thief:
        token = token_of(mine.get("/").text)
        page = LivePage(thief)
        ws = page.connect()
        frames(ws, 1)
        ws.send_text(ev(1, ROUTE, _c=token, _h="increment"))
        reply = reply_to(ws, 1)
        assert reply["ok"] is False and reply["error"]["status"] == 403
        assert count_now(mine, token) == 3


class _Clock:
    """``time`` for the components module only, ``offset`` seconds ahead."""

    def __init__(self) -> None:
        self.offset = 0.0

    def time(self) -> float:
        return time.time() + self.offset

    def monotonic(self) -> float:
        return time.monotonic()


def test_an_expired_token_answers_gone_and_is_logged(
        client: Client, caplog: pytest.LogCaptureFixture,
        monkeypatch: pytest.MonkeyPatch) -> None:
    token = token_of(client.get("/").text)
    clock = _Clock()
    monkeypatch.setattr(runtime_module, "time", clock)
    lifetime = components_of(client).lifetime
    clock.offset = lifetime - 60
    assert event(client, _c=token, _h="increment").status_code == 200
    clock.offset = lifetime + 60
    with caplog.at_level(logging.WARNING, "appkit.live.components"):
        answer = event(client, _c=token, _h="increment")
    assert answer.status_code == 410 and refusals(caplog)


def test_a_component_in_use_keeps_working_past_its_first_tokens_lifetime(
        client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    token = token_of(client.get("/").text)
    clock = _Clock()
    monkeypatch.setattr(runtime_module, "time", clock)
    lifetime = components_of(client).lifetime
    for hours in range(1, int(lifetime // 3600) + 3):
        clock.offset = hours * 3600.0
        components_of(client).store.touch(owner_of(client), token.split(".")[0])
        answer = event(client, _c=token, _h="increment")
        assert answer.status_code == 200, f"after {hours} h: {answer.status_code}"
        token = token_of(answer.text)   # the page keeps the token of the latest answer


def test_a_replayed_token_after_eviction_answers_gone(
        caplog: pytest.LogCaptureFixture) -> None:
    with live_client(make_app(LiveSettings(components_per_session=2))) as c:
        first = token_of(c.get("/").text)
        with caplog.at_level(logging.INFO, "appkit.live.components"):
            c.get("/")
            c.get("/")
            answer = event(c, _c=first, _h="increment")
        assert answer.status_code == 410
        dropped = [r for r in caplog.records if "Dropped component" in r.getMessage()]
        assert dropped and first.split(".")[0] in dropped[0].getMessage()
        assert refusals(caplog)
        # replaying it again, and again, changes nothing
        assert event(c, _c=first, _h="increment").status_code == 410


def test_the_least_recently_used_component_is_dropped_first(
        caplog: pytest.LogCaptureFixture) -> None:
    with live_client(make_app(LiveSettings(components_per_session=3))) as c:
        a, b, d = (token_of(c.get("/").text) for _ in range(3))
        assert event(c, _c=a, _h="increment").status_code == 200     # a used: b is oldest
        with caplog.at_level(logging.INFO, "appkit.live.components"):
            e = token_of(c.get("/").text)
        assert [t for t in (a, b, d, e) if event(c, _c=t, _h="increment").status_code == 410
                ] == [b]
        assert any(b.split(".")[0] in r.getMessage() and "AttackTally" in r.getMessage()
                   for r in caplog.records)
        assert len(components_of(c).store) == 3


def test_a_token_from_before_a_restart_answers_gone(client: Client) -> None:
    token = token_of(client.get("/").text)
    app: Any = client.app
    live = app.extension("live")
    # what a new server process has: a new key and an empty store
    live.components = Components(app, type(live.components.store)(), live.components.lifetime)
    assert event(client, _c=token, _h="increment").status_code == 410


# ---- the tamper corpus: events and fields ---------------------------------------------


UNDECLARED_EVENTS = [
    "secret", "render", "on_mount", "mount", "mount_async", "on", "state_dict",
    "before_render", "on_reset", "__init__", "__class__", "__repr__", "__init_subclass__",
    "_spec", "_registry", "__dict__", "id", "name", "permissions", "count", "step", "log",
    "increment.__func__", "__class__.__init__", "Increment", "increment ", " increment",
    "increment\0", "reset\n", "", "x" * 5000, "ïncrement",
]


@pytest.mark.parametrize("name", UNDECLARED_EVENTS, ids=[n[:20] for n in UNDECLARED_EVENTS])
def test_an_undeclared_event_is_refused_logged_and_changes_nothing(
        client: Client, caplog: pytest.LogCaptureFixture, name: str) -> None:
    token = token_of(client.get("/").text)
    with caplog.at_level(logging.WARNING, "appkit.live.components"):
        answer = event(client, _c=token, _h=name)
    assert answer.status_code == 404 and refusals(caplog)
    assert all(len(m) < 400 for m in refusals(caplog))     # a huge name is not logged whole
    assert count_now(client, token) == 3


UNDECLARED_FIELDS = [
    "count", "log", "broken", "id", "name", "permissions", "_spec", "_registry", "__class__",
    "__dict__", "__init__", "step.real", "step[0]", "step ", "Step", "render", "on_mount",
    "before_render", "state_dict", "_c2", "_h2", "csrf", "size",
]


@pytest.mark.parametrize("field", UNDECLARED_FIELDS)
def test_an_undeclared_field_is_refused_logged_and_changes_nothing(
        client: Client, caplog: pytest.LogCaptureFixture, field: str) -> None:
    token = token_of(client.get("/").text)
    with caplog.at_level(logging.WARNING, "appkit.live.components"):
        answer = event(client, _c=token, _h="increment", **{field: "99"})
    assert answer.status_code == 400 and refusals(caplog)
    assert field.strip() in answer.text or field.startswith("_")
    instance = instance_of(client, token)
    assert instance.count == 3 and instance.step == 1 and instance.log == []
    assert callable(instance.render) and instance.name == "AttackTally"


def test_an_undeclared_field_over_the_socket_is_refused(client: Client) -> None:
    page = LivePage(client)
    token = token_of(page.html)
    ws = page.connect()
    frames(ws, 1)
    for ref, field in enumerate(["count", "__class__", "_spec", "render"], 1):
        ws.send_text(ev(ref, ROUTE, _c=token, _h="increment", **{field: 99}))
        reply = reply_to(ws, ref)
        assert reply["ok"] is False and reply["error"]["status"] == 400, field
    assert instance_of(client, token).count == 3


# ---- wrong types ---------------------------------------------------------------------


WRONG = [
    ("n", "ten"), ("n", "1.5"), ("n", "true"), ("n", "1e3"), ("n", "9" * 5000),
    ("x", "abc"), ("x", "1,5"),
    ("flag", "maybe"), ("flag", "2"),
    ("amount", "1.2.3"), ("amount", "ten"),
    ("day", "2026-13-01"), ("day", "tomorrow"), ("day", "2026-02-30"),
    ("at", "9 o'clock"), ("at", "2026-01-01T25:00"),
    ("color", "green"), ("color", "Red "),
    ("maybe", "none"), ("maybe", "x"),
    ("tags", "a"),
]


@pytest.mark.parametrize(("field", "value"), WRONG, ids=[f"{f}={v[:12]}" for f, v in WRONG])
def test_a_wrong_type_is_a_400_naming_the_field_and_changes_nothing(
        client: Client, caplog: pytest.LogCaptureFixture, field: str, value: str) -> None:
    token = token_of(client.get("/typed").text, "AttackTyped")
    before = copy.deepcopy(instance_of(client, token).state_dict())
    with caplog.at_level(logging.WARNING, "appkit.live.components"):
        answer = event(client, _c=token, _h="save", **{field: value})
    assert answer.status_code == 400 and repr(field) in answer.text and refusals(caplog)
    assert instance_of(client, token).state_dict() == before


def test_every_scalar_kind_is_coerced(client: Client) -> None:
    token = token_of(client.get("/typed").text, "AttackTyped")
    answer = event(client, _c=token, _h="save", n="7", x="2.5", flag="on", amount="1.10",
                   day="2026-02-28", at="2026-02-28T10:30", color="blue", text="<b>hi</b>",
                   maybe="4", tags=["1", "2"])
    assert answer.status_code == 200
    got = instance_of(client, token).state_dict()
    assert got == {"n": 7, "x": 2.5, "flag": True, "amount": Decimal("1.10"),
                   "day": dt.date(2026, 2, 28), "at": dt.datetime(2026, 2, 28, 10, 30),
                   "color": Color.BLUE, "text": "<b>hi</b>", "maybe": 4, "tags": [1, 2]}
    assert "<b>hi</b>" not in answer.text                    # rendered escaped


WRONG_JSON = [
    ("n", [1, 2]), ("n", {"a": 1}), ("n", True), ("n", 1.5),
    ("x", [1.0]), ("x", {"v": 1}), ("x", False),
    ("flag", [True]), ("flag", {"t": 1}), ("flag", 3),
    ("amount", [1]), ("day", [2026, 1, 1]), ("day", {"y": 2026}),
    ("color", ["red"]), ("tags", {"a": 1}), ("tags", [[1]]), ("tags", ["x"]),
]


@pytest.mark.parametrize(("field", "value"), WRONG_JSON,
                         ids=[f"{f}={json.dumps(v)[:12]}" for f, v in WRONG_JSON])
def test_a_wrong_json_type_over_the_socket_is_a_400(
        client: Client, field: str, value: Any) -> None:
    page = LivePage(client, path="/typed")
    token = token_of(page.html, "AttackTyped")
    before = copy.deepcopy(instance_of(client, token).state_dict())
    ws = page.connect()
    frames(ws, 1)
    ws.send_text(ev(1, ROUTE, _c=token, _h="save", **{field: value}))
    reply = reply_to(ws, 1)
    assert reply["ok"] is False and reply["error"]["status"] == 400, reply
    assert instance_of(client, token).state_dict() == before


def test_a_text_field_given_a_list_is_refused(client: Client) -> None:
    page = LivePage(client, path="/typed")
    token = token_of(page.html, "AttackTyped")
    answer = client.post(ROUTE, data={"_c": token, "_h": "save", "text": ["a", "b"]})
    assert answer.status_code in (200, 400) and instance_of(client, token).text in ("", "a", "b")
    ws = page.connect()
    frames(ws, 1)
    for ref, value in enumerate((["a", "b"], {"a": 1}), 1):
        ws.send_text(ev(ref, ROUTE, _c=token, _h="save", text=value))
        reply = reply_to(ws, ref)
        assert reply["ok"] is False and instance_of(client, token).text in ("", "a", "b")


def test_a_list_field_takes_one_or_many_values(client: Client) -> None:
    token = token_of(client.get("/typed").text, "AttackTyped")
    assert event(client, _c=token, _h="save", tags="5").status_code == 200
    assert instance_of(client, token).tags == [5]
    assert event(client, _c=token, _h="save", tags=["1", "2", "3"]).status_code == 200
    assert instance_of(client, token).tags == [1, 2, 3]


def test_a_huge_bound_value_is_refused_naming_the_component_and_field(
        client: Client, caplog: pytest.LogCaptureFixture) -> None:
    token = token_of(client.get("/").text)
    with caplog.at_level(logging.WARNING, "appkit.live.components"):
        answer = event(client, _c=token, _h="increment", note="y" * (STATE_MAXIMUM + 10))
    assert answer.status_code in (400, 413), answer.status_code
    if answer.status_code == 400:
        assert "AttackTally" in answer.text and "note" in answer.text
    assert instance_of(client, token).note == "" and instance_of(client, token).count == 3


def test_a_huge_number_is_a_400(client: Client) -> None:
    token = token_of(client.get("/").text)
    answer = event(client, _c=token, _h="increment", by="9" * 5000)
    assert answer.status_code == 400 and instance_of(client, token).count == 3


# ---- state size ----------------------------------------------------------------------


def test_state_growing_past_the_maximum_is_refused_naming_component_and_field(
        client: Client, caplog: pytest.LogCaptureFixture) -> None:
    token = token_of(client.get("/").text)
    with caplog.at_level(logging.WARNING, "appkit.live.components"):
        for _ in range(5):
            assert event(client, _c=token, _h="grow").status_code in (200, 204)
        warned = [r for r in caplog.records if "AttackTally's state is" in r.getMessage()]
        assert warned and "'log'" in warned[-1].getMessage()       # past 64 KB: a warning
        before = copy.deepcopy(instance_of(client, token).state_dict())
        answer = event(client, _c=token, _h="grow", size=STATE_MAXIMUM)
    assert answer.status_code == 400
    assert "AttackTally" in answer.text and "log" in answer.text
    assert refusals(caplog)
    assert instance_of(client, token).state_dict() == before      # the append undone
    assert len(instance_of(client, token).log) == 5


# ---- failures ----------------------------------------------------------------------------


def test_a_handler_that_raises_is_a_500_logged_and_rolled_back(
        client: Client, error_logs: list[logging.LogRecord]) -> None:
    token = token_of(client.get("/").text)
    answer = event(client, _c=token, _h="crash", step="9", note="typed")
    assert answer.status_code == 500
    assert any("the handler broke" in str(r.exc_info) or "the handler broke" in r.getMessage()
               for r in error_logs)
    instance = instance_of(client, token)
    assert (instance.count, instance.step, instance.note, instance.log) == (3, 1, "", [])
    assert count_of(event(client, _c=token, _h="increment").text) == 4


def test_a_handler_that_raises_over_the_socket_is_an_error_reply(
        client: Client, error_logs: list[logging.LogRecord]) -> None:
    page = LivePage(client)
    token = token_of(page.html)
    ws = page.connect()
    frames(ws, 1)
    ws.send_text(ev(1, ROUTE, _c=token, _h="crash", step=9))
    reply = reply_to(ws, 1)
    assert reply["ok"] is False and reply["error"]["status"] == 500
    assert "the handler broke" not in json.dumps(reply)               # no details to the page
    assert error_logs
    instance = instance_of(client, token)
    assert (instance.count, instance.step, instance.log) == (3, 1, [])


def test_a_render_that_raises_changes_nothing(
        client: Client, error_logs: list[logging.LogRecord]) -> None:
    token = token_of(client.get("/").text)
    assert event(client, _c=token, _h="break_render").status_code == 500
    assert error_logs
    assert instance_of(client, token).broken is False
    assert event(client, _c=token, _h="increment").status_code == 200


def test_a_refused_handler_changes_nothing_over_the_socket(client: Client) -> None:
    page = LivePage(client)
    token = token_of(page.html)
    ws = page.connect()
    frames(ws, 1)
    ws.send_text(ev(1, ROUTE, _c=token, _h="refuse", step=5))
    reply = reply_to(ws, 1)
    assert reply["ok"] is False and reply["error"] == {"status": 400, "message": "Not now"}
    assert (instance_of(client, token).count, instance_of(client, token).step) == (3, 1)


# ---- concurrency ---------------------------------------------------------------------


def test_fifty_concurrent_events_on_one_instance_lose_no_update() -> None:
    app = make_app()
    with live_client(app) as c:
        token = token_of(c.get("/slow").text, "AttackSlow")
        c.csrf_token()
        start = threading.Barrier(50)

        def one(_: int) -> int:
            start.wait()
            return int(event(c, _c=token, _h="increment").status_code)

        with concurrent.futures.ThreadPoolExecutor(50) as pool:
            statuses = list(pool.map(one, range(50)))
        assert statuses == [200] * 50
        assert instance_of(c, token).count == 50


def test_concurrent_events_over_sockets_and_http_lose_no_update() -> None:
    app = make_app()
    with live_client(app) as c:
        page = LivePage(c, path="/slow")
        token = token_of(page.html, "AttackSlow")
        sockets = []
        for n in range(3):
            ws = LivePage(c, page_id=str(n) * 32, path="/").connect()
            frames(ws, 1)
            sockets.append(ws)
        for ws in sockets:
            for ref in range(1, 11):
                ws.send_text(ev(ref, ROUTE, _c=token, _h="increment"))
        over_http = [event(c, _c=token, _h="increment").status_code for _ in range(5)]
        for ws in sockets:
            got = replies(ws, set(range(1, 11)))
            assert all(reply["ok"] is True for reply in got.values()), got
        assert over_http == [200] * 5
        assert instance_of(c, token).count == 35


# ---- async hooks -----------------------------------------------------------------------


def test_async_hooks_and_handlers_run_with_mount_async(client: Client) -> None:
    page = LivePage(client, path="/async")
    token = token_of(page.html, "AttackAsync")
    assert ">5 True<" in page.html
    answer = event(client, _c=token, _h="increment", by="2")
    assert answer.status_code == 200 and ">7 True<" in answer.text
    ws = page.connect()
    frames(ws, 1)
    ws.send_text(ev(1, ROUTE, _c=token, _h="increment", by=3))
    reply = reply_to(ws, 1)
    assert reply["ok"] is True and ">10 True<" in reply["ops"][0]["html"]


def test_mounting_an_async_component_with_mount_says_mount_async(
        client: Client, error_logs: list[logging.LogRecord]) -> None:
    answer = client.get("/async-sync")
    assert answer.status_code == 500
    assert any("mount_async" in str(r.exc_info) or "mount_async" in r.getMessage()
               for r in error_logs)
    assert len(components_of(client).store) == 0                # nothing kept


# ---- permissions -------------------------------------------------------------------------


def users(staff: bool) -> tuple[dict[str, Any], Any]:
    """The app's user (a dict the test may change) and a plain provider of it."""
    user = {"name": "ann", "staff": staff}

    def current_user() -> dict[str, Any]:
        return user

    return user, current_user


def test_a_permitted_user_mounts_and_uses_a_component(
        error_logs: list[logging.LogRecord]) -> None:
    with live_client(make_app(user=users(staff=True)[1])) as c:
        answer = c.get("/staff")
        assert answer.status_code == 200, answer.status_code
        token = token_of(answer.text, "AttackStaffOnly")
        assert count_of(event(c, _c=token, _h="increment").text) == 1
    assert not error_logs


def test_a_refused_mount_is_a_403_and_logged(
        caplog: pytest.LogCaptureFixture, error_logs: list[logging.LogRecord]) -> None:
    with live_client(make_app(user=users(staff=False)[1])) as c:
        with caplog.at_level(logging.WARNING, "appkit.live.components"):
            answer = c.get("/staff")
        assert answer.status_code == 403
        assert any("Refused AttackStaffOnly" in r.getMessage() for r in caplog.records)
        assert len(components_of(c).store) == 0
    assert not error_logs


def test_an_event_of_a_user_who_lost_the_permission_is_a_403(
        caplog: pytest.LogCaptureFixture, error_logs: list[logging.LogRecord]) -> None:
    user, provider = users(staff=True)
    with live_client(make_app(user=provider)) as c:
        page = LivePage(c, path="/staff")
        token = token_of(page.html, "AttackStaffOnly")
        user["staff"] = False
        with caplog.at_level(logging.WARNING, "appkit.live.components"):
            answer = event(c, _c=token, _h="increment")
            ws = page.connect()
            frames(ws, 1)
            ws.send_text(ev(1, ROUTE, _c=token, _h="increment"))
            reply = reply_to(ws, 1)
        assert answer.status_code == 403 and reply["error"]["status"] == 403
        assert len(refusals(caplog)) == 2
        assert instance_of(c, token).count == 0
    assert not error_logs


def test_a_component_with_permissions_in_an_app_without_a_user_is_refused(
        client: Client, error_logs: list[logging.LogRecord]) -> None:
    """Deny by default: no user provider, no component (a 500 naming the fix)."""
    answer = client.get("/staff")
    assert answer.status_code == 500
    assert any("app.provide('user'" in str(r.exc_info) for r in error_logs)
    assert len(components_of(client).store) == 0


# ---- binding like a route ------------------------------------------------------------------


def test_special_parameters_come_from_the_app_serving_the_event() -> None:
    for name in ("first-app", "second-app"):
        with live_client(make_app(name=name)) as c:
            token = token_of(c.get("/where").text, "AttackWhereAmI")
            answer = event(c, _c=token, _h="look")
            assert answer.status_code == 200
            assert f">{name}<" in answer.text, answer.text


def test_a_handler_taking_a_dataclass_binds_its_fields(client: Client) -> None:
    token = token_of(client.get("/ledger").text, "AttackLedger")
    answer = event(client, _c=token, _h="add", amount="2.50", note="milk")
    assert answer.status_code == 200, answer.text
    assert ">2.50<" in answer.text


def test_a_component_named_with_a_dot_works(client: Client) -> None:
    token = token_of(client.get("/dotted").text, "attack.Cart")
    assert event(client, _c=token, _h="increment").status_code == 200


def test_an_event_needs_the_csrf_token(client: Client) -> None:
    token = token_of(client.get("/").text)
    answer = client.post(ROUTE, data={"_c": token, "_h": "increment"}, csrf=False)
    assert answer.status_code == 403
    assert instance_of(client, token).count == 3


# ---- the same over both transports ---------------------------------------------------


def test_each_refusal_is_the_same_over_http_and_the_socket(client: Client) -> None:
    page = LivePage(client)
    token = token_of(page.html)
    cases: list[dict[str, Any]] = [
        {"_c": _flip_last(token), "_h": "increment"},
        {"_c": token[:-3], "_h": "increment"},
        {"_c": token, "_h": "secret"},
        {"_c": token, "_h": "increment", "count": "1"},
        {"_c": token, "_h": "increment", "by": "x"},
        {"_c": token, "_h": "refuse"},
        {"_h": "increment"},
    ]
    over_http = [event(client, **case) for case in cases]
    ws = page.connect()
    frames(ws, 1)
    for ref, (case, answer) in enumerate(zip(cases, over_http, strict=True), 1):
        ws.send_text(json.dumps({"t": "ev", "ref": ref, "route": ROUTE, "d": case}))
        reply = reply_to(ws, ref)
        assert reply["ok"] is False and reply["error"]["status"] == answer.status_code, case
        assert reply["error"]["message"] in answer.text.replace("&#x27;", "'"), case
    assert instance_of(client, token).count == 3


def test_a_forgotten_component_answers_gone_over_both_transports(client: Client) -> None:
    page = LivePage(client)
    token = token_of(page.html)
    components_of(client).store.delete(owner_of(client), token.split(".")[0])
    assert event(client, _c=token, _h="increment").status_code == 410
    ws = page.connect()
    frames(ws, 1)
    ws.send_text(ev(1, ROUTE, _c=token, _h="increment"))
    reply = reply_to(ws, 1)
    assert reply["ok"] is False and reply["error"]["status"] == 410


def test_many_events_give_the_same_html_both_ways(client: Client) -> None:
    page = LivePage(client, path="/two")
    found = tokens(page.html)
    ws = page.connect()
    frames(ws, 1)
    ref = 0
    for by in ("1", "-4", "10"):
        http = event(client, _c=found["AttackTally"], _h="increment", by=by).text
        ref += 1
        ws.send_text(ev(ref, ROUTE, _c=found["AttackTally"], _h="increment", by=f"-{by}"
                        if not by.startswith("-") else by[1:]))
        reply_to(ws, ref)
        again = event(client, _c=found["AttackTally"], _h="increment", by=by).text
        assert again == http
        ref += 1
        ws.send_text(ev(ref, ROUTE, _c=found["AttackTally"], _h="increment", by=0))
        assert reply_to(ws, ref)["ops"] == []          # the same HTML: nothing to send
        ref += 1
        ws.send_text(ev(ref, ROUTE, _c=found["AttackTally"], _h="increment",
                        by=f"-{by}" if not by.startswith("-") else by[1:]))
        reply_to(ws, ref)
    typed = event(client, _c=found["AttackTyped"], _h="save", n="4", day="2026-03-01").text
    ref += 1
    ws.send_text(ev(ref, ROUTE, _c=found["AttackTyped"], _h="save", n=4, day="2026-03-01"))
    assert reply_to(ws, ref)["ops"] == []   # the same values again: the same HTML, nothing sent
    assert "2026-03-01" in typed


# ---- bounds and leaks ----------------------------------------------------------------


def test_a_thousand_mount_and_event_cycles_stay_bounded() -> None:
    with live_client(make_app(LiveSettings(components_per_session=20))) as c:
        refs: list[weakref.ref[Any]] = []
        for n in range(50):                                            # warm up
            token = token_of(c.get(f"/?start={n}").text)
            event(c, _c=token, _h="increment")
        gc.collect()
        tracemalloc.start()
        try:
            baseline = tracemalloc.take_snapshot()
            for n in range(1000):
                token = token_of(c.get(f"/?start={n}").text)
                assert event(c, _c=token, _h="increment").status_code == 200
                if n < 500:
                    refs.append(weakref.ref(instance_of(c, token)))
            gc.collect()
            after = tracemalloc.take_snapshot()
        finally:
            tracemalloc.stop()
        grown = sum(s.size_diff for s in after.compare_to(baseline, "filename")
                    if "appkit" in str(s.traceback))
        assert len(components_of(c).store) == 20
        assert all(r() is None for r in refs)       # dropped instances are freed
        assert grown < 200_000, grown


def test_expired_instances_are_swept_without_a_new_mount() -> None:
    settings = LiveSettings(component_ttl=0.3, page_grace=0.2)
    with live_client(make_app(settings)) as c:
        for _ in range(30):
            token = token_of(c.get("/").text)
            assert event(c, _c=token, _h="increment").status_code == 200
        assert len(components_of(c).store) == 30
        deadline = time.monotonic() + 3.0
        while len(components_of(c).store) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(components_of(c).store) == 0


def test_concurrent_page_loads_mount_safely(error_logs: list[logging.LogRecord]) -> None:
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)        # switch threads often: races show at once
    try:
        with live_client(make_app(LiveSettings(components_per_session=100_000))) as c:
            c.get("/")

            def load(_: int) -> int:
                return int(c.get("/").status_code)

            with concurrent.futures.ThreadPoolExecutor(16) as pool:
                statuses = list(pool.map(load, range(800)))
            stored = len(components_of(c).store)
    finally:
        sys.setswitchinterval(old)
    assert statuses == [200] * 800 and stored == 801
    assert not error_logs


# ---- composition -------------------------------------------------------------------------


class AttackChild(Component):
    n: int = 0

    @handler
    def bump(self) -> None:
        self.n += 1

    def render(self) -> Any:
        return P(self.n, id=f"{self.id}-c")


class AttackParent(Component):
    n: int = 0

    @handler
    def bump(self) -> None:
        self.n += 1

    def render(self) -> Any:
        return [P(self.n, id=f"{self.id}-p"), AttackChild.mount()]


def test_a_child_component_keeps_its_state_when_its_parent_changes() -> None:
    app = App("nested")

    @app.get("/")
    def index() -> Any:
        return Page("Nested", AttackParent.mount())

    with live_client(app) as c:
        found = tokens(c.get("/").text)
        for _ in range(2):
            assert event(c, _c=found["AttackChild"], _h="bump").status_code == 200
        answer = event(c, _c=found["AttackParent"], _h="bump")
        assert answer.status_code == 200
        assert re.search(r'-c">2</p>', answer.text), answer.text
        for _ in range(5):
            event(c, _c=found["AttackParent"], _h="bump")
        assert len(components_of(c).store) == 2


# ---- more binding ------------------------------------------------------------------------


class AttackEcho(Component):
    said: str = ""

    @handler
    def say(self, text: str, times: int) -> None:
        self.said = text * times

    def render(self) -> Any:
        return [P(self.said, id=f"{self.id}-said"),
                Button("say", **self.on("say", text='"}\'><script>alert(1)</script>',
                                        times=1))]


def test_a_missing_required_parameter_is_a_400_and_on_values_round_trip() -> None:
    app = App("echo")

    @app.get("/")
    def index() -> Any:
        return Page("Echo", AttackEcho.mount())

    with live_client(app) as c:
        html = c.get("/").text
        token = token_of(html, "AttackEcho")
        assert "<script>alert(1)" not in html                      # escaped in the attribute
        button = re.search(r'<button hx-post="[^"]*" hx-vals="([^"]*)"', html)
        assert button is not None, html
        vals = json.loads(button.group(1).replace("&quot;", '"').replace("&#x27;", "'")
                          .replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"))
        assert vals == {"_h": "say", "text": '"}\'><script>alert(1)</script>', "times": 1}
        missing = event(c, _c=token, _h="say", text="x")
        assert missing.status_code == 400 and "times" in missing.text
        answer = event(c, _c=token, **vals)
        assert answer.status_code == 200 and "&lt;script&gt;" in answer.text


# ---- the documented example type-checks ------------------------------------------------


EXAMPLE = """\
from __future__ import annotations

from typing import Any

from appkit.html import Button, P
from appkit.live import Component, handler, state


class Counter(Component):
    count: int = 0
    step: int = state(1, bind=True)

    def on_mount(self, start: int = 0) -> None:
        self.count = start

    @handler
    def increment(self, by: int = 1) -> None:
        self.count += by * self.step

    def render(self) -> Any:
        return [P(self.count, id=self.id + "-n"), Button("+", **self.on("increment", by=1))]
"""


def test_the_documented_component_type_checks(
        tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from pathlib import Path

    from mypy import api

    root = Path(components_module.__file__).resolve().parents[2]
    monkeypatch.setenv("MYPYPATH", str(root))
    source = tmp_path / "counter_example.py"
    source.write_text(EXAMPLE)
    out, err, status = api.run(["--ignore-missing-imports", "--no-error-summary",
                                "--cache-dir", str(tmp_path / "cache"), str(source)])
    assert status == 0, out + err


def test_a_huge_undeclared_field_name_is_not_echoed_whole(
        client: Client, caplog: pytest.LogCaptureFixture) -> None:
    token = token_of(client.get("/").text)
    with caplog.at_level(logging.WARNING, "appkit.live.components"):
        answer = client.post(ROUTE, data={"_c": token, "_h": "increment", "x" * 200_000: "1"})
    assert answer.status_code == 400
    assert len(answer.text) < 5_000
    assert all(len(message) < 1_000 for message in refusals(caplog))


def test_a_component_mounted_by_a_live_event_works_over_http() -> None:
    app = App("mounted-live")

    @app.websocket("/add")
    def add() -> Any:
        return append("list", AttackTally.mount(start=7))

    @app.get("/")
    def index() -> Any:
        return Page("Live", Div(id="list"), Form(Input(name="x"), data_live_send="/add"))

    with live_client(app) as c:
        page = LivePage(c)
        ws = page.connect()
        frames(ws, 1)
        ws.send_text(ev(1, "/add"))
        reply = reply_to(ws, 1)
        assert reply["ok"] is True
        token = token_of(reply["ops"][0]["html"])
        assert count_of(event(c, _c=token, _h="increment").text) == 8


def test_a_component_past_its_ttl_answers_gone_over_both_transports() -> None:
    with live_client(make_app(LiveSettings(component_ttl=1.0))) as c:
        page = LivePage(c)
        token = token_of(page.html)
        assert event(c, _c=token, _h="increment").status_code == 200
        time.sleep(0.6)
        assert event(c, _c=token, _h="increment").status_code == 200   # renewed by use
        time.sleep(0.6)
        assert event(c, _c=token, _h="increment").status_code == 200
        time.sleep(1.3)
        assert event(c, _c=token, _h="increment").status_code == 410
        ws = page.connect()
        frames(ws, 1)
        ws.send_text(ev(1, ROUTE, _c=token, _h="increment"))
        assert reply_to(ws, 1)["error"]["status"] == 410


class AttackClear(Component):
    items: list[str] = ["a"]

    @handler
    def on_clear(self) -> None:
        self.items = []

    def render(self) -> Any:
        return P(len(self.items), id=f"{self.id}-n")


def test_a_decorated_on_method_keeps_its_event_name() -> None:
    app = App("clear")

    @app.get("/")
    def index() -> Any:
        return Page("Clear", AttackClear.mount())

    with live_client(app) as c:
        token = token_of(c.get("/").text, "AttackClear")
        assert event(c, _c=token, _h="clear").status_code == 200


@dataclasses.dataclass
class Basket:
    items: list[str] = dataclasses.field(default_factory=list)


class AttackBasket(Component):
    seen: collections.deque[str] = collections.deque(maxlen=10)
    basket: Basket = Basket()

    @handler
    def add(self, item: str) -> None:
        self.seen.append(item)
        self.basket.items.append(item)

    def render(self) -> Any:
        return P(",".join(self.basket.items) + "|" + ",".join(self.seen), id=f"{self.id}-b")


def test_mutable_defaults_are_not_shared_between_sessions() -> None:
    app = App("baskets")

    @app.get("/")
    def index() -> Any:
        return Page("Basket", AttackBasket.mount())

    with live_client(app) as ann, live_client(app) as bob:
        mine = token_of(ann.get("/").text, "AttackBasket")
        theirs = token_of(bob.get("/").text, "AttackBasket")
        assert event(ann, _c=mine, _h="add", item="secret").status_code == 200
        answer = event(bob, _c=theirs, _h="add", item="milk")
        assert answer.status_code == 200
        assert "secret" not in answer.text, answer.text
