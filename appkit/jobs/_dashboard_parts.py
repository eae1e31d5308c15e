"""Pieces of the jobs dashboard (``appkit.jobs.dashboard``): checking its query
parameters and the "Run now" inputs, and rendering statuses, progress, times and
durations."""

from __future__ import annotations

import inspect
import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from appkit.app.binding import JSONTooDeep, loads_json
from appkit.errors import BadRequest
from appkit.html import Progress, Small, Span, Time, render
from appkit.jobs.runs import Run, Status

STATUSES = [str(status) for status in Status]
_ID_LIMIT = 2**63  # SQLite's integers are below it (and at least its negative)


def _check_status(status: str) -> list[str]:
    if not status:
        return []
    if status not in STATUSES:
        raise BadRequest(f"There is no status {status!r}; the statuses are: "
                         f"{', '.join(STATUSES)}.")
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
