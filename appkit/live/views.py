"""Views that live on the server: a page whose code is one ``async def`` that runs on the
server and awaits the user (``app.view``).

A view is an asyncio task owned by the app's ``Views`` registry, never by a socket: pages
attach to it by following its topic (``view:<id>``, whose snapshot is its current render),
so a cut connection is a detach and a reattach, and code that already ran never runs again.
Each wait (``click``, ``submit``) opens a new step; the page's controls carry the view's id,
the step and what they answer, and an event for another step is refused (409), never kept
for a later wait. A form's file input gives its field the file (an ``UploadFile``: the page
posts such a form over HTTP), open for the view's code until its next wait or its end.

Lifetimes, decided in one place (``Views.close``):

- a view of one page (the default) goes with its page: when the page is forgotten (its
  window closed: ``left_grace``; its socket lost: ``page_grace``), or ``page_grace`` after it
  was last used when no page ever attached;
- a daemon view (``daemon=True``) is keyed by (user, route, parameters): every window of the
  user shows the same one, a closed window does not stop it, another user never sees it; it
  ends when its code returns and no window shows it, after ``ttl`` seconds without a window
  while it waits or has finished, when ``stop`` is called, or at shutdown; a user may run at
  most ``per_user`` of them (a new one is refused with 429, never an old one dropped).

Closing raises ``ViewClosed`` into the view's pending wait (and from any later one), cancels
the task if it has not ended ``CLOSE_GRACE`` seconds later, then runs its ``defer``
callbacks, last first.

This module is the view (``View``: what its code calls); ``view_registry`` is the registry
(``Views``: running, closing, the routes, the index and ``?app=``).
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import inspect
import json
import logging
import re
import secrets
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from starlette.datastructures import FormData, UploadFile

from appkit.app.forms import FormModel, form_for
from appkit.app.handlers import run_sync
from appkit.errors import BadRequest, ConfigurationError, HTTPError
from appkit.html import Button, Div, Element, Input, oob
from appkit.html import render as to_html

if TYPE_CHECKING:
    from appkit.live.view_registry import Views

__all__ = ["ROUTE", "View", "ViewClosed"]

logger = logging.getLogger("appkit.live.views")

#: Where a view's events are posted (htmx; the page's socket when it is open).
ROUTE = "/_appkit-view"
#: Seconds a closing view's code has to end after ``ViewClosed`` before it is cancelled.
CLOSE_GRACE = 2.0
#: Seconds one deferred call may take before the next runs.
DEFER_LIMIT = 10.0
#: Seconds a page load or an event over HTTP waits for the view to wait again.
SETTLE = 5.0
TOPIC_PREFIX = "view:"
M = TypeVar("M")


class ViewClosed(BaseException):  # noqa: N818 (it is not an error: the view ends)
    """Raised into a view's code when it is closed (``reason``: ``"page_closed"``,
    ``"stopped"``, ``"expired"``, ``"shutdown"``). A ``BaseException``, so an ``except
    Exception`` in the view does not swallow it; ``try/finally`` and ``view.defer`` run."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"the view was closed ({reason})")
        self.reason = reason


class _Conflict(HTTPError):
    status = 409
    title = "This was answered already"


class _TooMany(HTTPError):
    status = 429
    title = "Too many running views"


