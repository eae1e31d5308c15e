"""A page's live connection: what it follows, the events it sent, and the bounded queue of
frames on their way to it (see ``appkit.live.protocol`` for the frames).

A ``PageState`` outlives its socket for ``page_grace`` seconds, so a page that reconnects
resumes: events it sent are never run twice, replies it missed are sent again, and topic
messages come from the hub's history. A page whose socket the browser closed as it left it
(live.js closes it with 4101 on ``pagehide``, the browser with 1001) goes sooner, after
``left_grace``. What a page holds (its live components) goes with it: see
``Pages.on_forget``. A ``Connection`` is one socket of a page.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from appkit.live.hub import Hub
from appkit.live.ops import Op
from appkit.live.protocol import (
    CLOSE_BEHIND,
    CLOSE_FOREIGN_PAGE,
    CLOSE_SUPERSEDED,
    encode,
    encode_many,
)
from appkit.live.settings import LiveSettings

__all__ = ["Connection", "PageState", "Pages", "pusher"]

logger = logging.getLogger("appkit.live")

_REPLIES_KEPT = 32
#: About how many bytes of frames one batched message holds at most.
BATCH_BYTES = 64 * 1024


class PageState:
    """One page (a page load in a window): its owner, the topics it follows and the
    replies to its latest events, kept across reconnects."""

    def __init__(self, page_id: str, owner: str) -> None:
        self.page_id = page_id
        self.owner = owner
        self.seen_ref = 0
        #: Events of this page whose handler is running.
        self.running: set[int] = set()
        #: Whether no socket of the page has been welcomed yet.
        self.fresh = True
        #: Whether the server no longer knew the page when it came back (its events
        #: before then count as seen, none runs twice).
        self.forgotten = False
        self.replies: collections.OrderedDict[int, dict[str, Any]] = collections.OrderedDict()
        self.connection: Connection | None = None
        self.detached_at: float | None = time.monotonic()
        #: Whether the browser closed its socket as it left the page (``LEFT_CODES``).
        self.left = False
        #: The ids of the live components the page said it shows.
        self.components: set[str] = set()
        #: The ids of the views the page shows (it follows their topics).
        self.views: set[str] = set()

    def remember_reply(self, ref: int, frame: dict[str, Any]) -> None:
        """Keep the reply to ``ref`` for a page that reconnects before receiving it."""
        self.replies[ref] = frame
        while len(self.replies) > _REPLIES_KEPT:
            self.replies.popitem(last=False)


#: What ``Pages.claim`` answers when a user has too many pages open.
TOO_MANY: Any = PageState("", "")


class Pages:
    """Every page's state, by page id, bounded per user and in time."""

    def __init__(self, settings: LiveSettings) -> None:
        self.settings = settings
        self._pages: dict[str, PageState] = {}
        #: Called with each page forgotten (after it was dropped from ``Pages``).
        self.on_forget: list[Callable[[PageState], None]] = []

    def claim(self, page_id: str, owner: str) -> PageState | None:
        """The page ``page_id`` for ``owner`` (made when new); None when another user's;
        ``TOO_MANY`` when the user has ``pages_per_user`` pages open already."""
        self.sweep()
        page = self._pages.get(page_id)
        if page is None:
            if not self._room_for(owner):
                return TOO_MANY
            page = self._pages[page_id] = PageState(page_id, owner)
        elif page.owner != owner:
            return None
        return page

    def of(self, owner: str) -> list[PageState]:
        """The pages of ``owner``."""
        return [page for page in self._pages.values() if page.owner == owner]

    def _room_for(self, owner: str) -> bool:
        """Make room for one more page of ``owner``: the oldest closed ones are forgotten
        first; False when all of them are open."""
        mine = [p for p in self._pages.values() if p.owner == owner]
        excess = len(mine) + 1 - self.settings.pages_per_user
        if excess <= 0:
            return True
        closed = sorted((p for p in mine if p.connection is None),
                        key=lambda p: p.detached_at or 0.0)
        for page in closed[:excess]:
            self._forget(page)
        return len(closed) >= excess

    def sweep(self) -> None:
        """Forget pages closed longer than ``page_grace`` ago (``left_grace`` for one the
        browser left: a page restored from the back/forward cache within it resumes)."""
        now = time.monotonic()
        grace = self.settings.page_grace
        left = min(grace, self.settings.left_grace)
        for page in list(self._pages.values()):
            if page.connection is None and (page.detached_at or 0.0) < now - (
                    left if page.left else grace):
                self._forget(page)

    def _forget(self, page: PageState) -> None:
        del self._pages[page.page_id]
        for hook in self.on_forget:
            try:
                hook(page)
            except Exception:
                logger.exception("Forgetting page %s failed", page.page_id[:8])

    # ---- the live components a page shows --------------------------------------------

    def own(self, page: PageState, shown: Sequence[str], gone: Sequence[str], store: Any,
            replace: bool = False) -> None:
        """Note the live components ``page`` shows (``replace``: all of them; else those a
        swap brought and those it took away): they go when the page is forgotten; those it
        no longer shows expire from ``store`` after ``page_grace`` unless an event comes."""
        room = self.settings.components_per_session
        now = set(shown[:room]) if replace else (page.components | set(shown))
        if len(now) > room:
            now = set(list(now)[:room])
        left = (page.components - now) | (set(gone) & page.components)
        now -= set(gone)
        page.components = now
        for cid in left:
            if not self._shown_elsewhere(page, cid):
                store.expire(page.owner, cid, self.settings.page_grace)

    def drop_components(self, page: PageState, store: Any) -> None:
        """An ``on_forget`` hook: the page's components go from ``store`` with it."""
        for cid in page.components:
            if not self._shown_elsewhere(page, cid):
                store.delete(page.owner, cid)
        page.components = set()

    def _shown_elsewhere(self, page: PageState, cid: str) -> bool:
        return any(cid in other.components for other in self.of(page.owner)
                   if other is not page)

    def __len__(self) -> int:
        return len(self._pages)


