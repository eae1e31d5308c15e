"""The live layer's wire protocol, version 1: JSON text frames on one websocket per page.

Page to server:

- ``{"t": "hello", "v": 1, "build": B, "boot": X, "page": P, "topics": {name: seq},
  "replied": R}``, first on every (re)connect: the build the page was rendered by, the
  server process it last talked to, its page id, for each topic the last message it
  applied, the last event it got a reply to (``replied``), the last it sent on a socket
  (``sent``; later ones never left the page), whether a socket of it was welcomed
  before (``resumed``), and whether it reads several frames in one message (``batch``).
- ``{"t": "ev", "ref": R, "route": "/chat", "d": {fields}}``: an event for a websocket
  route's message handler; ``ref`` counts from 1 per page, and the server runs each at most
  once (a page resends the events it got no reply for after a reconnect).
- ``{"t": "follow", "topics": {name: seq}}``: more topics, that a swap brought onto the
  page after hello.
- hello's ``components`` (optional): the ids of the live components on the page; then
  ``{"t": "own", "c": [ids], "gone": [ids]}`` when a swap brought components onto the page
  or took them off. The server keeps a page's components while the page is open and lets
  them go soon after it closed (a component no page named keeps its ``component_ttl``).
- ``{"t": "ack", "id": N}``: every frame up to ``N`` is applied.
- ``{"t": "ping"}`` after ``heartbeat`` seconds of silence.

Server to page (every frame but ``pong`` numbered by ``id``, +1 each, per connection):

- ``welcome``: ``{"boot": X, "seen": R, "kept": K, "heartbeat": s, "forgotten": bool}``;
  ``seen`` is the last event the server ran (or is running) for this page, ``kept`` the
  oldest whose reply it still has (those before it, unanswered, may or may not have been
  done: the page says so); ``forgotten``: the server
  no longer knew the page (its state expired, or the server restarted), so the events it
  had sent count as seen: none runs twice, and the page says they may not have arrived.
- ``msg``: ``{"topic": T, "seq": S, "ops": [...], "snapshot": bool}``, a topic's message
  (a snapshot replaces the topic's state: the page missed more than the history holds).
- ``reply``: ``{"ref": R, "ok": bool, "ops": [...], "error": {"status", "message"}}``.
- ``reload``: ``{"why": "build" | "expired"}``: the page must reload (and then closes).
- ``pong``.

To a page whose hello said ``batch``, the frames the server has ready at one moment go as
one websocket message, a JSON array of them in order (an event's reply and the topic
message it published, when both are ready together); a lone frame is sent as itself.

Close codes: 1000 done, 1008 refused (origin, token, a topic it may not follow), 4403 a
page id of another session, 4409 the page connected again elsewhere (the page stops); 1007
a malformed frame, 1009 a frame over the limit, 1011 the server's error, 1013 the page fell
behind, 4408 idle (it reconnects and resumes); 4000 protocol version, 4001 new build (it
reloads). From the page: 4101 (or the browser's 1001) it was left (the window closed, it
navigated away), 4100 no answer to its ping (it reconnects), anything else a lost
connection (it may resume).
"""

from __future__ import annotations

import json
from typing import Any

from appkit.errors import BadRequest

__all__ = ["VERSION", "ProtocolError", "encode", "encode_many", "parse"]

#: The protocol's version; a page with another one reloads.
VERSION = 1

#: Component ids one hello or own frame may name.
MAX_COMPONENT_IDS = 2000

CLOSE_VERSION = 4000
CLOSE_BUILD = 4001
CLOSE_SESSION = 4205  # the session changed over HTTP: reconnect to read it anew
CLOSE_FOREIGN_PAGE = 4403
CLOSE_IDLE = 4408
CLOSE_SUPERSEDED = 4409
CLOSE_BEHIND = 1013
#: live.js closes its socket with this code as the page is left (``pagehide``).
CLOSE_PAGE_LEFT = 4101
#: live.js closes its socket with this code when a ping went unanswered (it reconnects).
CLOSE_PAGE_RETRY = 4100
#: The close codes of a page that was left (the window closed, the page navigated away):
#: live.js's own, and 1001, the browser's "going away". A window torn down without a close
#: frame is a lost connection to the server (uvicorn says 1005 or 1006): ``page_grace``.
LEFT_CODES = frozenset({1001, CLOSE_PAGE_LEFT})


