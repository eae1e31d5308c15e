"""The jobs dashboard kept current through the app's hub (``app.hub``, the live extension),
when the app has one; without it the dashboard's pages poll over server-sent events.

The hub is found at run time (``getattr(app, "hub", None)``): this package never imports
``appkit.live``. The scheduler's ``on_change`` listener (on the scheduler's thread) only
notes which run changed; a thread of the dashboard's own reads the database, renders and
publishes, at most ``PUBLISH_GAP`` apart per run (ten times a second), and always the
latest state last:

- the topic ``<name>`` (``"jobs"``), which every list page follows: the changed run's row
  (morphed in place where a page shows it), the counts of each task filter a page shows
  (``#jobs-counts-<key>``), and the whole table of each filter's first page whose runs
  joined or left (``#jobs-table-<key>``). Its snapshot, for a page that missed more than
  the hub keeps, is all of that at once;
- the topic ``<name>:run:<id>`` of a running run's page: its state, and what its log
  gained, appended (the page rendered the log up to the very byte offset the topic had
  published when the page subscribed).
"""

from __future__ import annotations

import collections
import hashlib
import logging
import threading
import time
from typing import TYPE_CHECKING, Any

from appkit.html import Div, Span, oob, render
from appkit.jobs._files import RunFiles, read_log
from appkit.jobs.errors import RunNotFound
from appkit.jobs.runs import Run, Status

if TYPE_CHECKING:
    from appkit.jobs.dashboard import Dashboard

__all__ = ["PUBLISH_GAP", "LiveDashboard", "filter_key"]

logger = logging.getLogger("appkit.jobs")

#: Seconds between two publications about one run (the latest state always goes out).
PUBLISH_GAP = 0.1
_FILTERS_KEPT = 64  # task/status filters whose tables and counts are kept current
_IDLE = 5.0  # seconds after which the publishing thread ends (it starts again on a change)


def filter_key(task: str, status: str) -> str:
    """A short id for a task/status filter (for element ids)."""
    return hashlib.sha256(f"{task}\0{status}".encode()).hexdigest()[:12]


