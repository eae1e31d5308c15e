"""``JobProgress``: a run of a background job (``app.jobs``) in a page, kept current by the
hub while it runs: its state, a progress bar and the message it reported, then its result
or why it failed.

    @app.post("/import")
    def start_import():
        run_id = app.jobs.enqueue("import_expenses", {"path": "..."})
        return JobProgress(app, run_id, label="Import")

The feed is the scheduler's own change notes (``app.jobs.on_change``, at most about ten a
second per run for progress): for a run a page shows, each note reads the run and
publishes the widget again on the topic ``appkit-job:<run id>`` (a morph by its id), the
last state always last. It needs no jobs dashboard; the dashboard, when mounted, keeps
its own pages current from the same notes. See docs/ui.md.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from typing import Any

from appkit.errors import ConfigurationError, NotFound
from appkit.html import Div, Element, P, Span
from appkit.ui.widgets import Badge, ProgressBar

__all__ = ["JobProgress", "TOPIC_PREFIX", "install"]

#: The hub topic of a run's widget is this and the run's id.
TOPIC_PREFIX = "appkit-job:"
_TONES = {"queued": "neutral", "running": "info", "completed": "success",
          "failed": "danger", "timeout": "danger", "cancelled": "warning"}
_STATES = {"queued": "Waiting to start", "running": "Running", "completed": "Done",
           "failed": "Failed", "timeout": "Timed out", "cancelled": "Cancelled"}
_FOLLOWED = 1000   # runs followed at most (the oldest forgotten first)


def JobProgress(app: Any, run_id: int, *, label: str = "Progress",  # noqa: N802
                finished: Callable[[Any], Any] | None = None, id: str | None = None,  # noqa: A002
                topic: str | None = None) -> Element:
    """The run ``run_id`` of ``app.jobs`` as it is now, kept current while it runs.

    Args:
        app: the app (its ``jobs`` run the job, its ``hub`` carries the changes).
        run_id: the run (what ``app.jobs.enqueue`` returned).
        label: what is in progress (the bar's label, for a screen reader too).
        finished: what to show once the run has finished (completed, failed, timed out
            or cancelled), a function of the run returning elements (called on the
            scheduler's thread: keep it quick); by default its result (``run.output``) or
            the last line of its error.
        id: the element's id (``appkit-job-<run id>`` unless given).
        topic: publish the changes on this topic (one the page follows already) instead
            of the run's own, ``appkit-job:<run id>``.

    Raises:
        ConfigurationError: the app has no jobs or no hub (the live layer).
        RunNotFound: there is no such run (a 404 in a handler).
    """
    feed = _feed(app)
    run_id = int(run_id)
    view = _View(label, finished, id or f"appkit-job-{run_id}",
                 topic or f"{TOPIC_PREFIX}{run_id}", own=topic is None)
    subscribed = feed.hub.subscribe(view.topic)      # before reading what it shows
    feed.follow(run_id, view)
    return _render(feed.jobs.get(run_id), view, subscribed)


@dataclasses.dataclass(frozen=True)
class _View:
    """How a widget shows its run, and where its changes go."""

    label: str
    finished: Callable[[Any], Any] | None
    id: str
    topic: str
    own: bool


def _render(run: Any, view: _View, subscribed: Any) -> Element:
    """The whole widget: what the hub morphs (by its id) at each change."""
    status = str(run.status)
    badge = Badge(_STATES.get(status, status), tone=_TONES.get(status, "neutral"))
    if run.done and view.finished is not None:
        body: Any = view.finished(run)
    elif status == "completed":
        body = [ProgressBar(1.0, label=view.label), P(badge, " ", _result(run.output))]
    elif run.done:
        body = P(badge, " ", _last_line(run.error))
    else:
        value = run.progress if status == "running" else None
        body = [ProgressBar(None if value is None else min(max(float(value), 0.0), 1.0),
                            label=view.label),
                P(badge, " ", Span(run.progress_message or "", cls="appkit-job-message"))]
    return Div(subscribed, Div(body, cls="appkit-job-progress", data_status=status),
               id=view.id, role="status")


def _result(output: Any) -> str:
    text = "" if output is None else str(output)
    return text if len(text) <= 300 else text[:299] + "…"


def _last_line(error: str | None) -> str:
    lines = [line for line in (error or "").splitlines() if line.strip()]
    text = lines[-1].strip() if lines else "It did not complete."
    return text if len(text) <= 300 else text[:299] + "…"


class _Feed:
    """One app's runs shown by widgets, published on each change note."""

    def __init__(self, app: Any) -> None:
        jobs, hub = getattr(app, "jobs", None), getattr(app, "hub", None)
        if jobs is None or hub is None:
            raise ConfigurationError(
                "JobProgress needs an app with jobs and the live layer (app.jobs, app.hub): "
                "appkit.App has both")
        self.jobs: Any = jobs
        self.hub: Any = hub
        self._lock = threading.Lock()
        self._runs: dict[int, dict[tuple[str, str], _View]] = {}   # by (topic, id)
        self._topics: set[str] = set()
        self.jobs.on_change(self.changed)

    def follow(self, run_id: int, view: _View) -> None:
        """Publish the changes of ``run_id`` from now on (a page shows it)."""
        with self._lock:
            views = self._runs.pop(run_id, {})
            views[(view.topic, view.id)] = view
            self._runs[run_id] = views
            while len(self._runs) > _FOLLOWED:
                del self._runs[next(iter(self._runs))]
            if view.own and view.topic not in self._topics:
                self._topics.add(view.topic)
                self.hub.topic(view.topic, snapshot=lambda: self._snapshot(run_id, view.topic))

    def _snapshot(self, run_id: int, topic: str) -> list[Any]:
        """The widgets' whole state, for a page that missed too much."""
        with self._lock:
            views = [v for v in self._runs.get(run_id, {}).values() if v.topic == topic]
        try:
            run = self.jobs.get(run_id)
        except NotFound:   # the run was purged
            return []
        return [_render(run, view, self.hub.subscribe(topic)) for view in views]

    def changed(self, run_id: int) -> None:
        """``jobs.on_change`` (the scheduler's thread): publish a followed run again."""
        with self._lock:
            views = list(self._runs.get(run_id, {}).values())
        if not views:
            return
        try:
            run = self.jobs.get(run_id)
        except NotFound:   # the run was purged
            with self._lock:
                self._runs.pop(run_id, None)
            return
        for view in views:
            self.hub.publish(view.topic, _render(run, view, self.hub.subscribe(view.topic)))


def install(app: Any) -> None:
    """Follow ``app``'s runs for the widgets from now on (``UISettings`` does it when the
    app has jobs and a hub), so that the widgets' changes go out before those of an
    ``on_change`` listener the app adds later. Nothing for an app without them."""
    if getattr(app, "jobs", None) is not None and getattr(app, "hub", None) is not None:
        _feed(app)


_FEEDS_LOCK = threading.Lock()


def _feed(app: Any) -> _Feed:
    with _FEEDS_LOCK:
        feed = getattr(app, "_appkit_job_progress", None)
        if feed is None:
            feed = _Feed(app)
            app._appkit_job_progress = feed
        return feed