class View:
    """One running view: what its code calls to show things and to wait for the user."""

    def __init__(self, views: Views, owner: str, route: str, title: str,
                 params: Mapping[str, Any], key: tuple[Any, ...] | None) -> None:
        self.id = secrets.token_hex(12)
        self.owner = owner
        self.route = route
        self.title = title
        #: The route's path parameters and the query's, as the page asked.
        self.params = dict(params)
        #: (owner, route, parameters) for a daemon view, else None.
        self.key = key
        #: The number of the current wait; a page's control answers only its own step.
        self.step = 0
        #: Set by ``stop`` (and a Cancel button made by ``cancel_button``): long work checks
        #: it and ends early.
        self.stopping = False
        self.state = "running"  # running -> finished | closing -> closed
        self.pages: set[str] = set()
        self.used = time.monotonic()
        #: Where ``go`` sent the view's windows (None: nowhere).
        self.going: str | None = None
        self._views = views
        self.url = ROUTE
        #: The page's own address (a link to it starts a new view of one page).
        self.page_url = route
        self._ttl = 3600.0
        self._content: list[Any] = []
        self._waiting: asyncio.Future[Any] | None = None
        self._asking = False  # whether the wait is for the user (a click or a submit)
        self._answers: dict[str, Any] = {}
        self._form: tuple[FormModel[Any], dict[str, Any]] | None = None
        #: The files of the last accepted form: open until the next wait or the view's end.
        self._files: list[UploadFile] = []
        self._pause: asyncio.Future[Any] | None = None  # a sleep's (or a job's) wait
        # Each time the view waits again (or ends) ``_settles`` grows and the futures in
        # ``_settled`` are resolved: a page load or an answer waits for the next one.
        self._settles = 0
        self._settled: list[asyncio.Future[None]] = []
        self._defers: list[Callable[[], Any]] = []
        self._closed: ViewClosed | None = None
        self._ending = False  # its defers run: show() still reaches its windows
        self._failed = False
        self._grace: asyncio.TimerHandle | None = None
        self._task: asyncio.Task[None] | None = None

    # ---- showing ------------------------------------------------------------------------

    @property
    def topic(self) -> str:
        """The hub topic its windows follow."""
        return TOPIC_PREFIX + self.id

    @property
    def element_id(self) -> str:
        """The id of the element that holds the view on its page."""
        return "view-" + self.id

    def show(self, *elements: Any) -> None:
        """Show ``elements`` as the view's whole content, in every window of it."""
        self._check_shown()
        self._content = list(elements)
        self._publish()

    def append(self, target: str, *children: Any) -> None:
        """Add ``children`` at the end of the element ``target`` of the view's content (a
        growing log): only they are sent."""
        self._check_shown()
        element = _find(self._content, target)
        if element is None:
            raise ConfigurationError(
                f"The view {self.route} shows no element with id {target!r} to append to: "
                f"show one first (view.show(Pre(id={target!r})))")
        element.children = (*element.children, *children)
        self._views.hub.publish(self.topic, oob(Div(*children), f"beforeend:#{target}"))

    def render(self) -> Element:
        """The view's element as it is now."""
        return Div(*self._content, id=self.element_id, data_view=self.id)

    def _publish(self) -> None:
        self._views.hub.publish(self.topic, oob(self.render(), True))

    # ---- waiting for the user ---------------------------------------------------------

    async def click(self, *buttons: Element, show: Any = None) -> Element:
        """Wait for a click on one of ``buttons`` (shown with ``show`` when given, else
        after what is shown); returns the clicked one."""
        if not buttons:
            raise ConfigurationError("view.click needs at least one button")
        step = self._next_step()
        answers: dict[str, Any] = {}
        made = []
        for index, button in enumerate(buttons):
            key = str(index)
            answers[key] = button
            made.append(button(**self._control(step, key)))
        self._answers = answers
        content = list(self._content if show is None else _as_list(show))
        if show is None:
            content = [c for c in content if not _is_controls(c)]
        self._content = [*content, Div(*made, cls="appkit-view-controls", data_view_step=step)]
        self._publish()
        return await self._wait()  # type: ignore[no-any-return]

    async def submit(self, model: type[M] | FormModel[M], values: Any = None,
                     show: Any = None, label: str = "Continue") -> M:
        """Show a form for ``model`` (a dataclass or pydantic model, or a ``form_for``)
        after ``show`` and wait for a valid submission: an invalid one is shown again with
        its errors and what the user typed, and the wait goes on. Returns the model."""
        form = model if isinstance(model, FormModel) else form_for(model)
        step = self._next_step()
        before = list(_as_list(show)) if show is not None else [
            c for c in self._content if not _is_controls(c)]
        self._answers = {}
        self._form = (form, {"step": step, "before": before, "label": label})
        self._show_form(lambda **attrs: form.render(values, **attrs), step, before, label)
        return await self._wait()  # type: ignore[no-any-return]

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` (closing the view raises ``ViewClosed`` here at once; a Cancel
        button ends it at once)."""
        self._check_open()
        loop = asyncio.get_running_loop()
        pause = self._pause = loop.create_future()
        timer = loop.call_later(seconds, _resolve, pause)
        self._settle()
        try:
            await pause
        finally:
            timer.cancel()
            if self._pause is pause:
                self._pause = None

    def defer(self, fn: Callable[[], Any]) -> Callable[[], Any]:
        """Run ``fn`` (sync or async) when the view ends, however it ends; the last one
        deferred runs first. Returns ``fn`` (usable as a decorator)."""
        self._defers.append(fn)
        return fn

    async def job(self, run_id: int, every: float = 0.2,
                  progress: Callable[[Any], Any] | None = None) -> Any:
        """Wait for the app's job run ``run_id`` to end and return it (``app.jobs.get``);
        ``progress(run)`` is called when its progress changes."""
        jobs = self._views.app.jobs
        seen = None
        while True:
            run = await run_sync(jobs.get, run_id)
            if progress is not None and (run.progress, run.progress_message) != seen:
                seen = (run.progress, run.progress_message)
                result = progress(run)
                if inspect.isawaitable(result):
                    await result
            if run.done:
                return run
            await self.sleep(every)

    def go(self, name: str) -> None:
        """Send this view's windows to the view called ``name`` (or to ``name`` when it is
        a path of the app, starting with ``/``)."""
        self._check_open()
        url = name if name.startswith("/") and not name.startswith("//") else (
            self._views.url_of(name, self.url[: -len(ROUTE)]))
        self.going = url
        self._views.hub.publish_ops(self.topic, [
            {"op": "go", "target": self.element_id, "html": "", "url": url}])

    def cancel_button(self, label: str = "Cancel", **attrs: Any) -> Element:
        """A button that asks the view's code to stop (``stopping`` becomes True) whatever
        it is doing: long work checks ``view.stopping`` and ends early; a ``sleep`` it is
        in ends at once."""
        return Button(label, type="button", **{**self._control(0, "cancel"), **attrs})

    def stop(self) -> None:
        """Ask the view's code to stop (``stopping``); a daemon's owner can also close it
        with ``app.views.stop``."""
        self.stopping = True

    # ---- internals ----------------------------------------------------------------------

    def _control(self, step: int, key: str) -> dict[str, Any]:
        return {"hx_post": self.url, "hx_target": f"#{self.element_id}",
                "hx_swap": "outerHTML",
                "hx_vals": json.dumps({"_v": self.id, "_s": step, "_k": key})}

    def _show_form(self, render: Callable[..., Element], step: int, before: list[Any],
                   label: str) -> None:
        form = render(submit=label, hx_post=self.url, hx_target=f"#{self.element_id}",
                      hx_swap="outerHTML", data_view_step=step, cls="appkit-view-controls")
        form = form(Input(type="hidden", name="_v", value=self.id),
                    Input(type="hidden", name="_s", value=str(step)),
                    Input(type="hidden", name="_k", value="submit"))
        if self._form is not None:
            # A file reaches only a field the form shows as a file input.
            self._form[1]["files"] = _file_inputs(to_html(form))
        self._content = [*before, form]
        self._publish()

    def _next_step(self) -> int:
        self._check_open()
        if self._waiting is not None and not self._waiting.done():
            raise ConfigurationError("A view waits for one thing at a time: await the "
                                     "last click or submit before the next")
        self.step += 1
        self._form = None
        self._release()
        return self.step

    def _release(self) -> None:
        """Close the files of the last accepted form (the view waits again, or ends)."""
        files, self._files = self._files, []
        for upload in files:
            upload.file.close()

    async def _wait(self) -> Any:
        self._waiting = asyncio.get_running_loop().create_future()
        self._asking = True
        self._settle()
        try:
            return await self._waiting
        finally:
            self._asking = False
            self._answers = {}
            self._form = None

    def _settle(self) -> None:
        self._settles += 1
        settled, self._settled = self._settled, []
        for future in settled:
            _resolve(future)

    async def _moved_on(self, since: int) -> None:
        """Until the view waits again (or ends) after its ``since``-th wait, at most
        ``SETTLE`` seconds."""
        if self._settles > since or self._task is None or self._task.done():
            return
        future = asyncio.get_running_loop().create_future()
        self._settled.append(future)
        try:
            await asyncio.wait_for(future, SETTLE)
        except TimeoutError:
            with contextlib.suppress(ValueError):
                self._settled.remove(future)

    def _check_open(self) -> None:
        if self._closed is not None:
            raise self._closed

    def _check_shown(self) -> None:
        if self._closed is not None and not self._ending:
            raise self._closed

    def _answer(self, step: int, key: str, data: Mapping[str, Any]) -> bool:
        """An event from a page: answer the current wait (True: the view goes on), show a
        form's errors (False: it waits still), or refuse it."""
        if self.state != "running":
            raise _Gone("This view has ended: reload the page")
        waiting = self._waiting
        if key == "cancel":
            self.stop()
            if self._pause is not None and not self._pause.done():
                self._pause.set_result(None)   # a sleep (or a job's wait) ends now
                return True
            return False
        if step != self.step or not self._asking or waiting is None or waiting.done():
            raise _Conflict("This was answered already (in another window?): the view "
                            "shows what comes next")
        self.used = time.monotonic()
        if key == "submit" and self._form is not None:
            form, shown = self._form
            # Read as a route's Submitted[Model] reads it: an UploadFile for a file field.
            submitted = form.build(_sent(data, shown.get("files", set())),
                                   hasattr(data, "getlist"))
            if not submitted.accepted:
                # A file is never shown back (a file input cannot be filled anyway).
                submitted.raw = {k: v for k, v in submitted.raw.items() if not _is_file(v)}
                self._show_form(submitted.render, shown["step"], shown["before"],
                                shown["label"])
                return False  # still waiting: the form shows its errors
            self._files = [v for v in _flat(submitted.raw.values()) if isinstance(v, UploadFile)]
            waiting.set_result(submitted.value)
        elif key in self._answers:
            waiting.set_result(self._answers[key])
        else:
            raise BadRequest(f"This view does not wait for {key[:40]!r} now")
        return True


class _Gone(HTTPError):
    status = 410
    title = "This view has ended"


_INPUT = re.compile(r"<input\b[^>]*>", re.IGNORECASE)
_NAME = re.compile(r'\sname="([^"]*)"')


def _file_inputs(shown: str) -> set[str]:
    """The names of the file inputs in a rendered form."""
    names = set()
    for tag in _INPUT.findall(shown):
        name = _NAME.search(tag)
        if name is not None and re.search(r'\stype="file"', tag, re.IGNORECASE):
            names.add(html.unescape(name.group(1)))
    return names


def _sent(data: Mapping[str, Any], files: set[str]) -> Mapping[str, Any]:
    """What a page sent, without the files the form does not ask for there and the empty
    part a browser sends for a file input with no file chosen (as the socket sends none)."""
    if not isinstance(data, FormData):
        return data
    return FormData([(key, value) for key, value in data.multi_items()
                     if not isinstance(value, UploadFile) or (
                         key in files and (value.filename or value.size))])


def _is_file(value: Any) -> bool:
    return isinstance(value, UploadFile) or (
        isinstance(value, list) and any(isinstance(v, UploadFile) for v in value))


def _flat(values: Any) -> list[Any]:
    out: list[Any] = []
    for value in values:
        out.extend(value if isinstance(value, list) else [value])
    return out


def _resolve(future: asyncio.Future[Any]) -> None:
    if not future.done():
        future.set_result(None)


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def _is_controls(element: Any) -> bool:
    return isinstance(element, Element) and "appkit-view-controls" in str(
        element.attrs.get("class", ""))


def _find(elements: list[Any], target: str) -> Element | None:
    for element in elements:
        if isinstance(element, Element):
            if element.attrs.get("id") == target:
                return element
            found = _find(list(element.children), target)
            if found is not None:
                return found
        elif isinstance(element, list | tuple):
            found = _find(list(element), target)
            if found is not None:
                return found
    return None
