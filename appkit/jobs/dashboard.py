"""The jobs dashboard: a page of an app that shows the scheduler's runs as they happen.

    app.jobs.dashboard("/jobs")                   # or: mount_dashboard(app.jobs, app, "/jobs")

It is a ``Router`` of ordinary appkit routes (so sessions, CSRF and the app's before-hooks
apply, e.g. a login wall), built with ``appkit.html`` and htmx:

- ``/jobs``: the runs, newest first, filtered by task and status (an htmx GET with query
  parameters, so a filtered view has its own address); the count of runs in each status;
  a "Run now" form for each registered task, with an optional JSON field for its inputs.
  Rows, progress bars and counts change in place.
- ``/jobs/runs/ID``: one run: status, progress, times, inputs, output, error (the
  traceback) and its log, which grows in place while the run runs.
- Buttons: cancel (queued or running), run again (finished).

Live updates go through the app's hub when it has one (the live extension: see
``appkit.jobs.dashboard_live``), pushed as the scheduler reports each change. Without it,
each page keeps a server-sent events stream open that looks at the database every
``interval`` (half a second) and sends only the rows that changed, or what the log gained
(from a byte offset, resumed after a reconnection).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from appkit.app import App, Event, EventStream, HtmxDetails, Redirect, Router
from appkit.errors import BadRequest, ConfigurationError, NotFound
from appkit.html import (
    H1,
    H2,
    A,
    Article,
    Button,
    Div,
    Form,
    Header,
    Input,
    Label,
    Li,
    Main,
    Nav,
    Noscript,
    Option,
    P,
    Pre,
    Script,
    Section,
    Select,
    Small,
    Span,
    Strong,
    Style,
    Table,
    Tbody,
    Td,
    Th,
    Thead,
    Title,
    Tr,
    Ul,
    oob,
)
from appkit.jobs._dashboard_parts import (
    STATUSES,
    _arguments,
    _badge,
    _check_before,
    _check_status,
    _json,
    _parse_inputs,
    _progress,
    _render,
    _seconds,
    _time,
    _took,
)
from appkit.jobs.dashboard_live import LiveDashboard, filter_key
from appkit.jobs.errors import InvalidInputs, UnknownTask
from appkit.jobs.runs import Run, Status

if TYPE_CHECKING:
    from appkit.jobs.scheduler import Jobs

__all__ = ["Dashboard", "mount_dashboard"]

#: Characters of a log shown on a run's page; a longer log shows its end.
LOG_LIMIT = 200_000

_CSS = """
.jobs-status { font-weight: 600; white-space: nowrap; }
.jobs-queued, .jobs-cancelled { color: var(--pico-muted-color); }
.jobs-running { color: var(--pico-primary); }
.jobs-completed { color: var(--pico-ins-color); }
.jobs-failed, .jobs-timeout { color: var(--pico-del-color); }
.jobs-page h1, .jobs-page td, .jobs-page pre { overflow-wrap: anywhere; }
.jobs-table { font-size: .9375rem; }
.jobs-table td, .jobs-table th { vertical-align: middle; }
.jobs-table th, .jobs-table time, .jobs-actions { white-space: nowrap; }
.jobs-table .jobs-task, .jobs-table .jobs-progress { width: 30%; }
.jobs-table progress { display: block; margin: 0; min-width: 4rem; }
.jobs-table .jobs-progress small { display: block; }
.jobs-actions button { margin: 0; padding: .25rem .75rem; font-size: .875em; }
.jobs-actions button, .jobs-tasks button { white-space: nowrap; }
.jobs-buttons { margin: 1rem 0; }
.jobs-counts ul { flex-wrap: wrap; }
.jobs-tasks form, .jobs-tasks input, .jobs-tasks button { margin: 0; }
.jobs-tasks td:last-child { width: 55%; }
.jobs-facts th { width: 12rem; }
#jobs-log { max-height: 32rem; overflow: auto; white-space: pre-wrap; }
.jobs-page pre { white-space: pre-wrap; }
.jobs-error { color: var(--pico-del-color); }
"""


def mount_dashboard(jobs: Jobs, app: App | None, path: str = "/jobs", *,
                    name: str = "jobs", page_size: int = 50, interval: float = 0.5
                    ) -> Dashboard:
    """Add the dashboard of ``jobs`` to ``app`` at ``path``; returns it (a ``Router``).

    Args:
        jobs: the scheduler to show (``app.jobs``).
        app: the app to add the pages to.
        path: where the page is, e.g. ``"/jobs"`` (or ``"/admin/jobs"``).
        name: the prefix of its route names (``"jobs.index"``, ``"jobs.run"``...).
        page_size: how many runs a page lists.
        interval: seconds between two looks at the database by a page's stream (only
            when the app has no hub).

    Raises:
        ConfigurationError: no app was given, a bad path or option, or the app's hub has
            a topic of the dashboard's ``name`` declared already.
    """
    if app is None:
        raise ConfigurationError(
            "This scheduler belongs to no app, so its dashboard has nowhere to go. Add it "
            f"to your app yourself: app.include(Dashboard(jobs, {path!r}))")
    dashboard = Dashboard(jobs, path, name=name, page_size=page_size, interval=interval)
    dashboard.live(app)  # now: a topic name another part of the app took is said here
    app.include(dashboard)
    return dashboard


class Dashboard(Router):
    """The jobs dashboard's routes, at ``path``: include it with ``app.include(...)``
    (``mount_dashboard`` and ``app.jobs.dashboard(path)`` do). See ``mount_dashboard``
    for the arguments.

    Its route handlers are attributes, for links from the app's own pages: ``index`` (the
    list; ``dashboard.index.url(task="import_csv")``), ``run`` (a run's page;
    ``dashboard.run.url(run_id=3)``), ``events`` and ``run_events`` (their streams),
    ``cancel``, ``rerun`` and ``run_now`` (the buttons).
    """

    def __init__(self, jobs: Jobs, path: str = "/jobs", *, name: str = "jobs",
                 page_size: int = 50, interval: float = 0.5) -> None:
        if not isinstance(path, str) or not path.startswith("/") or (
                path != "/" and path.endswith("/")):
            raise ConfigurationError(
                f"The dashboard's path {path!r} must start with '/' and not end with one, "
                "e.g. '/jobs'")
        if isinstance(page_size, bool) or not isinstance(page_size, int) or page_size < 1:
            raise ConfigurationError(f"page_size must be 1 or more, not {page_size!r}")
        if isinstance(interval, bool) or not isinstance(interval, int | float) or not (
                0 < interval <= 60):
            raise ConfigurationError(
                f"interval must be a number of seconds above 0 (at most 60), not {interval!r}")
        super().__init__(name=name)
        self.jobs = jobs
        self.path = path
        self.page_size = page_size
        self.interval = float(interval)
        self._live: LiveDashboard | None = None
        self._live_lock = threading.Lock()
        self._add_routes(path.rstrip("/"))

    def live(self, app: Any) -> LiveDashboard | None:
        """What keeps the pages current through ``app.hub``, made on first use; None when
        the app has no hub (its pages then poll over server-sent events)."""
        hub = getattr(app, "hub", None)
        if hub is None:
            return None
        with self._live_lock:
            if self._live is None:
                self._live = LiveDashboard(self, hub)
            return self._live

    # ---- routes ---------------------------------------------------------------------------

    def _add_routes(self, base: str) -> None:
        jobs = self.jobs

        @self.get(self.path)
        def index(app: App, htmx: HtmxDetails, task: str = "", status: str = "",
                  before: int | None = None):
            statuses = _check_status(status)
            _check_before(before)
            live = self.live(app)
            # Subscribed before reading: what changes after the read is published after.
            follow = live.list_page(task, status, before is None) if live else None
            runs = jobs.runs(task or None, statuses or None, limit=self.page_size,
                             before=before)
            listing = self._listing(runs, task, status, before, live is not None)
            if htmx and not htmx.boosted and htmx.target == "jobs-runs":
                return listing  # the filters changed: the list alone
            return _page(app, "Jobs", [Li("Jobs")], self._tasks_panel(), listing, follow)

        @self.get(f"{base}/events")
        async def events(task: str = "", status: str = "", before: int | None = None):
            statuses = _check_status(status)
            _check_before(before)  # here: once streaming, an error could not be a 400
            return EventStream(self._list_events(task, statuses, before))

        @self.get(f"{base}/runs/{{run_id:int}}")
        def run(app: App, run_id: int):
            current = jobs._database().get(run_id)  # a 404 when there is no such run
            live = self.live(app)
            follow = None
            if live is not None and not current.done:
                follow, text, offset = live.run_page(run_id)
                current = jobs._database().get(run_id)  # read after subscribing
            else:
                chunk = jobs.log(run_id)
                text, offset = chunk.text, chunk.offset
            return _page(app, f"Run {current.id}: {current.task}",
                         [Li(A("Jobs", href=self.index.url())), Li(f"Run {current.id}")],
                         self._run_body(current, text, offset, live is not None), follow)

        @self.get(f"{base}/runs/{{run_id:int}}/events")
        async def run_events(run_id: int, offset: int = 0, last_event_id: str = ""):
            current = await asyncio.to_thread(jobs.get, run_id)  # 404 before streaming
            resume = last_event_id.strip()
            if resume.isascii() and resume.isdigit():  # not "²", which int() refuses
                offset = int(resume)  # a reconnection: resume where it stopped
            return EventStream(self._run_events(current, max(0, offset)))

        @self.post(f"{base}/runs/{{run_id:int}}/cancel")
        def cancel(run_id: int, view: str = "page"):
            jobs.cancel(run_id)
            current = jobs.get(run_id)
            if view == "row":
                return self._row(current)
            if view == "state":
                return self._state(current)
            return Redirect(self.run.url(run_id=run_id))

        @self.post(f"{base}/runs/{{run_id:int}}/rerun")
        def rerun(run_id: int):
            try:
                new_id = jobs.rerun(run_id)
            except UnknownTask as exc:
                raise BadRequest(f"Run {run_id} cannot run again: {exc}") from None
            return Redirect(self.run.url(run_id=new_id))

        @self.post(f"{base}/tasks/{{task:path}}/run")
        def run_now(task: str, inputs: str = ""):
            if task not in jobs.tasks:
                raise NotFound(f"There is no task called {task!r}. Known tasks: "
                               f"{', '.join(sorted(jobs.tasks)) or 'none'}.")
            try:
                run_id = jobs.enqueue(task, _parse_inputs(task, inputs))
            except InvalidInputs as exc:
                raise BadRequest(str(exc)) from None
            return Redirect(self.run.url(run_id=run_id))

        self.index, self.events, self.run = index, events, run
        self.run_events, self.cancel, self.rerun, self.run_now = (
            run_events, cancel, rerun, run_now)

    # ---- the list -------------------------------------------------------------------------

    def _tasks_panel(self) -> Any:
        tasks = self.jobs.tasks
        if not tasks:
            return Article(P("No task is registered yet. Register one with ",
                             Strong("@app.task()"), "."), cls="jobs-tasks")
        rows = []
        for name, task in sorted(tasks.items()):
            signature, example = _arguments(task.fn)
            facts = [signature]
            if task.timeout is not None:
                facts.append(f"timeout {_seconds(task.timeout)}")
            if task.retries:
                facts.append(f"{task.retries} retries")
            url = self.run_now.url(task=name)
            field = Input(name="inputs", placeholder=example, autocomplete="off",
                          aria_label=f"Inputs for {name}") if example else None
            rows.append(Tr(
                Td(Strong(name), " ", Small(", ".join(facts))),
                Td(Form(Div(field, Button("Run now", aria_label=f"Run {name} now"),
                            role="group" if field else None),
                        method="post", action=url, hx_post=url, hx_swap="none"))))
        return Article(Header(Strong("Tasks")),
                       Div(Table(Tbody(*rows)), cls="overflow-auto"), cls="jobs-tasks")

    def _listing(self, runs: Sequence[Run], task: str, status: str,
                 before: int | None, live: bool = False) -> Any:
        counts = self.jobs.counts(task or None)
        more = []
        if before is not None:
            more.append(A("Newest runs", href=self.index.url(task=task or None,
                                                              status=status or None)))
        if len(runs) == self.page_size:
            more.append(A("Older runs", href=self.index.url(
                task=task or None, status=status or None, before=runs[-1].id)))
        if live:  # kept current through the hub (see dashboard_live)
            return Section(
                self._counts_box(counts, task),
                self._filters(task, status),
                Div(self._table(runs, filter_key(task, status) if before is None else None),
                    cls="overflow-auto"),
                P(*more, cls="jobs-more") if more else None,
                id="jobs-runs")
        return Section(
            Nav(self._counts(counts, task), id="jobs-counts", cls="jobs-counts",
                sse_swap="counts", aria_label="Runs by status"),
            self._filters(task, status),
            # The target of "runs" events: they carry rows (or the whole body) out of band.
            Div(id="jobs-runs-sink", sse_swap="runs", hidden=True),
            Div(self._table(runs, None), cls="overflow-auto"),
            P(*more, cls="jobs-more") if more else None,
            id="jobs-runs", hx_ext="sse",
            sse_connect=self.events.url(task=task or None, status=status or None,
                                        before=before),
        )

    def _table(self, runs: Sequence[Run], key: str | None) -> Any:
        """The table of runs; ``key``: a first page's filter (its table is replaced when
        runs join or leave it)."""
        return Table(
            Thead(Tr(Th("Run"), Th("Task"), Th("Status"), Th("Progress"), Th("Queued"),
                     Th("Took"), Th(""))),
            self._tbody(runs), cls="jobs-table striped",
            id=f"jobs-table-{key}" if key else None)

    def _counts_box(self, counts: dict[Status, int], task: str) -> Any:
        """The counts of a task filter (live pages), under an id of that filter."""
        return Div(Nav(self._counts(counts, task), id="jobs-counts", cls="jobs-counts",
                       aria_label="Runs by status"), id=f"jobs-counts-{filter_key(task, '*')}")

    def _filters(self, task: str, status: str) -> Any:
        names = sorted({*self.jobs.tasks, *([task] if task else [])})
        return Form(
            Div(
                Label("Task", Select(
                    Option("All tasks", value=""),
                    *[Option(name, value=name, selected=name == task) for name in names],
                    name="task")),
                Label("Status", Select(
                    Option("All statuses", value=""),
                    *[Option(s, value=s, selected=s == status) for s in STATUSES],
                    name="status")),
                cls="grid"),
            Noscript(Button("Filter", cls="secondary")),
            id="jobs-filters", method="get", action=self.index.url(),
            hx_get=self.index.url(), hx_target="#jobs-runs", hx_swap="outerHTML",
            hx_trigger="change, submit", hx_push_url="true",
        )

    def _counts(self, counts: dict[Status, int], task: str) -> Any:
        return Ul(*[
            Li(A(_badge(status), f" {counts.get(status, 0)}",
                 href=self.index.url(task=task or None, status=str(status)),
                 data_status=str(status)))
            for status in Status])

    def _tbody(self, runs: Sequence[Run]) -> Any:
        if not runs:
            return Tbody(Tr(Td("No runs here yet.", colspan=7)), id="jobs-runs-body")
        return Tbody(*[self._row(run) for run in runs], id="jobs-runs-body")

    def _row(self, run: Run) -> Any:
        return Tr(
            Td(A(f"#{run.id}", href=self.run.url(run_id=run.id))),
            Td(run.task, cls="jobs-task"),
            Td(_badge(run.status)),
            Td(_progress(run), cls="jobs-progress"),
            Td(_time(run.created)),
            Td(_took(run)),
            Td(self._buttons(run, "row"), cls="jobs-actions"),
            id=f"jobs-run-{run.id}", data_status=str(run.status),
        )

    def _buttons(self, run: Run, view: str) -> Any:
        target = f"#jobs-run-{run.id}" if view == "row" else "#jobs-run-state"
        if not run.done:
            # Asked in the page's own dialog (appkit.js), as every hx-confirm is.
            return Button("Cancel", cls="secondary outline", hx_post=self.cancel.url(
                run_id=run.id), hx_vals={"view": view}, hx_target=target,
                hx_swap="outerHTML" if view == "row" else "innerHTML",
                hx_confirm=f"Cancel run {run.id} of {run.task}? A running run is stopped "
                           "where it is.",
                data_confirm_title="Cancel a run", aria_label=f"Cancel run {run.id}")
        if run.task in self.jobs.tasks:
            return Button("Run again", cls="outline", hx_post=self.rerun.url(run_id=run.id),
                          hx_swap="none", aria_label=f"Run {run.task} again")
        return None

    async def _list_events(self, task: str, statuses: list[str], before: int | None
                           ) -> AsyncIterator[Event]:
        """The list's live updates: at once the counts and the whole body (the page may
        be older than the stream), then, at each change of the database, what changed."""
        shown_counts = ""
        shown_ids: list[int] | None = None  # nothing sent yet: the first look sends all
        shown_rows: dict[int, str] = {}
        changes = self.jobs.changes(self.interval)
        try:
            while True:
                runs, counts = await asyncio.to_thread(self._snapshot, task, statuses, before)
                counts_html = _render(self._counts(counts, task))
                if counts_html != shown_counts:
                    shown_counts = counts_html
                    yield Event(counts_html, event="counts")
                nodes = {run.id: self._row(run) for run in runs}
                rows = {run_id: _render(node) for run_id, node in nodes.items()}
                ids = [run.id for run in runs]
                if ids != shown_ids:
                    yield Event(oob(self._tbody(runs)), event="runs")
                else:
                    changed = [oob(nodes[i]) for i in ids if rows[i] != shown_rows[i]]
                    if changed:
                        yield Event(changed, event="runs")
                shown_ids, shown_rows = ids, rows
                await anext(changes)  # the database changed (checked every interval)
        finally:
            close = getattr(changes, "aclose", None)
            if close is not None:
                await close()

    def _snapshot(self, task: str, statuses: list[str], before: int | None
                  ) -> tuple[list[Run], dict[Status, int]]:
        runs = self.jobs.runs(task or None, statuses or None, limit=self.page_size,
                              before=before)
        return runs, self.jobs.counts(task or None)

    # ---- one run --------------------------------------------------------------------------

    def _run_body(self, run: Run, log: str, offset: int, live: bool = False) -> Any:
        stream = {} if run.done or live else {
            "hx_ext": "sse", "sse_connect": self.run_events.url(run_id=run.id, offset=offset),
            "sse_close": "end"}
        return Div(
            Div(self._state(run), id="jobs-run-state", sse_swap=None if live else "state"),
            Article(Header(Strong("Log")), self._log_box(log, live), cls="jobs-log"),
            id="jobs-run", **stream)

    def _log_box(self, log: str, live: bool) -> Any:
        """The log; it follows its end as it grows, unless the reader scrolled up
        (``data-follow-end``: appkit/static/jobs.js)."""
        if len(log) > LOG_LIMIT:
            log = f"[... the first {len(log) - LOG_LIMIT} characters are not shown]\n" + (
                log[-LOG_LIMIT:])
        stream = {} if live else {"sse_swap": "log", "hx_swap": "beforeend"}
        return Pre(Span(log) if log else None, id="jobs-log", aria_label="Log",
                   data_follow_end=True, **stream)

    def _state(self, run: Run) -> Any:
        facts = [("Task", run.task), ("Status", _badge(run.status)),
                 ("Queued", _time(run.created))]
        if run.scheduled_for - run.created > timedelta(seconds=1):
            facts.append(("Scheduled for", _time(run.scheduled_for)))
        facts += [("Started", _time(run.started)), ("Finished", _time(run.finished)),
                  ("Took", _took(run)), ("Attempts", str(run.attempts))]
        if run.retries:
            facts.append(("Retries", str(run.retries)))
        if run.timeout is not None:
            facts.append(("Timeout", _seconds(run.timeout)))
        if run.period is not None:
            facts.append(("Every", _seconds(run.period)))
        if run.rerun_of is not None:
            facts.append(("Run again from", A(f"#{run.rerun_of}",
                                              href=self.run.url(run_id=run.rerun_of))))
        parts: list[Any] = [
            Div(_progress(run), cls="jobs-progress") if not run.done or run.progress
            is not None else None,
            Div(self._buttons(run, "state"), cls="jobs-buttons"),
            Div(Table(Tbody(*[Tr(Th(label, scope="row"), Td(value))
                              for label, value in facts if value != ""]),
                      cls="jobs-facts"), cls="overflow-auto"),
            H2("Inputs"), Pre(_json(run.inputs)),
        ]
        if run.status == Status.COMPLETED:
            parts += [H2("Output"), Pre(_json(run.output), id="jobs-output")]
        if run.error:
            parts += [H2("Error"), Pre(run.error, id="jobs-error", cls="jobs-error")]
        return parts

    async def _run_events(self, run: Run, offset: int) -> AsyncIterator[Event]:
        """A run's live updates: its state when it changes, what its log gained, and
        ``end`` once it has finished (the page then closes the stream)."""
        shown = ""
        while True:
            current = await asyncio.to_thread(self._peek, run)
            if current is None:  # deleted meanwhile (purged)
                yield Event("", event="end", id=offset)
                return
            state = _render(self._state(current))
            if state != shown:
                shown = state
                yield Event(self._state(current), event="state", id=offset)
            # Read after the state: a finished run's log is complete by then.
            chunk = await asyncio.to_thread(self.jobs.log, run.id, offset)
            if chunk.text:
                offset = chunk.offset
                yield Event(Span(chunk.text), event="log", id=offset)
            if current.done:
                yield Event("", event="end", id=offset)
                return
            await asyncio.sleep(self.interval)

    def _peek(self, run: Run) -> Run | None:
        """The run as it is now, without reading its log (``get`` reads all of it)."""
        found = self.jobs.runs(run.task, limit=1, before=run.id + 1)
        return found[0] if found and found[0].id == run.id else None


# ---- helpers ------------------------------------------------------------------------------

def _page(app: App, title: str, crumbs: list[Any], *body: Any) -> Any:
    """A dashboard page: the way back to the app (a link to its root, named after it),
    then the title and ``body``."""
    script = app.root_path + app.assets.url("jobs.js")
    return (Style(_CSS), Title(title), Script(src=script, defer=True), Main(
        Nav(Ul(Li(A(app.title, href="/", cls="jobs-home")), *crumbs),
            aria_label="breadcrumb"),
        H1(title), *body, cls="container jobs-page"))
