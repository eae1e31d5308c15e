"""The jobs dashboard: a page of an app that shows the scheduler's runs as they happen.

    app.jobs.dashboard("/jobs")                   # or: mount_dashboard(app.jobs, app, "/jobs")

It is a ``Router`` of ordinary appkit routes (so sessions, CSRF and the app's before-hooks
apply, e.g. a login wall), built with ``appkit.html`` and htmx:

- ``/jobs``: the runs, newest first, filtered by task and status (an htmx GET with query
  parameters, so a filtered view has its own address); the count of runs in each status;
  a "Run now" form for each registered task, with an optional JSON field for its inputs.
  Rows, progress bars and counts change in place over server-sent events: the stream looks
  at the database every half second and sends only the rows that changed.
- ``/jobs/runs/ID``: one run: status, progress, times, inputs, output, error (the
  traceback) and its log, which grows in place while the run runs (the stream sends what
  was appended, from a byte offset, and resumes from the last one after a reconnection).
- Buttons: cancel (queued or running), run again (finished).
"""

from __future__ import annotations

import asyncio
import inspect
import json
from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from appkit.app import App, Event, EventStream, HtmxDetails, Redirect, Router
from appkit.app.binding import JSONTooDeep, loads_json
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
    Progress,
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
    Time,
    Title,
    Tr,
    Ul,
    oob,
    render,
)
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
_STATUSES = [str(status) for status in Status]
_ID_LIMIT = 2**63  # SQLite's integers are below it (and at least its negative)


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
        interval: seconds between two looks at the database by a live page.

    Raises:
        ConfigurationError: no app was given, or a bad path or option.
    """
    if app is None:
        raise ConfigurationError(
            "This scheduler belongs to no app, so its dashboard has nowhere to go. Add it "
            f"to your app yourself: app.include(Dashboard(jobs, {path!r}))")
    dashboard = Dashboard(jobs, path, name=name, page_size=page_size, interval=interval)
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
        self._add_routes(path.rstrip("/"))

    # ---- routes ---------------------------------------------------------------------------

    def _add_routes(self, base: str) -> None:
        jobs = self.jobs

        @self.get(self.path)
        def index(app: App, htmx: HtmxDetails, task: str = "", status: str = "",
                  before: int | None = None):
            statuses = _check_status(status)
            _check_before(before)
            runs = jobs.runs(task or None, statuses or None, limit=self.page_size,
                             before=before)
            listing = self._listing(runs, task, status, before)
            if htmx and not htmx.boosted and htmx.target == "jobs-runs":
                return listing  # the filters changed: the list alone
            return _page(app, "Jobs", [Li("Jobs")], self._tasks_panel(), listing)

        @self.get(f"{base}/events")
        async def events(task: str = "", status: str = "", before: int | None = None):
            statuses = _check_status(status)
            _check_before(before)  # here: once streaming, an error could not be a 400
            return EventStream(self._list_events(task, statuses, before))

        @self.get(f"{base}/runs/{{run_id:int}}")
        def run(app: App, run_id: int):
            current = jobs.get(run_id)
            chunk = jobs.log(run_id)
            return _page(app, f"Run {current.id}: {current.task}",
                         [Li(A("Jobs", href=self.index.url())), Li(f"Run {current.id}")],
                         self._run_body(current, chunk.text, chunk.offset))

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
                 before: int | None) -> Any:
        counts = self.jobs.counts(task or None)
        more = []
        if before is not None:
            more.append(A("Newest runs", href=self.index.url(task=task or None,
                                                              status=status or None)))
        if len(runs) == self.page_size:
            more.append(A("Older runs", href=self.index.url(
                task=task or None, status=status or None, before=runs[-1].id)))
        return Section(
            Nav(self._counts(counts, task), id="jobs-counts", cls="jobs-counts",
                sse_swap="counts", aria_label="Runs by status"),
            self._filters(task, status),
            # The target of "runs" events: they carry rows (or the whole body) out of band.
            Div(id="jobs-runs-sink", sse_swap="runs", hidden=True),
            Div(Table(
                Thead(Tr(Th("Run"), Th("Task"), Th("Status"), Th("Progress"), Th("Queued"),
                         Th("Took"), Th(""))),
                self._tbody(runs), cls="jobs-table striped"), cls="overflow-auto"),
            P(*more, cls="jobs-more") if more else None,
            id="jobs-runs", hx_ext="sse",
            sse_connect=self.events.url(task=task or None, status=status or None,
                                        before=before),
        )

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
                    *[Option(s, value=s, selected=s == status) for s in _STATUSES],
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
            return Button("Cancel", cls="secondary outline", hx_post=self.cancel.url(
                run_id=run.id), hx_vals={"view": view}, hx_target=target,
                hx_swap="outerHTML" if view == "row" else "innerHTML",
                aria_label=f"Cancel run {run.id}")
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

    def _run_body(self, run: Run, log: str, offset: int) -> Any:
        if len(log) > LOG_LIMIT:
            log = f"[... the first {len(log) - LOG_LIMIT} characters are not shown]\n" + (
                log[-LOG_LIMIT:])
        log_box = Pre(
            Span(log) if log else None, id="jobs-log", aria_label="Log",
            sse_swap="log", hx_swap="beforeend",
            # Follow the end of the log, unless the reader scrolled up.
            **{"hx-on::sse-before-message":
               "this.follow = this.scrollHeight - this.scrollTop - this.clientHeight < 40",
               "hx-on::sse-message": "if (this.follow) this.scrollTop = this.scrollHeight"})
        live = {} if run.done else {
            "hx_ext": "sse", "sse_connect": self.run_events.url(run_id=run.id, offset=offset),
            "sse_close": "end"}
        return Div(
            Div(self._state(run), id="jobs-run-state", sse_swap="state"),
            Article(Header(Strong("Log")), log_box, cls="jobs-log"),
            id="jobs-run", **live)

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
    return (Style(_CSS), Title(title), Main(
        Nav(Ul(Li(A(app.title, href="/", cls="jobs-home")), *crumbs),
            aria_label="breadcrumb"),
        H1(title), *body, cls="container jobs-page"))


def _check_status(status: str) -> list[str]:
    if not status:
        return []
    if status not in _STATUSES:
        raise BadRequest(f"There is no status {status!r}; the statuses are: "
                         f"{', '.join(_STATUSES)}.")
    return [status]


def _check_before(before: int | None) -> None:
    if before is not None and not -_ID_LIMIT <= before < _ID_LIMIT:
        raise BadRequest(f"before={before} cannot be a run number: they are between "
                         f"{-_ID_LIMIT} and {_ID_LIMIT - 1}. Use the id of the last run "
                         "listed, or leave it out.")


def _parse_inputs(task: str, text: str) -> dict[str, Any] | None:
    """The inputs typed in the "Run now" field: empty for none, else a JSON object."""
    text = text.strip()
    if not text:
        return None
    try:
        value = loads_json(text)
    except JSONTooDeep as exc:
        raise BadRequest(f"The inputs for {task!r} are {exc}.") from None
    except json.JSONDecodeError as exc:
        raise BadRequest(
            f"The inputs for {task!r} are not valid JSON ({exc.msg}, line {exc.lineno} "
            f'column {exc.colno}). Write an object of its arguments, e.g. {{"n": 3}}, or '
            "leave the field empty.") from None
    if not isinstance(value, dict):
        raise BadRequest(
            f"The inputs for {task!r} must be a JSON object of its arguments, e.g. "
            f'{{"n": 3}}, not {type(value).__name__} {text[:100]}.')
    return value


def _render(node: Any) -> str:
    return render(node)


def _badge(status: Status) -> Any:
    return Span(str(status), cls=["jobs-status", f"jobs-{status}"])


def _progress(run: Run) -> Any:
    label = f"Progress of run {run.id}"
    message = Small(run.progress_message) if run.progress_message else None
    if run.status == Status.QUEUED:
        return Small("waiting")
    if run.progress is None:
        if run.done:
            return message
        return [Progress(aria_label=label), message]  # running, no fraction: indeterminate
    return [Progress(value=round(run.progress, 4), max=1, aria_label=label,
                     title=f"{run.progress:.0%}"), message]


def _time(when: datetime | None) -> Any:
    if when is None:
        return ""
    local = when.astimezone()
    today = datetime.now().astimezone().date()
    text = local.strftime("%H:%M:%S" if local.date() == today else "%Y-%m-%d %H:%M")
    return Time(text, datetime=local.isoformat(timespec="seconds"))


def _took(run: Run) -> str:
    if not run.done or run.duration is None:
        return ""
    return _seconds(run.duration.total_seconds())


def _seconds(value: float) -> str:
    if value < 0.1:
        return f"{value * 1000:.0f} ms"
    if value < 10:
        return f"{value:.1f}".removesuffix(".0") + " s"
    if value < 90:
        return f"{value:.0f} s"
    minutes, secs = divmod(round(value), 60)
    if minutes < 90:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def _json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False)


def _arguments(fn: Any) -> tuple[str, str | None]:
    """The task's arguments as shown (``(path, delay=0.05)``), and an example of its
    inputs as JSON for the "Run now" field (None when it takes none)."""
    try:
        params: Iterable[inspect.Parameter] = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return "(...)", "{}"
    shown, example = [], {}
    for param in params:
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD, param.POSITIONAL_ONLY):
            continue  # cannot be given as inputs (keyword arguments)
        if param.default is param.empty:
            shown.append(param.name)
            example[param.name] = "..."
        else:
            shown.append(f"{param.name}={param.default!r}")
            example[param.name] = param.default
    try:
        text = json.dumps(example, allow_nan=False)
    except (TypeError, ValueError):
        text = json.dumps(dict.fromkeys(example, "..."))
    return f"({', '.join(shown)})", text if example else None