class Connection:
    """One socket of a page: subscribes it to its topics and sends it frames in order
    through a bounded queue (see ``LiveSettings.outbox_frames``)."""

    def __init__(self, websocket: WebSocket, page: PageState, hub: Hub,
                 settings: LiveSettings) -> None:
        self.websocket = websocket
        self.page = page
        self.hub = hub
        self.settings = settings
        self.topics: dict[str, int] = {}
        #: (frame, coalescing key, size) of each frame waiting to be sent.
        self._queue: collections.deque[tuple[dict[str, Any], str | None, int]] = (
            collections.deque())
        self._queued_bytes = 0
        self._next_id = 0
        self._acked = 0
        self._wake = asyncio.Event()
        self._writer: asyncio.Task[None] | None = None
        self.closing: tuple[int, str] | None = None
        #: The page reads the frames ready at one moment as one message (hello's batch).
        self.batch = False
        #: Set once the server closed the socket (the reader stops waiting then).
        self.ended = asyncio.Event()

    # ---- attaching --------------------------------------------------------------------

    async def attach(self) -> None:
        """Take the page over (a previous socket of it is closed with 4409) and start
        sending."""
        old = self.page.connection
        self.page.connection = self
        self.page.detached_at = None
        self.page.left = False
        if old is not None:
            old.close(CLOSE_SUPERSEDED, "The page connected again")
        self._writer = asyncio.get_running_loop().create_task(self._write())

    async def detach(self) -> None:
        """Stop: unsubscribe, stop the writer, leave the page's state for a resume."""
        self.hub.detach(self, list(self.topics))
        self.topics.clear()
        if self.page.connection is self:
            self.page.connection = None
            self.page.detached_at = time.monotonic()
        writer, self._writer = self._writer, None
        if writer is not None:
            if self.closing is not None and not writer.done():
                # Closing on purpose: let what is queued (a reload, an error) and the
                # close frame go out first.
                with contextlib.suppress(asyncio.TimeoutError, Exception):
                    await asyncio.wait_for(asyncio.shield(writer), 5.0)
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await writer
        self._queue.clear()
        self._queued_bytes = 0

    def follow(self, topic: str, seq: int) -> None:
        """Subscribe to ``topic`` from message ``seq``: what the page missed comes from
        the history, else the topic's snapshot, else the page reloads."""
        self.topics[topic] = seq
        self.hub.attach(topic, self)
        current = self.hub.get(topic)
        missed = current.since(seq)
        # Replay what the page missed, unless it is more than its queue takes at once: then
        # the topic's state in one frame (never a reconnect loop of overflows).
        if missed is not None and (len(missed) <= self.settings.outbox_frames // 2 and sum(
                e.size for e in missed) <= self.settings.outbox_bytes // 2):
            for entry in missed:
                self.deliver(topic, entry.seq, entry.ops, False)
            return
        ops = self.hub.snapshot_ops(topic)
        if ops is None:
            self.send({"t": "reload", "why": "behind"})
            self.close(1000, "The page reloads to catch up")
            return
        self.deliver(topic, current.seq, ops, True)

    # ---- sending ----------------------------------------------------------------------

    def deliver(self, topic: str, seq: int, ops: list[Op], snapshot: bool) -> None:
        """Queue a topic's message (a ``Subscriber``): a newer whole-element update of the
        same target replaces one still waiting in the queue."""
        if seq <= self.topics.get(topic, -1) and not snapshot:
            return  # the page has it already
        self.topics[topic] = seq
        frame = {"t": "msg", "topic": topic, "seq": seq, "ops": ops}
        if snapshot:
            frame["snapshot"] = True
        key = None
        if len(ops) == 1 and ops[0]["op"] == "morph":
            key = f"{topic}\0{ops[0]['target']}"
            self._drop_waiting(key)
        self.send(frame, key, essential=snapshot)

    def send(self, frame: dict[str, Any], key: str | None = None, *,
             essential: bool = False) -> None:
        """Queue ``frame``; a page whose queue outgrows the bounds (it does not read) is
        closed (1013) instead of growing the server's memory: it resumes when it comes
        back. A single frame is always sent, whatever its size, and so are ``essential``
        ones (a welcome, a reply, a snapshot: one each, or it would never catch up)."""
        if self.closing is not None:
            return
        size = _size(frame)
        if self._queue and not essential and (len(self._queue) >= self.settings.outbox_frames or (
                self._queued_bytes + size > self.settings.outbox_bytes)):
            logger.warning("Page %s fell behind (%d frames, %d bytes waiting): dropped its "
                           "queue; it resyncs when it reconnects", self.page.page_id[:8],
                           len(self._queue), self._queued_bytes)
            self._queue.clear()
            self._queued_bytes = 0
            self.close(CLOSE_BEHIND, "The page fell behind; reconnect to resync")
            return
        self._queue.append((frame, key, size))
        self._queued_bytes += size
        self._wake.set()

    def send_latest(self, frame: dict[str, Any], key: str | None) -> None:
        """Queue ``frame``, replacing a frame of the same ``key`` still waiting (a slow
        page gets the newest state, not every step)."""
        if key is not None:
            self._drop_waiting(key)
        self.send(frame, key)

    def _drop_waiting(self, key: str) -> None:
        for index, (_, waiting, size) in enumerate(self._queue):
            if waiting == key:
                del self._queue[index]
                self._queued_bytes -= size
                return

    def acked(self, frame_id: int) -> None:
        """The page applied every frame up to ``frame_id``."""
        if self._acked < frame_id <= self._next_id:
            self._acked = frame_id

    def close(self, code: int, reason: str) -> None:
        """Close the socket after what is queued (from any code on the loop)."""
        if self.closing is None:
            self.closing = (code, reason)
            self._wake.set()

    async def _write(self) -> None:
        websocket = self.websocket
        try:
            while True:
                await self._wake.wait()
                if self.batch:
                    # One turn of the loop first: what is ready to be queued in it (an
                    # event's reply after the message its handler published) goes along.
                    await asyncio.sleep(0)
                self._wake.clear()
                while self._queue:
                    ready = self._take() if self.batch else [self._take_one()]
                    await websocket.send_text(
                        encode(ready[0]) if len(ready) == 1 else encode_many(ready))
                if self.closing is not None:
                    if websocket.application_state == WebSocketState.CONNECTED:
                        await websocket.close(*self.closing)
                    self.ended.set()
                    return
        except (OSError, RuntimeError, WebSocketDisconnect):
            self.ended.set()  # the page has gone
            return
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("Sending to page %s failed", self.page.page_id[:8])

    def _take_one(self) -> dict[str, Any]:
        frame, _, size = self._queue.popleft()
        self._queued_bytes -= size
        if frame["t"] != "pong":
            self._next_id += 1
            frame["id"] = self._next_id
        return frame

    def _take(self) -> list[dict[str, Any]]:
        """The queued frames, numbered, up to about ``BATCH_BYTES``."""
        before = self._queued_bytes
        ready = [self._take_one()]
        while self._queue and before - self._queued_bytes < BATCH_BYTES:
            ready.append(self._take_one())
        return ready


def _size(frame: dict[str, Any]) -> int:
    """About how many bytes ``frame`` takes queued."""
    return sum(len(op.get("html", "")) for op in frame.get("ops", ())) + 64


def refuse_foreign(close: Callable[[int, str], Any]) -> Any:
    """Close with 4403: the page id belongs to another session."""
    return close(CLOSE_FOREIGN_PAGE, "This page belongs to another session")


def pusher(page: PageState) -> Callable[[list[dict[str, Any]]], bool]:
    """Sends a streaming component's updates to ``page`` (False once it has gone); a newer
    whole-component update replaces one still waiting to be sent."""

    def push(ops: list[dict[str, Any]]) -> bool:
        connection = page.connection
        if connection is None or connection.closing is not None:
            return False
        key = f"ops\0{ops[0]['target']}" if len(ops) == 1 and ops[0]["op"] == "morph" else None
        connection.send_latest({"t": "ops", "ops": ops}, key)
        return True

    return push