class LiveDashboard:
    """Publishes a dashboard's changes to ``hub`` (see the module's docstring)."""

    def __init__(self, board: Dashboard, hub: Any) -> None:
        self.board = board
        self.hub = hub
        self.jobs = board.jobs
        self.topic = board.name_prefix or "jobs"
        # _cond guards what the scheduler's thread touches (it never waits for a render);
        # _lock makes a page's subscription and what it renders one with the publications.
        self._cond = threading.Condition()
        self._lock = threading.RLock()
        self._pending: dict[int, float] = {}  # run id -> when it may be published
        self._last: dict[int, float] = {}  # run id -> when it was published
        self._filters: collections.OrderedDict[str, tuple[str, str]] = (
            collections.OrderedDict())
        self._counts: dict[str, str] = {}  # task -> the counts' HTML published
        self._members: dict[str, list[int]] = {}  # filter key -> the runs of its table
        self._logs: dict[int, int] = {}  # followed run -> log offset published
        self._run_topics: set[int] = set()
        self._thread: threading.Thread | None = None
        hub.topic(self.topic, snapshot=self._snapshot)
        self.jobs.on_change(self.changed)

    # ---- pages (request threads) ----------------------------------------------------------

    def list_page(self, task: str, status: str, first_page: bool) -> Any:
        """The subscription of a list page; call it before reading the runs it shows.
        A first page's filter is kept current from now on."""
        with self._lock:
            if first_page:
                key = filter_key(task, status)
                self._filters[key] = (task, status)
                self._filters.move_to_end(key)
                while len(self._filters) > _FILTERS_KEPT:
                    self._filters.popitem(last=False)
            return self.hub.subscribe(self.topic)

    def run_page(self, run_id: int) -> tuple[Any, str, int]:
        """A running run's page: its subscription, and its log up to the offset its topic
        has published (the topic appends what follows)."""
        name = self._run_topic(run_id)
        with self._lock:
            if run_id not in self._run_topics:
                self.hub.topic(name, snapshot=lambda: self._run_snapshot(run_id))
                self._run_topics.add(run_id)
            path = RunFiles(self.jobs.path).log(run_id)
            offset = self._logs.get(run_id)
            if offset is None:
                text, offset = read_log(path)
                self._logs[run_id] = offset
            else:
                text, _ = read_log(path, 0, offset)
            return self.hub.subscribe(name), text, offset

    # ---- the scheduler's thread -----------------------------------------------------------

    def changed(self, run_id: int) -> None:
        """``jobs.on_change``: note the run; the publishing thread does the rest."""
        now = time.monotonic()
        with self._cond:
            if run_id in self._pending:
                return
            self._pending[run_id] = max(now, self._last.get(run_id, 0.0) + PUBLISH_GAP)
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, daemon=True,
                                                name="appkit-jobs-dashboard")
                self._thread.start()
            self._cond.notify()

    # ---- the publishing thread ------------------------------------------------------------

    def _loop(self) -> None:
        while True:
            with self._cond:
                idle_until = time.monotonic() + _IDLE
                while True:
                    now = time.monotonic()
                    due = [run_id for run_id, when in self._pending.items() if when <= now]
                    if due:
                        break
                    if not self._pending and now >= idle_until:
                        self._thread = None
                        return
                    wait = (min(self._pending.values()) - now if self._pending
                            else idle_until - now)
                    self._cond.wait(max(0.0, wait))
                for run_id in due:
                    del self._pending[run_id]
                    self._last[run_id] = now
                if len(self._last) > 1000:
                    self._last = {r: t for r, t in self._last.items()
                                  if t > now - PUBLISH_GAP}
            try:
                with self._lock:
                    self._publish(due)
            except Exception:
                logger.exception("The jobs dashboard could not publish a change")

    def _publish(self, run_ids: list[int]) -> None:
        """Publish what changed (under the lock: a run's page reads the log offset and
        the topic's number together)."""
        board, db = self.board, self.jobs._database()
        runs: dict[int, Run | None] = {}
        for run_id in run_ids:
            try:
                runs[run_id] = db.get(run_id)
            except RunNotFound:
                runs[run_id] = None  # purged
        for run_id, run in runs.items():
            if run is None:
                self.hub.publish(self.topic, oob(Div(), f"delete:#jobs-run-{run_id}"))
            else:
                self.hub.publish(self.topic, board._row(run))
        for element in self._filter_elements(changed_only=True):
            self.hub.publish(self.topic, element)
        for run_id, run in runs.items():
            if run_id in self._logs:
                self._publish_run(run_id, run)

    def _publish_run(self, run_id: int, run: Run | None) -> None:
        name = self._run_topic(run_id)
        if run is None:
            del self._logs[run_id]
            return
        offset = self._logs[run_id]
        text, end = read_log(RunFiles(self.jobs.path).log(run_id), offset, final=run.done)
        if text:
            self._logs[run_id] = end
            self.hub.publish(name, oob(Div(Span(text)), "beforeend:#jobs-log"))
        self.hub.publish(name, self._run_state(run))
        if run.done:
            del self._logs[run_id]  # nothing follows: a page rendered later reads it all

    # ---- what is published ----------------------------------------------------------------

    def _filter_elements(self, changed_only: bool = False) -> list[Any]:
        """The counts of each task filter shown, and the table of each first page (with
        ``changed_only``: the counts that changed, the tables whose runs joined or left,
        since the last call)."""
        board = self.board
        elements: list[Any] = []
        members: dict[str, list[int]] = {}
        counts: dict[str, str] = {}
        for key, (task, status) in list(self._filters.items()):
            runs = self.jobs.runs(task or None, [status] if status else None,
                                  limit=board.page_size)
            members[key] = [run.id for run in runs]
            if not changed_only or self._members.get(key) != members[key]:
                elements.append(board._table(runs, key))
            if task not in counts:
                box = board._counts_box(self.jobs.counts(task or None), task)
                counts[task] = render(box)
                if not changed_only or self._counts.get(task) != counts[task]:
                    elements.append(box)
        if changed_only:
            self._members, self._counts = members, counts
        return elements

    def _snapshot(self) -> list[Any]:
        """Everything the list pages show that changes: for a page that missed too much."""
        with self._lock:
            elements = self._filter_elements()
            active = self.jobs.runs(status=[str(Status.QUEUED), str(Status.RUNNING)],
                                    limit=500)
            newest = self.jobs.runs(limit=self.board.page_size)
            seen: set[int] = set()
            for run in [*active, *newest]:
                if run.id not in seen:
                    seen.add(run.id)
                    elements.append(self.board._row(run))
            return elements

    def _run_snapshot(self, run_id: int) -> list[Any]:
        """A run page's whole state: its log up to the offset published, and its state."""
        with self._lock:
            try:
                run = self.jobs._database().get(run_id)
            except RunNotFound:
                return []
            path = RunFiles(self.jobs.path).log(run_id)
            offset = self._logs.get(run_id)
            text = read_log(path, 0, offset)[0] if offset is not None else (
                read_log(path, final=run.done)[0])
            return [self.board._log_box(text, live=True), self._run_state(run)]

    def _run_state(self, run: Run) -> Any:
        return Div(self.board._state(run), id="jobs-run-state")

    def _run_topic(self, run_id: int) -> str:
        return f"{self.topic}:run:{run_id}"