class ProtocolError(BadRequest):
    """A frame the protocol does not allow (closes with 1007)."""


def parse(text: str) -> dict[str, Any]:
    """The frame in ``text``, checked.

    Raises:
        ProtocolError: not a JSON object of a known type with the fields it needs.
    """
    try:
        frame = json.loads(text)
    except (ValueError, RecursionError):
        raise ProtocolError("A live frame is a JSON object") from None
    if not isinstance(frame, dict):
        raise ProtocolError("A live frame is a JSON object")
    kind = frame.get("t")
    if kind == "hello":
        _need(frame, "page", str, 8, 64)
        _need(frame, "build", str, 0, 128)
        _need(frame, "boot", str, 0, 128)
        if not isinstance(frame.get("v"), int):
            raise ProtocolError("hello needs the protocol version v")
        if not _count(frame.setdefault("replied", 0)) or not _count(frame.setdefault("sent", 0)):
            raise ProtocolError("hello's replied and sent are event numbers")
        if not isinstance(frame.setdefault("resumed", False), bool):
            raise ProtocolError("hello's resumed says whether the page was welcomed before")
        if not isinstance(frame.setdefault("batch", False), bool):
            raise ProtocolError("hello's batch says whether the page reads arrays of frames")
        _check_topics(frame)
        _check_ids(frame, "components")
    elif kind == "own":
        _check_ids(frame, "c")
        _check_ids(frame, "gone")
    elif kind == "follow":
        _check_topics(frame)
    elif kind == "ev":
        if not _count(frame.get("ref")) or frame["ref"] < 1:
            raise ProtocolError("ev needs ref, a whole number from 1")
        _need(frame, "route", str, 1, 2000)
        if not isinstance(frame.get("d", {}), dict):
            raise ProtocolError("ev's d holds the event's fields as an object")
    elif kind == "ack":
        if not _count(frame.get("id")):
            raise ProtocolError("ack needs id, a whole number")
    elif kind != "ping":
        raise ProtocolError(f"Unknown live frame type {str(kind)[:40]!r}")
    return frame


def _check_topics(frame: dict[str, Any]) -> None:
    topics = frame.setdefault("topics", {})
    if not isinstance(topics, dict) or len(topics) > 256 or not all(
            isinstance(k, str) and 0 < len(k) <= 200 and _count(v)
            for k, v in topics.items()):
        raise ProtocolError(f"{frame['t']}'s topics map at most 256 names to message numbers")


def _check_ids(frame: dict[str, Any], key: str) -> None:
    ids = frame.setdefault(key, [])
    if not isinstance(ids, list) or len(ids) > MAX_COMPONENT_IDS or not all(
            isinstance(i, str) and 0 < len(i) <= 64 for i in ids):
        raise ProtocolError(f"{frame['t']}'s {key} lists at most {MAX_COMPONENT_IDS} "
                            "component ids")


def _need(frame: dict[str, Any], key: str, kind: type[str], low: int, high: int) -> None:
    value = frame.get(key)
    if not isinstance(value, kind) or not low <= len(value) <= high:
        raise ProtocolError(f"{frame.get('t')} needs {key}")


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**53


def encode(frame: dict[str, Any]) -> str:
    """``frame`` as the text of a websocket message."""
    return json.dumps(frame, separators=(",", ":"))


def encode_many(frames: list[dict[str, Any]]) -> str:
    """``frames`` as the text of one websocket message (for a page that said ``batch``)."""
    return json.dumps(frames, separators=(",", ":"))

